/**
 * The few protobuf wire-format primitives the RecordIO-protobuf codec needs (varints, length
 * prefixes, packed scalars), read from and written to plain byte arrays. Private to `codecs/`.
 *
 * Why hand-written instead of protobufjs or @bufbuild/protobuf: the `aialgs.data.Record` schema
 * is tiny (two maps of three tensor kinds), decoding is a benchmarked hot path, and a generic
 * runtime would allocate one object per record, per map entry and per tensor before we copy the
 * numbers into typed arrays again. Reading the wire format directly lets the decoder copy packed
 * float32 runs straight into the output `Float32Array` (one `set` per record) and keeps the
 * container image free of a code generator's runtime.
 */

/** Protobuf wire types (`tag & 7`). */
export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** Thrown by the readers below; the caller adds record number, offset and source. */
export class WireError extends Error {
  constructor(
    message: string,
    /** Absolute byte offset where the problem was found. */
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A cursor over `bytes[pos, end)`. */
export interface Cursor {
  pos: number;
  end: number;
}

/** Reads an unsigned varint (values above `Number.MAX_SAFE_INTEGER` are rejected). Advances `c.pos`. */
export function readVarint(bytes: Uint8Array, c: Cursor): number {
  const start = c.pos;
  let b = bytes[c.pos++];
  if (b === undefined || c.pos > c.end) throw new WireError("truncated varint", start);
  if (b < 0x80) return b;
  let result = b & 0x7f;
  let mul = 0x80;
  for (let i = 1; i < 10; i++) {
    b = bytes[c.pos++];
    if (b === undefined || c.pos > c.end) throw new WireError("truncated varint", start);
    result += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (result > Number.MAX_SAFE_INTEGER) throw new WireError("varint too large", start);
      return result;
    }
    mul *= 0x80;
  }
  throw new WireError("varint longer than 10 bytes", start);
}

/** Reads a varint as a protobuf `int32` (negative values are sign-extended to 64 bits). */
export function readInt32(bytes: Uint8Array, c: Cursor): number {
  const start = c.pos;
  let lo = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    const b = bytes[c.pos++];
    if (b === undefined || c.pos > c.end) throw new WireError("truncated varint", start);
    if (shift < 32) lo |= (b & 0x7f) << shift;
    shift += 7;
    if (b < 0x80) return lo | 0;
  }
  throw new WireError("varint longer than 10 bytes", start);
}

/** Reads a length prefix and returns the end offset of the delimited field (checked against `c.end`). */
export function readLength(bytes: Uint8Array, c: Cursor): number {
  const start = c.pos;
  const len = readVarint(bytes, c);
  const end = c.pos + len;
  if (end > c.end) throw new WireError(`length ${len} runs past the end of the enclosing message`, start);
  return end;
}

/** Skips one field of the given wire type. Groups (3, 4) are not part of the schema and rejected. */
export function skipField(bytes: Uint8Array, c: Cursor, wireType: number): void {
  const start = c.pos;
  switch (wireType) {
    case WIRE_VARINT:
      readVarint(bytes, c);
      return;
    case WIRE_I64:
      c.pos += 8;
      break;
    case WIRE_LEN:
      c.pos = readLength(bytes, c);
      return;
    case WIRE_I32:
      c.pos += 4;
      break;
    default:
      throw new WireError(`unsupported wire type ${wireType}`, start);
  }
  if (c.pos > c.end) throw new WireError("truncated fixed-width field", start);
}

/** A growable byte buffer for writing messages. */
export class ByteWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(initial = 1024) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** A protobuf `int32`: negative values take ten bytes (two's complement, sign-extended). */
  int32(v: number): void {
    if (v >= 0) {
      this.varint(v);
      return;
    }
    this.ensure(10);
    let lo = v >>> 0;
    for (let i = 0; i < 4; i++) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    // bits 28..31 of the low word, then sign extension (all ones) up to 64 bits
    this.buf[this.pos++] = (lo & 0x0f) | 0x70 | 0x80;
    for (let i = 0; i < 4; i++) this.buf[this.pos++] = 0xff;
    this.buf[this.pos++] = 0x01;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  u32le(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  f32le(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  f64le(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Number of bytes `varint(v)` writes. */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Number of bytes `int32(v)` writes. */
export function int32Size(v: number): number {
  return v < 0 ? 10 : varintSize(v);
}

/** True on little-endian hosts, where packed float32 runs can be copied byte for byte. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
