/**
 * Splitting an input file into records, as Batch Transform's `SplitType` does (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformInput.html):
 * `None` keeps the whole file, `Line` splits on newlines (empty lines are skipped, a trailing
 * `\r` is kept out), `RecordIO` splits on RecordIO frames.
 */
import { recordioRecordBounds, SagebrewError } from "@sagebrew/runtime/core";

export type SplitType = "None" | "Line" | "RecordIO";

/**
 * The records of one input, as byte ranges of one buffer: record `i` is
 * `bytes[start[i], end[i])`. A table rather than an object per record, since one file may hold
 * millions of records (an object and a view per record were most of a large job's client time).
 */
export interface Records {
  readonly bytes: Uint8Array;
  readonly count: number;
  readonly start: Float64Array;
  readonly end: Float64Array;
  /** RecordIO only: trailing zero padding inside each record's range (dropped for SingleRecord). */
  readonly padding?: Uint32Array;
}

/** Record `i`'s bytes (a view). */
export function recordAt(records: Records, i: number): Uint8Array {
  return records.bytes.subarray(records.start[i]!, records.end[i]!);
}

/** A table over separate byte strings (e.g. filtered records), copied into one buffer. */
export function recordsOf(parts: readonly Uint8Array[]): Records {
  let total = 0;
  for (const p of parts) total += p.length;
  const bytes = new Uint8Array(total);
  const start = new Float64Array(parts.length);
  const end = new Float64Array(parts.length);
  let at = 0;
  parts.forEach((p, i) => {
    bytes.set(p, at);
    start[i] = at;
    at += p.length;
    end[i] = at;
  });
  return { bytes, count: parts.length, start, end };
}

/**
 * Splits `bytes` into records.
 *
 * @throws SagebrewError `SB_DATA_PARSE` when RecordIO framing is broken (names `source`).
 */
export function splitRecords(
  bytes: Uint8Array,
  splitType: SplitType,
  options: { source?: string } = {},
): Records {
  if (splitType === "None") {
    const n = bytes.length === 0 ? 0 : 1;
    return {
      bytes,
      count: n,
      start: new Float64Array(n),
      end: Float64Array.from({ length: n }, () => bytes.length),
    };
  }
  if (splitType === "RecordIO") {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bounds = recordioRecordBounds(bytes, { source: options.source ?? "input" });
    const start = new Float64Array(bounds.length);
    const end = new Float64Array(bounds.length);
    const padding = new Uint32Array(bounds.length);
    bounds.forEach(([s, e], i) => {
      start[i] = s;
      end[i] = e;
      // the payload length of the first frame tells where padding starts (single-frame records)
      const len = view.getUint32(s + 4, true) & 0x1fffffff;
      const unpadded = s + 8 + len;
      padding[i] = unpadded <= e && view.getUint32(s + 4, true) >>> 29 === 0 ? e - unpadded : 0;
    });
    return { bytes, count: bounds.length, start, end, padding };
  }
  // One pass over the bytes, the tables grown as needed (counting the lines first cost a second
  // pass; an `indexOf` call per line cost three times this loop on a million short lines).
  let start: Float64Array = new Float64Array(Math.max(16, bytes.length >>> 4));
  let end: Float64Array = new Float64Array(start.length);
  let count = 0;
  let from = 0;
  const n = bytes.length;
  for (let i = 0; i <= n; i++) {
    if (i < n && bytes[i] !== 0x0a) continue;
    let e = i;
    if (e > from && bytes[e - 1] === 0x0d) e--;
    if (e > from) {
      if (count === start.length) {
        start = grow(start);
        end = grow(end);
      }
      start[count] = from;
      end[count] = e;
      count++;
    }
    from = i + 1;
  }
  return { bytes, count, start: start.subarray(0, count), end: end.subarray(0, count) };
}

/** `a` copied into a table twice as long. */
function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

/** Parses a `SplitType` value (API casing). */
export function parseSplitType(v: string): SplitType {
  if (v === "None" || v === "Line" || v === "RecordIO") return v;
  throw new SagebrewError("SB_USAGE", `SplitType ${v} is not one of None, Line, RecordIO`);
}
