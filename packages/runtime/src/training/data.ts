/**
 * Loads a channel's files into one `Dataset`: reads each file, decodes it with the codec for its
 * format, and concatenates rows in file order. Every error names the channel and the file.
 */
import { readFile } from "node:fs/promises";
import { parseCsv } from "../codecs/csv.js";
import { parseLibsvm } from "../codecs/libsvm.js";
import type { CsrMatrix, Dataset, DenseMatrix, FeatureMatrix } from "../codecs/types.js";
import { SagebrewError } from "../errors/index.js";
import type { ChannelFile, DataFormat } from "./channels.js";
import { guessFormat } from "./channels.js";

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
  parquet: (_bytes, o) => {
    throw new SagebrewError(
      "SB_CHANNEL_INVALID",
      `Cannot read ${o.source}: Parquet training data is not supported yet`,
    );
  },
  "recordio-protobuf": (_bytes, o) => {
    throw new SagebrewError(
      "SB_CHANNEL_INVALID",
      `Cannot read ${o.source}: RecordIO-protobuf training data is not supported yet`,
    );
  },
};

export interface LoadedChannel {
  readonly dataset: Dataset;
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
    total += bytes.length;
    if (bytes.length === 0) continue;
    const format = options.format ?? guessFormat(file.name, bytes);
    formats.add(format);
    const d = await TRAINING_DECODERS[format](bytes, {
      source: `${channel}/${file.name}`,
      csvWeights: options.csvWeights,
      params: options.params ?? {},
    });
    if (d.features.rows > 0) parts.push(d);
  }
  return { dataset: concatDatasets(parts, channel), formats, bytes: total };
}

/** Concatenates datasets row-wise; dense stays dense, any sparse part makes the result CSR. */
export function concatDatasets(parts: readonly Dataset[], channel: string): Dataset {
  if (parts.length === 0) {
    return { features: { kind: "dense", rows: 0, cols: 0, values: new Float32Array(0) } };
  }
  if (parts.length === 1) return parts[0]!;
  const strings = parts.filter((p) => p.labelStrings !== undefined).length;
  if (strings !== 0 && strings !== parts.length) {
    throw new SagebrewError(
      "SB_LABEL",
      `Cannot combine the files of channel ${channel}: some have class-name labels and some numeric labels`,
    );
  }
  const weighted = parts.filter((p) => p.weights !== undefined).length;
  if (weighted !== 0 && weighted !== parts.length) {
    throw new SagebrewError(
      "SB_DATA_SHAPE",
      `Cannot combine the files of channel ${channel}: only some of them carry weights`,
    );
  }
  const rows = parts.reduce((s, p) => s + p.features.rows, 0);
  const allDense = parts.every((p) => p.features.kind === "dense");
  let features: FeatureMatrix;
  if (allDense) {
    const cols = parts[0]!.features.cols;
    const bad = parts.find((p) => p.features.cols !== cols);
    if (bad) {
      throw new SagebrewError(
        "SB_DATA_SHAPE",
        `Cannot combine the files of channel ${channel}: one file has ${cols} feature columns, another ${bad.features.cols}`,
      );
    }
    const values = new Float32Array(new ArrayBuffer(rows * cols * 4));
    let at = 0;
    for (const p of parts) {
      const v = (p.features as DenseMatrix).values;
      values.set(v, at);
      at += v.length;
    }
    features = { kind: "dense", rows, cols, values };
  } else {
    const csrs = parts.map((p) => toCsr(p.features));
    const nnz = csrs.reduce((s, c) => s + c.values.length, 0);
    const indptr = new Uint32Array(rows + 1);
    const indices = new Uint32Array(nnz);
    const values = new Float32Array(nnz);
    let r0 = 0;
    let n0 = 0;
    for (const c of csrs) {
      for (let r = 1; r <= c.rows; r++) indptr[r0 + r] = c.indptr[r]! + n0;
      indices.set(c.indices, n0);
      values.set(c.values, n0);
      r0 += c.rows;
      n0 += c.values.length;
    }
    features = { kind: "csr", rows, cols: Math.max(...csrs.map((c) => c.cols)), indptr, indices, values };
  }
  const cat = (get: (p: Dataset) => Float32Array | undefined): Float32Array | undefined => {
    if (!get(parts[0]!)) return undefined;
    const out = new Float32Array(rows);
    let at = 0;
    for (const p of parts) {
      out.set(get(p)!, at);
      at += p.features.rows;
    }
    return out;
  };
  const labels = cat((p) => p.labels);
  const weights = cat((p) => p.weights);
  return {
    features,
    ...(labels ? { labels } : {}),
    ...(strings ? { labelStrings: parts.flatMap((p) => p.labelStrings!) } : {}),
    ...(weights ? { weights } : {}),
  };
}

/** Converts dense features to CSR, dropping missing (NaN) entries. */
export function toCsr(m: FeatureMatrix): CsrMatrix {
  if (m.kind === "csr") return m;
  let nnz = 0;
  for (const v of m.values) if (!Number.isNaN(v)) nnz++;
  const indptr = new Uint32Array(m.rows + 1);
  const indices = new Uint32Array(nnz);
  const values = new Float32Array(nnz);
  let k = 0;
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) {
      const v = m.values[r * m.cols + c]!;
      if (!Number.isNaN(v)) {
        indices[k] = c;
        values[k++] = v;
      }
    }
    indptr[r + 1] = k;
  }
  return { kind: "csr", rows: m.rows, cols: m.cols, indptr, indices, values };
}
