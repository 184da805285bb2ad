/**
 * A CreateHyperParameterTuningJob request checked against SageMaker's rules and read into the
 * spec the strategies run. Each rule names its source: botocore's model of the API (limits,
 * enums, the Hyperband and early-stopping notes), the Developer Guide's pages (DG
 * automatic-model-tuning-how-it-works for Grid, -define-ranges for scaling and the 100
 * hyperparameters, -limits for the quotas). Pure.
 */
import { type MetricDefinition, SagebrewError } from "@sagebrew/runtime/core";
import { gridSize } from "./_grid.js";
import { type Objective, objectiveDefinition } from "./_objective.js";
import { type ParameterRange, type ParameterRangesShape, parseParameterRanges } from "./_ranges.js";

export type Strategy = "Bayesian" | "Random" | "Hyperband" | "Grid";
export const STRATEGIES: readonly Strategy[] = ["Bayesian", "Random", "Hyperband", "Grid"];

/** The request fields the tuner reads (structurally the SDK's and the API's own types). */
export interface TuningJobRequest {
  readonly HyperParameterTuningJobName?: string;
  readonly HyperParameterTuningJobConfig?: {
    readonly Strategy?: string;
    readonly StrategyConfig?: {
      readonly HyperbandStrategyConfig?: { readonly MinResource?: number; readonly MaxResource?: number };
    };
    readonly HyperParameterTuningJobObjective?: { readonly Type?: string; readonly MetricName?: string };
    readonly ResourceLimits?: {
      readonly MaxNumberOfTrainingJobs?: number;
      readonly MaxParallelTrainingJobs?: number;
      readonly MaxRuntimeInSeconds?: number;
    };
    readonly ParameterRanges?: ParameterRangesShape;
    readonly TrainingJobEarlyStoppingType?: string;
    readonly TuningJobCompletionCriteria?: {
      readonly TargetObjectiveMetricValue?: number;
      readonly BestObjectiveNotImproving?: { readonly MaxNumberOfTrainingJobsNotImproving?: number };
      readonly ConvergenceDetected?: { readonly CompleteOnConvergence?: string };
    };
    readonly RandomSeed?: number;
  };
  readonly TrainingJobDefinition?: TrainingJobDefinitionShape;
  readonly TrainingJobDefinitions?: readonly TrainingJobDefinitionShape[];
  readonly WarmStartConfig?: {
    readonly ParentHyperParameterTuningJobs?: readonly { readonly HyperParameterTuningJobName?: string }[];
    readonly WarmStartType?: string;
  };
}

export interface TrainingJobDefinitionShape {
  readonly StaticHyperParameters?: Readonly<Record<string, string>>;
  readonly HyperParameterRanges?: ParameterRangesShape;
  readonly TuningObjective?: { readonly Type?: string; readonly MetricName?: string };
  readonly AlgorithmSpecification?: {
    readonly MetricDefinitions?: readonly { readonly Name?: string; readonly Regex?: string }[];
  };
  readonly RetryStrategy?: { readonly MaximumRetryAttempts?: number };
}

export type WarmStartType = "IdenticalDataAndAlgorithm" | "TransferLearning";

/** What the strategies run: the request, checked, with its defaults decided. */
export interface TuningSpec {
  readonly name: string;
  readonly strategy: Strategy;
  readonly objective: Objective;
  /** The definition that reads the objective from a log line. */
  readonly objectiveDefinition: MetricDefinition;
  readonly ranges: readonly ParameterRange[];
  readonly staticHyperParameters: Readonly<Record<string, string>>;
  /** MaxNumberOfTrainingJobs (Grid: the number of combinations). */
  readonly maxJobs: number;
  readonly maxParallel: number;
  readonly maxRuntimeSeconds?: number;
  readonly earlyStopping: "Off" | "Auto";
  readonly hyperband?: { readonly minResource: number; readonly maxResource: number };
  readonly completion: {
    readonly target?: number;
    readonly notImproving?: number;
    readonly convergence: boolean;
  };
  /** RandomSeed when the request gives one. */
  readonly randomSeed?: number;
  /**
   * RetryStrategy.MaximumRetryAttempts of the training job definition: how many times a point whose
   * trial failed for an internal reason is run again.
   */
  readonly maxRetryAttempts?: number;
  readonly warmStart?: { readonly type: WarmStartType; readonly parents: readonly string[] };
}

/**
 * SageMaker's limits (botocore; DG automatic-model-tuning-limits): 750 training jobs per tuning
 * job (10,000 for Random, its raised quota), 100 in parallel (the raised quota; 10 by default),
 * 20 metric definitions per tuning job, 100 hyperparameters static and tuned together, 120 s to
 * 15,768,000 s of runtime, Hyperband's MaxResource at most 20,000, 1 to 5 warm-start parents.
 */
export const TUNING_LIMITS = {
  maxJobs: 750,
  maxJobsRandom: 10_000,
  maxParallel: 100,
  metricDefinitions: 20,
  hyperparameters: 100,
  runtime: [120, 15_768_000],
  maxResource: 20_000,
  parents: 5,
} as const;

/** Static hyperparameters Hyperband reads MaxResource from when it is not given (botocore). */
export const EPOCH_KEYS = ["epochs", "numepochs", "n-epochs", "n_epochs", "num_epochs"] as const;

/** The tuning job name rule (botocore's HyperParameterTuningJobName). */
export const TUNING_JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/;

const fail = (message: string): never => {
  throw new SagebrewError("SB_TUNING", message);
};

function wholeNumber(what: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    fail(`Cannot use ${what} ${JSON.stringify(v)}: a whole number from ${min} to ${max}`);
  return v as number;
}

function oneOf<T extends string>(what: string, v: string | undefined, allowed: readonly T[], dflt?: T): T {
  if (v === undefined && dflt !== undefined) return dflt;
  if (v === undefined || !(allowed as readonly string[]).includes(v))
    fail(`Cannot use ${what} ${JSON.stringify(v)}: one of ${allowed.join(", ")}`);
  return v as T;
}

function definitionOf(request: TuningJobRequest): TrainingJobDefinitionShape {
  const list = request.TrainingJobDefinitions;
  if (request.TrainingJobDefinition && list?.length)
    fail("Cannot use both TrainingJobDefinition and TrainingJobDefinitions: give one");
  if (list && list.length > 1)
    fail(
      `Cannot run ${list.length} TrainingJobDefinitions: sagebrew tunes one training job definition per tuning job`,
    );
  const def = request.TrainingJobDefinition ?? list?.[0];
  if (!def) fail("Cannot tune without a TrainingJobDefinition: it says what each training job runs");
  return def!;
}

function hyperbandOf(
  config: NonNullable<TuningJobRequest["HyperParameterTuningJobConfig"]>,
  statics: Readonly<Record<string, string>>,
): TuningSpec["hyperband"] {
  const given = config.StrategyConfig?.HyperbandStrategyConfig;
  const min = wholeNumber("MinResource", given?.MinResource ?? 1, 1, TUNING_LIMITS.maxResource);
  let max = given?.MaxResource;
  if (max === undefined) {
    const key = EPOCH_KEYS.find((k) => statics[k] !== undefined);
    if (key === undefined) {
      fail(
        `Cannot run Hyperband without MaxResource: give HyperbandStrategyConfig.MaxResource, or a static hyperparameter ${EPOCH_KEYS.join(", ")} to infer it from (for XGBoost the resource is num_round: set MaxResource to it)`,
      );
    }
    max = Number(statics[key!]);
  }
  const maxResource = wholeNumber("MaxResource", max, 1, TUNING_LIMITS.maxResource);
  if (min > maxResource) fail(`Cannot run Hyperband: MinResource ${min} is above MaxResource ${maxResource}`);
  return { minResource: min, maxResource };
}

/**
 * Checks a request and reads it into a spec.
 *
 * @throws SagebrewError SB_TUNING naming the field and the rule.
 * @example const spec = tuningSpec(request); spec.maxJobs // 20
 */
export function tuningSpec(request: TuningJobRequest): TuningSpec {
  const name = request.HyperParameterTuningJobName ?? "";
  if (!TUNING_JOB_NAME.test(name))
    fail(
      `Cannot use tuning job name ${JSON.stringify(name)}: 1 to 32 letters, digits and hyphens, starting and ending with a letter or digit`,
    );
  const config = request.HyperParameterTuningJobConfig;
  if (!config) return fail("Cannot tune without a HyperParameterTuningJobConfig");
  const strategy = oneOf("Strategy", config.Strategy, STRATEGIES);
  const def = definitionOf(request);
  const statics = { ...(def.StaticHyperParameters ?? {}) };

  const rawObjective = def.TuningObjective ?? config.HyperParameterTuningJobObjective;
  if (!rawObjective?.MetricName)
    return fail("Cannot tune without an objective: HyperParameterTuningJobObjective.MetricName");
  if (rawObjective.MetricName.length > 255) fail("Cannot tune on a metric name over 255 characters");
  const objective: Objective = {
    type: oneOf("objective Type", rawObjective.Type, ["Maximize", "Minimize"] as const),
    metricName: rawObjective.MetricName,
  };
  const definitions = (def.AlgorithmSpecification?.MetricDefinitions ?? []).map((d) => ({
    Name: d.Name ?? "",
    Regex: d.Regex ?? "",
  }));
  if (definitions.length > TUNING_LIMITS.metricDefinitions)
    fail(
      `Cannot define ${definitions.length} metrics: a tuning job takes at most ${TUNING_LIMITS.metricDefinitions} MetricDefinitions`,
    );

  const ranges = parseParameterRanges(def.HyperParameterRanges ?? config.ParameterRanges);
  if (ranges.length === 0) fail("Cannot tune without ParameterRanges: give at least one range to search");
  for (const r of ranges) {
    if (r.name in statics)
      fail(`Cannot tune ${r.name}: it is also a static hyperparameter; keep it in one place`);
  }
  // _tuning_objective_metric is added to every training job and counts against the limit (DG define-ranges).
  const total = ranges.length + Object.keys(statics).length + 1;
  if (total > TUNING_LIMITS.hyperparameters)
    fail(
      `Cannot tune with ${total} hyperparameters (static, tuned and _tuning_objective_metric): SageMaker takes at most ${TUNING_LIMITS.hyperparameters}`,
    );

  const limits = config.ResourceLimits;
  const maxParallel = wholeNumber(
    "MaxParallelTrainingJobs",
    limits?.MaxParallelTrainingJobs,
    1,
    TUNING_LIMITS.maxParallel,
  );
  let maxJobs: number;
  if (strategy === "Grid") {
    const numeric = ranges.find((r) => r.kind !== "Categorical");
    if (numeric)
      fail(
        `Cannot run Grid search over ${numeric.name}: Grid takes categorical ranges only (list its values as a categorical range)`,
      );
    const size = gridSize(ranges);
    if (size > TUNING_LIMITS.maxJobs)
      fail(
        `Cannot run Grid search over ${size} combinations: SageMaker runs at most ${TUNING_LIMITS.maxJobs}`,
      );
    if (limits?.MaxNumberOfTrainingJobs !== undefined && limits.MaxNumberOfTrainingJobs !== size)
      fail(
        `Cannot run Grid search with MaxNumberOfTrainingJobs ${limits.MaxNumberOfTrainingJobs}: the ranges make ${size} combinations, and Grid runs each once (leave it out, or give ${size})`,
      );
    maxJobs = size;
  } else {
    if (limits?.MaxNumberOfTrainingJobs === undefined)
      fail(`Cannot run ${strategy} search without ResourceLimits.MaxNumberOfTrainingJobs`);
    const cap = strategy === "Random" ? TUNING_LIMITS.maxJobsRandom : TUNING_LIMITS.maxJobs;
    maxJobs = wholeNumber("MaxNumberOfTrainingJobs", limits?.MaxNumberOfTrainingJobs, 1, cap);
  }
  const maxRuntimeSeconds =
    limits?.MaxRuntimeInSeconds === undefined
      ? undefined
      : wholeNumber("MaxRuntimeInSeconds", limits.MaxRuntimeInSeconds, ...TUNING_LIMITS.runtime);

  const earlyStopping = oneOf(
    "TrainingJobEarlyStoppingType",
    config.TrainingJobEarlyStoppingType,
    ["Off", "Auto"] as const,
    "Off",
  );
  if (config.StrategyConfig && strategy !== "Hyperband")
    fail(`Cannot use StrategyConfig with the ${strategy} strategy: it configures Hyperband only`);
  let hyperband: TuningSpec["hyperband"];
  if (strategy === "Hyperband") {
    if (earlyStopping !== "Off")
      fail(
        "Cannot use TrainingJobEarlyStoppingType Auto with Hyperband: Hyperband stops trials itself, so early stopping must be Off",
      );
    hyperband = hyperbandOf(config, statics);
  }

  const criteria = config.TuningJobCompletionCriteria;
  const target = criteria?.TargetObjectiveMetricValue;
  if (target !== undefined && !Number.isFinite(target))
    fail(`Cannot use TargetObjectiveMetricValue ${target}: a finite number`);
  const notImproving = criteria?.BestObjectiveNotImproving?.MaxNumberOfTrainingJobsNotImproving;
  if (notImproving !== undefined)
    wholeNumber("MaxNumberOfTrainingJobsNotImproving", notImproving, 3, 1_000_000);
  const convergence =
    oneOf(
      "CompleteOnConvergence",
      criteria?.ConvergenceDetected?.CompleteOnConvergence,
      ["Disabled", "Enabled"] as const,
      "Disabled",
    ) === "Enabled";
  const seed = config.RandomSeed;
  if (seed !== undefined) wholeNumber("RandomSeed", seed, 0, 2 ** 31 - 1);
  const retries = def.RetryStrategy?.MaximumRetryAttempts;
  if (def.RetryStrategy) wholeNumber("MaximumRetryAttempts", retries, 1, 30);

  let warmStart: TuningSpec["warmStart"];
  if (request.WarmStartConfig) {
    const parents = (request.WarmStartConfig.ParentHyperParameterTuningJobs ?? []).map(
      (p) => p.HyperParameterTuningJobName ?? "",
    );
    if (parents.length < 1 || parents.length > TUNING_LIMITS.parents)
      fail(`Cannot warm start from ${parents.length} parent tuning jobs: 1 to ${TUNING_LIMITS.parents}`);
    for (const p of parents)
      if (!TUNING_JOB_NAME.test(p))
        fail(`Cannot warm start from ${JSON.stringify(p)}: not a tuning job name`);
    warmStart = {
      type: oneOf("WarmStartType", request.WarmStartConfig.WarmStartType, [
        "IdenticalDataAndAlgorithm",
        "TransferLearning",
      ] as const),
      parents,
    };
  }

  return {
    name,
    strategy,
    objective,
    objectiveDefinition: objectiveDefinition(objective, definitions),
    ranges,
    staticHyperParameters: statics,
    maxJobs,
    maxParallel,
    ...(maxRuntimeSeconds !== undefined ? { maxRuntimeSeconds } : {}),
    earlyStopping,
    ...(hyperband ? { hyperband } : {}),
    completion: {
      ...(target !== undefined ? { target } : {}),
      ...(notImproving !== undefined ? { notImproving } : {}),
      convergence,
    },
    ...(seed !== undefined ? { randomSeed: seed } : {}),
    ...(retries !== undefined ? { maxRetryAttempts: retries } : {}),
    ...(warmStart ? { warmStart } : {}),
  };
}
