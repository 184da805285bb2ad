/**
 * CSV as SageMaker's XGBoost container reads it in File mode: the delimiter from Python's
 * `csv.Sniffer` on the first line of a file (`data_utils._get_csv_delimiter`), then XGBoost's own
 * CSV parser (dmlc-core `src/data/csv_parser.h`, `?format=csv&label_column=0`), which reads each
 * field with C's `strtof`: a label that is not a number (`setosa`, a header's `label`) is read as 0,
 * a feature that is not one as missing. Pure.
 */
import type { CsrMatrix, Dataset } from "../../../codecs/types.js";
import { UpstreamError } from "./hyperparameters.js";

const PREFERRED = [",", "\t", ";", " ", ":"];

/**
 * Python's `csv.Sniffer().sniff(line).delimiter` for one line, as the container calls it.
 *
 * @throws UpstreamError UserError `Could not determine delimiter on line …` as the container words it.
 */
export function sniffDelimiter(line: string): string {
  const d = quotedDelimiter(line) || guessDelimiter(line);
  if (!d)
    throw new UpstreamError(
      "UserError",
      `Could not determine delimiter on line ${line.slice(0, 50)}:\nCould not determine delimiter`,
    );
  return d;
}

/** `Sniffer._guess_quote_and_delimiter`: a delimiter beside quoted text, or "" when there is none. */
function quotedDelimiter(data: string): string {
  const D = `[^\\p{L}\\p{N}_\\n"']`;
  const patterns: Array<[RegExp, number]> = [
    [new RegExp(`(${D})( ?)(["']).*?\\3\\1`, "gsmu"), 1],
    [new RegExp(`(?:^|\\n)(["']).*?\\1(${D})( ?)`, "gsmu"), 2],
    [new RegExp(`(${D})( ?)(["']).*?\\3(?:$|\\n)`, "gsmu"), 1],
    [/(?:^|\n)(["']).*?\1(?:$|\n)/gmsu, 0],
  ];
  for (const [re, group] of patterns) {
    const matches = [...data.matchAll(re)];
    if (matches.length === 0) continue;
    if (group === 0) return "";
    const counts = new Map<string, number>();
    for (const m of matches) {
      const key = m[group];
      if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    let best = "";
    let bestCount = 0;
    // max() keeps the first of equal counts, in insertion order
    for (const [k, n] of counts)
      if (n > bestCount) {
        best = k;
        bestCount = n;
      }
    return best === "\n" ? "" : best;
  }
  return "";
}

/** `Sniffer._guess_delimiter` for the one line the container passes it. */
function guessDelimiter(sample: string): string {
  const lines = sample.split("\n").filter((l) => l !== "");
  if (lines.length === 0) return "";
  // Over one line every 7-bit character it holds is equally "consistent": a candidate.
  const counts = new Map<string, number>();
  for (let c = 0; c < 127; c++) {
    const ch = String.fromCharCode(c);
    let n = 0;
    for (const line of lines) n += line.split(ch).length - 1;
    if (n > 0 && lines.every((l) => l.split(ch).length - 1 === n / lines.length)) counts.set(ch, n);
  }
  if (counts.size === 0) return "";
  if (counts.size === 1) return [...counts.keys()][0]!;
  for (const d of PREFERRED) if (counts.has(d)) return d;
  // the most frequent, ties to the greater character
  return [...counts].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).at(-1)![0];
}

/** C's `strtof` at `s[i]`: the value and where the number ended (`end === i` when none was read). */
export function strtof(s: string, i: number): { value: number; end: number } {
  let p = i;
  while (p < s.length && /[ \t\n\v\f\r]/.test(s[p]!)) p++;
  const rest = s.slice(p);
  const special = /^([+-]?)(infinity|inf|nan(?:\([0-9A-Za-z_]*\))?)/i.exec(rest);
  if (special) {
    const sign = special[1] === "-" ? -1 : 1;
    const v = special[2]!.toLowerCase().startsWith("nan") ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    return { value: v, end: p + special[0].length };
  }
  const hex = /^([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?/.exec(
    rest,
  );
  if (hex) {
    const [int = "", frac = ""] = hex[2]!.split(".");
    let v = Number.parseInt(int || "0", 16);
    for (let k = 0; k < frac.length; k++) v += Number.parseInt(frac[k]!, 16) / 16 ** (k + 1);
    v *= 2 ** Number(hex[3] ?? 0);
    return { value: Math.fround(hex[1] === "-" ? -v : v), end: p + hex[0].length };
  }
  const dec = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(rest);
  if (!dec) return { value: 0, end: i };
  return { value: Math.fround(Number(dec[0])), end: p + dec[0].length };
}

/**
 * Parses CSV text as XGBoost's CSV parser does: label in column 0, the weight in column 1 when
 * `weights`, every other field a feature; blank lines skipped; a field that is not a number is
 * missing (a label, 0).
 *
 * @throws UpstreamError UserError `Failed to load csv data with exception: …` where XGBoost fails
 *   (a line without the delimiter).
 */
export function parseCsvAsXGBoost(
  text: string,
  options: { delimiter: string; weights: boolean },
): Dataset & {
  readonly unreadLabels: { readonly count: number; readonly first?: { line: number; text: string } };
} {
  const { delimiter, weights } = options;
  let unread = 0;
  let firstUnread: { line: number; text: string } | undefined;
  const labels: number[] = [];
  const weightValues: number[] = [];
  const indptr: number[] = [0];
  const indices: number[] = [];
  const values: number[] = [];
  let cols = 0;
  const body = text.startsWith("\ufeff") ? text.slice(1) : text;
  let lineNo = 0;
  for (const line of body.split(/\r\n|\n|\r/)) {
    lineNo++;
    if (line === "") continue;
    let p = 0;
    let column = 0;
    let idx = 0;
    let weight = Number.NaN;
    while (p < line.length || (p === 0 && column === 0)) {
      const { value, end } = strtof(line, p);
      if (column === 0) {
        labels.push(value);
        if (end === p) {
          unread++;
          firstUnread ??= { line: lineNo, text: line.slice(p).split(delimiter)[0] ?? "" };
        }
      } else if (weights && column === 1) weight = value;
      else {
        if (end !== p) {
          values.push(value);
          indices.push(idx);
        }
        idx++;
      }
      p = end;
      column++;
      while (p < line.length && line[p] !== delimiter) p++;
      if (p >= line.length && idx === 0) {
        throw new UpstreamError(
          "UserError",
          `Failed to load csv data with exception:\nDelimiter '${delimiter}' is not found in the line. Expected '${delimiter}' as the delimiter to separate fields.`,
        );
      }
      if (p < line.length) p++;
      else break;
    }
    cols = Math.max(cols, idx);
    if (!Number.isNaN(weight)) weightValues.push(weight);
    indptr.push(indices.length);
  }
  const features: CsrMatrix = {
    kind: "csr",
    rows: labels.length,
    cols,
    indptr: Uint32Array.from(indptr),
    indices: Uint32Array.from(indices),
    values: Float32Array.from(values),
  };
  return {
    features,
    unreadLabels: { count: unread, ...(firstUnread ? { first: firstUnread } : {}) },
    labels: Float32Array.from(labels),
    ...(weightValues.length === labels.length && weights ? { weights: Float32Array.from(weightValues) } : {}),
  };
}
