/**
 * The metric names of SageMaker's built-in XGBoost algorithm: the ones XGBoost computes, the ones
 * the SageMaker container computes from predictions, which of them are maximised, and the
 * objective metrics AWS lists for tuning (DG xgboost-tuning, "Evaluation Metrics Computed by the
 * XGBoost Algorithm"). One list for training (`eval_metric`, `_tuning_objective_metric`) and for
 * code that creates tuning jobs. Pure data.
 */

/** Metrics XGBoost computes itself. */
export const XGBOOST_METRICS = [
  "auc",
  "aucpr",
  "map",
  "ndcg",
  "aft-nloglik",
  "cox-nloglik",
  "error",
  "gamma-deviance",
  "gamma-nloglik",
  "interval-regression-accuracy",
  "logloss",
  "mae",
  "mape",
  "merror",
  "mlogloss",
  "mphe",
  "poisson-nloglik",
  "rmse",
  "rmsle",
  "tweedie-nloglik",
] as const;

/** Metrics computed from predictions, as the SageMaker container does (DG xgboost-tuning). */
export const CUSTOM_METRICS = [
  "accuracy",
  "balanced_accuracy",
  "f1",
  "f1_binary",
  "f1_macro",
  "mse",
  "r2",
  "precision",
  "precision_macro",
  "precision_micro",
  "recall",
  "recall_macro",
  "recall_micro",
] as const;

/** Metrics where larger is better (DG xgboost-tuning); all others are minimised. */
export const MAXIMIZE_METRICS: ReadonlySet<string> = new Set([
  "accuracy",
  "auc",
  "aucpr",
  "balanced_accuracy",
  "f1",
  "f1_binary",
  "f1_macro",
  "map",
  "ndcg",
  "precision",
  "r2",
  "recall",
  "precision_macro",
  "precision_micro",
  "recall_macro",
  "recall_micro",
  "interval-regression-accuracy",
]);

/**
 * The objective metrics AWS lists for tuning the built-in XGBoost algorithm, with their direction
 * (DG xgboost-tuning). Any `<set>:<metric>` of the lists above works as well; these are the ones
 * the page names.
 */
export const XGBOOST_TUNING_METRICS: ReadonlyArray<{
  readonly name: string;
  readonly type: "Maximize" | "Minimize";
}> = [
  { name: "validation:accuracy", type: "Maximize" },
  { name: "validation:auc", type: "Maximize" },
  { name: "validation:error", type: "Minimize" },
  { name: "validation:f1", type: "Maximize" },
  { name: "validation:logloss", type: "Minimize" },
  { name: "validation:mae", type: "Minimize" },
  { name: "validation:map", type: "Maximize" },
  { name: "validation:merror", type: "Minimize" },
  { name: "validation:mlogloss", type: "Minimize" },
  { name: "validation:mse", type: "Minimize" },
  { name: "validation:ndcg", type: "Maximize" },
  { name: "validation:rmse", type: "Minimize" },
];
