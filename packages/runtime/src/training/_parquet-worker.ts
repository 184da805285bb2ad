/** A Parquet decoding thread for `parquet-file.ts`: decodes each file it is sent, answering with the rows (buffers transferred). */
import { parentPort } from "node:worker_threads";
import { decodeParquet } from "../codecs/parquet.js";
import type { Dataset } from "../codecs/types.js";

function buffersOf(d: Dataset): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const a of [d.features.kind === "dense" ? d.features.values : undefined, d.labels, d.weights]) {
    if (a && a.buffer instanceof ArrayBuffer && !out.includes(a.buffer)) out.push(a.buffer);
  }
  return out;
}

parentPort!.on("message", (m: { id: number; bytes: Uint8Array; source: string }) => {
  decodeParquet(m.bytes, { source: m.source }).then(
    (d) => parentPort!.postMessage({ id: m.id, ok: true, dataset: d }, buffersOf(d)),
    (e: { code?: string; message?: string }) =>
      parentPort!.postMessage({ id: m.id, ok: false, code: e.code, message: e.message ?? String(e) }),
  );
});
