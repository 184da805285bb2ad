/**
 * `application/x-recordio-protobuf` (https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-training.html): dmlc RecordIO frames, each holding one
 * `aialgs.data.Record`. Decodes to a `Dataset` (features from `features["values"]`, labels from
 * `label["values"]`), encodes data sets (one Record per row) and prediction records (the XGBoost
 * container's response form, docs/serving.md). The wire format is read by hand: see `_protobuf.ts` for why.
 */
import { SagebrewError } from "../errors/index.js";
import { ByteWriter, int32Size, varintSize, WireError } from "./_protobuf.js";
import {
  copyValues,
  DT_BYTES,
  DT_F32,
  DT_F64,
  DT_I32,
  DT_NONE,
  RecordParser,
  type RecordStrings,
  readUints,
  type TensorRef,
  tensorValues,
} from "./_record.js";
import { FrameError, frameBounds, scanFrames, writeFrame } from "./recordio.js";
import type { Dataset } from "./types.js";

/** Options of the RecordIO-protobuf decoders. */
export interface RecordioDecodeOptions {
  /** Named in error messages, e.g. `train.rec` or `request body`. Default `input`. */
  readonly source?: string;
}

/** Tensor element type written by the encoders. */
export type RecordioDtype = "float32" | "float64" | "int32";

/** Options of `encodeRecordioProtobuf`. */
export interface RecordioEncodeOptions {
  /** Tensor type for features and labels. Default `float32` (what SageMaker's built-ins expect). */
  readonly dtype?: RecordioDtype;
}

/** One decoded tensor of a Record. */
export interface RecordioTensor {
  readonly dtype: RecordioDtype | "bytes";
  /** Numbers for numeric tensors; for `bytes`, the raw `Bytes` message. */
  readonly values: Float32Array | Float64Array | Int32Array | Uint8Array;
  readonly keys?: readonly number[];
  readonly shape?: readonly number[];
}

/** One decoded `aialgs.data.Record`. */
export interface RecordioRecord {
  readonly features: Readonly<Record<string, RecordioTensor>>;
  readonly label: Readonly<Record<string, RecordioTensor>>;
  readonly uid?: string;
  readonly metadata?: string;
  readonly configuration?: string;
}

/** One prediction: each key becomes a float32 tensor in the Record's `label` map. */
export type PredictionRecord = Readonly<Record<string, number | readonly number[]>>;

const DTYPE_NAMES: Record<number, RecordioDtype | "bytes"> = {
  [DT_F32]: "float32",
  [DT_F64]: "float64",
  [DT_I32]: "int32",
  [DT_BYTES]: "bytes",
};

function decodeError(
  source: string,
  record: number,
  offset: number,
  detail: string,
  cause?: unknown,
): SagebrewError {
  return new SagebrewError(
    "SB_DATA_PARSE",
    `Cannot decode RecordIO record ${record} at byte ${offset} of ${source}: ${detail}`,
    { cause },
  );
}

/** Runs `scanFrames`, turning framing and protobuf errors into `SB_DATA_PARSE` errors. */
function scan(
  bytes: Uint8Array,
  source: string,
  visit: (payload: Uint8Array, start: number, end: number, record: number, offset: number) => void,
): number {
  let current = { record: 1, offset: 0, base: 0 };
  try {
    return scanFrames(bytes, (payload, start, end, record, offset) => {
      current = { record, offset, base: start };
      visit(payload, start, end, record, offset);
    });
  } catch (e) {
    if (e instanceof FrameError) throw decodeError(source, e.record, e.offset, e.message, e);
    if (e instanceof WireError) {
      const at = e.offset - current.base;
      throw decodeError(
        source,
        current.record,
        current.offset,
        `bad protobuf at payload byte ${at}: ${e.message}`,
        e,
      );
    }
    throw e;
  }
}

/** A Float32Array/Uint32Array that grows by doubling. */
class Grow<T extends Float32Array | Uint32Array> {
  arr: T;
  bytes: Uint8Array;
  constructor(
    private readonly make: (n: number) => T,
    n: number,
  ) {
    this.arr = make(n);
    this.bytes = new Uint8Array(this.arr.buffer);
  }
  ensure(n: number): void {
    if (n <= this.arr.length) return;
    let size = this.arr.length * 2;
    while (size < n) size *= 2;
    const next = this.make(size);
    next.set(this.arr as never);
    this.arr = next;
    this.bytes = new Uint8Array(next.buffer);
  }
}

/**
 * Decodes RecordIO-protobuf bytes into a `Dataset`: dense when no record is sparse, else CSR.
 * Labels come from `label["values"]` (one per record, in every record or in none).
 *
 * @throws SagebrewError `SB_DATA_PARSE` naming source, record and byte offset on bad magic,
 *   truncation, malformed protobuf or inconsistent records.
 * @example decodeRecordioProtobuf(bytes, { source: "train.rec" }).features.rows
 */
export function decodeRecordioProtobuf(bytes: Uint8Array, options: RecordioDecodeOptions = {}): Dataset {
  const source = options.source ?? "input";
  // First guess of the value count: a float32 value takes four bytes on the wire.
  const vals = new Grow((n) => new Float32Array(n), Math.max(16, bytes.length >> 2));
  const indptr = new Grow((n) => new Uint32Array(n), 64);
  const labels = new Grow((n) => new Float32Array(n), 64);
  let idx: Grow<Uint32Array> | undefined;
  const parser = new RecordParser();
  let rows = 0;
  let nnz = 0;
  let cols = 0;
  let denseWidth = -1;
  let uneven = false;
  let withLabels = false;
  const shapeScratch: number[] = [];

  scan(bytes, source, (payload, start, end, record, offset) => {
    parser.parse(payload, start, end);
    const f = parser.feat;
    const fail = (detail: string) => decodeError(source, record, offset, detail);
    if (f.dtype === DT_NONE) throw fail('the record has no features["values"] tensor');
    if (f.dtype === DT_BYTES) throw fail('features["values"] is a Bytes value, not a numeric tensor');
    const n = f.count;
    vals.ensure(nnz + n);
    copyValues(payload, f, vals.arr, vals.bytes, nnz);
    let width = n;
    shapeScratch.length = 0;
    if (f.shape.length > 0) {
      readUints(payload, f.shape, shapeScratch);
      width = shapeScratch.reduce((a, b) => a * b, 1);
      if (!(width <= 0xffffffff)) throw fail(`shape [${shapeScratch.join(", ")}] is too large`);
    }
    // keys make a row sparse; so does a shape with no values at all (an empty sparse row)
    const sparse = f.keys.length > 0 || (n === 0 && width > 0);
    if (sparse) {
      if (f.keyCount !== n) throw fail(`sparse tensor has ${n} values but ${f.keyCount} keys`);
      if (!idx) idx = backfillIndices(indptr.arr, rows, nnz + n);
      idx.ensure(nnz + n);
      const ix = idx.arr;
      let k = nnz;
      let max = -1;
      let sorted = true;
      readUints(payload, f.keys, {
        push(v: number) {
          if (v > 0xfffffffe) throw fail(`key ${v} is too large`);
          if (v <= max) sorted = false;
          else max = v;
          ix[k++] = v;
        },
      });
      if (!sorted) max = sortRow(ix, vals.arr, nnz, nnz + n, fail);
      if (f.shape.length === 0) width = max + 1;
      else if (max >= width) throw fail(`key ${max} is outside shape [${shapeScratch.join(", ")}]`);
    } else {
      if (f.shape.length > 0 && width !== n) {
        throw fail(`dense tensor has ${n} values but shape [${shapeScratch.join(", ")}]`);
      }
      if (idx) {
        idx.ensure(nnz + n);
        for (let j = 0; j < n; j++) idx.arr[nnz + j] = j;
      }
      if (denseWidth === -1) denseWidth = n;
      else if (denseWidth !== n) uneven = true;
    }
    if (width > cols) cols = width;
    // labels: in every record or in none
    const l = parser.label;
    const hasLabel = l.dtype !== DT_NONE;
    if (rows === 0) withLabels = hasLabel;
    else if (hasLabel !== withLabels) {
      throw fail(
        withLabels
          ? 'the record has no label["values"] but earlier records do'
          : 'the record has a label["values"] but earlier records do not',
      );
    }
    if (hasLabel) {
      if (l.dtype === DT_BYTES) throw fail('label["values"] is a Bytes value, not a numeric tensor');
      if (l.count !== 1) throw fail(`label["values"] has ${l.count} values, expected 1`);
      labels.ensure(rows + 1);
      copyValues(payload, l, labels.arr, labels.bytes, rows);
    }
    nnz += n;
    rows++;
    indptr.ensure(rows + 1);
    indptr.arr[rows] = nnz;
  });

  const labelPart = withLabels ? { labels: labels.arr.slice(0, rows) } : {};
  if (!idx) {
    // dense records of different widths do not make a matrix: report the first odd one
    if (uneven) throw unevenError(bytes, source, indptr.arr, rows);
    const width = rows === 0 ? 0 : denseWidth;
    return { features: { kind: "dense", rows, cols: width, values: vals.arr.slice(0, nnz) }, ...labelPart };
  }
  return {
    features: {
      kind: "csr",
      rows,
      cols,
      indptr: indptr.arr.slice(0, rows + 1),
      indices: idx.arr.slice(0, nnz),
      values: vals.arr.slice(0, nnz),
    },
    ...labelPart,
  };
}

/** When the first sparse record appears, earlier dense rows get indices 0…width−1. */
function backfillIndices(indptr: Uint32Array, rows: number, capacity: number): Grow<Uint32Array> {
  const g = new Grow((n) => new Uint32Array(n), Math.max(16, capacity));
  for (let r = 0; r < rows; r++) {
    const s = indptr[r]!;
    const e = indptr[r + 1]!;
    for (let p = s; p < e; p++) g.arr[p] = p - s;
  }
  return g;
}

/** Sorts one row's (index, value) pairs by index; duplicate keys are an error. Returns the max key. */
function sortRow(
  ix: Uint32Array,
  vs: Float32Array,
  s: number,
  e: number,
  fail: (d: string) => Error,
): number {
  const order = Array.from({ length: e - s }, (_, i) => i + s).sort((a, b) => ix[a]! - ix[b]!);
  const keys = order.map((p) => ix[p]!);
  const values = order.map((p) => vs[p]!);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && keys[i] === keys[i - 1]) throw fail(`key ${keys[i]} appears twice`);
    ix[s + i] = keys[i]!;
    vs[s + i] = values[i]!;
  }
  return keys[keys.length - 1] ?? -1;
}

function unevenError(bytes: Uint8Array, source: string, indptr: Uint32Array, rows: number): SagebrewError {
  const first = indptr[1]! - indptr[0]!;
  const bounds = frameBounds(bytes);
  for (let r = 1; r < rows; r++) {
    const w = indptr[r + 1]! - indptr[r]!;
    if (w !== first) {
      return decodeError(
        source,
        r + 1,
        bounds[r]?.[0] ?? 0,
        `dense record has ${w} values, record 1 has ${first}`,
      );
    }
  }
  return decodeError(source, 1, 0, "dense records differ in width");
}

/**
 * Decodes every Record with all its map entries (any key, any tensor type).
 *
 * @throws SagebrewError `SB_DATA_PARSE` as `decodeRecordioProtobuf` does.
 * @example decodeRecordioRecords(body)[0]?.label.predicted_label?.values[0]
 */
export function decodeRecordioRecords(
  bytes: Uint8Array,
  options: RecordioDecodeOptions = {},
): RecordioRecord[] {
  const source = options.source ?? "input";
  const parser = new RecordParser();
  const out: RecordioRecord[] = [];
  scan(bytes, source, (payload, start, end) => {
    const features: Record<string, RecordioTensor> = {};
    const label: Record<string, RecordioTensor> = {};
    const strings: RecordStrings = {};
    parser.parse(
      payload,
      start,
      end,
      (map, key, t) => {
        (map === "features" ? features : label)[key] = materialize(payload, t);
      },
      strings,
    );
    out.push({ features, label, ...strings });
  });
  return out;
}

function materialize(bytes: Uint8Array, t: TensorRef): RecordioTensor {
  if (t.dtype === DT_NONE) return { dtype: "float32", values: new Float32Array(0) };
  if (t.dtype === DT_BYTES) return { dtype: "bytes", values: bytes.slice(t.values[0], t.values[1]) };
  const keys: number[] = [];
  const shape: number[] = [];
  readUints(bytes, t.keys, keys);
  readUints(bytes, t.shape, shape);
  return {
    dtype: DTYPE_NAMES[t.dtype] as RecordioDtype,
    values: tensorValues(bytes, t),
    ...(t.keys.length > 0 ? { keys } : {}),
    ...(t.shape.length > 0 ? { shape } : {}),
  };
}

/**
 * Byte ranges `[start, end)` of each framed record (header through padding), for splitting a
 * RecordIO file into records without decoding the payloads.
 *
 * @throws SagebrewError `SB_DATA_PARSE` on bad framing.
 */
export function recordioRecordBounds(
  bytes: Uint8Array,
  options: RecordioDecodeOptions = {},
): Array<[number, number]> {
  const source = options.source ?? "input";
  try {
    return frameBounds(bytes);
  } catch (e) {
    if (e instanceof FrameError) throw decodeError(source, e.record, e.offset, e.message, e);
    throw e;
  }
}

// ---- encoding ----

const VALUES_UTF8 = [0x76, 0x61, 0x6c, 0x75, 0x65, 0x73];
const DTYPE_FIELD: Record<RecordioDtype, number> = { float32: DT_F32, float64: DT_F64, int32: DT_I32 };

/** Size in bytes of a tensor message with these parts. */
function tensorSize(
  dtype: RecordioDtype,
  values: ArrayLike<number>,
  keys?: ArrayLike<number>,
  cols?: number,
): number {
  let size = 0;
  const n = values.length;
  if (n > 0) {
    let vb = 0;
    if (dtype === "float32") vb = 4 * n;
    else if (dtype === "float64") vb = 8 * n;
    else for (let i = 0; i < n; i++) vb += int32Size(values[i]!);
    size += 1 + varintSize(vb) + vb;
  }
  if (keys && keys.length > 0) {
    let kb = 0;
    for (let i = 0; i < keys.length; i++) kb += varintSize(keys[i]!);
    size += 1 + varintSize(kb) + kb;
  }
  if (cols !== undefined) size += 1 + varintSize(varintSize(cols)) + varintSize(cols);
  return size;
}

/** Writes a `values` map entry (field `mapField` of Record) holding one tensor. */
function writeEntry(
  w: ByteWriter,
  mapField: number,
  key: readonly number[],
  dtype: RecordioDtype,
  values: ArrayLike<number>,
  keys?: ArrayLike<number>,
  cols?: number,
): void {
  const tSize = tensorSize(dtype, values, keys, cols);
  const vSize = 1 + varintSize(tSize) + tSize;
  const eSize = 2 + key.length + 1 + varintSize(vSize) + vSize;
  w.byte((mapField << 3) | 2);
  w.varint(eSize);
  w.byte(0x0a);
  w.varint(key.length);
  for (const b of key) w.byte(b);
  w.byte(0x12);
  w.varint(vSize);
  w.byte((DTYPE_FIELD[dtype] << 3) | 2);
  w.varint(tSize);
  const n = values.length;
  if (n > 0) {
    w.byte(0x0a);
    if (dtype === "float32") {
      w.varint(4 * n);
      w.ensure(4 * n);
      for (let i = 0; i < n; i++) w.f32le(values[i]!);
    } else if (dtype === "float64") {
      w.varint(8 * n);
      for (let i = 0; i < n; i++) w.f64le(values[i]!);
    } else {
      let vb = 0;
      for (let i = 0; i < n; i++) vb += int32Size(values[i]!);
      w.varint(vb);
      for (let i = 0; i < n; i++) w.int32(values[i]!);
    }
  }
  if (keys && keys.length > 0) {
    let kb = 0;
    for (let i = 0; i < keys.length; i++) kb += varintSize(keys[i]!);
    w.byte(0x12);
    w.varint(kb);
    for (let i = 0; i < keys.length; i++) w.varint(keys[i]!);
  }
  if (cols !== undefined) {
    w.byte(0x1a);
    w.varint(varintSize(cols));
    w.varint(cols);
  }
}

function checkInt32(values: ArrayLike<number>, row: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
      throw new SagebrewError(
        "SB_DATA_SHAPE",
        `Cannot encode row ${row + 1} as int32 RecordIO-protobuf: ${v} is not a 32-bit integer`,
      );
    }
  }
}

/**
 * Encodes a data set as RecordIO-protobuf, one Record per row: dense rows as `values`, CSR rows
 * as `values` + `keys` + `shape [cols]`, the label (when present) as a one-value tensor.
 *
 * @throws SagebrewError `SB_DATA_SHAPE` when `dtype: "int32"` meets a non-integer.
 * @example encodeRecordioProtobuf({ features: { kind: "dense", rows: 1, cols: 3, values } })
 */
export function encodeRecordioProtobuf(dataset: Dataset, options: RecordioEncodeOptions = {}): Uint8Array {
  const dtype = options.dtype ?? "float32";
  const m = dataset.features;
  const labels = dataset.labels;
  const w = new ByteWriter(Math.max(64, m.values.length * 4 + m.rows * 40));
  const one = new Float32Array(1);
  for (let r = 0; r < m.rows; r++) {
    let values: Float32Array;
    let keys: Uint32Array | undefined;
    if (m.kind === "dense") values = m.values.subarray(r * m.cols, (r + 1) * m.cols);
    else {
      values = m.values.subarray(m.indptr[r], m.indptr[r + 1]);
      keys = m.indices.subarray(m.indptr[r], m.indptr[r + 1]);
    }
    if (dtype === "int32") checkInt32(values, r);
    if (labels) {
      one[0] = labels[r] ?? Number.NaN;
      if (dtype === "int32") checkInt32(one, r);
    }
    writeFrame(w, (w) => {
      writeEntry(w, 1, VALUES_UTF8, dtype, values, keys, keys ? m.cols : undefined);
      if (labels) writeEntry(w, 2, VALUES_UTF8, dtype, one);
    });
  }
  return w.result();
}

const utf8 = new TextEncoder();

/**
 * Encodes predictions the way SageMaker's XGBoost container answers with
 * `application/x-recordio-protobuf`: one Record per prediction, each key in the `label` map as a
 * float32 tensor (scalars as one-value tensors). Each record holds only its own prediction.
 *
 * @example encodeRecordioPredictions([{ predicted_label: 1, probabilities: [0.1, 0.9] }])
 */
export function encodeRecordioPredictions(predictions: readonly PredictionRecord[]): Uint8Array {
  const w = new ByteWriter(Math.max(64, predictions.length * 48));
  const keyBytes = new Map<string, number[]>();
  for (const p of predictions) {
    writeFrame(w, (w) => {
      for (const [key, v] of Object.entries(p)) {
        let kb = keyBytes.get(key);
        if (!kb) {
          kb = Array.from(utf8.encode(key));
          keyBytes.set(key, kb);
        }
        writeEntry(w, 2, kb, "float32", typeof v === "number" ? [v] : v);
      }
    });
  }
  return w.result();
}
