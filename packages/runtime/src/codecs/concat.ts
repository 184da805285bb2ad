/** Row-wise concatenation of datasets and dense→CSR conversion. Pure. */
import { SagebrewError } from "../errors/index.js";
import type { CsrMatrix, Dataset, DenseMatrix, FeatureMatrix } from "./types.js";

/** Parts of one channel must agree on label kind, weights and (when dense) width. */
export function checkParts(parts: readonly Dataset[], channel: string): void {
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
  if (parts.every((p) => p.features.kind === "dense")) {
    const cols = parts[0]?.features.cols;
    const bad = parts.find((p) => p.features.cols !== cols);
    if (bad) {
      throw new SagebrewError(
        "SB_DATA_SHAPE",
        `Cannot combine the files of channel ${channel}: one file has ${cols} feature columns, another ${bad.features.cols}`,
      );
    }
  }
}

/** Concatenates datasets row-wise; dense stays dense, any sparse part makes the result CSR. */
export function concatDatasets(parts: readonly Dataset[], channel: string): Dataset {
  if (parts.length === 0) {
    return { features: { kind: "dense", rows: 0, cols: 0, values: new Float32Array(0) } };
  }
  if (parts.length === 1) return parts[0]!;
  checkParts(parts, channel);
  const strings = parts[0]!.labelStrings !== undefined;
  const rows = parts.reduce((s, p) => s + p.features.rows, 0);
  const allDense = parts.every((p) => p.features.kind === "dense");
  let features: FeatureMatrix;
  if (allDense) {
    const cols = parts[0]!.features.cols;
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

/**
 * The rows at `rows` (indices into `data`, any order), as a new data set of the same kind: dense
 * stays dense, CSR stays CSR with the same width; labels, label strings and weights follow.
 */
export function selectRows(data: Dataset, rows: ArrayLike<number>): Dataset {
  const f = data.features;
  const n = rows.length;
  let features: FeatureMatrix;
  if (f.kind === "dense") {
    const values = new Float32Array(new ArrayBuffer(n * f.cols * 4));
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      values.set(f.values.subarray(r * f.cols, (r + 1) * f.cols), i * f.cols);
    }
    features = { kind: "dense", rows: n, cols: f.cols, values };
  } else {
    let nnz = 0;
    for (let i = 0; i < n; i++) nnz += f.indptr[rows[i]! + 1]! - f.indptr[rows[i]!]!;
    const indptr = new Uint32Array(n + 1);
    const indices = new Uint32Array(nnz);
    const values = new Float32Array(nnz);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const from = f.indptr[rows[i]!]!;
      const to = f.indptr[rows[i]! + 1]!;
      indices.set(f.indices.subarray(from, to), at);
      values.set(f.values.subarray(from, to), at);
      at += to - from;
      indptr[i + 1] = at;
    }
    features = { kind: "csr", rows: n, cols: f.cols, indptr, indices, values };
  }
  const pick = (a: Float32Array) => Float32Array.from({ length: n }, (_, i) => a[rows[i]!]!);
  return {
    features,
    ...(data.labels ? { labels: pick(data.labels) } : {}),
    ...(data.labelStrings
      ? { labelStrings: Array.from({ length: n }, (_, i) => data.labelStrings![rows[i]!]!) }
      : {}),
    ...(data.weights ? { weights: pick(data.weights) } : {}),
  };
}
