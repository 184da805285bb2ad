/**
 * The hyperparameters of SageMaker's built-in XGBoost algorithm (`shared/contract.md` §5.3): names,
 * aliases, types, ranges and dependencies, validated before training with messages that name the
 * parameter, the value and what is allowed. Pure.
 */
import { SagebrewError } from "../../errors/index.js";
import { BINARY_ONLY_METRICS } from "./metrics.js";

type Bound = { value: number; inclusive: boolean };

interface NumberSpec {
  kind: "int" | "float";
  min?: Bound;
  max?: Bound;
}
interface EnumSpec {
  kind: "enum";
  values: readonly string[];
}
interface OtherSpec {
  kind: "bool" | "metrics" | "updater" | "monotone" | "interaction" | "string";
}
/** How one hyperparameter is validated. */
export type HyperparameterSpec = (NumberSpec | EnumSpec | OtherSpec) & {
  xgboost?: false;
  tunable?: [number, number];
};
type Spec = HyperparameterSpec;

const ge = (value: number): Bound => ({ value, inclusive: true });
const gt = (value: number): Bound => ({ value, inclusive: false });

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

/** Metrics sagebrew computes from predictions, as the SageMaker container does (§5.4). */
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

/** Metrics where larger is better (§5.4); all others are minimised. */
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

export const SPECS: Readonly<Record<string, Spec>> = {
  num_round: { kind: "int", min: ge(1), xgboost: false, tunable: [1, 4000] },
  num_class: { kind: "int", min: ge(2) },
  objective: { kind: "enum", values: OBJECTIVES },
  eval_metric: { kind: "metrics", xgboost: false },
  early_stopping_rounds: { kind: "int", min: ge(1), xgboost: false },
  csv_weights: { kind: "int", min: ge(0), max: ge(1), xgboost: false },
  booster: { kind: "enum", values: ["gbtree", "gblinear", "dart"] },
  verbosity: { kind: "int", min: ge(0), max: ge(3) },
  nthread: { kind: "int", min: ge(1) },
  eta: { kind: "float", min: ge(0), max: ge(1), tunable: [0.1, 0.5] },
  gamma: { kind: "float", min: ge(0), tunable: [0, 5] },
  max_depth: { kind: "int", min: ge(0), tunable: [0, 10] },
  min_child_weight: { kind: "float", min: ge(0), tunable: [0, 120] },
  max_delta_step: { kind: "float", min: ge(0), tunable: [0, 10] },
  subsample: { kind: "float", min: gt(0), max: ge(1), tunable: [0.5, 1] },
  colsample_bytree: { kind: "float", min: gt(0), max: ge(1), tunable: [0.5, 1] },
  colsample_bylevel: { kind: "float", min: gt(0), max: ge(1), tunable: [0.1, 1] },
  colsample_bynode: { kind: "float", min: gt(0), max: ge(1), tunable: [0.1, 1] },
  lambda: { kind: "float", min: ge(0), tunable: [0, 1000] },
  alpha: { kind: "float", min: ge(0), tunable: [0, 1000] },
  tree_method: { kind: "enum", values: ["auto", "exact", "approx", "hist", "gpu_hist"] },
  sketch_eps: { kind: "float", min: gt(0), max: gt(1) },
  scale_pos_weight: { kind: "float", min: gt(0) },
  updater: { kind: "updater" },
  dsplit: { kind: "enum", values: ["row", "col"] },
  refresh_leaf: { kind: "int", min: ge(0), max: ge(1) },
  process_type: { kind: "enum", values: ["default", "update"] },
  grow_policy: { kind: "enum", values: ["depthwise", "lossguide"] },
  max_leaves: { kind: "int", min: ge(0) },
  max_bin: { kind: "int", min: ge(0) },
  predictor: { kind: "enum", values: ["auto", "cpu_predictor", "gpu_predictor"] },
  monotone_constraints: { kind: "monotone" },
  interaction_constraints: { kind: "interaction" },
  sample_type: { kind: "enum", values: ["uniform", "weighted"] },
  normalize_type: { kind: "enum", values: ["tree", "forest"] },
  rate_drop: { kind: "float", min: ge(0), max: ge(1) },
  skip_drop: { kind: "float", min: ge(0), max: ge(1) },
  one_drop: { kind: "int", min: ge(0), max: ge(1) },
  lambda_bias: { kind: "float", min: ge(0), max: ge(1) },
  tweedie_variance_power: { kind: "float", min: gt(1), max: gt(2) },
  base_score: { kind: "float", min: ge(0) },
  seed: { kind: "int", min: gt(-(2 ** 31)), max: gt(2 ** 31 - 1) },
  num_parallel_tree: { kind: "int", min: ge(1) },
  save_model_on_termination: { kind: "bool", xgboost: false },
  aft_loss_distribution: { kind: "enum", values: ["normal", "logistic", "extreme"] },
  aft_loss_distribution_scale: { kind: "float", min: ge(0) },
  deterministic_histogram: { kind: "bool" },
  sampling_method: { kind: "enum", values: ["uniform", "gradient_based"] },
  prob_buffer_row: { kind: "int", min: gt(1) },
  single_precision_histogram: { kind: "bool" },
  _kfold: { kind: "int", min: ge(2), xgboost: false },
  _num_cv_round: { kind: "int", min: ge(1), xgboost: false },
  _tuning_objective_metric: { kind: "string", xgboost: false },
  use_dask_gpu_training: { kind: "bool", xgboost: false },
  /** sagebrew: save a checkpoint every N rounds when checkpointing is configured (default 1). */
  checkpoint_frequency: { kind: "int", min: ge(1), xgboost: false },
};

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
  /** Parameters handed to XGBoost as they are (strings), aliases resolved. */
  readonly booster: Readonly<Record<string, string>>;
}

function hp(name: string, msg: string): SagebrewError {
  return new SagebrewError("SB_HYPERPARAMETER", `Hyperparameter ${name}: ${msg}`);
}

function describeRange(s: NumberSpec): string {
  const lo = s.min ? `${s.min.inclusive ? "[" : "("}${s.min.value}` : "(-inf";
  const hi = s.max ? `${s.max.value}${s.max.inclusive ? "]" : ")"}` : "inf)";
  return `${lo}, ${hi}`;
}

/** Python's `int()` and `float()` grammar as SageMaker's container parses values, less `_` separators and non-finite values. */
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseNumber(name: string, raw: string, s: NumberSpec): number {
  const t = raw.trim();
  const v = (s.kind === "int" ? INTEGER : DECIMAL).test(t) ? Number(t) : Number.NaN;
  if (!Number.isFinite(v) || (s.kind === "int" && !Number.isSafeInteger(v))) {
    throw hp(
      name,
      `could not parse value ${JSON.stringify(raw)} as ${s.kind === "int" ? "an integer" : "a number"}`,
    );
  }
  const below = s.min && (s.min.inclusive ? v < s.min.value : v <= s.min.value);
  const above = s.max && (s.max.inclusive ? v > s.max.value : v >= s.max.value);
  if (below || above) throw hp(name, `${t} is not in ${describeRange(s)}`);
  return v;
}

function isMetric(m: string): boolean {
  if ((XGBOOST_METRICS as readonly string[]).includes(m) || (CUSTOM_METRICS as readonly string[]).includes(m))
    return true;
  // A threshold is any decimal, as upstream parses it with float(); XGBoost's ranking metrics also
  // take a trailing "-" (count a list without positives as 0).
  const at = /^(error|ndcg|map)@(.+?)(-)?$/.exec(m);
  return at !== null && DECIMAL.test(at[2]!) && (at[3] === undefined || at[1] !== "error");
}

/**
 * `(1,0,-1)`, as XGBoost reads it; `[1,0,-1]` (a Python list, which SageMaker's container accepts
 * and its XGBoost turns into a tuple) is rewritten to that form. A trailing comma is allowed.
 */
function parseMonotone(name: string, raw: string): string {
  const m = /^[([]\s*((-?\d+\s*,\s*)*(-?\d+\s*,?)?)\s*[)\]]$/.exec(raw.trim());
  const open = raw.trim()[0];
  const close = raw.trim().at(-1);
  const items = m?.[1]
    ?.split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
  if (!m || (open === "(") !== (close === ")") || !items?.every((v) => ["-1", "0", "1"].includes(v))) {
    throw hp(name, `${JSON.stringify(raw)} is not a tuple of -1, 0 and 1 such as (1,0,-1)`);
  }
  return `(${items.join(",")})`;
}

/** The closest known name, for "did you mean" hints. */
function suggest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDist) {
      best = k;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The updater rules of SageMaker's container, plus the updaters XGBoost no longer has. */
function checkUpdater(
  updater: readonly string[],
  booster: string | undefined,
  processType: string | undefined,
): void {
  if (booster === "gblinear") {
    if (!(updater.length === 1 && LINEAR_UPDATERS.includes(updater[0]!)))
      throw hp("updater", "with booster gblinear must be exactly one of shotgun, coord_descent");
    return;
  }
  if (processType === "update" && !updater.every((u) => u === "refresh" || u === "prune")) {
    throw hp("updater", "with process_type update may only use refresh and prune");
  }
  const linear = updater.filter((u) => LINEAR_UPDATERS.includes(u));
  if (linear.length > 0)
    throw hp(
      "updater",
      `${linear.join(", ")} updates linear models; with booster ${booster ?? "gbtree"} use tree updaters (${TREE_UPDATERS.join(", ")})`,
    );
  const removed = updater.filter((u) => REMOVED_UPDATERS.includes(u));
  if (removed.length > 0)
    throw hp(
      "updater",
      `${removed.join(", ")} is no longer part of XGBoost; use one of ${TREE_UPDATERS.join(", ")}`,
    );
  const growers = updater.filter((u) => u.startsWith("grow_"));
  if (growers.length > 1) throw hp("updater", `uses more than one tree-grow plugin (${growers.join(", ")})`);
}

/**
 * Validates decoded hyperparameters (strings) into training settings.
 *
 * @example validateHyperparameters({ num_round: "10", objective: "multi:softprob", num_class: "3" })
 * @throws SagebrewError SB_HYPERPARAMETER naming the parameter, the value and what is allowed.
 */
export function validateHyperparameters(input: Readonly<Record<string, string>>): XGBoostTrainingParams {
  const values: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(input)) {
    const name = ALIASES[rawName] ?? rawName;
    if (name in values)
      throw hp(name, `given twice (as ${rawName} and ${name === rawName ? "an alias" : name})`);
    values[name] = value;
  }
  if (values.num_round === undefined) {
    throw hp("num_round", "missing; it is required (the number of boosting rounds, e.g. 100)");
  }
  const known = Object.keys(SPECS).concat(Object.keys(ALIASES));
  for (const name of Object.keys(values)) {
    if (!(name in SPECS)) {
      const hint = suggest(name, known);
      throw hp(
        name,
        `not a hyperparameter of the XGBoost algorithm${hint ? ` (did you mean ${hint}?)` : ""}`,
      );
    }
  }
  const parsed: Record<string, number | string | boolean | string[]> = {};
  for (const [name, raw] of Object.entries(values)) {
    const spec = SPECS[name]!;
    switch (spec.kind) {
      case "int":
      case "float":
        parsed[name] = parseNumber(name, raw, spec);
        break;
      case "enum": {
        const v = raw.trim();
        if (!spec.values.includes(v))
          throw hp(name, `${JSON.stringify(raw)} is not one of ${spec.values.join(", ")}`);
        parsed[name] = v;
        break;
      }
      case "bool": {
        const v = raw.trim().toLowerCase();
        if (v !== "true" && v !== "false") throw hp(name, `${JSON.stringify(raw)} is not true or false`);
        parsed[name] = v === "true";
        break;
      }
      case "metrics": {
        const list = raw
          .split(",")
          .map((m) => m.trim())
          .filter((m) => m !== "");
        if (list.length === 0) throw hp(name, "is empty; give one or more metric names separated by commas");
        for (const m of list) {
          if (!isMetric(m)) {
            const hint = suggest(m, [...XGBOOST_METRICS, ...CUSTOM_METRICS]);
            throw hp(
              name,
              `${JSON.stringify(m)} is not a known metric${hint ? ` (did you mean ${hint}?)` : ""}`,
            );
          }
        }
        parsed[name] = list;
        break;
      }
      case "updater": {
        const list = raw.split(",").map((u) => u.trim());
        for (const u of list)
          if (!UPDATERS.includes(u))
            throw hp(name, `${JSON.stringify(u)} is not one of ${UPDATERS.join(", ")}`);
        parsed[name] = list;
        break;
      }
      case "monotone":
        parsed[name] = parseMonotone(name, raw);
        break;
      case "interaction": {
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
          throw hp(
            name,
            `${JSON.stringify(raw)} is not a list of lists of feature indices such as [[0,1],[2,3]]`,
          );
        parsed[name] = raw.trim();
        break;
      }
      case "string":
        parsed[name] = raw.trim();
        break;
    }
  }
  const objective = (parsed.objective as string | undefined) ?? "reg:squarederror";
  const evalMetrics = (parsed.eval_metric as string[] | undefined) ?? [];
  // Dependencies (§5.3, §7.2).
  if ((objective === "multi:softmax" || objective === "multi:softprob") && parsed.num_class === undefined) {
    throw hp(
      "num_class",
      `missing; it is required for objective ${objective} (the number of classes, e.g. 3)`,
    );
  }
  const tuning = parsed._tuning_objective_metric as string | undefined;
  const tuningMetric = tuning?.replace(/^(validation|train):/, "");
  if (tuningMetric !== undefined && !isMetric(tuningMetric)) {
    throw hp("_tuning_objective_metric", `${JSON.stringify(tuning)} names no known metric`);
  }
  const allMetrics = [...evalMetrics];
  if (tuningMetric && !allMetrics.includes(tuningMetric)) allMetrics.push(tuningMetric);
  // As upstream, these two rules read eval_metric only: an HPO job's objective `validation:auc` on
  // a multi-class objective is XGBoost's multi-class AUC there, and is here too.
  if (evalMetrics.includes("auc") && !objective.startsWith("binary:") && !objective.startsWith("rank:")) {
    throw hp("eval_metric", `auc needs a binary:* or rank:* objective, not ${objective}`);
  }
  if (evalMetrics.includes("aft-nloglik") && objective !== "survival:aft") {
    throw hp("eval_metric", `aft-nloglik needs objective survival:aft, not ${objective}`);
  }
  const numClass = parsed.num_class as number | undefined;
  if (objective.startsWith("multi:") && (numClass ?? 0) > 2) {
    for (const m of allMetrics.filter((x) => BINARY_ONLY_METRICS.has(x))) {
      throw hp(
        evalMetrics.includes(m) ? "eval_metric" : "_tuning_objective_metric",
        `${m} scores the positive class of a binary problem, and objective ${objective} has ${numClass} classes; use ${m === "f1_binary" ? "f1 or f1_macro" : `${m}_macro or ${m}_micro`}`,
      );
    }
  }
  const treeMethod = parsed.tree_method as string | undefined;
  if (
    parsed.monotone_constraints !== undefined &&
    treeMethod !== undefined &&
    !["exact", "hist"].includes(treeMethod)
  ) {
    throw hp("monotone_constraints", `needs tree_method exact or hist, not ${treeMethod}`);
  }
  if (
    parsed.interaction_constraints !== undefined &&
    treeMethod !== undefined &&
    !["exact", "hist", "approx"].includes(treeMethod)
  ) {
    throw hp("interaction_constraints", `needs tree_method exact, hist or approx, not ${treeMethod}`);
  }
  const updater = parsed.updater as string[] | undefined;
  if (updater)
    checkUpdater(updater, parsed.booster as string | undefined, parsed.process_type as string | undefined);
  if (parsed._kfold !== undefined || parsed._num_cv_round !== undefined) {
    throw hp(
      "_kfold",
      "k-fold cross-validation is not supported by sagebrew yet; remove _kfold and _num_cv_round",
    );
  }
  if (parsed.use_dask_gpu_training === true) {
    throw hp("use_dask_gpu_training", "Dask GPU training is not supported by sagebrew; set it to false");
  }

  const booster: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (SPECS[name]!.xgboost === false) continue;
    booster[name] = Array.isArray(value) ? value.join(",") : String(value);
  }
  booster.objective = objective;
  return Object.freeze({
    numRound: parsed.num_round as number,
    objective,
    ...(parsed.num_class !== undefined ? { numClass: parsed.num_class as number } : {}),
    evalMetrics: allMetrics,
    ...(parsed.early_stopping_rounds !== undefined
      ? { earlyStoppingRounds: parsed.early_stopping_rounds as number }
      : {}),
    csvWeights: parsed.csv_weights === 1,
    saveModelOnTermination: parsed.save_model_on_termination === true,
    checkpointFrequency: (parsed.checkpoint_frequency as number | undefined) ?? 1,
    ...(tuningMetric ? { tuningObjectiveMetric: tuningMetric } : {}),
    booster: Object.freeze(booster),
  });
}
