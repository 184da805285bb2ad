/**
 * @sagebrew/runtime — the SageMaker container contract for Node.js: training, hosting, codecs and
 * XGBoost on the real library. This package is what a container image carries.
 */

export {
  ALIASES as XGBOOST_HYPERPARAMETER_ALIASES,
  createXGBoostAlgorithm,
  createXGBoostHandler,
  DEFAULT_SYNC_WORK_LIMIT,
  encodePrediction,
  SAGEMAKER_ONLY as XGBOOST_SAGEMAKER_ONLY_HYPERPARAMETERS,
  validateHyperparameters,
  XGBOOST_HYPERPARAMETERS,
  type XGBoostHandlerOptions,
  type XGBoostHyperparameters,
  type XGBoostPrediction,
  type XGBoostServingModel,
  type XGBoostTrainingParams,
} from "./algorithms/xgboost/index.js";
export { type RunServeOptions, runServe } from "./bin/serve-main.js";
export { type RunTrainOptions, runTrain } from "./bin/train-main.js";
export {
  type Axis as ChartAxis,
  type CoordinateLine,
  type CurveBest,
  type CurveRound,
  curveText,
  featureImportanceSvg,
  type Importance,
  parallelCoordinatesSvg,
  sparkline,
  type TuningPoint,
  trainingCurveSvg,
  tuningProgressSvg,
} from "./charts/index.js";
export { BUILTIN_CODECS, defaultCodecs } from "./codecs/builtin.js";
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
export {
  type Codec,
  type CodecPurpose,
  CodecRegistry,
  type DecodeOptions,
  type LookupContext,
  type ResolvedCodec,
} from "./codecs/registry.js";
export * from "./codecs/types.js";
export { decodeHyperparameters } from "./config/hyperparameters.js";
export {
  type HttpLimitsConfig,
  nextSafePort,
  type PortRange,
  portRange,
  type ReadServingConfigOptions,
  readHttpLimits,
  readServingConfig,
  type ServingConfig,
} from "./config/serving.js";
export * from "./contract/index.js";
export * from "./errors/index.js";
export { createLogger, type Logger, type LogLevel, parseLogLevel } from "./node/logger.js";
export { findProject, PROJECT_FILE, type ProjectDeclaration, readProject } from "./project/index.js";
export * from "./serving/index.js";
export * from "./training/index.js";
export { EXIT as TRAIN_EXIT } from "./training/index.js";
export { RUNTIME_VERSION } from "./version.js";
export * from "./xgboost/index.js";
