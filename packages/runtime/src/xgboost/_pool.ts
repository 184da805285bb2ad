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
import type { TreePredictor } from "./tree-predictor.js";

export class XGBoostPool {
  readonly size: number;
  readonly #slots: RequestWorker[] = [];
  /** Threads started for one job each (`runAlone`), and the queue they run in, one at a time. */
  readonly #alone = new Set<RequestWorker>();
  #aloneQueue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** Keys of the JavaScript tree predictors given to threads, and which thread has which. */
  readonly #treeKeys = new WeakMap<TreePredictor, number>();
  readonly #threadTrees = new WeakMap<RequestWorker, Set<number>>();
  #nextTreeKey = 1;

  constructor(size: number = availableParallelism()) {
    this.size = Math.max(1, Math.floor(size));
  }

  /**
   * Threads that can compute at once: the size, at most the CPU count (a larger pool only queues
   * on the cores). Starting and splitting stop there.
   */
  get parallelism(): number {
    return Math.min(this.size, availableParallelism());
  }

  #slot(pin?: number): RequestWorker {
    // Closing threads count as dead: replacing them would start threads that nobody stops.
    if (this.#closed) throw new SagebrewError("SB_INTERNAL", "XGBoost pool is closed");
    // A thread that died (its jobs were rejected) is replaced in its place when next needed, so
    // that pins keep pointing at a live thread, and a thread that cannot start is not restarted
    // in a loop.
    const at = (i: number) => (this.#slots[i]!.dead ? this.#newSlot(i) : this.#slots[i]!);
    if (pin !== undefined && this.#slots[pin]) return at(pin);
    let best = -1;
    for (let i = 0; i < this.#slots.length; i++) {
      const s = this.#slots[i]!;
      if (s.dead) return at(i);
      if (best < 0 || s.busy < this.#slots[best]!.busy) best = i;
    }
    if (best >= 0 && (this.#slots[best]!.busy === 0 || this.#slots.length >= this.size)) return at(best);
    return this.#newSlot();
  }

  #newSlot(index = this.#slots.length): RequestWorker {
    const slot = this.#newThread();
    this.#slots[index] = slot;
    return slot;
  }

  #newThread(): RequestWorker {
    return new RequestWorker(
      import.meta.url,
      "_worker",
      { libraryPath: loadXGBoost().path },
      {
        label: "XGBoost worker thread",
        fallbackCode: "SB_XGBOOST",
      },
    );
  }

  /**
   * Runs one job on a pool thread. XGBoost keeps a booster's prediction cache per thread, so the
   * rounds and evaluations of one booster go to one thread: pass the `pin` that `pinSlot()` gave.
   */
  run<T>(job: Job, transfer: ArrayBuffer[] = [], pin?: number): Promise<T> {
    if (this.#closed) return Promise.reject(new SagebrewError("SB_INTERNAL", "XGBoost pool is closed"));
    return this.#slot(pin).request<T>({ job }, transfer);
  }

  /**
   * Runs one job on a thread started for it, which ends after it: what the job leaves behind in
   * its thread (V8 heap grown for a moment, libxgboost's per-thread buffers — a model's saved
   * bytes, for one) goes with the thread instead of staying resident in a pool thread.
   */
  runAlone<T>(job: Job, transfer: ArrayBuffer[] = [], options: { queue?: boolean } = {}): Promise<T> {
    if (options.queue === false) return this.#runAloneNow<T>(job, transfer);
    // Queued, one at a time: ten models loaded at once (a multi-model endpoint) start one such
    // thread, and hold its memory, after another, not ten together.
    const run = this.#aloneQueue.then(() => this.#runAloneNow<T>(job, transfer));
    this.#aloneQueue = run.catch(() => undefined);
    return run;
  }

  /** Threads of `runAlone` alive now (at most one of the queued). */
  get aloneThreads(): number {
    return this.#alone.size;
  }

  async #runAloneNow<T>(job: Job, transfer: ArrayBuffer[]): Promise<T> {
    if (this.#closed) throw new SagebrewError("SB_INTERNAL", "XGBoost pool is closed");
    const thread = this.#newThread();
    this.#alone.add(thread);
    try {
      return await thread.request<T>({ job }, transfer);
    } finally {
      this.#alone.delete(thread);
      await thread.stop();
      // What the thread freed as it ended stays in its malloc arena unless handed back.
      loadXGBoost().trimHeap();
    }
  }

  /**
   * Starts `parallelism` threads now (in the background), so that the first large requests need
   * not wait for one; more start on demand, up to `size`.
   */
  start(): void {
    if (this.#closed) return;
    while (this.#slots.length < this.parallelism) this.#newSlot();
  }

  /**
   * Predicts `rows` dense rows with a JavaScript tree predictor on a pool thread. Each thread
   * builds the predictor from its spec once; the rows are copied to the thread.
   */
  predictTrees(p: TreePredictor, values: Float32Array, rows: number): Promise<Float32Array> {
    if (this.#closed) return Promise.reject(new SagebrewError("SB_INTERNAL", "XGBoost pool is closed"));
    return this.#denseTrees(this.#slot(), p, values, rows);
  }

  /** Runs `p` on `slot`, sending the predictor's spec with the rows when the thread lacks it. */
  #denseTrees(
    slot: RequestWorker,
    p: TreePredictor,
    values: Float32Array,
    rows: number,
  ): Promise<Float32Array> {
    if (this.#closed) return Promise.reject(new SagebrewError("SB_INTERNAL", "XGBoost pool is closed"));
    let key = this.#treeKeys.get(p);
    if (key === undefined) {
      key = this.#nextTreeKey++;
      this.#treeKeys.set(p, key);
    }
    let built = this.#threadTrees.get(slot);
    if (!built) {
      built = new Set();
      this.#threadTrees.set(slot, built);
    }
    const spec = built.has(key) ? undefined : p.spec;
    built.add(key);
    const own = values.slice();
    return slot
      .request<{ values: Float32Array }>(
        { job: { op: "trees", key, spec, kernel: p.kernel, values: own, rows } },
        [own.buffer],
      )
      .then((r) => r.values);
  }

  /**
   * Has every started thread build `p` and run it `runs` times on `values`, one after the other, so that
   * V8 has optimised the generated trees before the first large requests: each thread compiles
   * its own code, and cold code ran the first requests up to 2× slower.
   */
  async warmTrees(p: TreePredictor, values: Float32Array, rows: number, runs = 3): Promise<void> {
    this.start();
    await Promise.all(
      this.#slots.map(async (slot) => {
        for (let i = 0; i < runs; i++) await this.#denseTrees(slot, p, values, rows);
      }),
    );
  }

  /** Lets the threads drop predictor `p` (its model was unloaded). */
  forgetTrees(p: TreePredictor): void {
    const key = this.#treeKeys.get(p);
    if (key === undefined) return;
    this.#treeKeys.delete(p);
    for (const s of this.#slots) {
      if (this.#threadTrees.get(s)?.delete(key))
        s.request({ job: { op: "forgetTrees", key } }).catch(() => undefined);
    }
  }

  /** Chooses a thread for a booster's training work and returns its index. */
  pinSlot(): number {
    return this.#slots.indexOf(this.#slot());
  }

  /** Stops the threads. Jobs still running are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      [...this.#slots, ...this.#alone].map((s) =>
        s.stop(new SagebrewError("SB_INTERNAL", "XGBoost pool is closed")),
      ),
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
