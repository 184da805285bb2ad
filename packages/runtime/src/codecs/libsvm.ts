/**
 * `text/libsvm`: `label[:weight] index:value index:value …` per line, indices used as given
 * (zero-based per the SageMaker docs, https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost.html; docs/compatibility.md), strictly ascending within
 * a line. Pure: bytes in, a CSR `Dataset` out.
 */
import { SagebrewError } from "../errors/index.js";
import { NOT_A_NUMBER, parseNumberField, quote } from "./_number.js";
import type { Dataset } from "./types.js";

export interface LibsvmOptions {
  /** File name (or `request body`) for error messages. */
  source: string;
  /**
   * Each line starts with a label (training). When false, a leading token without `:` is taken
   * as a label and ignored, as SageMaker's XGBoost container does at inference. Default false.
   */
  label?: boolean;
  /** Minimum column count (the model's feature count), so short rows still give the right width. */
  minCols?: number;
}

const NL = 10;
const COLON = 58;

function isSpace(c: number | undefined): boolean {
  return c === 32 || c === 9 || c === 13;
}

/**
 * Parses libsvm bytes into a CSR dataset with optional labels and weights.
 *
 * @example parseLibsvm(new TextEncoder().encode("1 0:2.5 3:1\n0 1:0.5\n"), { source: "train.libsvm", label: true })
 * @throws SagebrewError SB_DATA_PARSE naming source, line and token for a malformed token, a
 *   non-ascending index, or a non-finite value.
 */
export function parseLibsvm(bytes: Uint8Array, options: LibsvmOptions): Dataset {
  const { source } = options;
  const wantLabel = options.label ?? false;
  let pos = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let upperRows = 1;
  let upperNnz = 0;
  for (let i = pos; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === NL) upperRows++;
    else if (c === COLON) upperNnz++;
  }
  const indptr = new Uint32Array(new ArrayBuffer((upperRows + 1) * 4));
  const indices = new Uint32Array(new ArrayBuffer(upperNnz * 4));
  const values = new Float32Array(new ArrayBuffer(upperNnz * 4));
  const labels = wantLabel ? new Float32Array(new ArrayBuffer(upperRows * 4)) : undefined;
  let weights: Float32Array | undefined;
  let rows = 0;
  let nnz = 0;
  let maxIndex = -1;
  let line = 1;
  const fail = (msg: string): never => {
    throw new SagebrewError("SB_DATA_PARSE", `Cannot parse libsvm ${source} line ${line}: ${msg}`);
  };

  while (pos < bytes.length) {
    let end = bytes.indexOf(NL, pos);
    if (end < 0) end = bytes.length;
    let p = pos;
    while (p < end && isSpace(bytes[p])) p++;
    if (p === end || bytes[p] === 35 /* # comment */) {
      pos = end + 1;
      line++;
      continue;
    }
    let token = 0;
    let lastIndex = -1;
    while (p < end) {
      const s = p;
      let colon = -1;
      while (p < end && !isSpace(bytes[p])) {
        if (bytes[p] === COLON && colon < 0) colon = p;
        p++;
      }
      const e = p;
      while (p < end && isSpace(bytes[p])) p++;
      if (bytes[s] === 35) break; // trailing comment
      const isLabelToken = token === 0 && (wantLabel || colon < 0);
      token++;
      if (isLabelToken) {
        if (!wantLabel) continue;
        const labelEnd = colon < 0 ? e : colon;
        const v = parseNumberField(bytes, s, labelEnd);
        if (v === NOT_A_NUMBER || !Number.isFinite(v))
          fail(`label ${quote(bytes, s, labelEnd)} is not a finite number`);
        labels![rows] = v as number;
        if (colon >= 0) {
          const w = parseNumberField(bytes, colon + 1, e);
          if (w === NOT_A_NUMBER || !Number.isFinite(w) || (w as number) < 0) {
            fail(`weight ${quote(bytes, colon + 1, e)} is not a finite number >= 0`);
          }
          if (!weights) {
            if (rows > 0)
              fail("a weight appears, but earlier lines have none (give every line a weight or none)");
            weights = new Float32Array(new ArrayBuffer(upperRows * 4));
          }
          weights![rows] = w as number;
        } else if (weights) {
          fail("the line has no weight, but earlier lines have (give every line a weight or none)");
        }
        continue;
      }
      if (colon < 0) fail(`expected index:value, got ${quote(bytes, s, e)}`);
      if (colon - s === 3 && bytes[s] === 113 && bytes[s + 1] === 105 && bytes[s + 2] === 100) continue; // qid:N
      let index = 0;
      if (colon === s) fail(`missing index in ${quote(bytes, s, e)}`);
      for (let i = s; i < colon; i++) {
        const c = bytes[i]!;
        if (c < 48 || c > 57 || index > 0x7fffffff)
          fail(`index in ${quote(bytes, s, e)} is not a non-negative integer`);
        index = index * 10 + (c - 48);
      }
      if (index <= lastIndex) fail(`index ${index} after ${lastIndex} is not ascending`);
      // An empty value is not a missing one here (as it is in CSV): libsvm leaves missing
      // features out, so `3:` is a cut or malformed line.
      if (colon + 1 === e) fail(`index ${index} has no value in ${quote(bytes, s, e)}`);
      const v = parseNumberField(bytes, colon + 1, e);
      if (v === NOT_A_NUMBER) fail(`value in ${quote(bytes, s, e)} is not a number`);
      const f = Math.fround(v as number);
      if (f === Number.POSITIVE_INFINITY || f === Number.NEGATIVE_INFINITY) {
        fail(`value in ${quote(bytes, s, e)} is not a finite float32`);
      }
      lastIndex = index;
      indices[nnz] = index;
      values[nnz] = f;
      nnz++;
      if (index > maxIndex) maxIndex = index;
    }
    if (wantLabel && token === 0) fail("the line has no label");
    rows++;
    indptr[rows] = nnz;
    pos = end + 1;
    line++;
  }
  const cols = Math.max(maxIndex + 1, options.minCols ?? 0);
  return {
    features: {
      kind: "csr",
      rows,
      cols,
      indptr: indptr.subarray(0, rows + 1),
      indices: indices.subarray(0, nnz),
      values: values.subarray(0, nnz),
    },
    ...(labels ? { labels: labels.subarray(0, rows) } : {}),
    ...(weights ? { weights: weights.subarray(0, rows) } : {}),
  };
}
