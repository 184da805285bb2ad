/**
 * A training job's request from the same /opt/ml-shaped directory `sagebrew train` runs locally:
 * its `hyperparameters.json` (sent as strings, within SageMaker's limits), its `inputdataconfig.json`
 * (content type, input mode, distribution per channel), its channel folders, and the
 * `MetricDefinitions` that read the algorithm's evaluation lines (the runtime's own regexes).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CUSTOM_METRICS,
  MAX_METRIC_DEFINITIONS,
  type MetricDefinition,
  metricDefinitions,
  SagebrewError,
} from "@sagebrew/runtime/core";
import { SAGEMAKER, shapeOf } from "../api/index.js";

/** A bound of one of SageMaker's shapes, from its API table. */
function maxOf(shape: string): number {
  const s = shapeOf(SAGEMAKER, shape);
  if (!("max" in s) || s.max === undefined) throw new Error(`SageMaker's ${shape} has no maximum`);
  return s.max;
}

/** One channel of the job: a local folder to upload, or an S3 prefix already there. */
export interface ChannelSpec {
  readonly name: string;
  readonly local?: string;
  readonly s3Uri?: string;
  readonly contentType?: string;
  readonly inputMode?: "File" | "Pipe" | "FastFile";
  readonly distribution: "FullyReplicated" | "ShardedByS3Key";
  readonly compression?: "None" | "Gzip";
  readonly recordWrapper?: "None" | "RecordIO";
}

/** What the directory says about the job. */
export interface DirectoryJob {
  readonly hyperparameters: Record<string, string>;
  readonly channels: ChannelSpec[];
}

/**
 * A hyperparameter value as SageMaker takes it: a string. Strings stay as they are (what
 * `hyperparameters.json` holds when SageMaker writes it), numbers and booleans become their text,
 * anything else its JSON.
 */
export function hyperparameterString(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/**
 * Converts and checks hyperparameters against SageMaker's limits.
 *
 * @throws SagebrewError SB_HYPERPARAMETER naming the entry over a limit.
 */
export function toHyperParameters(values: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  // SageMaker's limits on HyperParameters (100 entries, keys of 256 and values of 2500 characters).
  const HP_LIMITS = {
    entries: maxOf("HyperParameters"),
    key: maxOf("HyperParameterKey"),
    value: maxOf("HyperParameterValue"),
  };
  const entries = Object.entries(values);
  if (entries.length > HP_LIMITS.entries) {
    throw new SagebrewError(
      "SB_HYPERPARAMETER",
      `Cannot send ${entries.length} hyperparameters: SageMaker accepts at most ${HP_LIMITS.entries}`,
    );
  }
  for (const [key, raw] of entries) {
    if (raw === null || raw === undefined) continue;
    const value = hyperparameterString(raw);
    if (key.length > HP_LIMITS.key) {
      throw new SagebrewError(
        "SB_HYPERPARAMETER",
        `Hyperparameter ${key.slice(0, 40)}…: the name is over ${HP_LIMITS.key} characters`,
      );
    }
    if (value.length > HP_LIMITS.value) {
      throw new SagebrewError(
        "SB_HYPERPARAMETER",
        `Hyperparameter ${key}: the value is ${value.length} characters, over SageMaker's ${HP_LIMITS.value}`,
      );
    }
    out[key] = value;
  }
  return out;
}

async function readJson(path: string, what: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SagebrewError("SB_CONFIG_INVALID", `Cannot parse ${what} ${path}: ${(e as Error).message}`);
  }
}

function objectOf(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SagebrewError("SB_CONFIG_INVALID", `Cannot read ${path}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

const MODES = ["File", "Pipe", "FastFile"] as const;

/**
 * Reads `<dir>/input/config/{hyperparameters,inputdataconfig}.json` and the channel folders of
 * `<dir>/input/data/`.
 *
 * @throws SagebrewError SB_CONFIG_INVALID for unreadable JSON or an unknown input mode.
 */
export async function readDirectoryJob(dir: string): Promise<DirectoryJob> {
  const config = join(dir, "input", "config");
  const hpPath = join(config, "hyperparameters.json");
  const hp = await readJson(hpPath, "hyperparameters");
  const hyperparameters = hp === undefined ? {} : toHyperParameters(objectOf(hp, hpPath));
  const idcPath = join(config, "inputdataconfig.json");
  const idc = await readJson(idcPath, "input data config");
  const declared = idc === undefined ? {} : objectOf(idc, idcPath);
  const dataDir = join(dir, "input", "data");
  const folders = (await readdir(dataDir, { withFileTypes: true }).catch(() => []))
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
  const channels: ChannelSpec[] = folders.map((name) => {
    const c = (declared[name] ?? {}) as Record<string, unknown>;
    const mode = c.TrainingInputMode;
    if (mode !== undefined && !(MODES as readonly unknown[]).includes(mode)) {
      throw new SagebrewError(
        "SB_CONFIG_INVALID",
        `Cannot read ${idcPath}: channel ${name} has TrainingInputMode ${JSON.stringify(mode)} (File, Pipe or FastFile)`,
      );
    }
    return {
      name,
      local: join(dataDir, name),
      ...(typeof c.ContentType === "string" ? { contentType: c.ContentType } : {}),
      ...(mode ? { inputMode: mode as ChannelSpec["inputMode"] } : {}),
      distribution: c.S3DistributionType === "ShardedByS3Key" ? "ShardedByS3Key" : "FullyReplicated",
      ...(c.CompressionType === "Gzip" ? { compression: "Gzip" as const } : {}),
      ...(c.RecordWrapperType === "RecordIO" ? { recordWrapper: "RecordIO" as const } : {}),
    };
  });
  return { hyperparameters, channels };
}

/** XGBoost's default evaluation metric per objective (what it prints when `eval_metric` is unset). */
const DEFAULT_METRIC: Readonly<Record<string, string>> = {
  "reg:squarederror": "rmse",
  "reg:linear": "rmse",
  "reg:logistic": "rmse",
  "reg:squaredlogerror": "rmsle",
  "reg:pseudohubererror": "mphe",
  "reg:absoluteerror": "mae",
  "reg:gamma": "gamma-nloglik",
  "reg:tweedie": "tweedie-nloglik@1.5",
  "binary:logistic": "logloss",
  "binary:logitraw": "logloss",
  "binary:hinge": "error",
  "count:poisson": "poisson-nloglik",
  "survival:cox": "cox-nloglik",
  "survival:aft": "aft-nloglik",
  "multi:softmax": "mlogloss",
  "multi:softprob": "mlogloss",
  "rank:pairwise": "map",
  "rank:ndcg": "ndcg",
  "rank:map": "map",
};

/** Metrics sagebrew computes itself and prints beside XGBoost's (they do not replace its default). */
const OWN_METRICS: ReadonlySet<string> = new Set(CUSTOM_METRICS);

function listOf(value: string | undefined): string[] {
  if (!value) return [];
  const text = value.trim();
  if (text.startsWith("[")) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // not JSON: read it as a comma list
    }
  }
  return text
    .replace(/^"|"$/g, "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The metrics the evaluation lines will carry: `eval_metric`, the tuning metric, and XGBoost's
 * default for the objective unless `eval_metric` names one of XGBoost's own.
 */
export function evaluationMetrics(hyperparameters: Readonly<Record<string, string>>): string[] {
  const metrics = listOf(hyperparameters.eval_metric);
  const tuning = hyperparameters._tuning_objective_metric
    ?.replace(/^"|"$/g, "")
    .replace(/^(train|validation):/, "");
  if (tuning && !metrics.includes(tuning)) metrics.push(tuning);
  if (!metrics.some((m) => !OWN_METRICS.has(m))) {
    const objective = hyperparameters.objective?.replace(/^"|"$/g, "") ?? "reg:squarederror";
    const fallback = DEFAULT_METRIC[objective];
    if (fallback && !metrics.includes(fallback)) metrics.unshift(fallback);
  }
  return metrics;
}

/**
 * `MetricDefinitions` for a job: every evaluated set (`train`, and `validation` when the job has
 * that channel) times every metric, so the console, CloudWatch metrics and tuning jobs see them.
 */
export function jobMetricDefinitions(
  hyperparameters: Readonly<Record<string, string>>,
  channels: readonly string[],
): MetricDefinition[] {
  const sets = ["train", ...(channels.includes("validation") ? ["validation"] : [])];
  const metrics = evaluationMetrics(hyperparameters).slice(
    0,
    Math.floor(MAX_METRIC_DEFINITIONS / sets.length),
  );
  return metricDefinitions(sets, metrics);
}
