/**
 * Grouping records into request bodies, as Batch Transform's `BatchStrategy` does (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html):
 * `SingleRecord` sends one record per request (RecordIO padding removed); `MultiRecord` packs as
 * many whole records as fit in `MaxPayloadInMB` (padding kept, lines joined by `\n`). A record
 * never spans requests and files are never combined.
 */
import { SagebrewError } from "@sagebrew/runtime/core";
import type { Records, SplitType } from "./split.js";

export type BatchStrategy = "SingleRecord" | "MultiRecord";

/** One request: its body and which records (by index) it carries. */
export interface Batch {
  readonly body: Uint8Array;
  readonly first: number;
  readonly count: number;
}

export interface BatchOptions {
  readonly strategy: BatchStrategy;
  readonly splitType: SplitType;
  /** The payload limit in bytes. */
  readonly maxPayloadBytes: number;
  /** Named in errors. */
  readonly source: string;
}

const NEWLINE = 0x0a;

/**
 * Groups `records` into request bodies.
 *
 * @throws SagebrewError `SB_TRANSFORM` when one record is larger than the payload limit.
 */
export function batchRecords(records: Records, options: BatchOptions): Batch[] {
  const { strategy, splitType, maxPayloadBytes, source } = options;
  const { start, end } = records;
  const line = splitType === "Line";
  const each = strategy === "SingleRecord" || splitType === "None";
  const stripPadding = strategy === "SingleRecord" && splitType === "RecordIO";
  const batches: Batch[] = [];
  // One pass over the table (a million records is a usual file): sizes, the limit check, the
  // packing, and whether the records of the current batch lie one after another in the input.
  let first = 0;
  let size = 0;
  let contiguous = true;
  for (let i = 0; i < records.count; i++) {
    const s = end[i]! - start[i]! - (stripPadding ? records.padding![i]! : 0) + (line ? 1 : 0);
    if (s > maxPayloadBytes) {
      throw new SagebrewError(
        "SB_TRANSFORM",
        `Cannot send record ${i + 1} of ${source}: it is ${s} bytes, over MaxPayloadInMB (${maxPayloadBytes} bytes)`,
      );
    }
    if (each) continue;
    if (i > first && size + s > maxPayloadBytes) {
      batches.push({ body: concat(records, first, i, line, false, contiguous), first, count: i - first });
      first = i;
      size = 0;
      contiguous = true;
    } else if (i > first) {
      contiguous &&= start[i] === (line ? end[i - 1]! + 1 : end[i - 1]);
    }
    size += s;
  }
  if (each) {
    for (let i = 0; i < records.count; i++) {
      batches.push({ body: concat(records, i, i + 1, line, stripPadding, true), first: i, count: 1 });
    }
  } else if (records.count > first) {
    batches.push({
      body: concat(records, first, records.count, line, false, contiguous),
      first,
      count: records.count - first,
    });
  }
  return batches;
}

/**
 * The body for records [from, to): each record's bytes, then a newline for `line`. Records that
 * already lie in the input exactly as the body needs them (`contiguous`: one `\n` apart, the
 * usual file) are sent as one view of it, without a copy.
 */
function concat(
  records: Records,
  from: number,
  to: number,
  line: boolean,
  stripPadding: boolean,
  contiguous: boolean,
): Uint8Array {
  const { bytes, start, end } = records;
  const cut = (i: number) => end[i]! - (stripPadding ? records.padding![i]! : 0);
  if (contiguous && (!line || bytes[end[to - 1]!] === NEWLINE) && (!stripPadding || to - from === 1)) {
    return bytes.subarray(start[from]!, line ? end[to - 1]! + 1 : cut(to - 1));
  }
  let total = 0;
  for (let i = from; i < to; i++) total += cut(i) - start[i]! + (line ? 1 : 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (let i = from; i < to; i++) {
    out.set(bytes.subarray(start[i]!, cut(i)), at);
    at += cut(i) - start[i]!;
    if (line) out[at++] = NEWLINE;
  }
  return out;
}

/** Parses a `BatchStrategy` value (API casing, or the env/execution-parameters casing). */
export function parseBatchStrategy(v: string): BatchStrategy {
  const k = v.toUpperCase().replace(/_/g, "");
  if (k === "SINGLERECORD") return "SingleRecord";
  if (k === "MULTIRECORD") return "MultiRecord";
  throw new SagebrewError("SB_USAGE", `BatchStrategy ${v} is not SingleRecord or MultiRecord`);
}
