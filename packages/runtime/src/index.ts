/**
 * @sagebrew/runtime — the SageMaker container contract for Node.js: training, hosting, codecs and
 * XGBoost on the real library. This package is what a container image carries.
 */

export {
  createXGBoostHandler,
  DEFAULT_SYNC_WORK_LIMIT,
  encodePrediction,
  type XGBoostHandlerOptions,
  type XGBoostPrediction,
  type XGBoostServingModel,
} from "./algorithms/xgboost/handler.js";
export {
  ALIASES as HYPERPARAMETER_ALIASES,
  type HyperparameterSpec,
  SPECS as HYPERPARAMETER_SPECS,
  validateHyperparameters,
  type XGBoostTrainingParams,
} from "./algorithms/xgboost/hyperparameters.js";
export type { MetricValue, RoundReport } from "./algorithms/xgboost/train.js";
export { type RunServeOptions, runServe } from "./bin/serve-main.js";
export { type CsvDelimiter, type CsvOptions, parseCsv } from "./codecs/csv.js";
export {
  type JsonRowsOptions,
  parseJsonLinesRows,
  parseJsonRows,
  stringifyJsonLinesRows,
  stringifyJsonRows,
} from "./codecs/json-rows.js";
export { type LibsvmOptions, parseLibsvm } from "./codecs/libsvm.js";
export {
  type AcceptEntry,
  type MediaType,
  type NegotiateOptions,
  negotiate,
  parseAccept,
  parseMediaType,
} from "./codecs/media-type.js";
export { decodeParquet, type ParquetDecodeOptions } from "./codecs/parquet.js";
export { type Cell, encodeCsv, encodeJson, encodeJsonLines, formatFloat32 } from "./codecs/predictions.js";
export {
  decodeRecordioProtobuf,
  decodeRecordioRecords,
  encodeRecordioPredictions,
  encodeRecordioProtobuf,
  type PredictionRecord,
  type RecordioDecodeOptions,
  type RecordioDtype,
  type RecordioEncodeOptions,
  type RecordioRecord,
  type RecordioTensor,
  recordioRecordBounds,
} from "./codecs/recordio-protobuf.js";
export * from "./codecs/types.js";
export { decodeHyperparameters } from "./config/hyperparameters.js";
export {
  nextSafePort,
  type PortRange,
  portRange,
  type ReadServingConfigOptions,
  readServingConfig,
  type ServingConfig,
} from "./config/serving.js";
export * from "./contract/index.js";
export * from "./errors/index.js";
export { createLogger, type Logger, type LogLevel, parseLogLevel } from "./node/logger.js";
export * from "./serving/index.js";
export { decodeParquetFile, parquetBudgetMs } from "./training/parquet-file.js";
export {
  EXIT as TRAIN_EXIT,
  type RunTrainingOptions,
  runTraining,
  type TrainingOutcome,
  type TrainingReporter,
  type TrainingSummary,
} from "./training/run.js";
export { summaryLines } from "./training/summary.js";
export { RUNTIME_VERSION } from "./version.js";
export * from "./xgboost/index.js";
