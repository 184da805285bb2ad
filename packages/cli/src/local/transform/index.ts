/** Local Batch Transform: split, batch, assemble, join/filter, and the job runner. */
export {
  type Batch,
  type BatchOptions,
  type BatchStrategy,
  batchRecords,
  parseBatchStrategy,
} from "./batch.js";
export { type DataProcessing, filterInput, joinOutput, type RecordFormat, recordFormat } from "./join.js";
export { compileJsonPath, type JsonPath } from "./jsonpath.js";
export {
  assemble,
  type ProgressEvent,
  runTransform,
  type TransformJob,
  type TransformSummary,
} from "./run.js";
export {
  type ExecutionParameters,
  executionParameters,
  freePort,
  signalServes,
  startServe,
} from "./server.js";
export { parseSplitType, type Records, recordAt, type SplitType, splitRecords } from "./split.js";
