/**
 * Decodes Parquet training files on a separate thread under a time budget. hyparquet (the Parquet
 * reader, 1.17 through at least 1.31) trusts the run lengths inside data pages: a corrupt page can
 * make it loop billions of times, which no check of the headers can see (`codecs/_parquet-guard.ts`
 * catches what the headers show). On its own thread such a file is stopped when the budget runs
 * out and reported as corrupt, instead of hanging the training job. The thread is reused for the
 * files of a job and does not keep the process alive when idle.
 */
import type { Dataset } from "../codecs/types.js";
import { SagebrewError } from "../errors/index.js";
import { RequestWorker } from "../node/worker.js";

/** The time a file may take: 10 s, plus 2 s per MB of Parquet (hyparquet reads tens of MB a second). */
export function parquetBudgetMs(bytes: number): number {
  return 10_000 + Math.ceil((2_000 * bytes) / 1e6);
}

let thread: RequestWorker | undefined;

/**
 * Decodes one Parquet file (as `decodeParquet`) on the Parquet thread.
 *
 * @throws SagebrewError SB_DATA_PARSE naming `source` when the file is not valid Parquet, or when
 *   decoding runs over `budgetMs` (default `parquetBudgetMs(bytes.length)`).
 */
export function decodeParquetFile(
  bytes: Uint8Array,
  options: { source: string; budgetMs?: number },
): Promise<Dataset> {
  const budget = options.budgetMs ?? parquetBudgetMs(bytes.length);
  thread ??= new RequestWorker(import.meta.url, "_parquet-worker", undefined, {
    label: "The Parquet thread",
    fallbackCode: "SB_DATA_PARSE",
    onDead: () => {
      thread = undefined;
    },
  });
  const w = thread;
  // A copy: the caller keeps its bytes, and a file is small next to the rows it holds.
  const copy = bytes.slice();
  const decoded = w.request<Dataset>({ bytes: copy, source: options.source }, [copy.buffer as ArrayBuffer]);
  let timer: NodeJS.Timeout | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // The thread is stuck in the library: stop it (and anything queued behind it).
      if (thread === w) thread = undefined;
      const error = new SagebrewError(
        "SB_DATA_PARSE",
        `Cannot read Parquet file ${options.source}: decoding did not finish within ${budget / 1000} s; the file is corrupt (a data page claims far more values than it holds)`,
      );
      // It runs no native code, so it can be terminated at once.
      void w.stop(error, { graceMs: 0 });
      reject(error);
    }, budget);
  });
  return Promise.race([decoded, stopped]).finally(() => clearTimeout(timer));
}
