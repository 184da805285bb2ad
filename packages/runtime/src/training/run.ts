/**
 * The `train` program: SageMaker's training contract (`shared/contract.md` §1) around the XGBoost
 * algorithm. Reads the job from an `/opt/ml`-shaped tree, trains, writes `model/xgboost-model`
 * atomically (temp file + rename), or writes a readable reason to `output/failure` and returns a
 * non-zero exit code. Never leaves a partial model.
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  ALIASES,
  validateHyperparameters,
  type XGBoostTrainingParams,
} from "../algorithms/xgboost/hyperparameters.js";
import { checkLabels, classNamesOf, encodeLabels } from "../algorithms/xgboost/labels.js";
import { type RoundReport, trainXGBoost } from "../algorithms/xgboost/train.js";
import type { Dataset } from "../codecs/types.js";
import { FAILURE_REASON_MAX_CHARS, mlPaths, XGBOOST_MODEL_FILE } from "../contract/index.js";
import { SagebrewError, toSagebrewError } from "../errors/index.js";
import { RUNTIME_VERSION } from "../version.js";
import { trimNativeHeap } from "../xgboost/index.js";
import { formatOfContentType, listChannelFiles } from "./channels.js";
import { latestCheckpoint, writeCheckpoint } from "./checkpoints.js";
import { loadChannel } from "./data.js";
import { readTrainingJob } from "./job.js";
import { loadPipeChannel } from "./pipe.js";

export interface TrainingSummary {
  readonly rounds: number;
  readonly totalRounds: number;
  readonly stoppedBy: "completed" | "early-stopping" | "signal";
  readonly bestIteration?: number;
  readonly bestScore?: number;
  readonly stoppingMetric?: string;
  /** The last round's evaluation entries. */
  readonly finalMetrics: RoundReport["metrics"];
  readonly modelPath?: string;
  readonly modelBytes?: number;
  readonly trainRows: number;
  readonly validationRows: number;
  readonly features: number;
  readonly classNames?: readonly string[];
  /** Reading and decoding the channel files. */
  readonly loadMs: number;
  /** Building XGBoost's matrices. */
  readonly dmatrixMs: number;
  readonly boostMs: number;
  readonly totalMs: number;
}

/** Receives what a training run has to say; the `train` program prints, the CLI draws. */
export interface TrainingReporter {
  info(message: string): void;
  warn(message: string): void;
  round(report: RoundReport): void;
}

export interface RunTrainingOptions {
  /** Root of the `/opt/ml`-shaped tree. */
  readonly root: string;
  readonly reporter: TrainingReporter;
  /** Aborted on SIGTERM: training stops at the next round boundary. */
  readonly signal?: AbortSignal;
}

export interface TrainingOutcome {
  readonly exitCode: number;
  readonly summary?: TrainingSummary;
  readonly error?: SagebrewError;
}

/** Exit codes of `train`: 0 success, 1 bad input or configuration, 2 algorithm or platform fault, 143 stopped. */
export const EXIT = { ok: 0, user: 1, internal: 2, terminated: 143 } as const;

const TRAIN_ALIASES = ["train", "training"];

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Writes the failure file: the first line says what went wrong and where. */
export async function writeFailure(root: string, error: SagebrewError): Promise<void> {
  const paths = mlPaths(root);
  const lines = [error.message, "", `sagebrew error ${error.code} (${error.kind} fault)`];
  let text = lines.join("\n");
  if (error.message.length > FAILURE_REASON_MAX_CHARS) {
    text = `${error.message.slice(0, FAILURE_REASON_MAX_CHARS - 1)}…\n\n${error.message}\n\nsagebrew error ${error.code}`;
  }
  await mkdir(paths.outputDir, { recursive: true });
  await writeFile(paths.failureFile, `${text}\n`);
}

function pickTrainChannel(names: readonly string[]): string | undefined {
  const hits = TRAIN_ALIASES.filter((n) => names.includes(n));
  if (hits.length > 1) {
    throw new SagebrewError(
      "SB_CHANNEL_INVALID",
      "Cannot train: both a train and a training channel exist; use one (they are aliases)",
    );
  }
  return hits[0];
}

async function existingChannels(dataDir: string): Promise<string[]> {
  const { readdir } = await import("node:fs/promises");
  try {
    const entries = await readdir(dataDir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

interface Labelled extends Dataset {
  labels: Float32Array;
}

/** Maps class-name labels to ids (classes from the training parts) and checks labels for the objective. */
function prepareLabels(
  train: readonly Dataset[],
  validation: readonly Dataset[] | undefined,
  params: XGBoostTrainingParams,
  names: { train: string; validation: string },
): { train: Labelled[]; validation?: Labelled[]; classNames?: string[] } {
  if (train[0]?.labelStrings) {
    const classNames = classNamesOf(train.flatMap((p) => p.labelStrings ?? []));
    const objective = params.objective;
    if (!objective.startsWith("multi:") && !objective.startsWith("binary:")) {
      throw new SagebrewError(
        "SB_HYPERPARAMETER",
        `Hyperparameter objective: ${objective} cannot learn class-name labels (${classNames.slice(0, 5).join(", ")}); use multi:softprob or multi:softmax (or binary:logistic for two classes)`,
      );
    }
    if (objective.startsWith("multi:") && params.numClass !== classNames.length) {
      throw new SagebrewError(
        "SB_HYPERPARAMETER",
        `Hyperparameter num_class: ${params.numClass} does not match the ${classNames.length} classes in the training labels (${classNames.join(", ")})`,
      );
    }
    if (objective.startsWith("binary:") && classNames.length !== 2) {
      throw new SagebrewError(
        "SB_HYPERPARAMETER",
        `Hyperparameter objective: ${objective} needs exactly 2 classes, the training labels have ${classNames.length} (${classNames.join(", ")})`,
      );
    }
    const encode = (parts: readonly Dataset[], source: string) =>
      parts.map((p) => ({ ...p, labels: encodeLabels(p.labelStrings!, classNames, source) }));
    const t = encode(train, names.train);
    if (validation && !validation[0]?.labelStrings) {
      throw new SagebrewError(
        "SB_LABEL",
        `Cannot use ${names.validation}: its labels are numbers, but the training labels are class names (${classNames.join(", ")})`,
      );
    }
    return {
      train: t,
      ...(validation ? { validation: encode(validation, names.validation) } : {}),
      classNames,
    };
  }
  const check = (parts: readonly Dataset[], source: string): Labelled[] =>
    parts.map((p) => {
      if (!p.labels) {
        throw new SagebrewError(
          "SB_LABEL",
          `Cannot use ${source}: its labels are class names, but the training labels are numbers`,
        );
      }
      checkLabels(p.labels, params.objective, params.numClass, source);
      return p as Labelled;
    });
  return {
    train: check(train, names.train),
    ...(validation ? { validation: check(validation, names.validation) } : {}),
  };
}

/**
 * Runs a training job against `root` (e.g. `/opt/ml`). Resolves with the exit code; never throws
 * for job errors (they are written to the failure file).
 */
export async function runTraining(options: RunTrainingOptions): Promise<TrainingOutcome> {
  const { root, reporter } = options;
  const paths = mlPaths(root);
  const t0 = performance.now();
  await rm(paths.failureFile, { force: true }).catch(() => undefined);
  try {
    const job = await readTrainingJob(paths);
    const params = validateHyperparameters(job.hyperparameters);
    for (const alias of Object.keys(job.hyperparameters).filter((k) => k in ALIASES)) {
      reporter.info(`hyperparameter ${alias} is read as ${ALIASES[alias]}`);
    }
    const { hosts, currentHost } = job.resource;
    if (hosts.length > 1) {
      // sagebrew does not run distributed XGBoost: each host holds only what it was given, and
      // SageMaker merges every host's model directory into one archive, so one host (the first
      // of the sorted list, as SageMaker's XGBoost container does) trains and writes the model.
      const master = hosts[0]!;
      if (currentHost !== master) {
        reporter.warn(
          `this is ${currentHost}, one of ${hosts.length} hosts; sagebrew trains on one host (${master}) and writes no model here`,
        );
        return { exitCode: EXIT.ok };
      }
      const sharded = [...job.channels.values()]
        .filter((c) => c.distribution === "ShardedByS3Key")
        .map((c) => c.name);
      reporter.warn(
        `training on ${master} alone out of ${hosts.length} hosts${sharded.length ? `; channels ${sharded.join(", ")} are ShardedByS3Key, so only this host's shard is used` : ""}`,
      );
    }
    const onDisk = await existingChannels(paths.dataDir);
    const declared = [...job.channels.keys()];
    const names = [...new Set([...declared, ...onDisk])];
    const trainName = pickTrainChannel(names);
    if (!trainName) {
      throw new SagebrewError(
        "SB_CHANNEL_MISSING",
        `Cannot train: there is no train channel; put the training data in ${join(paths.dataDir, "train")}/ (or training/)${names.length ? `; found channels: ${names.join(", ")}` : ""}`,
      );
    }
    for (const n of names) {
      if (n !== trainName && n !== "validation" && n !== "code") {
        reporter.warn(`channel ${n} is not used by the XGBoost algorithm (it reads train and validation)`);
      }
    }
    const tLoad = performance.now();
    const load = async (name: string) => {
      const cfg = job.channels.get(name);
      const dir = join(paths.dataDir, name);
      if (cfg?.inputMode === "Pipe") {
        const format = cfg.contentType
          ? formatOfContentType(cfg.contentType)
          : { format: "csv" as const, params: {} };
        if (!format) {
          throw new SagebrewError(
            "SB_CHANNEL_INVALID",
            `Cannot read channel ${name}: content type ${JSON.stringify(cfg.contentType)} is not one of text/csv, text/libsvm, application/x-parquet, application/x-recordio-protobuf`,
          );
        }
        const parts = await loadPipeChannel(paths.dataDir, name, {
          format: format.format,
          params: format.params,
          csvWeights: params.csvWeights,
          recordWrapper: cfg.recordWrapper,
        });
        const rows = parts.reduce((s, p) => s + p.features.rows, 0);
        if (rows === 0)
          throw new SagebrewError(
            "SB_CHANNEL_EMPTY",
            `Cannot train: pipe-mode channel ${name} delivered no data rows`,
          );
        const cols = parts.reduce((m, p) => Math.max(m, p.features.cols), 0);
        reporter.info(
          `channel ${name}: ${rows} rows x ${cols} features from pipe ${name}_0 (${format.format})`,
        );
        return { parts, rows, cols, formats: new Set([format.format]), bytes: 0 };
      }
      const listing = await listChannelFiles(dir, name);
      if (listing.skipped.length)
        reporter.info(`channel ${name}: skipped hidden files ${listing.skipped.join(", ")}`);
      if (listing.files.length === 0) {
        throw new SagebrewError(
          "SB_CHANNEL_EMPTY",
          `Cannot train: channel ${name} holds no data files (${dir} is empty)`,
        );
      }
      let format: ReturnType<typeof formatOfContentType>;
      if (cfg?.contentType) {
        format = formatOfContentType(cfg.contentType);
        if (!format) {
          throw new SagebrewError(
            "SB_CHANNEL_INVALID",
            `Cannot read channel ${name}: content type ${JSON.stringify(cfg.contentType)} is not one of text/csv, text/libsvm, application/x-parquet, application/x-recordio-protobuf`,
          );
        }
      }
      const loaded = await loadChannel(name, listing.files, {
        ...(format ? { format: format.format, params: format.params } : {}),
        csvWeights: params.csvWeights,
      });
      if (loaded.rows === 0) {
        throw new SagebrewError(
          "SB_CHANNEL_EMPTY",
          `Cannot train: channel ${name} holds no data rows (${listing.files.length} file${listing.files.length === 1 ? "" : "s"}, ${loaded.bytes} bytes)`,
        );
      }
      reporter.info(
        `channel ${name}: ${loaded.rows} rows x ${loaded.cols} features from ${listing.files.length} file${listing.files.length === 1 ? "" : "s"} (${[...loaded.formats].join(", ")}${format ? "" : ", detected"})`,
      );
      return loaded;
    };
    const trainData = await load(trainName);
    const hasValidation = names.includes("validation");
    const validationData = hasValidation ? await load("validation") : undefined;
    if (validationData && validationData.cols !== trainData.cols) {
      const sparse = [...trainData.parts, ...validationData.parts].some((p) => p.features.kind === "csr");
      if (!sparse) {
        throw new SagebrewError(
          "SB_DATA_SHAPE",
          `Cannot train: channel validation has ${validationData.cols} features, channel ${trainName} has ${trainData.cols}`,
        );
      }
    }
    const loadMs = performance.now() - tLoad;
    trimNativeHeap(); // parse threads are gone; hand their freed buffers back
    const labelled = prepareLabels(trainData.parts, validationData?.parts, params, {
      train: `channel ${trainName}`,
      validation: "channel validation",
    });
    if (params.earlyStoppingRounds !== undefined && !labelled.validation) {
      reporter.warn(
        "early_stopping_rounds is set but there is no validation channel; training runs all rounds",
      );
    }
    const checkpointDir = job.checkpointDir;
    const resume = checkpointDir ? await latestCheckpoint(checkpointDir) : undefined;
    if (resume) reporter.info(`resuming from checkpoint ${resume.path} (${resume.round + 1} rounds done)`);
    const result = await trainXGBoost({
      ...(resume ? { resumeFrom: { model: resume.model, rounds: resume.round + 1 } } : {}),
      train: { parts: labelled.train },
      ...(labelled.validation ? { validation: { parts: labelled.validation } } : {}),
      params,
      onRound: async (report, booster) => {
        reporter.round(report);
        const last = report.round + 1 === params.numRound;
        if (checkpointDir && ((report.round + 1) % params.checkpointFrequency === 0 || last)) {
          await writeCheckpoint(checkpointDir, report.round, booster.save("ubj"));
        }
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const summaryBase = {
      rounds: result.rounds,
      totalRounds: params.numRound,
      stoppedBy: result.stoppedBy,
      ...(result.bestIteration !== undefined ? { bestIteration: result.bestIteration } : {}),
      ...(result.bestScore !== undefined ? { bestScore: result.bestScore } : {}),
      ...(result.stoppingMetric ? { stoppingMetric: result.stoppingMetric } : {}),
      finalMetrics: result.history.at(-1)?.metrics ?? [],
      trainRows: trainData.rows,
      validationRows: validationData?.rows ?? 0,
      features: trainData.cols,
      ...(labelled.classNames ? { classNames: labelled.classNames } : {}),
      loadMs,
      dmatrixMs: result.dataMs,
      boostMs: result.boostMs,
    };
    try {
      if (result.stoppedBy === "signal" && !params.saveModelOnTermination) {
        const error = new SagebrewError(
          "SB_TERMINATED",
          `Training stopped by SIGTERM after ${result.rounds} of ${params.numRound} rounds; no model was saved (set save_model_on_termination=true to keep the rounds done)`,
        );
        await writeFailure(root, error);
        return {
          exitCode: EXIT.terminated,
          error,
          summary: { ...summaryBase, totalMs: performance.now() - t0 },
        };
      }
      const booster = result.booster;
      booster.setAttr("sagebrew_version", RUNTIME_VERSION);
      booster.setAttr("sagebrew_objective", params.objective);
      if (labelled.classNames) booster.setAttr("sagebrew_class_names", JSON.stringify(labelled.classNames));
      const model = booster.save("ubj");
      const modelPath = join(paths.modelDir, XGBOOST_MODEL_FILE);
      await writeAtomic(modelPath, model);
      const meta = {
        format: "sagebrew-xgboost/1",
        sagebrew_version: RUNTIME_VERSION,
        model_file: XGBOOST_MODEL_FILE,
        model_format: "ubj",
        objective: params.objective,
        num_class: params.numClass ?? null,
        num_features: trainData.cols,
        class_names: labelled.classNames ?? null,
        rounds: result.rounds,
        best_iteration: result.bestIteration ?? null,
        best_score: result.bestScore ?? null,
        stopping_metric: result.stoppingMetric ?? null,
        stopped_by: result.stoppedBy,
      };
      await writeAtomic(join(paths.modelDir, ".sagebrew.json"), `${JSON.stringify(meta, null, 2)}\n`);
      await writeAtomic(
        join(paths.outputDataDir, "metrics.json"),
        `${JSON.stringify(
          {
            rounds: result.history.map((h) => ({
              round: h.round,
              ...Object.fromEntries(h.metrics.map((m) => [`${m.set}-${m.metric}`, m.value])),
            })),
            best_iteration: result.bestIteration ?? null,
            best_score: result.bestScore ?? null,
            stopping_metric: result.stoppingMetric ?? null,
          },
          null,
          1,
        )}\n`,
      );
      booster.dispose();
      return {
        exitCode: EXIT.ok,
        summary: { ...summaryBase, modelPath, modelBytes: model.length, totalMs: performance.now() - t0 },
      };
    } finally {
      result.booster.dispose();
    }
  } catch (e) {
    const error = toSagebrewError(e);
    await writeFailure(root, error);
    return { exitCode: error.kind === "user" ? EXIT.user : EXIT.internal, error };
  }
}
