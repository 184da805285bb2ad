/**
 * Response encoders for predictions: `text/csv`, `application/json`, `application/jsonlines`.
 * Numbers are float32 predictions, printed as the shortest decimal that reads back as the same
 * float32 (`0.95311886`, not `0.9531188607215881`). Pure; `parseCsv` / `parseJsonRows` read
 * numeric output back.
 */

/** One CSV cell: a number, a string, or a list (written as `"[0.1, 0.9]"`, as SageMaker's XGBoost does). */
export type Cell = string | number | boolean | null | ReadonlyArray<string | number | null>;

/**
 * The shortest decimal string that parses back to the same float32 as `v`; `NaN`, `Infinity`
 * and `-Infinity` as such.
 *
 * @example formatFloat32(Math.fround(0.1)) // "0.1"
 */
export function formatFloat32(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const f = Math.fround(v);
  if (Object.is(f, -0)) return "-0";
  if (Number.isInteger(f) && Math.abs(f) < 2 ** 24) return String(f);
  const a = Math.abs(f);
  const e = Math.floor(Math.log10(a));
  // The least precision that reads back. When one does, every longer one does too: rounding to
  // p + 1 digits lands at least as close to `a` (the p-digit value is a (p + 1)-digit one), and the
  // decimals that read back as `a` lie as far on both sides of it — except at a power of two, where
  // the float32 below is nearer than the one above; there the tests check every one of them. So a
  // binary search over 1..9 finds it in 3 or 4 roundings, where counting up took as many as 9
  // (scores need 7 to 9 digits).
  let n: number | undefined;
  let lo = 1;
  let hi = 9; // 9 digits always read back
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = roundTo(a, mid, e) ?? Number(a.toPrecision(mid));
    if (Math.fround(m) === a) {
      hi = mid;
      n = m;
    } else lo = mid + 1;
  }
  if (n === undefined) return String(Number(f.toPrecision(9)));
  return String(f < 0 ? -n : n);
}

/** Exact powers of ten as doubles. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * `a` (> 0) rounded to `p` significant digits (`log10`: about `floor(log10(a))`, corrected here when
 * one off), the double `Number(a.toPrecision(p))` is, in a few
 * floating-point operations instead of a string made and parsed (most of a large CSV answer's
 * encoding); `undefined` where a double cannot decide it — the scaled value within 1e-7 of a tie,
 * or beyond the exact powers of ten — and `toPrecision` does.
 */
function roundTo(a: number, p: number, log10: number): number | undefined {
  let e = log10;
  for (let tries = 0; tries < 2; tries++) {
    const s = e - p + 1; // a ≈ r × 10^s with r of p digits
    if (s > 22 || s < -22) return undefined;
    const q = s >= 0 ? a / POW10[s]! : a * POW10[-s]!;
    const low = POW10[p - 1]!;
    if (q < low - 0.5) {
      e--; // log10 was one too high
      continue;
    }
    if (q >= low * 10) {
      e++; // one too low
      continue;
    }
    const floor = Math.floor(q);
    const frac = q - floor;
    if (Math.abs(frac - 0.5) < 1e-7) return undefined;
    const r = frac > 0.5 ? floor + 1 : floor;
    // r has at most 9 digits and 10^|s| is exact: one rounding, as Number() of the decimal makes.
    return s >= 0 ? r * POW10[s]! : r / POW10[-s]!;
  }
  return undefined;
}

/** A float32 as the shortest double that prints like it (for JSON). Non-finite → null. */
function jsonNumber(v: number): number | null {
  return Number.isFinite(v) ? Number(formatFloat32(v)) : null;
}

function csvCell(cell: Cell): string {
  if (cell === null) return "";
  if (typeof cell === "number") return formatFloat32(cell);
  if (typeof cell === "boolean") return String(cell);
  if (typeof cell === "string") return quoteCsv(cell);
  const items = cell.map((x) => (typeof x === "number" ? formatFloat32(x) : x === null ? "NaN" : x));
  return quoteCsv(`[${items.join(", ")}]`, true);
}

function quoteCsv(s: string, force = false): string {
  if (!force && !/[",\r\n]/.test(s) && s.trim() === s) return s;
  return `"${s.replaceAll('"', '""')}"`;
}

/**
 * Encodes records as CSV: one line per record, cells joined by commas, each line ending in `\n`.
 *
 * @example encodeCsv([["setosa"], ["virginica"]]) // "setosa\nvirginica\n"
 */
export function encodeCsv(rows: ReadonlyArray<ReadonlyArray<Cell>>): string {
  let out = "";
  for (const row of rows) out += `${row.map(csvCell).join(",")}\n`;
  return out;
}

/** Encodes any JSON value with float32 numbers printed short; NaN and infinities become null. */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" ? jsonNumber(v) : v)) ?? "null";
}

/** Encodes records as JSON Lines: one JSON document per line, each ending in `\n`. */
export function encodeJsonLines(records: readonly unknown[]): string {
  let out = "";
  for (const r of records) out += `${encodeJson(r)}\n`;
  return out;
}
