/**
 * Streams one byte range of a CSV file (aligned to line starts) through `parseCsv`, a block of
 * whole lines at a time, so a large file is never held in memory whole. Used by the parse threads
 * of `csv-file.ts`, and directly for one range.
 */
import { open } from "node:fs/promises";
import { type CsvDelimiter, csvLayout, parseCsv } from "../codecs/csv.js";
import type { Dataset } from "../codecs/types.js";
import { isSagebrewError } from "../errors/index.js";

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
}

const NL = 10;

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

/** Parses the range; calls `onBatch` with each block's rows, in order. */
export async function parseCsvRange(range: CsvRange, onBatch: (d: Dataset) => void): Promise<void> {
  // 32 MiB blocks: XGBoost sketches each batch separately, so fewer, larger batches build faster.
  const blockBytes = range.blockBytes ?? 32 << 20;
  const fh = await open(range.path, "r");
  try {
    // One buffer, reused for every block: the carried partial line moves to its front.
    let buf = Buffer.allocUnsafe(blockBytes * 2);
    let carryLen = 0;
    let pos = range.start;
    let relLine = 0; // lines before the current block, relative to the range start
    let columns = range.columns;
    let delimiter = range.delimiter;
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
      const block = buf.subarray(0, blockLen);
      const atEnd = pos >= range.end;
      const cut = atEnd ? blockLen : block.lastIndexOf(NL) + 1;
      if (cut <= 0) {
        carryLen = blockLen; // a line longer than a block: read more
        continue;
      }
      const lines = block.subarray(0, cut);
      const base = { source: range.source, label: range.label, weight: range.weight };
      // The first block of a stream settles the layout (and checks for a header).
      const layout = { columns, delimiter };
      const options =
        layout.columns === undefined ? { ...base, header: range.header ?? "absent" } : { ...base, ...layout };
      let d: Dataset;
      try {
        d = parseCsv(lines, { ...options, firstLine: (range.firstLine ?? 1) + relLine });
        if (columns === undefined) {
          const found = csvLayout(lines, { header: range.header ?? "absent" });
          if (found) {
            columns = found.columns;
            delimiter = found.delimiter;
          }
        }
      } catch (e) {
        if (!isSagebrewError(e) || range.firstLine !== undefined) throw e;
        // Name the true line: count the lines before this block, then parse it again.
        const before = await countLines(range.path, pos - blockLen);
        d = parseCsv(lines, { ...options, firstLine: before + 1 });
      }
      if (d.features.rows > 0) onBatch(d);
      let n = 0;
      for (let i = lines.indexOf(NL); i >= 0; i = lines.indexOf(NL, i + 1)) n++;
      relLine += n;
      carryLen = blockLen - cut;
      buf.copyWithin(0, cut, blockLen);
      if (atEnd && carryLen === 0) break;
    }
  } finally {
    await fh.close();
  }
}
