/**
 * A small pool of worker threads for XGBoost calls that take long (a boosting round, a large
 * prediction): the event loop keeps serving signals, progress, logs and pings meanwhile.
 * Handles are plain numbers shared by every thread of the process; XGBoost's prediction is
 * thread-safe, so one booster serves every thread.
 */
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { isErrorCode, SagebrewError } from "../errors/index.js";
import { startWorker } from "../node/worker.js";
import { loadXGBoost } from "./_library.js";
import type { Job } from "./_ops.js";

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
}

/** Starts a pool thread running `_worker`. */
function startPoolWorker(libraryPath: string): Worker {
  return startWorker(import.meta.url, "_worker", { libraryPath });
}

export class XGBoostPool {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;

  constructor(size: number = availableParallelism()) {
    this.size = Math.max(1, Math.floor(size));
  }

  #slot(pin?: number): Slot {
    if (pin !== undefined && this.#slots[pin]) return this.#slots[pin]!;
    let best: Slot | undefined;
    for (const s of this.#slots) if (!best || s.busy < best.busy) best = s;
    if (best && (best.busy === 0 || this.#slots.length >= this.size)) return best;
    const worker = startPoolWorker(loadXGBoost().path);
    const slot: Slot = { worker, busy: 0 };
    worker.unref();
    worker.on(
      "message",
      (msg: { id: number; ok: boolean; result?: unknown; code?: string; message?: string }) => {
        const p = this.#pending.get(msg.id);
        if (!p) return;
        this.#pending.delete(msg.id);
        slot.busy--;
        if (slot.busy === 0) worker.unref();
        if (msg.ok) p.resolve(msg.result);
        else
          p.reject(
            new SagebrewError(
              isErrorCode(msg.code) ? msg.code : "SB_XGBOOST",
              msg.message ?? "XGBoost worker failed",
            ),
          );
      },
    );
    worker.on("error", (e) => {
      for (const [id, p] of this.#pending) {
        p.reject(
          new SagebrewError("SB_INTERNAL", `XGBoost worker thread failed: ${e.message}`, { cause: e }),
        );
        this.#pending.delete(id);
      }
    });
    this.#slots.push(slot);
    return slot;
  }

  /**
   * Runs one job on a pool thread. XGBoost keeps a booster's prediction cache per thread, so the
   * rounds and evaluations of one booster go to one thread: pass the `pin` that `pinSlot()` gave.
   */
  run<T>(job: Job, transfer: ArrayBuffer[] = [], pin?: number): Promise<T> {
    if (this.#closed) return Promise.reject(new SagebrewError("SB_INTERNAL", "XGBoost pool is closed"));
    const slot = this.#slot(pin);
    const id = this.#nextId++;
    slot.busy++;
    slot.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      slot.worker.postMessage({ id, job }, transfer);
    });
  }

  /** Chooses a thread for a booster's training work and returns its index. */
  pinSlot(): number {
    return this.#slots.indexOf(this.#slot());
  }

  /** Stops the threads. Jobs still running are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    this.#slots.length = 0;
  }
}

let shared: XGBoostPool | undefined;

/** The process-wide pool, created on first use. */
export function sharedPool(): XGBoostPool {
  shared ??= new XGBoostPool();
  return shared;
}
