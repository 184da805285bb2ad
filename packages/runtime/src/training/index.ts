/** Training: the algorithm API and the runtime that runs an algorithm under SageMaker's training contract. */
export {
  type AlgorithmDefinition,
  type ChannelData,
  type ChannelDeclaration,
  type CheckedAlgorithm,
  type Checkpoints,
  checkAlgorithm,
  defineAlgorithm,
  type FeatureImportance,
  type MetricValue,
  type ReadOptions,
  type RoundMetrics,
  type RoundReport,
  type SavedCheckpoint,
  type TrainingChannel,
  type TrainingChannels,
  type TrainingContext,
  type TrainingLogger,
  type TrainOutput,
} from "./algorithm.js";
export { type ChannelFile, type ChannelListing, listChannelFiles } from "./channels.js";
export { errorLine, type FailureOptions, failureText, writeFailure } from "./failure.js";
export {
  type BoolHyperparameter,
  type CustomHyperparameter,
  DECIMAL_NUMBER,
  describeDeclaration,
  type EnumHyperparameter,
  type HyperparameterDeclaration,
  type HyperparameterDeclarations,
  type HyperparameterFail,
  type HyperparameterSchema,
  type HyperparameterValues,
  hyperparameterError,
  INTEGER_NUMBER,
  type NumberHyperparameter,
  type StringHyperparameter,
  suggestName,
  type ValidatedHyperparameters,
  validateDeclared,
} from "./hyperparameters.js";
export { type ResolveAlgorithmOptions, resolveAlgorithm } from "./load-algorithm.js";
export { decodeParquetFile, parquetBudgetMs } from "./parquet-file.js";
export {
  EXIT,
  exitCodeOf,
  type RunTrainingOptions,
  runTraining,
  type TrainingOutcome,
  type TrainingReporter,
  type TrainingSummary,
} from "./run.js";
export { summaryLines } from "./summary.js";
