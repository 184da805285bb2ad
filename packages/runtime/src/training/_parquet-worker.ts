/** A Parquet decoding thread for `parquet-file.ts`: decodes each file it is sent, answering with the rows (buffers transferred). */
import { decodeParquet } from "../codecs/parquet.js";
import { answerRequests, datasetBuffers } from "../node/worker.js";

answerRequests(async (m: { id: number; bytes: Uint8Array; source: string }) => {
  const dataset = await decodeParquet(m.bytes, { source: m.source });
  return { result: dataset, transfer: datasetBuffers(dataset) };
});
