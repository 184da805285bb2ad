/**
 * The hyperparameters of SageMaker's built-in XGBoost algorithm (https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost_hyperparameters.html),
 * declared for the training API: names, aliases, types, ranges and dependencies, validated before
 * training with messages that name the parameter, the value and what is allowed. Pure.
 */

import { CUSTOM_METRICS, MAXIMIZE_METRICS, XGBOOST_METRICS } from "../../contract/index.js";
import {
  type CustomHyperparameter,
  DECIMAL_NUMBER,
  type HyperparameterFail,
  type HyperparameterSchema,
  type HyperparameterValues,
  suggestName,
  validateDeclared,
} from "../../training/index.js";
import { BINARY_ONLY_METRICS } from "./metrics.js";

export const OBJECTIVES = [
  "binary:logistic",
  "binary:logitraw",
  "binary:hinge",
  "count:poisson",
  "multi:softmax",
  "multi:softprob",
  "rank:pairwise",
  "rank:ndcg",
  "rank:map",
  "reg:linear",
  "reg:squarederror",
  "reg:logistic",
  "reg:gamma",
  "reg:pseudohubererror",
  "reg:squaredlogerror",
  "reg:absoluteerror",
  "reg:tweedie",
  "survival:aft",
  "survival:cox",
] as const;

export { CUSTOM_METRICS, MAXIMIZE_METRICS, XGBOOST_METRICS };

const TREE_UPDATERS = [
  "grow_colmaker",
  "grow_histmaker",
  "grow_quantile_histmaker",
  "sync",
  "refresh",
  "prune",
];
const LINEAR_UPDATERS = ["shotgun", "coord_descent"];
/** In SageMaker's list, but gone from XGBoost (1.7 already answers "Unknown tree updater"). */
const REMOVED_UPDATERS = ["distcol", "grow_skmaker"];
const UPDATERS = [...TREE_UPDATERS, ...LINEAR_UPDATERS, ...REMOVED_UPDATERS];

const metricsList: CustomHyperparameter<readonly string[]> = {
  type: "custom",
  syntax: "comma list of metric names",
  parse(raw) {
    const list = raw
      .split(",")
      .map((m) => m.trim())
      .filter((m) => m !== "");
    if (list.length === 0) throw new Error("is empty; give one or more metric names separated by commas");
    for (const m of list) {
      if (!isMetric(m)) {
        const hint = suggestName(m, [...XGBOOST_METRICS, ...CUSTOM_METRICS]);
        throw new Error(
          `${JSON.stringify(m)} is not a known metric${hint ? ` (did you mean ${hint}?)` : ""}`,
        );
      }
    }
    return list;
  },
};

const updaterList: CustomHyperparameter<readonly string[]> = {
  type: "custom",
  syntax: "comma list of updaters",
  parse(raw) {
    const list = raw.split(",").map((u) => u.trim());
    for (const u of list)
      if (!UPDATERS.includes(u)) throw new Error(`${JSON.stringify(u)} is not one of ${UPDATERS.join(", ")}`);
    return list;
  },
};

/**
 * `(1,0,-1)`, as XGBoost reads it; `[1,0,-1]` (a Python list, which SageMaker's container accepts
 * and its XGBoost turns into a tuple) is rewritten to that form. A trailing comma is allowed.
 */
const monotone: CustomHyperparameter<string> = {
  type: "custom",
  syntax: "tuple of -1/0/1, e.g. `(1,0,-1)`",
  parse(raw) {
    const m = /^[([]\s*((-?\d+\s*,\s*)*(-?\d+\s*,?)?)\s*[)\]]$/.exec(raw.trim());
    const open = raw.trim()[0];
    const close = raw.trim().at(-1);
    const items = m?.[1]
      ?.split(",")
      .map((v) => v.trim())
      .filter((v) => v !== "");
    if (!m || (open === "(") !== (close === ")") || !items?.every((v) => ["-1", "0", "1"].includes(v))) {
      throw new Error(`${JSON.stringify(raw)} is not a tuple of -1, 0 and 1 such as (1,0,-1)`);
    }
    return `(${items.join(",")})`;
  },
};

const interaction: CustomHyperparameter<string> = {
  type: "custom",
  syntax: "list of lists of feature indices, e.g. `[[0,1],[2]]`",
  parse(raw) {
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      v = undefined;
    }
    const ok =
      Array.isArray(v) &&
      v.every((g) => Array.isArray(g) && g.every((i) => Number.isInteger(i) && (i as number) >= 0));
    if (!ok)
      throw new Error(
        `${JSON.stringify(raw)} is not a list of lists of feature indices such as [[0,1],[2,3]]`,
      );
    return raw.trim();
  },
};

/** The declarations of every hyperparameter (`docs/reference/hyperparameters.md` is generated from them). */
export const DECLARATIONS = {
  num_round: { type: "int", min: 1, required: "the number of boosting rounds, e.g. 100", tunable: [1, 4000] },
  num_class: { type: "int", min: 2 },
  objective: { type: "enum", values: OBJECTIVES, default: "reg:squarederror" },
  eval_metric: metricsList,
  early_stopping_rounds: { type: "int", min: 1 },
  csv_weights: { type: "int", min: 0, max: 1, default: 0 },
  booster: { type: "enum", values: ["gbtree", "gblinear", "dart"] },
  verbosity: { type: "int", min: 0, max: 3 },
  nthread: { type: "int", min: 1 },
  eta: { type: "float", min: 0, max: 1, tunable: [0.1, 0.5] },
  gamma: { type: "float", min: 0, tunable: [0, 5] },
  max_depth: { type: "int", min: 0, tunable: [0, 10] },
  min_child_weight: { type: "float", min: 0, tunable: [0, 120] },
  max_delta_step: { type: "float", min: 0, tunable: [0, 10] },
  subsample: { type: "float", gt: 0, max: 1, tunable: [0.5, 1] },
  colsample_bytree: { type: "float", gt: 0, max: 1, tunable: [0.5, 1] },
  colsample_bylevel: { type: "float", gt: 0, max: 1, tunable: [0.1, 1] },
  colsample_bynode: { type: "float", gt: 0, max: 1, tunable: [0.1, 1] },
  lambda: { type: "float", min: 0, tunable: [0, 1000] },
  alpha: { type: "float", min: 0, tunable: [0, 1000] },
  tree_method: { type: "enum", values: ["auto", "exact", "approx", "hist", "gpu_hist"] },
  sketch_eps: { type: "float", gt: 0, lt: 1 },
  scale_pos_weight: { type: "float", gt: 0 },
  updater: updaterList,
  dsplit: { type: "enum", values: ["row", "col"] },
  refresh_leaf: { type: "int", min: 0, max: 1 },
  process_type: { type: "enum", values: ["default", "update"] },
  grow_policy: { type: "enum", values: ["depthwise", "lossguide"] },
  max_leaves: { type: "int", min: 0 },
  max_bin: { type: "int", min: 0 },
  predictor: { type: "enum", values: ["auto", "cpu_predictor", "gpu_predictor"] },
  monotone_constraints: monotone,
  interaction_constraints: interaction,
  sample_type: { type: "enum", values: ["uniform", "weighted"] },
  normalize_type: { type: "enum", values: ["tree", "forest"] },
  rate_drop: { type: "float", min: 0, max: 1 },
  skip_drop: { type: "float", min: 0, max: 1 },
  one_drop: { type: "int", min: 0, max: 1 },
  lambda_bias: { type: "float", min: 0, max: 1 },
  tweedie_variance_power: { type: "float", gt: 1, lt: 2 },
  base_score: { type: "float", min: 0 },
  seed: { type: "int", gt: -(2 ** 31), lt: 2 ** 31 - 1 },
  num_parallel_tree: { type: "int", min: 1 },
  save_model_on_termination: { type: "bool", default: false },
  aft_loss_distribution: { type: "enum", values: ["normal", "logistic", "extreme"] },
  aft_loss_distribution_scale: { type: "float", min: 0 },
  deterministic_histogram: { type: "bool" },
  sampling_method: { type: "enum", values: ["uniform", "gradient_based"] },
  prob_buffer_row: { type: "int", gt: 1 },
  single_precision_histogram: { type: "bool" },
  _kfold: { type: "int", min: 2 },
  _num_cv_round: { type: "int", min: 1 },
  _tuning_objective_metric: { type: "string" },
  use_dask_gpu_training: { type: "bool" },
  checkpoint_frequency: {
    type: "int",
    min: 1,
    default: 1,
    description: "sagebrew: save a checkpoint every N rounds when checkpointing is configured",
  },
} as const;

/** Hyperparameters that control the training job; they are not handed to XGBoost. */
export const SAGEMAKER_ONLY: ReadonlySet<string> = new Set([
  "num_round",
  "eval_metric",
  "early_stopping_rounds",
  "csv_weights",
  "save_model_on_termination",
  "_kfold",
  "_num_cv_round",
  "_tuning_objective_metric",
  "use_dask_gpu_training",
  "checkpoint_frequency",
]);

export const ALIASES: Readonly<Record<string, string>> = {
  learning_rate: "eta",
  min_split_loss: "gamma",
  reg_lambda: "lambda",
  reg_alpha: "alpha",
};

/** Validated XGBoost training settings. */
export interface XGBoostTrainingParams {
  readonly numRound: number;
  readonly objective: string;
  readonly numClass?: number;
  /** Metrics in the order given, XGBoost's and sagebrew's. */
  readonly evalMetrics: readonly string[];
  readonly earlyStoppingRounds?: number;
  readonly csvWeights: boolean;
  readonly saveModelOnTermination: boolean;
  readonly checkpointFrequency: number;
  readonly tuningObjectiveMetric?: string;
  /** k-fold cross-validation (`_kfold`, `_num_cv_round`): folds and repeats. */
  readonly crossValidation?: { readonly folds: number; readonly repeats: number };
  /** `seed`, default 0 (XGBoost's): also seeds the cross-validation splits. */
  readonly seed: number;
  /** Parameters handed to XGBoost as they are (strings), aliases resolved. */
  readonly booster: Readonly<Record<string, string>>;
}

function isMetric(m: string): boolean {
  if ((XGBOOST_METRICS as readonly string[]).includes(m) || (CUSTOM_METRICS as readonly string[]).includes(m))
    return true;
  // A threshold is any decimal, as upstream parses it with float(); XGBoost's ranking metrics also
  // take a trailing "-" (count a list without positives as 0).
  const at = /^(error|ndcg|map)@(.+?)(-)?$/.exec(m);
  return at !== null && DECIMAL_NUMBER.test(at[2]!) && (at[3] === undefined || at[1] !== "error");
}

/** Validated hyperparameter values of the XGBoost algorithm. */
export type XGBoostHyperparameters = HyperparameterValues<typeof DECLARATIONS>;

/** The metric `_tuning_objective_metric` names, without its `validation:` / `train:` prefix. */
function tuningMetricOf(v: XGBoostHyperparameters): string | undefined {
  return v._tuning_objective_metric?.replace(/^(validation|train):/, "");
}

/** The dependencies between XGBoost's hyperparameters (https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost_hyperparameters.html; the container's hyperparameter validation and tests, https://github.com/aws/sagemaker-xgboost-container). */
function checkDependencies(v: XGBoostHyperparameters, fail: HyperparameterFail): void {
  const { objective } = v;
  if ((objective === "multi:softmax" || objective === "multi:softprob") && v.num_class === undefined) {
    fail("num_class", `missing; it is required for objective ${objective} (the number of classes, e.g. 3)`);
  }
  const tuning = tuningMetricOf(v);
  if (tuning !== undefined && !isMetric(tuning)) {
    fail("_tuning_objective_metric", `${JSON.stringify(v._tuning_objective_metric)} names no known metric`);
  }
  const evalMetrics = v.eval_metric ?? [];
  const allMetrics = [...evalMetrics, ...(tuning && !evalMetrics.includes(tuning) ? [tuning] : [])];
  // As upstream, these two rules read eval_metric only: an HPO job's objective `validation:auc` on
  // a multi-class objective is XGBoost's multi-class AUC there, and is here too.
  if (evalMetrics.includes("auc") && !objective.startsWith("binary:") && !objective.startsWith("rank:")) {
    fail("eval_metric", `auc needs a binary:* or rank:* objective, not ${objective}`);
  }
  if (evalMetrics.includes("aft-nloglik") && objective !== "survival:aft") {
    fail("eval_metric", `aft-nloglik needs objective survival:aft, not ${objective}`);
  }
  const numClass = v.num_class;
  if (objective.startsWith("multi:") && (numClass ?? 0) > 2) {
    for (const m of allMetrics.filter((x) => BINARY_ONLY_METRICS.has(x))) {
      fail(
        evalMetrics.includes(m) ? "eval_metric" : "_tuning_objective_metric",
        `${m} scores the positive class of a binary problem, and objective ${objective} has ${numClass} classes; use ${m === "f1_binary" ? "f1 or f1_macro" : `${m}_macro or ${m}_micro`}`,
      );
    }
  }
  const treeMethod = v.tree_method;
  if (
    v.monotone_constraints !== undefined &&
    treeMethod !== undefined &&
    !["exact", "hist"].includes(treeMethod)
  ) {
    fail("monotone_constraints", `needs tree_method exact or hist, not ${treeMethod}`);
  }
  if (
    v.interaction_constraints !== undefined &&
    treeMethod !== undefined &&
    !["exact", "hist", "approx"].includes(treeMethod)
  ) {
    fail("interaction_constraints", `needs tree_method exact, hist or approx, not ${treeMethod}`);
  }
  if (v.updater) checkUpdater(v.updater, v.booster, v.process_type, fail);
  if (v._num_cv_round !== undefined && v._kfold === undefined) {
    fail(
      "_num_cv_round",
      "repeats k-fold cross-validation, which needs _kfold (the number of folds, e.g. 5)",
    );
  }
  if (v.use_dask_gpu_training === true) {
    fail("use_dask_gpu_training", "Dask GPU training is not supported by sagebrew; set it to false");
  }
}

/** The updater rules of SageMaker's container, plus the updaters XGBoost no longer has. */
function checkUpdater(
  updater: readonly string[],
  booster: string | undefined,
  processType: string | undefined,
  fail: HyperparameterFail,
): void {
  if (booster === "gblinear") {
    if (!(updater.length === 1 && LINEAR_UPDATERS.includes(updater[0]!)))
      fail("updater", "with booster gblinear must be exactly one of shotgun, coord_descent");
    return;
  }
  if (processType === "update" && !updater.every((u) => u === "refresh" || u === "prune")) {
    fail("updater", "with process_type update may only use refresh and prune");
  }
  const linear = updater.filter((u) => LINEAR_UPDATERS.includes(u));
  if (linear.length > 0)
    fail(
      "updater",
      `${linear.join(", ")} updates linear models; with booster ${booster ?? "gbtree"} use tree updaters (${TREE_UPDATERS.join(", ")})`,
    );
  const removed = updater.filter((u) => REMOVED_UPDATERS.includes(u));
  if (removed.length > 0)
    fail(
      "updater",
      `${removed.join(", ")} is no longer part of XGBoost; use one of ${TREE_UPDATERS.join(", ")}`,
    );
  const growers = updater.filter((u) => u.startsWith("grow_"));
  if (growers.length > 1) fail("updater", `uses more than one tree-grow plugin (${growers.join(", ")})`);
}

/** The XGBoost algorithm's hyperparameters, as the training API reads them. */
export const XGBOOST_HYPERPARAMETERS: HyperparameterSchema<typeof DECLARATIONS> = {
  declarations: DECLARATIONS,
  aliases: ALIASES,
  check: checkDependencies,
};

/** The algorithm's name in messages: `not a hyperparameter of the XGBoost algorithm`. */
export const XGBOOST_ALGORITHM_NAME = "XGBoost";

/**
 * Training settings from validated values; `given` names the hyperparameters the job set (only
 * those, and the objective, are handed to XGBoost).
 */
export function toTrainingParams(v: XGBoostHyperparameters, given: readonly string[]): XGBoostTrainingParams {
  const tuning = tuningMetricOf(v);
  const evalMetrics = [...(v.eval_metric ?? [])];
  if (tuning && !evalMetrics.includes(tuning)) evalMetrics.push(tuning);
  const booster: Record<string, string> = {};
  for (const name of given) {
    const value = (v as Readonly<Record<string, unknown>>)[name];
    if (SAGEMAKER_ONLY.has(name) || value === undefined) continue;
    booster[name] = Array.isArray(value) ? value.join(",") : String(value);
  }
  booster.objective = v.objective;
  return Object.freeze({
    numRound: v.num_round,
    objective: v.objective,
    ...(v.num_class !== undefined ? { numClass: v.num_class } : {}),
    evalMetrics,
    ...(v.early_stopping_rounds !== undefined ? { earlyStoppingRounds: v.early_stopping_rounds } : {}),
    csvWeights: v.csv_weights === 1,
    saveModelOnTermination: v.save_model_on_termination,
    checkpointFrequency: v.checkpoint_frequency,
    ...(tuning ? { tuningObjectiveMetric: tuning } : {}),
    ...(v._kfold !== undefined
      ? { crossValidation: Object.freeze({ folds: v._kfold, repeats: v._num_cv_round ?? 1 }) }
      : {}),
    seed: v.seed ?? 0,
    booster: Object.freeze(booster),
  });
}

/**
 * Validates decoded hyperparameters (strings) into training settings.
 *
 * @example validateHyperparameters({ num_round: "10", objective: "multi:softprob", num_class: "3" })
 * @throws SagebrewError SB_HYPERPARAMETER naming the parameter, the value and what is allowed.
 */
export function validateHyperparameters(input: Readonly<Record<string, string>>): XGBoostTrainingParams {
  const { values, given } = validateDeclared(XGBOOST_HYPERPARAMETERS, input, XGBOOST_ALGORITHM_NAME);
  return toTrainingParams(values, given);
}
