/**
 * The fast path of the CSV parser (`csv.ts`): one line of plain decimal numbers read in one pass,
 * into float32 values equal to the general path's.
 */
import { POW10 } from "./_number.js";

const NL = 10;

/**
 * Reads one line of `ncols` plain decimal numbers (`[-]digits[.digits]`) or empty fields (missing)
 * into `values` from `at`: the index after its newline (or the end), or -1 when the line holds
 * anything else — a blank line, spaces, quotes, exponents, words, a wrong column count, a number
 * that needs the exact path — and the general parser reads it instead, with the same values.
 *
 * A field's first nine digits are read into one int32 with no other bookkeeping (a request's
 * numbers are mostly that short, and then the value is their integer over a power of ten, exact);
 * a longer number goes on from there as `readNumberFast` reads one: significant digits counted
 * and gathered nine at a time, up to 19, the rounding checked.
 */
export function fastRow(
  bytes: Uint8Array,
  pos: number,
  ncols: number,
  delim: number,
  values: Float32Array,
  at: number,
): number {
  const n = bytes.length;
  let p = pos;
  const first = bytes[p];
  if (first === NL || first === 13) return -1; // blank
  for (let col = 0; col < ncols; col++) {
    let c = bytes[p];
    let negative = false;
    if (c === 45) {
      negative = true;
      c = bytes[++p];
    }
    const intStart = p;
    let stop = p + SHORT_DIGITS;
    let short = 0;
    while (p < stop && c !== undefined && c >= 48 && c <= 57) {
      short = short * 10 + (c - 48);
      c = bytes[++p];
    }
    const intDigits = p - intStart;
    let fracDigits = 0;
    let point = false;
    if (c === 46) {
      point = true;
      c = bytes[++p];
      const fracStart = p;
      stop++;
      while (p < stop && c !== undefined && c >= 48 && c <= 57) {
        short = short * 10 + (c - 48);
        c = bytes[++p];
      }
      fracDigits = p - fracStart;
      if (intDigits + fracDigits === 0) return -1; // "." or "-."
    }
    let f: number;
    if (c === undefined || c < 48 || c > 57) {
      // At most nine digits: exact.
      if (intDigits + fracDigits === 0) {
        if (negative) return -1;
        f = Number.NaN; // an empty field
      } else {
        f = Math.fround(fracDigits === 0 ? short : short / POW10[fracDigits]!);
        if (negative) f = -f;
      }
    } else {
      // More digits: on from what `readNumberFast`'s loops would hold after the same nine. Leading
      // zeros add nothing to `short`, so its significant digits are its own.
      let significant = short === 0 ? 0 : short >= 1e8 ? 9 : short >= 1e7 ? 8 : digitCount(short);
      let mantissa = 0;
      let chunk = short;
      let chunkLen = significant;
      if (chunkLen === 9) {
        mantissa = chunk;
        chunk = 0;
        chunkLen = 0;
      }
      let exponent = -fracDigits;
      if (!point) {
        while (c !== undefined && c >= 48 && c <= 57) {
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
          c = bytes[++p];
        }
        if (c === 46) c = bytes[++p];
      }
      while (c !== undefined && c >= 48 && c <= 57) {
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
        c = bytes[++p];
      }
      if (exponent < -22 || exponent > 22) return -1;
      mantissa = mantissa * POW10[chunkLen]! + chunk;
      const value =
        exponent === 0 ? mantissa : exponent > 0 ? mantissa * POW10[exponent]! : mantissa / POW10[-exponent]!;
      f = Math.fround(value);
      if (significant > 15) {
        // The mantissa was rounded: the float32 must not depend on it (else the exact path).
        if (Math.fround(value * (1 - 2 ** -48)) !== f || Math.fround(value * (1 + 2 ** -48)) !== f) return -1;
      }
      if (f === Number.POSITIVE_INFINITY) return -1; // over the float32 range: the error path
      if (negative) f = -f;
    }
    values[at + col] = f;
    if (col < ncols - 1) {
      if (c !== delim) return -1;
      p++;
    } else if (c === NL) return p + 1;
    else if (p === n) return p;
    else if (c === 13 && (p + 1 === n || bytes[p + 1] === NL)) return p + 2 > n ? n : p + 2;
    else return -1;
  }
  return -1;
}

/** Digits a field's first, bookkeeping-free pass reads (their integer fits an int32). */
const SHORT_DIGITS = 9;

/** Decimal digits of a positive integer below 1e9. */
function digitCount(x: number): number {
  let k = 1;
  while (k < 9 && x >= POW10[k]!) k++;
  return k;
}
