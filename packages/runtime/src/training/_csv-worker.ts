/** A parse thread: streams one range of a CSV file and posts each block's rows (buffers transferred). */
import { parentPort, workerData } from "node:worker_threads";
import { datasetBuffers } from "../node/worker.js";
import { type CsvRange, parseCsvRange } from "./_csv-range.js";

const range = workerData as CsvRange;

parseCsvRange(range, (d) => parentPort!.postMessage({ batch: d }, datasetBuffers(d))).then(
  () => parentPort!.postMessage({ done: true }),
  (e: { code?: string; message?: string }) =>
    parentPort!.postMessage({ error: { code: e.code, message: e.message ?? String(e) } }),
);
