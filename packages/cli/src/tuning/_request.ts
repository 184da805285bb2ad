/**
 * From what a person types to the CreateHyperParameterTuningJob request SageMaker takes: the
 * `--range` syntax, the default tuning job name, and the request's tuning part (the job
 * definition's algorithm and resources are added by whoever runs it). Pure.
 */
import { type MetricDefinition, SagebrewError } from "@sagebrew/runtime/core";
import { type Objective, parseObjective } from "./_objective.js";
import { type ParameterRange, type ScalingType, toParameterRangesShape } from "./_ranges.js";
import type { Strategy, TuningJobRequest, WarmStartType } from "./_spec.js";

/** How an algorithm declares a hyperparameter, when it does: its type and AWS's suggested range. */
export interface DeclaredHyperparameter {
  readonly type: "int" | "float" | "enum" | "other";
  readonly tunable?: readonly [number, number];
  readonly values?: readonly string[];
}

const fail = (message: string): never => {
  throw new SagebrewError("SB_TUNING", message);
};

const SCALES: Readonly<Record<string, ScalingType>> = {
  log: "Logarithmic",
  logarithmic: "Logarithmic",
  linear: "Linear",
  auto: "Auto",
  "reverse-log": "ReverseLogarithmic",
  reverselog: "ReverseLogarithmic",
  reverselogarithmic: "ReverseLogarithmic",
};

const INTEGER = /^[-+]?\d+$/;

/**
 * Reads one `--range`: `NAME=MIN:MAX[:log|:linear|:reverse-log|:auto]` (an integer range when the
 * algorithm declares an integer, or, undeclared, when both ends are written as integers),
 * `NAME=a,b,c` (categorical), or `NAME` alone (the range AWS suggests, when the algorithm declares one).
 *
 * @throws SagebrewError SB_TUNING naming the flag and what was expected.
 * @example parseRange("eta=0.01:0.3:log") // { kind: "Continuous", name: "eta", min: 0.01, max: 0.3, scaling: "Logarithmic" }
 */
export function parseRange(
  text: string,
  declared?: (name: string) => DeclaredHyperparameter | undefined,
): ParameterRange {
  const eq = text.indexOf("=");
  const name = (eq < 0 ? text : text.slice(0, eq)).trim();
  if (!/^[^\s=]{1,256}$/.test(name)) fail(`--range ${text}: expected NAME=MIN:MAX[:log], NAME=a,b,c or NAME`);
  const decl = declared?.(name);
  if (eq < 0) {
    if (decl?.tunable) {
      const [min, max] = decl.tunable;
      return { kind: decl.type === "int" ? "Integer" : "Continuous", name, min, max, scaling: "Auto" };
    }
    if (decl?.values) return { kind: "Categorical", name, values: [...decl.values] };
    return fail(
      `--range ${name}: give its values, NAME=MIN:MAX or NAME=a,b,c (no suggested range is known for ${name})`,
    );
  }
  const spec = text.slice(eq + 1).trim();
  if (spec === "") fail(`--range ${text}: the values after = are missing`);
  if (spec.includes(",") || decl?.type === "enum") {
    const values = spec.split(",").map((v) => v.trim());
    if (values.some((v) => v === "")) fail(`--range ${text}: an empty value in the list`);
    return { kind: "Categorical", name, values };
  }
  const parts = spec.split(":");
  if (parts.length === 1) return { kind: "Categorical", name, values: [spec] };
  const last = parts.at(-1)!.toLowerCase();
  const scaling: ScalingType =
    parts.length === 3
      ? (SCALES[last] ??
        fail(`--range ${text}: the scale ${parts[2]} is not log, linear, reverse-log or auto`))
      : "Auto";
  if (parts.length > 3)
    fail(`--range ${text}: expected NAME=MIN:MAX[:log]; a list of values is separated by commas`);
  const [lo, hi] = parts as [string, string];
  const min = Number(lo);
  const max = Number(hi);
  if (lo.trim() === "" || hi.trim() === "" || !Number.isFinite(min) || !Number.isFinite(max)) {
    fail(
      `--range ${text}: MIN and MAX must be numbers; a list of values is separated by commas (NAME=a,b,c)`,
    );
  }
  const integer = decl ? decl.type === "int" : INTEGER.test(lo.trim()) && INTEGER.test(hi.trim());
  if (integer && !(Number.isInteger(min) && Number.isInteger(max)))
    fail(`--range ${text}: ${name} takes whole numbers`);
  return { kind: integer ? "Integer" : "Continuous", name, min, max, scaling };
}

/**
 * A tuning job name from a base and the time: `<base>-<yyMMdd-HHmmss>`, within SageMaker's 32
 * letters, digits and hyphens.
 *
 * @example defaultTuningJobName("iris xgboost", new Date("2026-03-01T10:20:30Z")) // "iris-xgboost-260301-102030"
 */
export function defaultTuningJobName(base: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, "").slice(2, 14);
  const clean =
    base
      .replace(/[^a-zA-Z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .replace(/-{2,}/g, "-") || "tune";
  const head = clean.slice(0, 32 - 14).replace(/-+$/, "") || "tune";
  return `${head}-${stamp.slice(0, 6)}-${stamp.slice(6)}`;
}

/** A tuning job as options: what `sagebrew tune` and `tune()` take. */
export interface TuningOptions {
  /** The tuning job's name (default `<dir>-<yyMMdd-HHmmss>`). */
  readonly name?: string;
  /** Default Bayesian. */
  readonly strategy?: Strategy;
  /** `validation:auc`, `validation:rmse:min`, or an objective with its direction. */
  readonly objective: string | Objective;
  readonly ranges: readonly ParameterRange[];
  /** MaxNumberOfTrainingJobs (default 10; Grid: every combination). */
  readonly maxJobs?: number;
  /** MaxParallelTrainingJobs (default 1). */
  readonly maxParallel?: number;
  /** The tuning job's MaxRuntimeInSeconds (not a training job's). */
  readonly maxTuningSeconds?: number;
  /** TrainingJobEarlyStoppingType (default Off). */
  readonly earlyStopping?: "Off" | "Auto";
  /** Hyperband's resource range; MaxResource defaults to num_round for XGBoost. */
  readonly hyperband?: { readonly minResource?: number; readonly maxResource?: number };
  readonly completion?: {
    readonly targetObjectiveValue?: number;
    readonly maxJobsNotImproving?: number;
    readonly completeOnConvergence?: boolean;
  };
  /** RandomSeed: the same seed proposes the same trials. */
  readonly randomSeed?: number;
  readonly warmStart?: { readonly type: WarmStartType; readonly parents: readonly string[] };
}

/** The default number of training jobs when none is given. */
export const DEFAULT_MAX_JOBS = 10;

/**
 * The CreateHyperParameterTuningJob request of `options`: the tuning configuration, the static
 * hyperparameters and the metric definitions of the job definition, and the warm start. The
 * request is not checked here (`tuningSpec` does that).
 */
export function tuningRequest(
  options: TuningOptions & { readonly name: string },
  definition: {
    readonly staticHyperParameters: Readonly<Record<string, string>>;
    readonly metricDefinitions?: readonly MetricDefinition[];
  },
): TuningJobRequest {
  const objective =
    typeof options.objective === "string" ? parseObjective(options.objective) : options.objective;
  const strategy = options.strategy ?? "Bayesian";
  const statics = { ...definition.staticHyperParameters };
  for (const r of options.ranges) delete statics[r.name];
  let hyperband: { MinResource?: number; MaxResource?: number } | undefined;
  if (strategy === "Hyperband") {
    // For XGBoost the resource is the boosting round: num_round bounds it unless told otherwise.
    const rounds = statics.num_round ?? statics.num_boost_round;
    const max = options.hyperband?.maxResource ?? (rounds !== undefined ? Number(rounds) : undefined);
    hyperband = {
      ...(options.hyperband?.minResource !== undefined ? { MinResource: options.hyperband.minResource } : {}),
      ...(max !== undefined && Number.isFinite(max) ? { MaxResource: max } : {}),
    };
  }
  const c = options.completion;
  const completion = c
    ? {
        ...(c.targetObjectiveValue !== undefined
          ? { TargetObjectiveMetricValue: c.targetObjectiveValue }
          : {}),
        ...(c.maxJobsNotImproving !== undefined
          ? { BestObjectiveNotImproving: { MaxNumberOfTrainingJobsNotImproving: c.maxJobsNotImproving } }
          : {}),
        ...(c.completeOnConvergence ? { ConvergenceDetected: { CompleteOnConvergence: "Enabled" } } : {}),
      }
    : undefined;
  return {
    HyperParameterTuningJobName: options.name,
    HyperParameterTuningJobConfig: {
      Strategy: strategy,
      ...(hyperband ? { StrategyConfig: { HyperbandStrategyConfig: hyperband } } : {}),
      HyperParameterTuningJobObjective: { Type: objective.type, MetricName: objective.metricName },
      ResourceLimits: {
        ...(strategy !== "Grid" || options.maxJobs !== undefined
          ? { MaxNumberOfTrainingJobs: options.maxJobs ?? DEFAULT_MAX_JOBS }
          : {}),
        MaxParallelTrainingJobs: options.maxParallel ?? 1,
        ...(options.maxTuningSeconds !== undefined ? { MaxRuntimeInSeconds: options.maxTuningSeconds } : {}),
      },
      ParameterRanges: toParameterRangesShape(options.ranges),
      TrainingJobEarlyStoppingType: options.earlyStopping ?? "Off",
      ...(completion && Object.keys(completion).length ? { TuningJobCompletionCriteria: completion } : {}),
      ...(options.randomSeed !== undefined ? { RandomSeed: options.randomSeed } : {}),
    },
    TrainingJobDefinition: {
      StaticHyperParameters: statics,
      ...(definition.metricDefinitions
        ? {
            AlgorithmSpecification: {
              MetricDefinitions: definition.metricDefinitions.map((d) => ({ ...d })),
            },
          }
        : {}),
    },
    ...(options.warmStart
      ? {
          WarmStartConfig: {
            ParentHyperParameterTuningJobs: options.warmStart.parents.map((p) => ({
              HyperParameterTuningJobName: p,
            })),
            WarmStartType: options.warmStart.type,
          },
        }
      : {}),
  };
}
