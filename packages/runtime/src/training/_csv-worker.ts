/** A parse thread: streams one range of a CSV file and posts each block's rows (buffers transferred). */
import { parentPort, workerData } from "node:worker_threads";
import type { Dataset } from "../codecs/types.js";
import { type CsvRange, parseCsvRange } from "./_csv-range.js";

const range = workerData as CsvRange;

function buffersOf(d: Dataset): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const a of [d.features.kind === "dense" ? d.features.values : undefined, d.labels, d.weights]) {
    if (a && a.buffer instanceof ArrayBuffer && !out.includes(a.buffer)) out.push(a.buffer);
  }
  return out;
}

parseCsvRange(range, (d) => parentPort!.postMessage({ batch: d }, buffersOf(d))).then(
  () => parentPort!.postMessage({ done: true }),
  (e: { code?: string; message?: string }) =>
    parentPort!.postMessage({ error: { code: e.code, message: e.message ?? String(e) } }),
);
