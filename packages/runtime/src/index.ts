/**
 * @sagebrew/runtime — the SageMaker container contract for Node.js: training, hosting, codecs and
 * XGBoost on the real library. This package is what a container image carries.
 */

export { validateHyperparameters, type XGBoostTrainingParams } from "./algorithms/xgboost/hyperparameters.js";
export type { MetricValue, RoundReport } from "./algorithms/xgboost/train.js";
export { type CsvDelimiter, type CsvOptions, parseCsv } from "./codecs/csv.js";
export { type LibsvmOptions, parseLibsvm } from "./codecs/libsvm.js";
export * from "./codecs/types.js";
export { decodeHyperparameters } from "./config/hyperparameters.js";
export * from "./contract/index.js";
export * from "./errors/index.js";
export { createLogger, type Logger, type LogLevel, parseLogLevel } from "./node/logger.js";
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
