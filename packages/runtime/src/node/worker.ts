/**
 * Worker threads: starting one from a module beside the caller (when running from TypeScript
 * sources — tests, `tsx` — the thread registers tsx before importing the `.ts` module), and the
 * request/answer protocol that the XGBoost pool and the Parquet thread speak: each request
 * `{ id, … }` is answered by `{ id, ok: true, result }` or `{ id, ok: false, code, message }`.
 */
import { parentPort, Worker } from "node:worker_threads";
import type { Dataset } from "../codecs/types.js";
import { type ErrorCode, isErrorCode, SagebrewError } from "../errors/index.js";

/** `base` is the caller's `import.meta.url`; `name` the module's name without extension. */
export function startWorker(base: string, name: string, workerData: unknown): Worker {
  const fromSource = base.endsWith(".ts");
  const url = new URL(`./${name}${fromSource ? ".ts" : ".js"}`, base);
  if (!fromSource) return new Worker(url, { workerData });
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(url.href)}))`;
  return new Worker(boot, { eval: true, workerData });
}

/** The buffers of a dataset's arrays, to transfer it to another thread without a copy. */
export function datasetBuffers(d: Dataset): ArrayBuffer[] {
  const f = d.features;
  const arrays = [
    ...(f.kind === "dense" ? [f.values] : [f.indptr, f.indices, f.values]),
    d.labels,
    d.weights,
  ];
  const out: ArrayBuffer[] = [];
  for (const a of arrays) {
    if (a && a.buffer instanceof ArrayBuffer && !out.includes(a.buffer)) out.push(a.buffer);
  }
  return out;
}

/** The message that asks a request thread to end once its current request is answered. */
const STOP = { stop: true } as const;
/** How long `RequestWorker.stop` waits for the thread to end by itself before terminating it. */
const STOP_GRACE_MS = 10_000;

interface Answer {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly code?: string;
  readonly message?: string;
}

/** Options of `RequestWorker`. */
export interface RequestWorkerOptions {
  /** Names the thread in errors: `${label} failed: …`. */
  readonly label: string;
  /** The code of an error the thread reports without a SagebrewError code. */
  readonly fallbackCode: ErrorCode;
  /** Called once if the thread dies or exits by itself (its pending requests are rejected first). */
  readonly onDead?: () => void;
}

/**
 * A thread that answers requests (see `answerRequests`). It keeps the process alive only while a
 * request is pending.
 */
export class RequestWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  readonly #options: RequestWorkerOptions;
  #nextId = 1;
  #dead: SagebrewError | undefined;
  #stopped = false;
  readonly #exited: Promise<number>;

  constructor(base: string, name: string, workerData: unknown, options: RequestWorkerOptions) {
    this.#options = options;
    this.#worker = startWorker(base, name, workerData);
    this.#exited = new Promise((resolve) => this.#worker.once("exit", resolve));
    this.#worker.unref();
    this.#worker.on("message", (m: Answer) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (m.ok) p.resolve(m.result);
      else {
        const code = isErrorCode(m.code) ? m.code : options.fallbackCode;
        p.reject(new SagebrewError(code, m.message ?? `${options.label} failed`));
      }
    });
    this.#worker.on("error", (e) => {
      this.#die(new SagebrewError("SB_INTERNAL", `${options.label} failed: ${e.message}`, { cause: e }));
    });
    // A thread that ends by itself (process.exit in it, a fatal error) answers nothing more.
    this.#worker.on("exit", (code) => {
      if (!this.#stopped)
        this.#die(new SagebrewError("SB_INTERNAL", `${options.label} exited with code ${code}`));
    });
  }

  /** True once the thread died or was stopped: requests are rejected at once. */
  get dead(): boolean {
    return this.#dead !== undefined;
  }

  #die(error: SagebrewError): void {
    if (this.#dead) return;
    this.#dead = error;
    this.#rejectAll(error);
    this.#options.onDead?.();
  }

  /** Requests being answered or waiting. */
  get busy(): number {
    return this.#pending.size;
  }

  /** Sends `{ id, ...message }`; resolves with the answer's `result`. */
  request<T>(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    this.#worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ id, ...message }, transfer);
    });
  }

  /**
   * Stops the thread. The thread is asked to end between two requests and is terminated only if it
   * has not ended after `graceMs`: terminating a thread while it is inside a native (koffi) call —
   * loading libxgboost at start-up, say — aborts the whole process with a fatal N-API error.
   * Requests it has not answered by then are rejected with `error` once it is gone, not before: a
   * request holds native handles (a booster) that its rejection releases, and freeing them while
   * the thread is still inside libxgboost with them crashed serve on SIGTERM (SIGSEGV). Resolves
   * with the thread's exit code once it is gone.
   */
  stop(
    error: unknown = new SagebrewError("SB_INTERNAL", `${this.#options.label} was stopped`),
    options: { graceMs?: number } = {},
  ): Promise<number> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#dead ??= error instanceof SagebrewError ? error : new SagebrewError("SB_INTERNAL", String(error));
      // Held (not unref'd) until the thread is gone, so that awaiting the stop keeps the process up.
      this.#worker.ref();
      this.#worker.postMessage(STOP);
      const timer = setTimeout(() => void this.#worker.terminate(), options.graceMs ?? STOP_GRACE_MS);
      void this.#exited.then(() => {
        clearTimeout(timer);
        this.#rejectAll(error);
      });
    }
    return this.#exited;
  }

  #rejectAll(error: unknown): void {
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }
}

/**
 * In a thread started for a `RequestWorker`: answers each request with what `handle` returns (or
 * the error it throws). `handle` may return `{ result, transfer }` to move buffers instead of copying them.
 */
export function answerRequests<M extends { id: number }>(
  handle: (
    message: M,
  ) => { result: unknown; transfer?: ArrayBuffer[] } | Promise<{ result: unknown; transfer?: ArrayBuffer[] }>,
): void {
  parentPort!.on("message", async (message: M | typeof STOP) => {
    if ("stop" in message) {
      // Ends the thread once this handler returns: no native call is cut off half-way.
      parentPort!.close();
      return;
    }
    try {
      const { result, transfer = [] } = await handle(message);
      parentPort!.postMessage({ id: message.id, ok: true, result }, transfer);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      parentPort!.postMessage({
        id: message.id,
        ok: false,
        code: err.code,
        message: err.message ?? String(e),
      });
    }
  });
}
