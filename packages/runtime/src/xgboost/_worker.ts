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
 * this brings a 1M × 28 training from 330 MB to 210 MB resident (bench/RESULTS.md, "Training").
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

parentPort!.on("message", (msg: { id: number; job: Job | undefined }) => {
  try {
    const job = msg.job!;
    msg.job = undefined;
    const result = runJob(api, job);
    if (job.op === "quantile") collect?.();
    const transfer =
      result && typeof result === "object" && "values" in result
        ? [(result as { values: Float32Array }).values.buffer]
        : [];
    parentPort!.postMessage({ id: msg.id, ok: true, result }, transfer as ArrayBuffer[]);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    parentPort!.postMessage({ id: msg.id, ok: false, code: err.code, message: err.message ?? String(e) });
  }
});
