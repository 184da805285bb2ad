/**
 * Loads a channel's files into one `Dataset`: reads each file, decodes it with the codec for its
 * format, and concatenates rows in file order. Every error names the channel and the file.
 */
import { readFile } from "node:fs/promises";
import { checkParts } from "../codecs/concat.js";
import { parseCsv } from "../codecs/csv.js";
import { parseLibsvm } from "../codecs/libsvm.js";
import { decodeRecordioProtobuf } from "../codecs/recordio-protobuf.js";
import type { Dataset } from "../codecs/types.js";
import { SagebrewError } from "../errors/index.js";
import type { ChannelFile, DataFormat } from "./channels.js";
import { guessFormat } from "./channels.js";
import { loadCsvFile } from "./csv-file.js";
import { decodeParquetFile } from "./parquet-file.js";

export interface DecodeOptions {
  readonly source: string;
  /** CSV: column 2 is an instance weight (`csv_weights=1`). */
  readonly csvWeights: boolean;
  /** Content-type parameters such as `header=present` or `label_size=1`. */
  readonly params: Readonly<Record<string, string>>;
}

export type TrainingDecoder = (bytes: Uint8Array, options: DecodeOptions) => Dataset | Promise<Dataset>;

/** Decoders for labelled training data, by format. */
export const TRAINING_DECODERS: Record<DataFormat, TrainingDecoder> = {
  csv: (bytes, o) => {
    const labelSize = o.params.label_size;
    if (labelSize !== undefined && labelSize !== "1") {
      throw new SagebrewError(
        "SB_CHANNEL_INVALID",
        `Cannot read ${o.source}: content type parameter label_size=${labelSize} is not supported (only 1)`,
      );
    }
    const header = o.params.header === "present" ? "present" : "absent";
    return parseCsv(bytes, { source: o.source, label: true, weight: o.csvWeights, header });
  },
  libsvm: (bytes, o) => parseLibsvm(bytes, { source: o.source, label: true }),
  // On its own thread under a time budget: see parquet-file.ts.
  parquet: (bytes, o) => requireLabels(decodeParquetFile(bytes, { source: o.source }), o.source),
  "recordio-protobuf": (bytes, o) =>
    requireLabels(decodeRecordioProtobuf(bytes, { source: o.source }), o.source),
};

/** Training data must carry labels; says so naming the file when it does not. */
async function requireLabels(d: Dataset | Promise<Dataset>, source: string): Promise<Dataset> {
  const data = await d;
  if (data.features.rows > 0 && !data.labels && !data.labelStrings) {
    throw new SagebrewError("SB_LABEL", `Cannot train on ${source}: the records carry no labels`);
  }
  return data;
}

export interface LoadedChannel {
  /** Row batches in file order (a large CSV file arrives as several). */
  readonly parts: readonly Dataset[];
  readonly rows: number;
  readonly cols: number;
  readonly formats: ReadonlySet<DataFormat>;
  readonly bytes: number;
}

/** Reads and decodes every file of a channel (format fixed by the channel, or guessed per file). */
export async function loadChannel(
  channel: string,
  files: readonly ChannelFile[],
  options: { format?: DataFormat; params?: Record<string, string>; csvWeights: boolean },
): Promise<LoadedChannel> {
  const parts: Dataset[] = [];
  const formats = new Set<DataFormat>();
  let total = 0;
  for (const file of files) {
    const source = `${channel}/${file.name}`;
    total += file.size;
    if (file.size === 0) continue;
    const declared = options.format;
    if (declared === "csv" || (declared === undefined && /\.csv$/i.test(file.name))) {
      formats.add("csv");
      const labelSize = options.params?.label_size;
      if (labelSize !== undefined && labelSize !== "1") {
        throw new SagebrewError(
          "SB_CHANNEL_INVALID",
          `Cannot read ${source}: content type parameter label_size=${labelSize} is not supported (only 1)`,
        );
      }
      const batches = await loadCsvFile(file.path, {
        source,
        weight: options.csvWeights,
        header: options.params?.header === "present" ? "present" : "absent",
      }).catch((e: unknown) => {
        if (
          (e as NodeJS.ErrnoException).code === "ENOENT" ||
          (e as NodeJS.ErrnoException).code === "EACCES"
        ) {
          throw new SagebrewError(
            "SB_DATA_READ",
            `Cannot read ${file.name} in channel ${channel}: ${(e as Error).message}`,
            {
              cause: e,
            },
          );
        }
        throw e;
      });
      parts.push(...batches);
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = await readFile(file.path);
    } catch (e) {
      throw new SagebrewError(
        "SB_DATA_READ",
        `Cannot read ${file.name} in channel ${channel}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    if (bytes.length === 0) continue;
    const format = declared ?? guessFormat(file.name, bytes);
    formats.add(format);
    const d = await TRAINING_DECODERS[format](bytes, {
      source,
      csvWeights: options.csvWeights,
      params: options.params ?? {},
    });
    if (d.features.rows > 0) parts.push(d);
  }
  checkParts(parts, channel);
  return {
    parts,
    rows: parts.reduce((s, p) => s + p.features.rows, 0),
    cols: parts.reduce((m, p) => Math.max(m, p.features.cols), 0),
    formats,
    bytes: total,
  };
}
