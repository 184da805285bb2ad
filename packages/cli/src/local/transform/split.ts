/**
 * Splitting an input file into records, as Batch Transform's `SplitType` does (contract §3):
 * `None` keeps the whole file, `Line` splits on newlines (empty lines are skipped, a trailing
 * `\r` is kept out), `RecordIO` splits on RecordIO frames.
 */
import { recordioRecordBounds, SagebrewError } from "@sagebrew/runtime";

export type SplitType = "None" | "Line" | "RecordIO";

/** One record of an input file: its bytes, and for RecordIO the frame's padding length. */
export interface InputRecord {
  readonly bytes: Uint8Array;
  /** RecordIO only: trailing zero padding included in `bytes` (dropped for SingleRecord). */
  readonly padding: number;
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
): InputRecord[] {
  if (splitType === "None") return bytes.length === 0 ? [] : [{ bytes, padding: 0 }];
  if (splitType === "RecordIO") {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return recordioRecordBounds(bytes, { source: options.source ?? "input" }).map(([s, e]) => {
      // the payload length of the first frame tells where padding starts (single-frame records)
      const len = view.getUint32(s + 4, true) & 0x1fffffff;
      const unpadded = s + 8 + len;
      return {
        bytes: bytes.subarray(s, e),
        padding: unpadded <= e && view.getUint32(s + 4, true) >>> 29 === 0 ? e - unpadded : 0,
      };
    });
  }
  const out: InputRecord[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      let end = i;
      if (end > start && bytes[end - 1] === 0x0d) end--;
      if (end > start) out.push({ bytes: bytes.subarray(start, end), padding: 0 });
      start = i + 1;
    }
  }
  return out;
}

/** Parses a `SplitType` value (API casing). */
export function parseSplitType(v: string): SplitType {
  if (v === "None" || v === "Line" || v === "RecordIO") return v;
  throw new SagebrewError("SB_USAGE", `SplitType ${v} is not one of None, Line, RecordIO`);
}
