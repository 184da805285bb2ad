/** A pool thread: loads libxgboost and runs jobs posted by `_pool.ts`. */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parentPort, workerData } from "node:worker_threads";
import { loadXGBoost } from "./_library.js";
import { type Job, runJob } from "./_ops.js";

const api = loadXGBoost(workerData?.libraryPath as string | undefined);

/**
 * Collects this thread's garbage and hands the freed pages back to the OS. A quantile build's
 * batches (the float data, as large as the dataset) are handed to this thread and dropped as
 * XGBoost finishes with them, but a pool thread allocates little while it trains, so V8 would not
 * collect them for the whole training (and malloc keeps freed blocks of this size): after a build,
 * this brings a 1M × 28 training from 330 MB to about 220 MB resident while it boosts (bench/RESULTS.md, "Training").
 * `--expose-gc` set at run time affects only contexts made afterwards, so `gc` comes from a fresh
 * context of this thread; if the flag is refused, the memory is returned whenever V8 collects.
 */
const collect: (() => void) | undefined = (() => {
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    if (typeof gc !== "function") return undefined;
    return () => {
      (gc as () => void)();
      api.trimHeap();
    };
  } catch {
    return undefined;
  }
})();

function answer(id: number, job: Job): void {
  try {
    const result = runJob(api, job);
    const transfer =
      result && typeof result === "object" && "values" in result
        ? [(result as { values: Float32Array }).values.buffer]
        : [];
    parentPort!.postMessage({ id, ok: true, result }, transfer as ArrayBuffer[]);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    parentPort!.postMessage({ id, ok: false, code: err.code, message: err.message ?? String(e) });
  }
}

/** Batches handed to quantile builds that V8 has not collected yet (the `heldBatches` job). */
let held = 0;
const collected = new FinalizationRegistry<undefined>(() => {
  held--;
});

parentPort!.on("message", (msg: { id: number; job: Job | undefined }) => {
  const job = msg.job!;
  msg.job = undefined;
  if (job.op === "heldBatches") {
    parentPort!.postMessage({ id: msg.id, ok: true, result: held });
    return;
  }
  if (job.op !== "quantile") {
    answer(msg.id, job);
    return;
  }
  for (const b of job.batches) {
    held++;
    collected.register(b.values, undefined);
  }
  // A message's transferred buffers stay alive until its handler returns, so a build run here
  // could not free a batch before the end: run it once this handler is done, then collect.
  setImmediate(() => {
    answer(msg.id, job);
    job.batches.length = 0;
    collect?.();
  });
});
