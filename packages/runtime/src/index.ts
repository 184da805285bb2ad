/**
 * @sagebrew/runtime — the SageMaker container contract for Node.js: training, hosting, codecs and
 * XGBoost on the real library. This package is what a container image carries.
 */

export * from "./codecs/types.js";
export * from "./contract/index.js";
export * from "./errors/index.js";
export { createLogger, type Logger, type LogLevel, parseLogLevel } from "./node/logger.js";
export * from "./xgboost/index.js";
export { type CsvDelimiter, type CsvOptions, parseCsv } from "./codecs/csv.js";
export { type LibsvmOptions, parseLibsvm } from "./codecs/libsvm.js";
