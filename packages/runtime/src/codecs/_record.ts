/**
 * The `aialgs.data.Record` protobuf schema (https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-training.html), read without allocating: a record is
 * parsed into reusable `TensorRef`s that point at byte runs of the payload, and only the
 * tensors the caller wants are then copied out. Private to `codecs/`.
 *
 *   Record  { map<string, Value> features = 1; map<string, Value> label = 2;
 *             optional string uid = 3, metadata = 4, configuration = 5; }
 *   Value   { oneof { Float32Tensor float32_tensor = 2; Float64Tensor float64_tensor = 3;
 *                     Int32Tensor int32_tensor = 7; Bytes bytes = 9; } }
 *   *Tensor { repeated <float|double|int32> values = 1 [packed]; repeated uint64 keys = 2 [packed];
 *             repeated uint64 shape = 3 [packed]; }
 */
import {
  type Cursor,
  LITTLE_ENDIAN,
  readInt32,
  readLength,
  readVarint,
  skipField,
  WIRE_I32,
  WIRE_I64,
  WIRE_LEN,
  WIRE_VARINT,
  WireError,
} from "./_protobuf.js";

/** Tensor kinds, numbered like their field in `Value`. */
export const DT_NONE = 0;
export const DT_F32 = 2;
export const DT_F64 = 3;
export const DT_I32 = 7;
export const DT_BYTES = 9;

/**
 * Where one tensor's data sits in the payload. Runs are flat triples `start, end, packed(1|0)`;
 * an unpacked run holds one scalar.
 */
export class TensorRef {
  dtype = DT_NONE;
  values: number[] = [];
  keys: number[] = [];
  shape: number[] = [];
  /** Number of values, counted while parsing. */
  count = 0;
  keyCount = 0;

  reset(): void {
    this.dtype = DT_NONE;
    this.values.length = 0;
    this.keys.length = 0;
    this.shape.length = 0;
    this.count = 0;
    this.keyCount = 0;
  }
}

/** Counts and validates the varints of a packed run; returns how many there are. */
function countVarints(bytes: Uint8Array, start: number, end: number): number {
  const c: Cursor = { pos: start, end };
  let n = 0;
  while (c.pos < end) {
    readVarint(bytes, c);
    n++;
  }
  return n;
}

function countInt32s(bytes: Uint8Array, start: number, end: number): number {
  const c: Cursor = { pos: start, end };
  let n = 0;
  while (c.pos < end) {
    readInt32(bytes, c);
    n++;
  }
  return n;
}

const DT_NAMES: Record<number, string> = { [DT_F32]: "float32", [DT_F64]: "float64", [DT_I32]: "int32" };

/** Parses a `Float32Tensor`/`Float64Tensor`/`Int32Tensor` message in `bytes[start, end)` into `t`. */
function parseTensor(bytes: Uint8Array, start: number, end: number, dtype: number, t: TensorRef): void {
  t.reset();
  t.dtype = dtype;
  const c: Cursor = { pos: start, end };
  const width = dtype === DT_F32 ? 4 : dtype === DT_F64 ? 8 : 0;
  while (c.pos < end) {
    const tagAt = c.pos;
    const tag = readVarint(bytes, c);
    const field = Math.floor(tag / 8);
    const wt = tag & 7;
    if (field === 1) {
      if (wt === WIRE_LEN) {
        const e = readLength(bytes, c);
        const len = e - c.pos;
        if (width === 0) t.count += countInt32s(bytes, c.pos, e);
        else if (len % width !== 0) {
          throw new WireError(`packed ${DT_NAMES[dtype]} values of ${len} bytes`, tagAt);
        } else t.count += len / width;
        t.values.push(c.pos, e, 1);
        c.pos = e;
      } else if ((width === 4 && wt === WIRE_I32) || (width === 8 && wt === WIRE_I64)) {
        if (c.pos + width > end) throw new WireError("truncated tensor value", tagAt);
        t.values.push(c.pos, c.pos + width, 0);
        t.count++;
        c.pos += width;
      } else if (width === 0 && wt === WIRE_VARINT) {
        const s = c.pos;
        readInt32(bytes, c);
        t.values.push(s, c.pos, 0);
        t.count++;
      } else throw new WireError(`wire type ${wt} for ${DT_NAMES[dtype]} values`, tagAt);
    } else if (field === 2 || field === 3) {
      const runs = field === 2 ? t.keys : t.shape;
      let n = 1;
      if (wt === WIRE_LEN) {
        const e = readLength(bytes, c);
        n = countVarints(bytes, c.pos, e);
        runs.push(c.pos, e, 1);
        c.pos = e;
      } else if (wt === WIRE_VARINT) {
        const s = c.pos;
        readVarint(bytes, c);
        runs.push(s, c.pos, 0);
      } else throw new WireError(`wire type ${wt} for tensor ${field === 2 ? "keys" : "shape"}`, tagAt);
      if (field === 2) t.keyCount += n;
    } else skipField(bytes, c, wt);
  }
}

/** Parses a `Value` message; the last tensor of the oneof wins, like protobuf's own parsers. */
function parseValue(bytes: Uint8Array, start: number, end: number, t: TensorRef): void {
  t.reset();
  const c: Cursor = { pos: start, end };
  while (c.pos < end) {
    const tagAt = c.pos;
    const tag = readVarint(bytes, c);
    const field = Math.floor(tag / 8);
    const wt = tag & 7;
    if (field === DT_F32 || field === DT_F64 || field === DT_I32 || field === DT_BYTES) {
      if (wt !== WIRE_LEN) throw new WireError(`wire type ${wt} for Value field ${field}`, tagAt);
      const e = readLength(bytes, c);
      if (field === DT_BYTES) {
        t.reset();
        t.dtype = DT_BYTES;
        t.values.push(c.pos, e, 1);
      } else parseTensor(bytes, c.pos, e, field, t);
      c.pos = e;
    } else skipField(bytes, c, wt);
  }
}

const VALUES_KEY = [0x76, 0x61, 0x6c, 0x75, 0x65, 0x73]; // "values"

function isValuesKey(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start !== 6) return false;
  for (let i = 0; i < 6; i++) if (bytes[start + i] !== VALUES_KEY[i]) return false;
  return true;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Visitor for every map entry of a record (used by the generic record decoder). */
export type EntryVisitor = (map: "features" | "label", key: string, t: TensorRef) => void;

/** String fields of a record (uid, metadata, configuration) as byte runs. */
export interface RecordStrings {
  uid?: string;
  metadata?: string;
  configuration?: string;
}

/**
 * Parses one `Record`. Leaves the `features["values"]` tensor in `feat` and the
 * `label["values"]` tensor in `label` (dtype `DT_NONE` when absent); later map entries with the
 * same key win. When `onEntry` is given it sees every entry (any key) instead.
 */
export class RecordParser {
  feat = new TensorRef();
  label = new TensorRef();
  private tmp = new TensorRef();

  parse(
    bytes: Uint8Array,
    start: number,
    end: number,
    onEntry?: EntryVisitor,
    strings?: RecordStrings,
  ): void {
    this.feat.reset();
    this.label.reset();
    const c: Cursor = { pos: start, end };
    while (c.pos < end) {
      const tagAt = c.pos;
      const tag = readVarint(bytes, c);
      const field = Math.floor(tag / 8);
      const wt = tag & 7;
      if (field === 1 || field === 2) {
        if (wt !== WIRE_LEN) throw new WireError(`wire type ${wt} for Record field ${field}`, tagAt);
        const e = readLength(bytes, c);
        this.parseEntry(bytes, c.pos, e, field === 1 ? "features" : "label", onEntry);
        c.pos = e;
      } else if (field >= 3 && field <= 5 && wt === WIRE_LEN) {
        const e = readLength(bytes, c);
        if (strings) {
          const s = decodeString(bytes, c.pos, e, tagAt);
          if (field === 3) strings.uid = s;
          else if (field === 4) strings.metadata = s;
          else strings.configuration = s;
        }
        c.pos = e;
      } else skipField(bytes, c, wt);
    }
  }

  private parseEntry(
    bytes: Uint8Array,
    start: number,
    end: number,
    map: "features" | "label",
    onEntry: EntryVisitor | undefined,
  ): void {
    const c: Cursor = { pos: start, end };
    let keyStart = 0;
    let keyEnd = 0;
    const t = this.tmp;
    t.reset();
    while (c.pos < end) {
      const tagAt = c.pos;
      const tag = readVarint(bytes, c);
      const field = Math.floor(tag / 8);
      const wt = tag & 7;
      if ((field === 1 || field === 2) && wt !== WIRE_LEN) {
        throw new WireError(`wire type ${wt} for map entry field ${field}`, tagAt);
      }
      if (field === 1) {
        keyEnd = readLength(bytes, c);
        keyStart = c.pos;
        c.pos = keyEnd;
      } else if (field === 2) {
        const e = readLength(bytes, c);
        parseValue(bytes, c.pos, e, t);
        c.pos = e;
      } else skipField(bytes, c, wt);
    }
    if (onEntry) {
      onEntry(map, decodeString(bytes, keyStart, keyEnd, start), t);
      return;
    }
    if (!isValuesKey(bytes, keyStart, keyEnd)) return;
    // swap the parsed tensor into place so the scratch object is reused
    if (map === "features") {
      this.tmp = this.feat;
      this.feat = t;
    } else {
      this.tmp = this.label;
      this.label = t;
    }
  }
}

function decodeString(bytes: Uint8Array, start: number, end: number, at: number): string {
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch {
    throw new WireError("string is not valid UTF-8", at);
  }
}

/**
 * Copies the values of `t` into `out` from index `at`, converting to float32. `out8` is a byte
 * view of `out`'s buffer (packed float32 runs are copied byte for byte on little-endian hosts).
 */
export function copyValues(
  bytes: Uint8Array,
  t: TensorRef,
  out: Float32Array,
  out8: Uint8Array,
  at: number,
): void {
  const runs = t.values;
  let k = at;
  if (t.dtype === DT_F32 && LITTLE_ENDIAN) {
    for (let r = 0; r < runs.length; r += 3) {
      const s = runs[r]!;
      const e = runs[r + 1]!;
      out8.set(bytes.subarray(s, e), out.byteOffset - out8.byteOffset + k * 4);
      k += (e - s) >> 2;
    }
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let r = 0; r < runs.length; r += 3) {
    const s = runs[r]!;
    const e = runs[r + 1]!;
    if (t.dtype === DT_F32) for (let p = s; p < e; p += 4) out[k++] = view.getFloat32(p, true);
    else if (t.dtype === DT_F64) for (let p = s; p < e; p += 8) out[k++] = view.getFloat64(p, true);
    else {
      const c: Cursor = { pos: s, end: e };
      while (c.pos < e) out[k++] = readInt32(bytes, c);
    }
  }
}

/** Values of `t` in their own dtype (for the generic record decoder). */
export function tensorValues(bytes: Uint8Array, t: TensorRef): Float32Array | Float64Array | Int32Array {
  if (t.dtype === DT_F32) {
    const out = new Float32Array(t.count);
    copyValues(bytes, t, out, new Uint8Array(out.buffer), 0);
    return out;
  }
  const out = t.dtype === DT_F64 ? new Float64Array(t.count) : new Int32Array(t.count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let k = 0;
  for (let r = 0; r < t.values.length; r += 3) {
    const s = t.values[r]!;
    const e = t.values[r + 1]!;
    if (t.dtype === DT_F64) for (let p = s; p < e; p += 8) out[k++] = view.getFloat64(p, true);
    else {
      const c: Cursor = { pos: s, end: e };
      while (c.pos < e) out[k++] = readInt32(bytes, c);
    }
  }
  return out;
}

/** Reads the uint64 varints of keys or shape runs into `out` (numbers up to 2^53). */
export function readUints(
  bytes: Uint8Array,
  runs: readonly number[],
  out: { push(v: number): unknown },
): void {
  for (let r = 0; r < runs.length; r += 3) {
    const c: Cursor = { pos: runs[r]!, end: runs[r + 1]! };
    while (c.pos < c.end) out.push(readVarint(bytes, c));
  }
}
