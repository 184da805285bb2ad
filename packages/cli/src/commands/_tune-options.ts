/**
 * The options `sagebrew tune` shares between a tuning job here and one on SageMaker: the ranges,
 * the objective, the strategy and its limits, read into the tuning core's `TuningOptions`.
 */
import { SagebrewError } from "@sagebrew/runtime/core";
import {
  type DeclaredHyperparameter,
  parseRange,
  type Strategy,
  type TuningOptions,
} from "../tuning/index.js";
import { intFlag } from "./_sagemaker.js";

export const TUNE_OPTIONS = {
  range: { type: "string", multiple: true },
  objective: { type: "string" },
  "max-jobs": { type: "string" },
  "max-parallel": { type: "string" },
  strategy: { type: "string" },
  "early-stopping": { type: "string" },
  "min-resource": { type: "string" },
  "max-resource": { type: "string" },
  seed: { type: "string" },
  "max-tuning-time": { type: "string" },
  target: { type: "string" },
  "max-jobs-not-improving": { type: "string" },
  "complete-on-convergence": { type: "boolean" },
  "warm-start": { type: "string", multiple: true },
  "warm-start-type": { type: "string" },
  name: { type: "string" },
  hyperparameter: { type: "string", multiple: true },
  metric: { type: "string", multiple: true },
} as const;

export const TUNE_HELP = `  --range <spec>             a hyperparameter to search (repeatable):
                               NAME=MIN:MAX[:log|:linear|:reverse-log|:auto]  integer when the
                                 algorithm declares an integer (or both ends are whole numbers), else
                                 continuous; the scale Auto when none is given;
                               NAME=a,b,c  categorical;  NAME  the range AWS suggests for an XGBoost one
  --objective <metric>       what to optimise: validation:auc, validation:rmse, … (the built-in metrics
                             know their direction), or any metric with :max or :min
  --strategy <s>             Bayesian (default), Random, Grid (categorical ranges, every combination once)
                             or Hyperband (stops weak trials at rungs of num_round)
  --max-jobs <n>             training jobs in all (default 10; Grid: every combination)
  --max-parallel <n>         training jobs at once (default 1)
  --early-stopping <auto|off>  stop trials worse than the median of earlier ones at the same round
  --min-resource <n>         Hyperband: rounds before a trial may be stopped (default 1)
  --max-resource <n>         Hyperband: rounds a trial may train (default num_round)
  --seed <n>                 RandomSeed: the same seed proposes the same trials
  --target <value>           stop once a trial reaches this objective (TargetObjectiveMetricValue)
  --max-jobs-not-improving <n>  stop after n trials in a row without a 1% improvement (at least 3)
  --complete-on-convergence  stop when the Bayesian model expects no 1% improvement
  --max-tuning-time <s>      longest the tuning job may run (120 to 15768000 s)
  --warm-start <job>         a parent tuning job to start from (repeatable, up to 5)
  --warm-start-type <t>      identical (same data and algorithm, the default) or transfer
  --name <name>              the tuning job's name (default <dir>-<yyMMdd-HHmmss>; 32 letters, digits, -)
  --hyperparameter <k=v>     add or override a static hyperparameter (repeatable)
  --metric <name=regex>      a metric your own algorithm prints (MetricDefinitions; repeatable)`;

type Values = {
  [K in keyof typeof TUNE_OPTIONS]?: (typeof TUNE_OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof TUNE_OPTIONS)[K] extends { type: "boolean" }
      ? boolean
      : string;
};

const STRATEGY_NAMES: Readonly<Record<string, Strategy>> = {
  bayesian: "Bayesian",
  random: "Random",
  grid: "Grid",
  hyperband: "Hyperband",
};

function choice<T>(
  flag: string,
  value: string | undefined,
  table: Readonly<Record<string, T>>,
): T | undefined {
  if (value === undefined) return undefined;
  const hit = table[value.toLowerCase()];
  if (hit === undefined)
    throw new SagebrewError("SB_USAGE", `--${flag} ${value} is not one of ${Object.keys(table).join(", ")}`);
  return hit;
}

/** Parses `name=regex` metric flags into MetricDefinitions. */
export function metricFlags(
  items: readonly string[] | undefined,
): { Name: string; Regex: string }[] | undefined {
  if (!items?.length) return undefined;
  return items.map((item) => {
    const eq = item.indexOf("=");
    if (eq <= 0 || eq === item.length - 1)
      throw new SagebrewError(
        "SB_USAGE",
        `--metric ${item} is not NAME=REGEX (the regex captures the value)`,
      );
    return { Name: item.slice(0, eq), Regex: item.slice(eq + 1) };
  });
}

/** The XGBoost algorithm's declarations, to type `--range` values (integer or continuous). */
export async function xgboostDeclarations(): Promise<(name: string) => DeclaredHyperparameter | undefined> {
  const { XGBOOST_HYPERPARAMETERS, XGBOOST_HYPERPARAMETER_ALIASES } = await import("@sagebrew/runtime");
  const declarations = XGBOOST_HYPERPARAMETERS.declarations as Record<
    string,
    { type?: string; tunable?: readonly [number, number]; values?: readonly string[] }
  >;
  return (name) => {
    const d = declarations[(XGBOOST_HYPERPARAMETER_ALIASES as Record<string, string>)[name] ?? name];
    if (!d) return undefined;
    const type = d.type === "int" || d.type === "float" || d.type === "enum" ? d.type : "other";
    return {
      type,
      ...(d.tunable ? { tunable: d.tunable } : {}),
      ...(type === "enum" && d.values ? { values: d.values } : {}),
    };
  };
}

/** Reads the tuning flags into options (ranges parsed with `declared`). */
export async function tuningOptionsFrom(
  values: Values,
  declared: ((name: string) => DeclaredHyperparameter | undefined) | undefined,
): Promise<TuningOptions> {
  if (!values.objective)
    throw new SagebrewError(
      "SB_USAGE",
      "--objective is required: the metric to optimise, e.g. validation:auc",
    );
  if (!values.range?.length)
    throw new SagebrewError(
      "SB_USAGE",
      "--range is required: at least one hyperparameter to search, e.g. --range eta=0.05:0.5:log",
    );
  const strategy = choice("strategy", values.strategy, STRATEGY_NAMES);
  const early = choice("early-stopping", values["early-stopping"], { auto: "Auto", off: "Off" } as const);
  const warmType = choice("warm-start-type", values["warm-start-type"], {
    identical: "IdenticalDataAndAlgorithm",
    transfer: "TransferLearning",
    identicaldataandalgorithm: "IdenticalDataAndAlgorithm",
    transferlearning: "TransferLearning",
  } as const);
  const maxJobs = intFlag("max-jobs", values["max-jobs"], 1, 10_000);
  const maxParallel = intFlag("max-parallel", values["max-parallel"], 1, 100);
  const seed = intFlag("seed", values.seed, 0, 2 ** 31 - 1);
  const minResource = intFlag("min-resource", values["min-resource"], 1, 20_000);
  const maxResource = intFlag("max-resource", values["max-resource"], 1, 20_000);
  const runtime = intFlag("max-tuning-time", values["max-tuning-time"], 120, 15_768_000);
  const notImproving = intFlag("max-jobs-not-improving", values["max-jobs-not-improving"], 3, 1_000_000);
  const target = values.target === undefined ? undefined : Number(values.target);
  if (target !== undefined && !Number.isFinite(target))
    throw new SagebrewError("SB_USAGE", `--target ${values.target} is not a number`);
  if ((minResource !== undefined || maxResource !== undefined) && strategy !== "Hyperband")
    throw new SagebrewError(
      "SB_USAGE",
      "--min-resource and --max-resource configure Hyperband: add --strategy hyperband",
    );
  if (warmType && !values["warm-start"]?.length)
    throw new SagebrewError("SB_USAGE", "--warm-start-type needs --warm-start <parent tuning job>");
  return {
    ...(values.name ? { name: values.name } : {}),
    ...(strategy ? { strategy } : {}),
    objective: values.objective,
    ranges: values.range.map((r) => parseRange(r, declared)),
    ...(maxJobs !== undefined ? { maxJobs } : {}),
    ...(maxParallel !== undefined ? { maxParallel } : {}),
    ...(runtime !== undefined ? { maxTuningSeconds: runtime } : {}),
    ...(early ? { earlyStopping: early } : {}),
    ...(minResource !== undefined || maxResource !== undefined
      ? {
          hyperband: {
            ...(minResource !== undefined ? { minResource } : {}),
            ...(maxResource !== undefined ? { maxResource } : {}),
          },
        }
      : {}),
    ...(target !== undefined || notImproving !== undefined || values["complete-on-convergence"]
      ? {
          completion: {
            ...(target !== undefined ? { targetObjectiveValue: target } : {}),
            ...(notImproving !== undefined ? { maxJobsNotImproving: notImproving } : {}),
            ...(values["complete-on-convergence"] ? { completeOnConvergence: true } : {}),
          },
        }
      : {}),
    ...(seed !== undefined ? { randomSeed: seed } : {}),
    ...(values["warm-start"]?.length
      ? { warmStart: { type: warmType ?? "IdenticalDataAndAlgorithm", parents: values["warm-start"] } }
      : {}),
  };
}
