/**
 * `text/csv`: header-less rows of numbers, the label first when training (SageMaker's CSV
 * contract, https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost.html). Pure: bytes in, a float32 `Dataset` out. A header row is
 * never trained on silently: it is an error unless declared with `header: "present"`.
 */
import { SagebrewError } from "../errors/index.js";
import { fastRow } from "./_csv-row.js";
import { FAST, NOT_A_NUMBER, parseNumberField, quote, readNumberFast } from "./_number.js";
import type { Dataset } from "./types.js";

export type CsvDelimiter = "," | "\t" | ";" | "|";

export interface CsvOptions {
  /** File name (or `request body`) for error messages. */
  source: string;
  /** The first column is the label (training). Default false. */
  label?: boolean;
  /** The column after the label is an instance weight (`csv_weights=1`). Default false. */
  weight?: boolean;
  /** `present` skips the first non-blank line; `absent` (default) rejects a header-like first line. */
  header?: "absent" | "present";
  /** Field delimiter; by default sniffed from the first line among `,` tab `;` `|` (else `,`). */
  delimiter?: CsvDelimiter;
  /** Line number of the first byte, for errors in a slice of a larger file. Default 1. */
  firstLine?: number;
  /**
   * Expected column count, for a slice of a larger file whose first line was already checked: no
   * header check, no sniffing (pass `delimiter` too).
   */
  columns?: number;
}

const NL = 10;
const QUOTE = 34;
const CANDIDATES: readonly CsvDelimiter[] = [",", "\t", ";", "|"];

/** True when a line holds only spaces, tabs and a carriage return. */
function isBlank(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/** Finds the end of the line starting at `start` (index of `\n`, or `bytes.length`). */
function lineEnd(bytes: Uint8Array, start: number): number {
  const i = bytes.indexOf(NL, start);
  return i < 0 ? bytes.length : i;
}

/** Picks the delimiter that occurs most often outside quotes in one line (the first of a tie). */
export function sniffDelimiter(bytes: Uint8Array, start: number, end: number): CsvDelimiter {
  return lineLayout(bytes, start, end, undefined).delimiter;
}

/**
 * The delimiter (given, or sniffed as `sniffDelimiter` does) and the field count of one line, in
 * one pass: the four candidates counted outside quotes together (a 200-column line is read once).
 */
function lineLayout(
  bytes: Uint8Array,
  start: number,
  end: number,
  given: CsvDelimiter | undefined,
): { delimiter: CsvDelimiter; columns: number } {
  const counts = [0, 0, 0, 0]; // , \t ; |
  let inQuotes = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c === QUOTE) inQuotes = !inQuotes;
    else if (!inQuotes) {
      if (c === 44) counts[0]!++;
      else if (c === 9) counts[1]!++;
      else if (c === 59) counts[2]!++;
      else if (c === 124) counts[3]!++;
    }
  }
  let best = 0;
  if (given !== undefined) best = CANDIDATES.indexOf(given);
  else for (let i = 1; i < counts.length; i++) if (counts[i]! > counts[best]!) best = i;
  return { delimiter: CANDIDATES[best]!, columns: counts[best]! + 1 };
}

/** Splits one line into field boundaries [start0, end0, start1, end1, …]; quotes protect delimiters. */
function splitFields(bytes: Uint8Array, start: number, end: number, delim: number, out: number[]): number {
  out.length = 0;
  let p = start;
  for (;;) {
    const fieldStart = p;
    let inQuotes = false;
    while (p < end) {
      const c = bytes[p];
      if (c === QUOTE) inQuotes = !inQuotes;
      else if (c === delim && !inQuotes) break;
      p++;
    }
    out.push(fieldStart, p);
    if (p >= end) break;
    p++; // past the delimiter
  }
  return out.length / 2;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

function fieldText(bytes: Uint8Array, start: number, end: number): string {
  let s = decoder.decode(bytes.subarray(start, end)).trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1).replaceAll('""', '"');
  return s;
}

/**
 * Parses CSV bytes into a dense float32 dataset.
 *
 * @example parseCsv(new TextEncoder().encode("0,5.1,3.5\n1,6.2,2.9\n"), { source: "train.csv", label: true })
 * @throws SagebrewError SB_DATA_HEADER for an undeclared header; SB_DATA_PARSE naming source, line
 *   and column for a non-numeric, infinite or out-of-range value or a ragged row.
 */
export function parseCsv(bytes: Uint8Array, options: CsvOptions): Dataset {
  const source = options.source;
  const labelCols = options.label ? 1 : 0;
  const weightCols = options.label && options.weight ? 1 : 0;
  let line = options.firstLine ?? 1;
  let pos = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) pos = 3;

  // First data line (and the header, if declared).
  let firstStart = -1;
  let firstEnd = -1;
  let headerSkipped = options.header !== "present" || options.columns !== undefined;
  while (pos < bytes.length) {
    const end = lineEnd(bytes, pos);
    if (!isBlank(bytes, pos, end)) {
      if (!headerSkipped) {
        headerSkipped = true;
      } else {
        firstStart = pos;
        firstEnd = end;
        break;
      }
    }
    pos = end + 1;
    line++;
  }
  if (firstStart < 0) {
    return { features: { kind: "dense", rows: 0, cols: 0, values: new Float32Array(0) } };
  }
  const layout =
    options.columns === undefined ? lineLayout(bytes, firstStart, firstEnd, options.delimiter) : undefined;
  const delimiter = options.delimiter ?? layout?.delimiter ?? ",";
  const delim = delimiter.charCodeAt(0);
  const ncols = options.columns ?? layout!.columns;
  const nfeat = ncols - labelCols - weightCols;
  if (nfeat < 1) {
    throw new SagebrewError(
      "SB_DATA_SHAPE",
      `Cannot parse CSV ${source} line ${line}: expected a label${weightCols ? ", a weight" : ""} and at least one feature, got ${ncols} column${ncols === 1 ? "" : "s"}`,
    );
  }
  // A header is looked for only when the first line does not read as data (a line of numbers is
  // never one): see the catch below.
  const headerCheck = options.header !== "present" && options.columns === undefined;
  const firstDataLine = line;

  // Upper bound on rows. A small request without a label is read into a buffer kept between
  // calls, sized by what its bytes can hold — a row of `ncols` fields takes at least `ncols` bytes
  // with its newline — and copied out at its exact length: no pass over it to count its lines.
  // Otherwise one row per newline, plus a last line without one: exact unless lines are blank, so
  // the arrays are usually returned whole. Short bodies and short lines are counted in a loop: a
  // native `indexOf` per line costs more than it saves there (375,000 iris lines of a 6 MB
  // request: 55 ms of calls).
  const lead = labelCols + weightCols;
  const small = lead === 0 && bytes.length - firstStart <= SMALL_BODY;
  let upper = bytes[bytes.length - 1] === NL ? 0 : 1;
  if (small) upper = Math.floor((bytes.length - firstStart + 1) / ncols);
  else if (bytes.length - firstStart < 65_536 || firstEnd - firstStart < 256) {
    for (let i = firstStart; i < bytes.length; i++) if (bytes[i] === NL) upper++;
  } else for (let i = bytes.indexOf(NL, firstStart); i >= 0; i = bytes.indexOf(NL, i + 1)) upper++;
  let values = small ? smallValues(upper * nfeat) : new Float32Array(upper * nfeat);
  const labels = labelCols ? new Float32Array(upper) : undefined;
  const weights = weightCols ? new Float32Array(upper) : undefined;
  let labelStrings: string[] | undefined;
  let firstNumericLabelLine = 0;

  let rows = 0;
  pos = firstStart;
  // Lines of plain numbers (the usual request, and numeric training rows) are read by `fastRow`,
  // anything else below. With a label (and a weight) the row goes through `scratch` first: a
  // label must be finite and a weight finite and >= 0, or the general path reports the line.
  const scratch = lead > 0 ? new Float32Array(ncols) : undefined;
  try {
    while (pos < bytes.length) {
      // (The bound holds, but a row past it must not be lost, only read slower.)
      if (small && (rows + 1) * nfeat > values.length) values = smallValues((rows + 1) * nfeat, values);
      if (!scratch) {
        const next = fastRow(bytes, pos, ncols, delim, values, rows * nfeat);
        if (next >= 0) {
          rows++;
          line++;
          pos = next;
          continue;
        }
      } else if (!labelStrings) {
        const next = fastRow(bytes, pos, ncols, delim, scratch, 0);
        const label = scratch[0]!;
        const weight = weightCols ? scratch[1]! : 0;
        if (next >= 0 && Number.isFinite(label) && Number.isFinite(weight) && weight >= 0) {
          if (rows === 0) firstNumericLabelLine = line;
          labels![rows] = label;
          if (weights) weights[rows] = weight;
          values.set(scratch.subarray(lead), rows * nfeat);
          rows++;
          line++;
          pos = next;
          continue;
        }
      }
      const end = lineEnd(bytes, pos);
      if (isBlank(bytes, pos, end)) {
        pos = end + 1;
        line++;
        continue;
      }
      // Fields, parsed in place: column j spans [s, p).
      let p = pos;
      let col = 0;
      const rowBase = rows * nfeat;
      for (;;) {
        const s = p;
        // One pass for plain numbers; the general scan and parser for anything else.
        let v: number | typeof NOT_A_NUMBER = readNumberFast(bytes, s, end, delim);
        if (FAST.ok) p = FAST.end;
        else {
          let inQuotes = false;
          while (p < end) {
            const c = bytes[p];
            if (c === delim && !inQuotes) break;
            if (c === QUOTE) inQuotes = !inQuotes;
            p++;
          }
          v = parseNumberField(bytes, s, p);
        }
        if (col >= ncols) {
          throw raggedError(bytes, pos, end, delim, ncols, source, line);
        }
        if (col < labelCols) {
          if (v === NOT_A_NUMBER || labelStrings) {
            if (!labelStrings) {
              if (rows > 0) {
                throw new SagebrewError(
                  "SB_DATA_PARSE",
                  `Cannot parse CSV ${source} line ${line} column 1: label ${quote(bytes, s, p)} is not a number, but the label on line ${firstNumericLabelLine} was`,
                );
              }
              labelStrings = [];
            }
            const text = fieldText(bytes, s, p);
            if (text === "") {
              throw new SagebrewError(
                "SB_DATA_PARSE",
                `Cannot parse CSV ${source} line ${line} column 1: the label is empty`,
              );
            }
            labelStrings.push(text);
          } else {
            if (!Number.isFinite(v)) {
              throw new SagebrewError(
                "SB_DATA_PARSE",
                `Cannot parse CSV ${source} line ${line} column 1: label ${quote(bytes, s, p)} is ${Number.isNaN(v) ? "missing" : "not finite"}`,
              );
            }
            if (rows === 0) firstNumericLabelLine = line;
            labels![rows] = v;
          }
        } else if (col < labelCols + weightCols) {
          if (v === NOT_A_NUMBER || !Number.isFinite(v) || v < 0) {
            throw new SagebrewError(
              "SB_DATA_PARSE",
              `Cannot parse CSV ${source} line ${line} column ${col + 1}: weight ${quote(bytes, s, p)} is not a finite number >= 0`,
            );
          }
          weights![rows] = v;
        } else {
          if (v === NOT_A_NUMBER) {
            throw new SagebrewError(
              "SB_DATA_PARSE",
              `Cannot parse CSV ${source} line ${line} column ${col + 1}: ${quote(bytes, s, p)} is not a number`,
            );
          }
          const f = Math.fround(v);
          if (f === Number.POSITIVE_INFINITY || f === Number.NEGATIVE_INFINITY) {
            throw new SagebrewError(
              "SB_DATA_PARSE",
              `Cannot parse CSV ${source} line ${line} column ${col + 1}: ${quote(bytes, s, p)} is ${Number.isFinite(v) ? "outside the float32 range" : "not a finite number"}`,
            );
          }
          values[rowBase + col - labelCols - weightCols] = f;
        }
        col++;
        if (p >= end) break;
        p++;
      }
      if (col !== ncols) throw raggedError(bytes, pos, end, delim, ncols, source, line);
      rows++;
      pos = end + 1;
      line++;
    }
  } catch (e) {
    // The first line does not read as data: a header, unless it holds a number or a label.
    if (headerCheck && line === firstDataLine) {
      const bounds: number[] = [];
      splitFields(bytes, firstStart, firstEnd, delim, bounds);
      rejectHeader(bytes, bounds, ncols, source, line);
    }
    throw e;
  }

  const n = rows * nfeat;
  if (small) return { features: { kind: "dense", rows, cols: nfeat, values: values.slice(0, n) } };
  const head = (a: Float32Array, n: number) => (a.length === n ? a : a.subarray(0, n));
  const features = { kind: "dense" as const, rows, cols: nfeat, values: head(values, n) };
  return {
    features,
    ...(labels && !labelStrings ? { labels: head(labels, rows) } : {}),
    ...(labelStrings ? { labelStrings } : {}),
    ...(weights ? { weights: head(weights, rows) } : {}),
  };
}

/** Bodies up to this many bytes (after the header) are read into `smallValues`' buffer. */
const SMALL_BODY = 16_384;

let smallBuffer = new Float32Array(1024);

/**
 * The buffer small bodies are read into, at least `n` long, holding `kept`'s values (kept between
 * calls: at most 128 KiB).
 */
function smallValues(n: number, kept?: Float32Array): Float32Array {
  if (smallBuffer.length < n) {
    const grown = new Float32Array(2 ** Math.ceil(Math.log2(n)));
    if (kept) grown.set(kept);
    smallBuffer = grown;
  }
  return smallBuffer;
}

function raggedError(
  bytes: Uint8Array,
  start: number,
  end: number,
  delim: number,
  ncols: number,
  source: string,
  line: number,
): SagebrewError {
  const got = splitFields(bytes, start, end, delim, []);
  return new SagebrewError(
    "SB_DATA_PARSE",
    `Cannot parse CSV ${source} line ${line}: expected ${ncols} columns, got ${got}`,
  );
}

function rejectHeader(
  bytes: Uint8Array,
  bounds: number[],
  ncols: number,
  source: string,
  line: number,
): void {
  let words = 0;
  for (let j = 0; j < ncols; j++) {
    const s = bounds[2 * j]!;
    const e = bounds[2 * j + 1]!;
    const v = parseNumberField(bytes, s, e);
    if (v === NOT_A_NUMBER && /^[\p{L}_"]/u.test(fieldText(bytes, s, e) || "0")) words++;
  }
  // A header names every column; a data row with a string label has numbers after it.
  if (words === ncols && ncols > 0) {
    const preview = quote(bytes, bounds[0]!, bounds[2 * ncols - 1]!);
    throw new SagebrewError(
      "SB_DATA_HEADER",
      `Cannot read CSV ${source}: line ${line} looks like a header (${preview}); SageMaker CSV has no header row — remove it, or declare it with content type "text/csv;header=present"`,
    );
  }
}

/**
 * The delimiter and column count of the first data line (after a BOM, blank lines and, when
 * `header` is `present`, the header), or undefined when there is no complete data line yet.
 */
export function csvLayout(
  bytes: Uint8Array,
  options: { header?: "absent" | "present"; delimiter?: CsvDelimiter } = {},
): { delimiter: CsvDelimiter; columns: number } | undefined {
  let pos = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let headerSkipped = options.header !== "present";
  while (pos < bytes.length) {
    const nl = bytes.indexOf(NL, pos);
    if (nl < 0) return undefined;
    if (!isBlank(bytes, pos, nl)) {
      if (headerSkipped) {
        const delimiter = options.delimiter ?? sniffDelimiter(bytes, pos, nl);
        return { delimiter, columns: splitFields(bytes, pos, nl, delimiter.charCodeAt(0), []) };
      }
      headerSkipped = true;
    }
    pos = nl + 1;
  }
  return undefined;
}
