/**
 * A handler's output (arrays, typed arrays, records or one value) as the rows and records the
 * CSV, JSON and JSON Lines encoders write: the default `encode` of the serving handler API. Pure.
 */
import { type Cell, encodeCsv, encodeJson, encodeJsonLines } from "./predictions.js";

/** The records of an output: array items (typed arrays too), or the value itself. */
function records(output: unknown): unknown[] {
  if (Array.isArray(output)) return output;
  if (ArrayBuffer.isView(output) && !(output instanceof DataView)) {
    return Array.from(output as unknown as ArrayLike<number>);
  }
  return [output];
}

function plain(v: unknown): unknown {
  return ArrayBuffer.isView(v) && !(v instanceof DataView)
    ? Array.from(v as unknown as ArrayLike<number>)
    : v;
}

function row(record: unknown): Cell[] {
  const r = plain(record);
  if (Array.isArray(r)) return r.map((c) => cell(c));
  if (typeof r === "object" && r !== null) return Object.values(r).map((c) => cell(c));
  return [cell(r)];
}

function cell(v: unknown): Cell {
  const p = plain(v);
  if (p === null || p === undefined) return null;
  if (typeof p === "number" || typeof p === "string" || typeof p === "boolean") return p;
  if (Array.isArray(p) && p.every((x) => x === null || typeof x === "number" || typeof x === "string")) {
    return p as Cell;
  }
  return JSON.stringify(p) ?? "";
}

/** An output as CSV: one line per record. */
export function outputAsCsv(output: unknown): string {
  return encodeCsv(records(output).map(row));
}

/** An output as one JSON document. */
export function outputAsJson(output: unknown): string {
  return encodeJson(plain(output));
}

/** An output as JSON Lines: one document per record. */
export function outputAsJsonLines(output: unknown): string {
  return encodeJsonLines(records(output).map(plain));
}
