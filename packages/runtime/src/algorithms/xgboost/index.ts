/** SageMaker's built-in XGBoost algorithm on sagebrew's training and serving APIs. */
export { createXGBoostAlgorithm } from "./algorithm.js";
export {
  createXGBoostHandler,
  DEFAULT_SYNC_WORK_LIMIT,
  encodePrediction,
  type XGBoostHandlerOptions,
  type XGBoostPrediction,
  type XGBoostServingModel,
} from "./handler.js";
export {
  ALIASES,
  DECLARATIONS,
  SAGEMAKER_ONLY,
  toTrainingParams,
  validateHyperparameters,
  XGBOOST_HYPERPARAMETERS,
  type XGBoostHyperparameters,
  type XGBoostTrainingParams,
} from "./hyperparameters.js";
export { featureImportance } from "./importance.js";
