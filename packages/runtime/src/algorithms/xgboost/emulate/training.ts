/**
 * A training job as SageMaker's XGBoost image runs it (`algorithm_mode/train.py`, `sagemaker_train`):
 * its hyperparameter and channel validation, its reading of the channels, the settings it hands
 * XGBoost, and how it classes XGBoost's own failures — ready for sagebrew's trainer to boost on.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Dataset } from "../../../codecs/types.js";
import type { XGBoostImageVersion } from "../../../config/emulate.js";
import { mlPaths } from "../../../contract/index.js";
import { isSagebrewError, SagebrewError } from "../../../errors/index.js";
import type { ChannelData, TrainingContext } from "../../../training/index.js";
import type { XGBoostTrainingParams } from "../hyperparameters.js";
import { isFloat, type PyValue, pyStr } from "./_py.js";
import { type UpstreamFormat, upstreamFormat, validateUpstreamChannels } from "./channels.js";
import { containerChannelPath, loadUpstreamFiles, upstreamSize, validateUpstreamFiles } from "./data.js";
import { UpstreamCrash, UpstreamError, validateUpstream } from "./hyperparameters.js";

/** What the container reads and trains on, for sagebrew's trainer. */
export interface EmulatedJob {
  readonly params: XGBoostTrainingParams;
  readonly train?: ChannelData;
  readonly validation?: ChannelData;
  /** Whether the job configures a validation channel. */
  readonly validationConfigured: boolean;
}

/** Settings the container pops before it hands the rest to XGBoost (`train_job`, `sagemaker_train`). */
const NOT_FOR_XGBOOST = new Set([
  "num_round",
  "save_model_on_termination",
  "_tuning_objective_metric",
  "eval_metric",
  "early_stopping_rounds",
  "_kfold",
  "_num_cv_round",
  "use_dask_gpu_training",
]);

/** Substrings of XGBoost's failures the container reports as the user's (`xgb_constants.CUSTOMER_ERRORS`). */
const CUSTOMER_ERRORS = [
  "label must be in [0,1] for logistic regression",
  // The same refusal as XGBoost 3.1 and later word it: the image runs 1.7.4 or 3.0.5, but a host
  // emulating it may have a newer libxgboost, and the user's fault stays the user's.
  "label must be in (0, 1) for logistic regression",
  "label must be in [0, num_class)",
  "Target is multiclass but average='binary'",
  "feature_names mismatch",
  "Check failed: preds.size() == info.labels_.size()",
  "Check failed: !auc_error AUC: the dataset only contains pos or neg samples",
  "Check failed: base_score > 0.0f && base_score < 1.0f base_score must be in (0,1) for logistic loss",
  "Check failed: label_correct PoissonRegression: label must be nonnegative",
  "Check failed: label_correct TweedieRegression: label must be nonnegative",
  "Parameter reg_lambda should be greater equal to 0",
];

const client = (m: string) => new SagebrewError("SB_EMULATED_CLIENT_ERROR", `ClientError: ${m}`);
const algorithm = (m: string) => new SagebrewError("SB_EMULATED_ALGORITHM_ERROR", `AlgorithmError: ${m}`);

/**
 * An error of the emulated job as SageMaker reports it: the container's `UserError` as
 * `ClientError: <its text>`, its `AlgorithmError` and the crashes it would die of as
 * `AlgorithmError: …`; XGBoost's own failures classed by the container's list.
 */
export function emulatedError(e: unknown): SagebrewError {
  if (e instanceof UpstreamError)
    return e.upstreamClass === "UserError" ? client(e.message) : algorithm(e.message);
  if (e instanceof UpstreamCrash) return algorithm(e.message);
  if (isSagebrewError(e, "SB_XGBOOST")) {
    const text = e.message.replace(/^XGBoost failed to [^:]*: /, "");
    if (CUSTOMER_ERRORS.some((c) => text.includes(c))) return client(text);
    return algorithm(`XGB train call failed with exception:\n ${text}`);
  }
  if (
    isSagebrewError(e, "SB_LABEL") &&
    /^Cannot compute metric \S+: it scores the positive class/.test(e.message)
  ) {
    // scikit-learn's refusal, which the image lists as the user's (its CUSTOMER_ERRORS)
    return client(
      "Target is multiclass but average='binary'. Please choose another average setting, one of [None, 'micro', 'macro', 'weighted'].",
    );
  }
  if (isSagebrewError(e) && /^(ClientError|AlgorithmError): /.test(e.message)) return e;
  if (isSagebrewError(e)) return e.kind === "user" ? client(e.message) : algorithm(e.message);
  return algorithm(e instanceof Error ? e.message : String(e));
}

async function readJson(path: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new UpstreamCrash(
      "FileNotFoundError",
      path,
      `Cannot read ${what}: ${path} does not exist (the container opens it)`,
    );
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new UpstreamCrash("JSONDecodeError", String(e), `Cannot read ${what}: ${(e as Error).message}`);
  }
}

/** A value of `hyperparameters.json` as the container's `json.load` hands it on (SageMaker writes strings). */
function rawValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "True" : "False";
  return String(v);
}

/** The validated values as XGBoost settings, as the container's `train_job` passes them. */
function paramsOf(v: ReadonlyMap<string, PyValue>): XGBoostTrainingParams {
  const num = (name: string) => {
    const x = v.get(name);
    return x === undefined ? undefined : typeof x === "bigint" ? Number(x) : isFloat(x) ? x.float : undefined;
  };
  const evalMetrics = ((v.get("eval_metric") as string[] | undefined) ?? []).slice();
  const tuning = (v.get("_tuning_objective_metric") as string | undefined)?.replace(/^validation:/, "");
  if (tuning && !evalMetrics.includes(tuning)) evalMetrics.push(tuning);
  const booster: Record<string, string> = {};
  for (const [name, x] of v) {
    if (NOT_FOR_XGBOOST.has(name)) continue;
    booster[name] = Array.isArray(x) && name === "updater" ? x.join(",") : pyStr(x);
  }
  const objective = (v.get("objective") as string | undefined) ?? "reg:squarederror";
  const kfold = num("_kfold");
  const earlyStopping = num("early_stopping_rounds");
  return Object.freeze({
    numRound: num("num_round")!,
    objective,
    ...(num("num_class") !== undefined ? { numClass: num("num_class")! } : {}),
    evalMetrics,
    // The container stops early only on a metric it was given (eval_metric or the tuning objective).
    ...(earlyStopping !== undefined && evalMetrics.length > 0 ? { earlyStoppingRounds: earlyStopping } : {}),
    csvWeights: num("csv_weights") === 1,
    saveModelOnTermination: v.get("save_model_on_termination") === "true",
    checkpointFrequency: 1,
    ...(tuning ? { tuningObjectiveMetric: tuning } : {}),
    ...(kfold !== undefined
      ? { crossValidation: Object.freeze({ folds: kfold, repeats: num("_num_cv_round") ?? 1 }) }
      : {}),
    seed: num("seed") ?? 0,
    booster: Object.freeze(booster),
  });
}

function channelData(parts: Dataset[], format: string): ChannelData {
  return {
    parts,
    rows: parts.reduce((s, p) => s + p.features.rows, 0),
    cols: parts.reduce((m, p) => Math.max(m, p.features.cols), 0),
    formats: new Set([format]),
    bytes: 0,
  };
}

/** Reads one channel as the container does, or undefined when it holds no data. */
async function readEmulatedChannel(
  ctx: TrainingContext,
  name: "train" | "validation",
  dir: string,
  format: UpstreamFormat,
  pipe: boolean,
  csvWeights: boolean,
): Promise<ChannelData | undefined> {
  let parts: Dataset[];
  if (!pipe && (format === "csv" || format === "libsvm")) {
    parts = await loadUpstreamFiles(dir, format, { csvWeights, warn: (m) => ctx.logger.warn(m) });
  } else {
    if (!ctx.channels.has(name)) return undefined;
    try {
      parts = [...(await ctx.channels.get(name).read({ weights: csvWeights })).parts];
    } catch (e) {
      if (isSagebrewError(e, "SB_CHANNEL_EMPTY")) return undefined;
      if (isSagebrewError(e))
        throw new UpstreamError("UserError", `Failed to load ${format} data with exception:\n${e.message}`);
      throw e;
    }
    const named = parts.find((p) => p.labelStrings);
    if (named) {
      throw new UpstreamError(
        "UserError",
        `Failed to load ${format} data with exception:\ncould not convert string to float: '${named.labelStrings![0]}'`,
      );
    }
  }
  if (parts.length === 0) return undefined;
  if (parts.some((p) => !p.labels || p.labels.length === 0)) {
    throw new UpstreamError(
      "UserError",
      "Got input data without labels. Please check the input data set. If training job is running on multiple instances, please switch to using single instance if number of records in the data set is less than number of workers (16 * number of instance) in the cluster.",
    );
  }
  return channelData(parts, format);
}

/**
 * Validates and reads the job under `root` as that version of the container does.
 *
 * @throws UpstreamError / UpstreamCrash (turn them into the failure with `emulatedError`).
 */
export async function prepareEmulatedJob(
  ctx: TrainingContext,
  options: {
    version: XGBoostImageVersion;
    root: string;
    hyperparameters?: Readonly<Record<string, string>>;
  },
): Promise<EmulatedJob> {
  const paths = mlPaths(options.root);
  const rawHp = await readJson(paths.hyperparameters, "hyperparameters.json");
  if (Object.hasOwn(rawHp, "sagemaker_program")) {
    throw new SagebrewError(
      "SB_EMULATED_ALGORITHM_ERROR",
      "AlgorithmError: SAGEBREW_EMULATE runs SageMaker's XGBoost algorithm mode; this job names a script (sagemaker_program), which that image runs in script mode with your own code — not emulated",
    );
  }
  const hp = {
    ...Object.fromEntries(Object.entries(rawHp).map(([k, x]) => [k, rawValue(x)])),
    ...options.hyperparameters,
  };
  const validated = validateUpstream(options.version, hp);
  for (const [name, v] of validated) {
    if (isFloat(v) && Number.isNaN(v.float))
      ctx.logger.warn(
        `${name}=nan: SageMaker's image accepts it and hands XGBoost NaN, which trains a model of NaN`,
      );
  }
  const channels = validateUpstreamChannels(await readJson(paths.inputDataConfig, "inputdataconfig.json"));
  const params = paramsOf(validated);
  const format = upstreamFormat(channels.get("train"));
  const dataConfig = (await readJson(paths.inputDataConfig, "inputdataconfig.json")) as Record<
    string,
    Record<string, unknown>
  >;
  const pipe = dataConfig.train?.TrainingInputMode === "Pipe";
  const validationConfigured = channels.has("validation");
  const dirOf = (name: string) => join(paths.dataDir, name);
  const trainSize = pipe ? 1 : await upstreamSize(dirOf("train"));
  const validationSize = !validationConfigured ? 0 : pipe ? 1 : await upstreamSize(dirOf("validation"));
  if (!pipe) {
    if (trainSize > 0)
      for (const w of await validateUpstreamFiles(dirOf("train"), format)) ctx.logger.warn(w);
    if (validationSize > 0)
      for (const w of await validateUpstreamFiles(dirOf("validation"), format)) ctx.logger.warn(w);
  }
  const read = (name: "train" | "validation") =>
    readEmulatedChannel(ctx, name, dirOf(name), format, pipe, params.csvWeights);
  const train = trainSize > 0 ? await read("train") : undefined;
  const validation = validationSize > 0 ? await read("validation") : undefined;
  if (ctx.hosts.length <= 1) {
    if (!train)
      throw new UpstreamError(
        "UserError",
        `No data in training channel path ${containerChannelPath("train")}`,
      );
    if (validationConfigured && !validation)
      throw new UpstreamError(
        "UserError",
        `No data in validation channel path ${containerChannelPath("validation")}`,
      );
  }
  return {
    params,
    ...(train ? { train } : {}),
    ...(validation ? { validation } : {}),
    validationConfigured,
  };
}
