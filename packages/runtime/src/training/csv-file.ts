/**
 * Loads a CSV file for training. Small files are read and parsed at once; large ones are streamed
 * and parsed by several threads, each over a line-aligned byte range, and arrive as batches of
 * rows in file order — so a large file is never held in memory whole, and every core parses.
 */
import { open, readFile, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { type CsvDelimiter, parseCsv, sniffDelimiter } from "../codecs/csv.js";
import type { Dataset } from "../codecs/types.js";
import { isErrorCode, SagebrewError } from "../errors/index.js";
import { startWorker } from "../node/worker.js";
import { CSV_MAX_LINE_BYTES, type CsvRange, lineTooLong, parseCsvRange, sizeText } from "./_csv-range.js";

export interface CsvFileOptions {
  readonly source: string;
  readonly weight: boolean;
  readonly header: "absent" | "present";
  /** Parse threads for a large file; default the CPU count. */
  readonly threads?: number;
  /** Files at least this large are streamed in parallel. Default 16 MiB. */
  readonly parallelFrom?: number;
  /** The longest line a streamed file may hold, in bytes. Default `CSV_MAX_LINE_BYTES` (1 MiB). */
  readonly maxLineBytes?: number;
}

const NL = 10;

async function readAt(path: string, position: number, length: number): Promise<Buffer> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, position);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * The byte offset just after the next newline at or after `pos`; `size` when there is none within
 * `maxLine` bytes — that line is too long, and the range before reports it.
 */
async function nextLineStart(path: string, pos: number, size: number, maxLine: number): Promise<number> {
  const end = Math.min(size, pos + maxLine + 1);
  for (let at = pos; at < end; at += 1 << 16) {
    const buf = await readAt(path, at, Math.min(1 << 16, end - at));
    const i = buf.indexOf(NL);
    if (i >= 0) return at + i + 1;
  }
  return size;
}

/** Parses a CSV training file into one or more batches of rows, in file order. */
export async function loadCsvFile(path: string, options: CsvFileOptions): Promise<Dataset[]> {
  const { size } = await stat(path);
  if (size < (options.parallelFrom ?? 16 << 20)) {
    const d = parseCsv(await readFile(path), {
      source: options.source,
      label: true,
      weight: options.weight,
      header: options.header,
    });
    return d.features.rows > 0 ? [d] : [];
  }
  // The head settles the header, the delimiter and the column count for the whole file.
  const maxLine = options.maxLineBytes ?? CSV_MAX_LINE_BYTES;
  const head = await readAt(path, 0, Math.min(size, maxLine + 1));
  let pos = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  let line = 1;
  let seenHeader = options.header !== "present";
  // The end of the line at `from`: a newline, the end of a file read whole, else the line is too long.
  const lineEnd = (from: number): number => {
    const nl = head.indexOf(NL, from);
    if (nl >= 0 && nl - from <= maxLine) return nl;
    if (nl < 0 && head.length === size && size - from <= maxLine) return size;
    throw lineTooLong(options.source, line, maxLine);
  };
  for (;;) {
    if (pos >= head.length) {
      // Blank lines (and a header) only: an empty file if that is all of it, as for a small file.
      if (head.length === size) return [];
      throw new SagebrewError(
        "SB_DATA_PARSE",
        `Cannot parse CSV ${options.source}: no data line in its first ${sizeText(head.length)}`,
      );
    }
    const nl = lineEnd(pos);
    const text = head.subarray(pos, nl);
    if (text.some((c) => c !== 32 && c !== 9 && c !== 13)) {
      if (seenHeader) break;
      seenHeader = true;
    }
    pos = nl + 1;
    line++;
  }
  const first = head.subarray(pos, lineEnd(pos));
  const probe = parseCsv(first, {
    source: options.source,
    label: true,
    weight: options.weight,
    firstLine: line,
  });
  const delimiter: CsvDelimiter = sniffDelimiter(first, 0, first.length);
  const columns = probe.features.cols + 1 + (options.weight ? 1 : 0);
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), 16));
  const bounds = [pos];
  for (let t = 1; t < threads; t++) {
    const from = pos + Math.floor(((size - pos) * t) / threads);
    bounds.push(Math.max(bounds[t - 1]!, await nextLineStart(path, from, size, maxLine)));
  }
  bounds.push(size);
  const ranges: CsvRange[] = [];
  for (let t = 0; t < threads; t++) {
    if (bounds[t + 1]! <= bounds[t]!) continue;
    ranges.push({
      path,
      source: options.source,
      start: bounds[t]!,
      end: bounds[t + 1]!,
      ...(t === 0 ? { firstLine: line } : {}),
      columns,
      delimiter,
      label: true,
      weight: options.weight,
      maxLineBytes: maxLine,
    });
  }
  // The first range is parsed on this thread while the parse threads start: a thread takes tens of
  // milliseconds to boot, a sizeable share of a file of a few hundred MB.
  const [here, ...elsewhere] = ranges;
  const threaded = elsewhere.map((range) => parseInThread(range, options.source));
  const results = await Promise.all([
    here ? parseHere(here, options.source) : Promise.resolve([]),
    ...threaded,
  ]);
  return results.flat();
}

/** An error of a parse, on this thread or another, as the loader reports it. */
function loadError(
  source: string,
  code: string | undefined,
  message: string,
  cause?: unknown,
): SagebrewError {
  if (isErrorCode(code)) return new SagebrewError(code, message, cause === undefined ? {} : { cause });
  return new SagebrewError(
    "SB_DATA_READ",
    `Cannot read ${source}: ${message}`,
    cause === undefined ? {} : { cause },
  );
}

async function parseHere(range: CsvRange, source: string): Promise<Dataset[]> {
  const batches: Dataset[] = [];
  try {
    await parseCsvRange(range, (d) => {
      batches.push(d);
    });
  } catch (e) {
    if (e instanceof SagebrewError) throw e;
    const err = e as { code?: string; message?: string };
    throw loadError(source, err.code, err.message ?? String(e), e);
  }
  return batches;
}

function parseInThread(range: CsvRange, source: string): Promise<Dataset[]> {
  return new Promise<Dataset[]>((resolve, reject) => {
    const batches: Dataset[] = [];
    const worker = startWorker(import.meta.url, "_csv-worker", range);
    worker.on(
      "message",
      (m: { batch?: Dataset; done?: true; error?: { code?: string; message: string } }) => {
        if (m.batch) batches.push(m.batch);
        else if (m.done) {
          resolve(batches);
          void worker.terminate();
        } else if (m.error) {
          reject(loadError(source, m.error.code, m.error.message));
          void worker.terminate();
        }
      },
    );
    worker.on("error", (e) =>
      reject(new SagebrewError("SB_INTERNAL", `CSV parse thread failed: ${e.message}`, { cause: e })),
    );
  });
}

export { parseCsvRange };
