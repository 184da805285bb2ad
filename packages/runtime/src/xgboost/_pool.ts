/**
 * A small pool of worker threads for XGBoost calls that take long (a boosting round, a large
 * prediction): the event loop keeps serving signals, progress, logs and pings meanwhile.
 * Handles are plain numbers shared by every thread of the process; XGBoost's prediction is
 * thread-safe, so one booster serves every thread.
 */
import { availableParallelism } from "node:os";
import { SagebrewError } from "../errors/index.js";
import { RequestWorker } from "../node/worker.js";
import { loadXGBoost } from "./_library.js";
import type { Job } from "./_ops.js";

export class XGBoostPool {
  readonly size: number;
  readonly #slots: RequestWorker[] = [];
  #closed = false;

  constructor(size: number = availableParallelism()) {
    this.size = Math.max(1, Math.floor(size));
  }

  #slot(pin?: number): RequestWorker {
    if (pin !== undefined && this.#slots[pin]) return this.#slots[pin]!;
    let best: RequestWorker | undefined;
    for (const s of this.#slots) if (!best || s.busy < best.busy) best = s;
    if (best && (best.busy === 0 || this.#slots.length >= this.size)) return best;
    const slot = new RequestWorker(
      import.meta.url,
      "_worker",
      { libraryPath: loadXGBoost().path },
      {
        label: "XGBoost worker thread",
        fallbackCode: "SB_XGBOOST",
      },
    );
    this.#slots.push(slot);
    return slot;
  }

  /**
   * Runs one job on a pool thread. XGBoost keeps a booster's prediction cache per thread, so the
   * rounds and evaluations of one booster go to one thread: pass the `pin` that `pinSlot()` gave.
   */
  run<T>(job: Job, transfer: ArrayBuffer[] = [], pin?: number): Promise<T> {
    if (this.#closed) return Promise.reject(new SagebrewError("SB_INTERNAL", "XGBoost pool is closed"));
    return this.#slot(pin).request<T>({ job }, transfer);
  }

  /** Chooses a thread for a booster's training work and returns its index. */
  pinSlot(): number {
    return this.#slots.indexOf(this.#slot());
  }

  /** Stops the threads. Jobs still running are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      this.#slots.map((s) => s.stop(new SagebrewError("SB_INTERNAL", "XGBoost pool is closed"))),
    );
    this.#slots.length = 0;
  }
}

let shared: XGBoostPool | undefined;

/** The process-wide pool, created on first use. */
export function sharedPool(): XGBoostPool {
  shared ??= new XGBoostPool();
  return shared;
}
