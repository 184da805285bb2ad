/**
 * Streams one byte range of a CSV file (aligned to line starts) through `parseCsv`, a block of
 * whole lines at a time, so a large file is never held in memory whole. Used by the parse threads
 * of `csv-file.ts`, and directly for one range.
 */
import { open } from "node:fs/promises";
import { type CsvDelimiter, csvLayout, parseCsv } from "../codecs/csv.js";
import type { Dataset } from "../codecs/types.js";
import { isSagebrewError, SagebrewError } from "../errors/index.js";

export interface CsvRange {
  readonly path: string;
  readonly source: string;
  readonly start: number;
  /** End offset; `Infinity` reads to EOF (a pipe). */
  readonly end: number;
  /** Read sequentially (a FIFO) instead of at offsets. */
  readonly sequential?: boolean;
  /** Header handling of the first block when `columns` is not known yet. */
  readonly header?: "absent" | "present";
  /** Line number at `start`, when known (range 0); else computed only if an error needs it. */
  readonly firstLine?: number;
  /** Column count and delimiter when already settled (a later range); else the first block settles them. */
  readonly columns?: number;
  readonly delimiter?: CsvDelimiter;
  readonly label: boolean;
  readonly weight: boolean;
  readonly blockBytes?: number;
  /** The longest line allowed, in bytes (default `CSV_MAX_LINE_BYTES`). */
  readonly maxLineBytes?: number;
}

/**
 * The longest CSV line a streamed file may hold: 1 MiB (tens of thousands of columns). A longer
 * line is reported as such, at its number, instead of being gathered (a file of 2 GB of NULs after
 * a thousand good lines once grew one line to gigabytes and died in V8).
 */
export const CSV_MAX_LINE_BYTES = 1 << 20;

const NL = 10;

/** `1 MiB`, `4 KiB` or `100 bytes`, for messages. */
export function sizeText(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1 << 10 && bytes % (1 << 10) === 0) return `${bytes / (1 << 10)} KiB`;
  return `${bytes} bytes`;
}

/** The error for line `line` of `source` being longer than `maxLineBytes`. */
export function lineTooLong(source: string, line: number, maxLineBytes: number): SagebrewError {
  return new SagebrewError(
    "SB_DATA_PARSE",
    `Cannot parse CSV ${source} line ${line}: the line is longer than ${sizeText(maxLineBytes)}`,
  );
}

/**
 * Counts the lines of `block` (its newlines) and finds the first line longer than `max` bytes — the
 * unfinished last line included, whose length so far is known. `longStart` is that line's offset.
 */
function scanLines(block: Uint8Array, max: number): { lines: number; longIndex: number; longStart: number } {
  let start = 0;
  let lines = 0;
  for (let i = block.indexOf(NL); i >= 0; i = block.indexOf(NL, i + 1)) {
    if (i - start > max) return { lines, longIndex: lines, longStart: start };
    lines++;
    start = i + 1;
  }
  if (block.length - start > max) return { lines, longIndex: lines, longStart: start };
  return { lines, longIndex: -1, longStart: -1 };
}

async function countLines(path: string, end: number): Promise<number> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.allocUnsafe(8 << 20);
    let lines = 0;
    for (let pos = 0; pos < end; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) break;
      for (let i = buf.indexOf(NL, 0); i >= 0 && i < bytesRead; i = buf.indexOf(NL, i + 1)) lines++;
      pos += bytesRead;
    }
    return lines;
  } finally {
    await fh.close();
  }
}

/** The column count and delimiter of a range, settled by its first block when not given. */
interface Layout {
  columns: number | undefined;
  delimiter: CsvDelimiter | undefined;
}

/** Parses the range; calls `onBatch` with each block's rows, in order (awaited: a slow consumer holds the reading back). */
export async function parseCsvRange(range: CsvRange, onBatch: (d: Dataset) => unknown): Promise<void> {
  // 32 MiB blocks: XGBoost sketches each batch separately, so fewer, larger batches build faster.
  const blockBytes = range.blockBytes ?? 32 << 20;
  const maxLine = range.maxLineBytes ?? CSV_MAX_LINE_BYTES;
  const layout: Layout = { columns: range.columns, delimiter: range.delimiter };
  const fh = await open(range.path, "r");
  try {
    // One buffer, reused for every block: the carried partial line (at most maxLine bytes) moves to
    // its front, so the buffer never outgrows two blocks and a line.
    let buf = Buffer.allocUnsafe(blockBytes * 2);
    let carryLen = 0;
    let pos = range.start;
    let relLine = 0; // lines before the current block, relative to the range start
    for (;;) {
      const want = Math.min(blockBytes, range.end - pos);
      if (carryLen + want > buf.length) {
        const bigger = Buffer.allocUnsafe((carryLen + want) * 2);
        buf.copy(bigger, 0, 0, carryLen);
        buf = bigger;
      }
      let bytesRead = 0;
      if (want > 0) {
        bytesRead = (await fh.read(buf, carryLen, want, range.sequential ? null : pos)).bytesRead;
        pos += bytesRead;
        if (bytesRead === 0) pos = range.end;
      }
      const blockLen = carryLen + bytesRead;
      if (blockLen === 0) break;
      const blockStart = pos - blockLen;
      const atEnd = pos >= range.end;
      // A line over the limit ends the range: the lines before it are parsed first (an error there
      // comes first), then it is reported without being read any further.
      const scan = scanLines(buf.subarray(0, blockLen), maxLine);
      const long = scan.longIndex >= 0;
      const block = buf.subarray(0, long ? scan.longStart : blockLen);
      const cut = atEnd || long ? block.length : block.lastIndexOf(NL) + 1;
      if (cut <= 0 && !long) {
        carryLen = blockLen; // a line longer than a block: read more
        continue;
      }
      if (cut > 0) {
        const d = await parseBlock(range, block.subarray(0, cut), { relLine, blockStart, layout });
        if (d.features.rows > 0) await onBatch(d);
      }
      if (long) {
        const blockFirstLine =
          range.firstLine !== undefined
            ? range.firstLine + relLine
            : (await countLines(range.path, blockStart)) + 1;
        throw lineTooLong(range.source, blockFirstLine + scan.longIndex, maxLine);
      }
      relLine += scan.lines;
      carryLen = blockLen - cut;
      buf.copyWithin(0, cut, blockLen);
      if (atEnd && carryLen === 0) break;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Parses a block of whole lines. `relLine` is the number of lines of the range before it,
 * `blockStart` its file offset; `layout` is settled by the first block of a stream.
 */
async function parseBlock(
  range: CsvRange,
  lines: Uint8Array,
  at: { relLine: number; blockStart: number; layout: Layout },
): Promise<Dataset> {
  const { layout } = at;
  const base = { source: range.source, label: range.label, weight: range.weight };
  // The first block of a stream settles the layout (and checks for a header).
  const options =
    layout.columns === undefined
      ? { ...base, header: range.header ?? "absent" }
      : { ...base, columns: layout.columns, delimiter: layout.delimiter };
  try {
    const d = parseCsv(lines, { ...options, firstLine: (range.firstLine ?? 1) + at.relLine });
    if (layout.columns === undefined) {
      const found = csvLayout(lines, { header: range.header ?? "absent" });
      if (found) {
        layout.columns = found.columns;
        layout.delimiter = found.delimiter;
      }
    }
    return d;
  } catch (e) {
    if (!isSagebrewError(e) || range.firstLine !== undefined) throw e;
    // Name the true line: count the lines before this block, then parse it again.
    const before = await countLines(range.path, at.blockStart);
    return parseCsv(lines, { ...options, firstLine: before + 1 });
  }
}
