/**
 * `application/json` and `application/jsonlines` request rows, in the shapes SageMaker's
 * containers and inference toolkits accept, decoded to a dense float32 `Dataset`:
 *
 * - `[[1, 2], [3, 4]]` rows, or `[1, 2]` one row;
 * - `{"instances": [...]}` (or `"inputs"`) whose items are rows, `{"features": [...]}`, or the
 *   built-in algorithms' `{"data": {"features": {"values": [...], "keys": [...], "shape": [n]}}}`;
 * - `{"features": [...]}` one row;
 * - JSON Lines: one of the above per line.
 *
 * `null` is a missing value (NaN). Pure; the `stringify…` functions are the inverse.
 */
import { SagebrewError } from "../errors/index.js";
import type { Dataset, DenseMatrix } from "./types.js";

/** Options of the JSON row decoders. */
export interface JsonRowsOptions {
  /** File name or `request body`, for error messages. */
  source: string;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
/** Largest float32. */
const F32_MAX = 3.4028234663852886e38;

/**
 * Decodes one JSON document of rows.
 *
 * @throws SagebrewError SB_DATA_PARSE (not UTF-8, not JSON, not a number) or SB_DATA_SHAPE
 * (rows of different lengths, an unknown shape), naming the source and the row.
 * @example parseJsonRows(bytes, { source: "request body" }).features // { kind: "dense", rows: 2, cols: 4, … }
 */
export function parseJsonRows(bytes: Uint8Array, options: JsonRowsOptions): Dataset {
  const rows: Row[] = [];
  collectRows(parseJson(text(bytes, options.source), `JSON ${options.source}`), rows, {
    where: `JSON ${options.source}`,
    budget: cellBudget(bytes),
  });
  return { features: toDense(rows, `JSON ${options.source}`) };
}

/**
 * Decodes JSON Lines: each non-blank line is one JSON document of rows (usually one row).
 *
 * @throws SagebrewError SB_DATA_PARSE or SB_DATA_SHAPE naming the source and line.
 */
export function parseJsonLinesRows(bytes: Uint8Array, options: JsonRowsOptions): Dataset {
  const rows: Row[] = [];
  const budget = cellBudget(bytes);
  const lines = text(bytes, options.source).split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `JSON Lines ${options.source} line ${i + 1}`;
    collectRows(parseJson(line, where), rows, { where, budget });
  });
  return { features: toDense(rows, `JSON Lines ${options.source}`) };
}

/** Encodes rows as `{"instances": [[…], …]}` (NaN as null); `parseJsonRows` reads it back. */
export function stringifyJsonRows(matrix: DenseMatrix): string {
  return JSON.stringify({ instances: denseRows(matrix) });
}

/** Encodes rows as JSON Lines, one array per line; `parseJsonLinesRows` reads it back. */
export function stringifyJsonLinesRows(matrix: DenseMatrix): string {
  return denseRows(matrix)
    .map((r) => `${JSON.stringify(r)}\n`)
    .join("");
}

function denseRows(m: DenseMatrix): Array<Array<number | null>> {
  const out: Array<Array<number | null>> = [];
  for (let r = 0; r < m.rows; r++) {
    const row: Array<number | null> = [];
    for (let c = 0; c < m.cols; c++) {
      const v = m.values[r * m.cols + c]!;
      row.push(Number.isNaN(v) ? null : v);
    }
    out.push(row);
  }
  return out;
}

type Row = { values: Float32Array; where: string };
/** Where rows come from, and how many cells sparse rows may still expand to. */
type Ctx = { where: string; budget: { cells: number } };

/** Sparse rows may name a width; cap the cells they expand to so a small body cannot claim gigabytes. */
function cellBudget(bytes: Uint8Array): { cells: number } {
  return { cells: 1_000_000 + 4 * bytes.length };
}

function text(bytes: Uint8Array, source: string): string {
  let s: string;
  try {
    s = decoder.decode(bytes);
  } catch {
    throw new SagebrewError("SB_DATA_PARSE", `Cannot read JSON ${source}: it is not valid UTF-8 text`);
  }
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

function parseJson(s: string, where: string): unknown {
  try {
    return JSON.parse(s);
  } catch (e) {
    const detail = (e as Error).message.replace(/^JSON\.parse: /, "").replace(/\.$/, "");
    throw new SagebrewError("SB_DATA_PARSE", `Cannot parse ${where}: ${detail}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function collectRows(value: unknown, out: Row[], ctx: Ctx): void {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => typeof v === "number" || v === null)) {
      out.push({ values: rowValues(value, `${ctx.where} row ${out.length + 1}`), where: ctx.where });
      return;
    }
    for (const item of value) collectItem(item, out, ctx);
    return;
  }
  if (isObject(value)) {
    const list = value.instances ?? value.inputs;
    if (list !== undefined) {
      if (!Array.isArray(list)) {
        throw shape(`${ctx.where}: "instances" must be an array of rows`);
      }
      for (const item of list) collectItem(item, out, ctx);
      return;
    }
    collectItem(value, out, ctx);
    return;
  }
  throw shape(
    `${ctx.where}: expected rows such as [[1, 2], [3, 4]], {"instances": [...]} or {"features": [...]}, got ${describe(value)}`,
  );
}

function collectItem(item: unknown, out: Row[], ctx: Ctx): void {
  const where = `${ctx.where} row ${out.length + 1}`;
  if (Array.isArray(item)) {
    out.push({ values: rowValues(item, where), where });
    return;
  }
  if (isObject(item)) {
    if (Array.isArray(item.features)) {
      out.push({ values: rowValues(item.features, where), where });
      return;
    }
    const data = item.data;
    if (isObject(data) && isObject(data.features)) {
      out.push({ values: sparseValues(data.features, where, ctx.budget), where });
      return;
    }
  }
  throw shape(`${where}: expected an array of numbers or {"features": [...]}, got ${describe(item)}`);
}

function rowValues(items: readonly unknown[], where: string): Float32Array {
  const values = new Float32Array(items.length);
  for (let i = 0; i < items.length; i++) values[i] = numberAt(items[i], `${where} column ${i + 1}`);
  return values;
}

function sparseValues(f: Record<string, unknown>, where: string, budget: { cells: number }): Float32Array {
  const vals = f.values;
  if (!Array.isArray(vals)) throw shape(`${where}: "features.values" must be an array of numbers`);
  if (f.keys === undefined) return rowValues(vals, where);
  const keys = f.keys;
  const shapeField = f.shape;
  if (!Array.isArray(keys) || keys.length !== vals.length) {
    throw shape(`${where}: "features.keys" must be an array as long as "features.values"`);
  }
  const width = Array.isArray(shapeField) ? shapeField[0] : undefined;
  const maxKey = keys.reduce<number>((m, k) => (typeof k === "number" ? Math.max(m, k) : m), -1);
  const cols = typeof width === "number" ? width : maxKey + 1;
  if (!Number.isInteger(cols) || cols < 0 || cols > budget.cells) {
    throw shape(`${where}: "features.shape" ${JSON.stringify(shapeField)} is not a usable width`);
  }
  budget.cells -= cols;
  const row = new Float32Array(cols).fill(Number.NaN);
  keys.forEach((k, i) => {
    if (typeof k !== "number" || !Number.isInteger(k) || k < 0 || k >= cols) {
      throw shape(`${where}: key ${JSON.stringify(k)} is not an index below the width ${cols}`);
    }
    row[k] = numberAt(vals[i], `${where} key ${k}`);
  });
  return row;
}

function numberAt(v: unknown, where: string): number {
  if (v === null) return Number.NaN;
  if (typeof v !== "number") {
    throw new SagebrewError("SB_DATA_PARSE", `Cannot read ${where}: expected a number, got ${describe(v)}`);
  }
  if (!Number.isFinite(v) || Math.abs(v) > F32_MAX) {
    throw new SagebrewError("SB_DATA_PARSE", `Cannot read ${where}: ${v} does not fit a 32-bit float`);
  }
  return v;
}

function toDense(rows: readonly Row[], where: string): DenseMatrix {
  const cols = rows[0]?.values.length ?? 0;
  const values = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => {
    if (r.values.length !== cols) {
      throw shape(`${where} row ${i + 1} has ${r.values.length} values, row 1 has ${cols}`);
    }
    values.set(r.values, i * cols);
  });
  return { kind: "dense", rows: rows.length, cols, values };
}

function shape(message: string): SagebrewError {
  return new SagebrewError("SB_DATA_SHAPE", `Cannot read ${message.replace(/^Cannot read /, "")}`);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
