/**
 * dmlc/MXNet RecordIO framing (github.com/dmlc/dmlc-core, include/dmlc/recordio.h): per record a little-endian `uint32` magic
 * `0xCED7230A`, a `uint32` whose low 29 bits are the payload length and whose top 3 bits are the
 * continuation flag (0 whole, 1 first, 2 middle, 3 last part), the payload, and zero padding to a
 * 4-byte boundary. dmlc's writer splits a payload wherever the magic word occurs at an aligned
 * offset inside it and drops that word; the reader puts it back between the parts.
 */
import type { ByteWriter } from "./_protobuf.js";

export const RECORDIO_MAGIC = 0xced7230a;
const LENGTH_MASK = (1 << 29) - 1;
/** The largest payload one frame can carry (29-bit length). */
export const RECORDIO_MAX_LENGTH = LENGTH_MASK;

/** Why framing failed; the caller turns it into a SagebrewError naming the source. */
export class FrameError extends Error {
  constructor(
    message: string,
    /** 1-based number of the record being read. */
    readonly record: number,
    /** Byte offset of that record's first frame header. */
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Called once per logical record; `payload[start, end)` holds its bytes. */
export type FrameVisitor = (
  payload: Uint8Array,
  start: number,
  end: number,
  record: number,
  offset: number,
) => void;

const hex = (v: number) => `0x${v.toString(16).padStart(8, "0")}`;

/**
 * Walks every record of `bytes`, reassembling multi-part records. The padding of the very last
 * record may be missing (SageMaker's SingleRecord batching strips it). Returns the record count.
 */
export function scanFrames(bytes: Uint8Array, visit: FrameVisitor): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  let pos = 0;
  let record = 0;
  while (pos < n) {
    record++;
    const offset = pos;
    let parts: Uint8Array[] | undefined;
    for (;;) {
      if (pos + 8 > n) {
        throw new FrameError(`truncated header: ${n - pos} of 8 bytes present`, record, offset);
      }
      const magic = view.getUint32(pos, true);
      if (magic !== RECORDIO_MAGIC) throw new FrameError(`bad magic ${hex(magic)}`, record, offset);
      const word = view.getUint32(pos + 4, true);
      const cflag = word >>> 29;
      const len = word & LENGTH_MASK;
      const start = pos + 8;
      const end = start + len;
      if (end > n) {
        throw new FrameError(`truncated payload: ${n - start} of ${len} bytes present`, record, offset);
      }
      const padded = start + ((len + 3) & ~3);
      pos = padded > n ? n : padded;
      for (let i = end; i < pos; i++) {
        if (bytes[i] !== 0) throw new FrameError(`non-zero padding byte at ${i}`, record, offset);
      }
      if (parts === undefined) {
        if (cflag === 0) {
          visit(bytes, start, end, record, offset);
          break;
        }
        if (cflag !== 1)
          throw new FrameError(`continuation flag ${cflag} without a first part`, record, offset);
        parts = [bytes.subarray(start, end)];
      } else {
        if (cflag !== 2 && cflag !== 3) {
          throw new FrameError(`continuation flag ${cflag} inside a multi-part record`, record, offset);
        }
        parts.push(bytes.subarray(start, end));
        if (cflag === 3) {
          const joined = joinParts(parts);
          visit(joined, 0, joined.length, record, offset);
          break;
        }
      }
      if (pos >= n) throw new FrameError("truncated multi-part record: last part missing", record, offset);
    }
  }
  return record;
}

function joinParts(parts: readonly Uint8Array[]): Uint8Array {
  let total = 4 * (parts.length - 1);
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  parts.forEach((p, i) => {
    if (i > 0) {
      view.setUint32(at, RECORDIO_MAGIC, true);
      at += 4;
    }
    out.set(p, at);
    at += p.length;
  });
  return out;
}

/**
 * Byte ranges `[start, end)` of each framed record in `bytes` (header through padding), without
 * decoding payloads. Used to split RecordIO files into records for batch transform.
 */
export function frameBounds(bytes: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  scanFrames(bytes, (_p, _s, _e, _r, offset) => {
    const prev = out[out.length - 1];
    if (prev) prev[1] = offset;
    out.push([offset, bytes.length]);
  });
  return out;
}

/**
 * Appends one framed record whose payload `writePayload` writes into `w`. Always a single frame
 * with flag 0, as SageMaker's own writers do, so that readers which take the whole length word as
 * the length (the XGBoost container's) read it too.
 */
export function writeFrame(w: ByteWriter, writePayload: (w: ByteWriter) => void): void {
  const header = w.pos;
  w.u32le(RECORDIO_MAGIC);
  w.u32le(0);
  writePayload(w);
  const len = w.pos - header - 8;
  if (len > RECORDIO_MAX_LENGTH) {
    throw new RangeError(`record of ${len} bytes exceeds the RecordIO limit of ${RECORDIO_MAX_LENGTH} bytes`);
  }
  w.view.setUint32(header + 4, len, true);
  const pad = ((len + 3) & ~3) - len;
  for (let i = 0; i < pad; i++) w.byte(0);
}
