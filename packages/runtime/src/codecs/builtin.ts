/**
 * The formats sagebrew reads and writes out of the box, in the order undeclared training files
 * are sniffed (CSV last resort, as SageMaker's default content type). Each entry names its file's
 * decoder; adding a format is one file and one entry here.
 */
import { MEDIA } from "../contract/index.js";
import { outputAsCsv, outputAsJson, outputAsJsonLines } from "./_output.js";
import { parseCsv } from "./csv.js";
import { parseJsonLinesRows, parseJsonRows } from "./json-rows.js";
import { parseLibsvm } from "./libsvm.js";
import { decodeRecordioProtobuf } from "./recordio-protobuf.js";
import { type Codec, CodecRegistry } from "./registry.js";

/** `text/csv`: label first when training, `header=present` skips a header line. */
export const csvCodec: Codec = {
  name: "csv",
  mediaType: MEDIA.csv,
  extensions: [".csv"],
  checkParams(params, purpose) {
    const size = params.label_size;
    if (size === undefined || size === "1") return undefined;
    return purpose === "serving"
      ? `label_size must be 1, and inference rows carry no label column`
      : `label_size=${size}: only label_size=1 (one label column, the first) is supported`;
  },
  decode: (bytes, o) =>
    parseCsv(bytes, {
      source: o.source,
      label: o.labels,
      weight: o.weights,
      header: o.params.header === "present" ? "present" : "absent",
    }),
  encode: outputAsCsv,
};

/** `text/libsvm` (and `text/x-libsvm`): sparse rows, label first when training. */
export const libsvmCodec: Codec = {
  name: "libsvm",
  mediaType: MEDIA.libsvm,
  aliases: [MEDIA.xLibsvm],
  extensions: [".libsvm", ".svm"],
  sniff: (head) => {
    const firstLine = new TextDecoder().decode(head.subarray(0, 4096)).split("\n")[0] ?? "";
    return /(^|\s)\d+:\S/.test(firstLine) && !firstLine.includes(",");
  },
  decode: (bytes, o) => parseLibsvm(bytes, { source: o.source, label: o.labels }),
};

/** `application/x-parquet`: training only (a corrupt file can make the reader loop; see training/parquet-file.ts). */
export const parquetCodec: Codec = {
  name: "parquet",
  mediaType: MEDIA.parquet,
  extensions: [".parquet"],
  purposes: ["training"],
  sniff: (h) => h[0] === 0x50 && h[1] === 0x41 && h[2] === 0x52 && h[3] === 0x31, // PAR1
  // Loaded on first use: hyparquet is a third of the modules the runtime would load at start, and
  // only training reads Parquet, so `serve` starts without it.
  decode: async (bytes, o) => (await import("./parquet.js")).decodeParquet(bytes, { source: o.source }),
};

/** `application/x-recordio-protobuf`: records' labels are read when training, ignored when serving. */
export const recordioCodec: Codec = {
  name: "recordio-protobuf",
  mediaType: MEDIA.recordio,
  extensions: [".rec", ".pbr", ".recordio"],
  sniff: (h) => h[0] === 0x0a && h[1] === 0x23 && h[2] === 0xd7 && h[3] === 0xce,
  decode: (bytes, o) => decodeRecordioProtobuf(bytes, { source: o.source }),
};

/** `application/json`: request rows in SageMaker's shapes; answers as one document. */
export const jsonCodec: Codec = {
  name: "json",
  mediaType: MEDIA.json,
  purposes: ["serving"],
  decode: (bytes, o) => parseJsonRows(bytes, { source: o.source }),
  encode: outputAsJson,
};

/** `application/jsonlines`: one document of rows per line; answers one record per line. */
export const jsonLinesCodec: Codec = {
  name: "jsonlines",
  mediaType: MEDIA.jsonlines,
  purposes: ["serving"],
  decode: (bytes, o) => parseJsonLinesRows(bytes, { source: o.source }),
  encode: outputAsJsonLines,
};

/** The built-in codecs, in sniffing order. */
export const BUILTIN_CODECS: readonly Codec[] = Object.freeze([
  csvCodec,
  libsvmCodec,
  parquetCodec,
  recordioCodec,
  jsonCodec,
  jsonLinesCodec,
]);

/** A registry holding the built-in codecs (a new one each call: callers may register more). */
export function defaultCodecs(): CodecRegistry {
  return new CodecRegistry(BUILTIN_CODECS);
}
