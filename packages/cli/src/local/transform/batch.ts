/**
 * Grouping records into request bodies, as Batch Transform's `BatchStrategy` does (contract §3):
 * `SingleRecord` sends one record per request (RecordIO padding removed); `MultiRecord` packs as
 * many whole records as fit in `MaxPayloadInMB` (padding kept, lines joined by `\n`). A record
 * never spans requests and files are never combined.
 */
import { SagebrewError } from "@sagebrew/runtime";
import type { InputRecord, SplitType } from "./split.js";

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
export function batchRecords(records: readonly InputRecord[], options: BatchOptions): Batch[] {
  const { strategy, splitType, maxPayloadBytes, source } = options;
  const line = splitType === "Line";
  const sizeOf = (r: InputRecord, single: boolean) =>
    single ? r.bytes.length - r.padding + (line ? 1 : 0) : r.bytes.length + (line ? 1 : 0);
  records.forEach((r, i) => {
    const size = sizeOf(r, strategy === "SingleRecord");
    if (size > maxPayloadBytes) {
      throw new SagebrewError(
        "SB_TRANSFORM",
        `Cannot send record ${i + 1} of ${source}: it is ${size} bytes, over MaxPayloadInMB (${maxPayloadBytes} bytes)`,
      );
    }
  });
  const batches: Batch[] = [];
  if (strategy === "SingleRecord" || splitType === "None") {
    records.forEach((r, i) => {
      const body = concat([r], line, strategy === "SingleRecord" && splitType === "RecordIO");
      batches.push({ body, first: i, count: 1 });
    });
    return batches;
  }
  let first = 0;
  let size = 0;
  for (let i = 0; i < records.length; i++) {
    const s = sizeOf(records[i]!, false);
    if (i > first && size + s > maxPayloadBytes) {
      batches.push({ body: concat(records.slice(first, i), line, false), first, count: i - first });
      first = i;
      size = 0;
    }
    size += s;
  }
  if (records.length > first) {
    batches.push({ body: concat(records.slice(first), line, false), first, count: records.length - first });
  }
  return batches;
}

function concat(records: readonly InputRecord[], line: boolean, stripPadding: boolean): Uint8Array {
  let total = 0;
  for (const r of records) total += r.bytes.length - (stripPadding ? r.padding : 0) + (line ? 1 : 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const r of records) {
    const b = stripPadding ? r.bytes.subarray(0, r.bytes.length - r.padding) : r.bytes;
    out.set(b, at);
    at += b.length;
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
