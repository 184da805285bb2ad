/**
 * Decodes Parquet training files on a separate thread under a time budget. hyparquet (the Parquet
 * reader, 1.17 through at least 1.31) trusts the run lengths inside data pages: a corrupt page can
 * make it loop billions of times, which no check of the headers can see (`codecs/_parquet-guard.ts`
 * catches what the headers show). On its own thread such a file is stopped when the budget runs
 * out and reported as corrupt, instead of hanging the training job. The thread is reused for the
 * files of a job and does not keep the process alive when idle.
 */
import type { Worker } from "node:worker_threads";
import type { Dataset } from "../codecs/types.js";
import { isErrorCode, SagebrewError } from "../errors/index.js";
import { startWorker } from "../node/worker.js";

/** The time a file may take: 10 s, plus 2 s per MB of Parquet (hyparquet reads tens of MB a second). */
export function parquetBudgetMs(bytes: number): number {
  return 10_000 + Math.ceil((2_000 * bytes) / 1e6);
}

interface Pending {
  resolve(d: Dataset): void;
  reject(e: unknown): void;
}

let worker: Worker | undefined;
const pending = new Map<number, Pending>();
let nextId = 1;

function thread(): Worker {
  if (worker) return worker;
  const w = startWorker(import.meta.url, "_parquet-worker", undefined);
  w.unref();
  w.on("message", (m: { id: number; ok: boolean; dataset?: Dataset; code?: string; message?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    if (m.ok) p.resolve(m.dataset!);
    else
      p.reject(
        new SagebrewError(
          isErrorCode(m.code) ? m.code : "SB_DATA_PARSE",
          m.message ?? "Parquet decoding failed",
        ),
      );
  });
  w.on("error", (e) => {
    for (const p of pending.values())
      p.reject(new SagebrewError("SB_INTERNAL", `Parquet thread failed: ${e.message}`, { cause: e }));
    pending.clear();
    if (worker === w) worker = undefined;
  });
  worker = w;
  return w;
}

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
  const w = thread();
  const id = nextId++;
  return new Promise<Dataset>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (!pending.delete(id)) return;
      // The thread is stuck in the library: stop it (and anything queued behind it).
      if (worker === w) worker = undefined;
      const stopped = new SagebrewError(
        "SB_DATA_PARSE",
        `Cannot read Parquet file ${options.source}: decoding did not finish within ${budget / 1000} s; the file is corrupt (a data page claims far more values than it holds)`,
      );
      for (const p of pending.values()) p.reject(stopped);
      pending.clear();
      void w.terminate();
      reject(stopped);
    }, budget);
    pending.set(id, {
      resolve: (d) => {
        clearTimeout(timer);
        resolve(d);
      },
      reject: (e) => {
        clearTimeout(timer);
        reject(e);
      },
    });
    w.ref();
    // A copy: the caller keeps its bytes, and a file is small next to the rows it holds.
    const copy = bytes.slice();
    w.postMessage({ id, bytes: copy, source: options.source }, [copy.buffer as ArrayBuffer]);
  });
}
