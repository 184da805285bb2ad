/**
 * A byte-level decimal number reader for the CSV and libsvm parsers. Written by hand because it
 * is the hot loop of training-data loading (hundreds of MB per run); `Number.parseFloat` on
 * substrings is several times slower. Every consumer stores float32, and the contract is exact at
 * that precision: `Math.fround(result) === Math.fround(Number.parseFloat(token))`, always. Up to 15
 * significant digits with an exponent within ±22 the double itself is exact (Clinger's fast path);
 * longer mantissas are accepted when a few double ulps cannot move the float32 rounding, and
 * everything else falls back to `Number.parseFloat` on the token.
 */

/** Exact powers of ten as doubles (Clinger's fast path). */
export const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];

const decoder = new TextDecoder("utf-8", { fatal: false });

/** Result slot of `readNumber`: the index just after the token. */
export interface Cursor {
  pos: number;
}

/** Sentinel returned when the token is not a number (the caller reports it). */
export const NOT_A_NUMBER = Symbol("not a number");

const MISSING_TOKENS = new Set(["nan", "na", "n/a", "null", "none", "?"]);

/**
 * Reads a number from `bytes[start, end)` (the whole field, already delimited). Leading and
 * trailing spaces and one pair of double quotes are allowed. Returns NaN for an empty field or a
 * missing-value token (`nan`, `NA`, `null`, …), `NOT_A_NUMBER` when the field is anything else.
 * Infinities parse as ±Infinity; callers decide whether they are acceptable.
 */
export function parseNumberField(
  bytes: Uint8Array,
  start: number,
  end: number,
): number | typeof NOT_A_NUMBER {
  // trim spaces and tabs (tab is only trimmed when it is not the delimiter; the caller has split)
  while (start < end && (bytes[start] === 32 || bytes[start] === 9)) start++;
  while (end > start && (bytes[end - 1] === 32 || bytes[end - 1] === 9 || bytes[end - 1] === 13)) end--;
  if (start === end) return Number.NaN;
  if (bytes[start] === 34 && end - start >= 2 && bytes[end - 1] === 34) {
    start++;
    end--;
    if (start === end) return Number.NaN;
  }
  let i = start;
  let c = bytes[i]!;
  let negative = false;
  if (c === 45 || c === 43) {
    negative = c === 45;
    i++;
    if (i === end) return NOT_A_NUMBER;
    c = bytes[i]!;
  }
  let mantissa = 0;
  let significant = 0;
  let exponent = 0;
  let digits = 0;
  // Up to 19 significant digits are accumulated; later ones cannot change a float32 result.
  while (i < end && c >= 48 && c <= 57) {
    if (mantissa !== 0 || c !== 48) {
      if (significant < 19) {
        mantissa = mantissa * 10 + (c - 48);
        significant++;
      } else exponent++;
    }
    digits++;
    i++;
    c = bytes[i]!;
  }
  if (i < end && c === 46) {
    i++;
    c = bytes[i]!;
    while (i < end && c >= 48 && c <= 57) {
      if (mantissa === 0 && c === 48) exponent--;
      else if (significant < 19) {
        mantissa = mantissa * 10 + (c - 48);
        significant++;
        exponent--;
      }
      digits++;
      i++;
      c = bytes[i]!;
    }
  }
  if (digits === 0) return special(bytes, start, end);
  if (i < end && (c === 101 || c === 69)) {
    i++;
    if (i === end) return NOT_A_NUMBER;
    c = bytes[i]!;
    let expNegative = false;
    if (c === 45 || c === 43) {
      expNegative = c === 45;
      i++;
      if (i === end) return NOT_A_NUMBER;
      c = bytes[i]!;
    }
    let e = 0;
    let expDigits = 0;
    while (i < end && c >= 48 && c <= 57) {
      if (e < 100000) e = e * 10 + (c - 48);
      expDigits++;
      i++;
      c = bytes[i]!;
    }
    if (expDigits === 0) return NOT_A_NUMBER;
    exponent += expNegative ? -e : e;
  }
  if (i !== end) return NOT_A_NUMBER;
  if (mantissa === 0) return negative ? -0 : 0;
  let value: number;
  if (exponent === 0) value = mantissa;
  else if (exponent > 0 && exponent <= 22) value = mantissa * POW10[exponent]!;
  else if (exponent < 0 && exponent >= -22) value = mantissa / POW10[-exponent]!;
  else return slowPath(bytes, start, end);
  if (significant > 15) {
    // Not exact: the mantissa was rounded. Accept the value only when float32 rounding cannot be
    // affected by an error of a few double ulps; otherwise take the exact slow path.
    const f = Math.fround(value);
    if (Math.fround(value * (1 - 2 ** -48)) !== f || Math.fround(value * (1 + 2 ** -48)) !== f) {
      return slowPath(bytes, start, end);
    }
  }
  return negative ? -value : value;
}

function slowPath(bytes: Uint8Array, start: number, end: number): number | typeof NOT_A_NUMBER {
  const text = decoder.decode(bytes.subarray(start, end));
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return NOT_A_NUMBER;
  return Number.parseFloat(text);
}

function special(bytes: Uint8Array, start: number, end: number): number | typeof NOT_A_NUMBER {
  if (end - start > 12) return NOT_A_NUMBER;
  const text = decoder.decode(bytes.subarray(start, end)).toLowerCase();
  if (MISSING_TOKENS.has(text) || text === "-nan" || text === "+nan") return Number.NaN;
  if (text === "inf" || text === "+inf" || text === "infinity" || text === "+infinity")
    return Number.POSITIVE_INFINITY;
  if (text === "-inf" || text === "-infinity") return Number.NEGATIVE_INFINITY;
  return NOT_A_NUMBER;
}

/** Decodes a short slice for an error message, cut to 40 characters. */
export function quote(bytes: Uint8Array, start: number, end: number): string {
  const text = decoder.decode(bytes.subarray(start, Math.min(end, start + 60)));
  const cut = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return JSON.stringify(cut);
}

/** Where `readNumberFast` stopped and whether it could read the field. */
export const FAST = { ok: false, end: 0 };

/**
 * Reads a plain decimal field — `[-]digits[.digits]`, ended by `delim`, a `\r` before the line end,
 * or the line end — in the same pass that finds the field's end, accumulating digits nine at a
 * time in integers. Anything else (spaces, quotes, exponents, words, empty fields) sets
 * `FAST.ok = false` and the caller takes the general path, which gives the same values.
 */
export function readNumberFast(bytes: Uint8Array, start: number, lineEnd: number, delim: number): number {
  let p = start;
  let c = bytes[p]!;
  let negative = false;
  if (c === 45) {
    negative = true;
    c = bytes[++p]!;
  }
  let mantissa = 0;
  let chunk = 0;
  let chunkLen = 0;
  let significant = 0;
  let exponent = 0;
  let digits = 0;
  while (p < lineEnd && c >= 48 && c <= 57) {
    if (significant > 0 || c !== 48) {
      if (significant < 19) {
        chunk = chunk * 10 + (c - 48);
        significant++;
        if (++chunkLen === 9) {
          mantissa = mantissa * 1e9 + chunk;
          chunk = 0;
          chunkLen = 0;
        }
      } else exponent++;
    }
    digits++;
    c = bytes[++p]!;
  }
  if (p < lineEnd && c === 46) {
    c = bytes[++p]!;
    while (p < lineEnd && c >= 48 && c <= 57) {
      if (significant === 0 && c === 48) exponent--;
      else if (significant < 19) {
        chunk = chunk * 10 + (c - 48);
        significant++;
        exponent--;
        if (++chunkLen === 9) {
          mantissa = mantissa * 1e9 + chunk;
          chunk = 0;
          chunkLen = 0;
        }
      }
      digits++;
      c = bytes[++p]!;
    }
  }
  let end = p;
  if (p < lineEnd && c !== delim) {
    if (c === 13 && p + 1 === lineEnd) end = lineEnd;
    else {
      FAST.ok = false;
      return 0;
    }
  }
  if (digits === 0 || exponent < -22 || exponent > 22) {
    FAST.ok = false;
    return 0;
  }
  mantissa = mantissa * POW10[chunkLen]! + chunk;
  let value =
    exponent === 0 ? mantissa : exponent > 0 ? mantissa * POW10[exponent]! : mantissa / POW10[-exponent]!;
  if (significant > 15) {
    const f = Math.fround(value);
    if (Math.fround(value * (1 - 2 ** -48)) !== f || Math.fround(value * (1 + 2 ** -48)) !== f) {
      FAST.ok = false;
      return 0;
    }
  }
  if (negative) value = -value;
  FAST.ok = true;
  FAST.end = end;
  return value;
}
