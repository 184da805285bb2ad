/** A pool thread: loads libxgboost and runs jobs posted by `_pool.ts`. */
import { parentPort, workerData } from "node:worker_threads";
import { loadXGBoost } from "./_library.js";
import { type Job, runJob } from "./_ops.js";

const api = loadXGBoost(workerData?.libraryPath as string | undefined);

parentPort!.on("message", (msg: { id: number; job: Job }) => {
  try {
    const result = runJob(api, msg.job);
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
