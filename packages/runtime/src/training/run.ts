/**
 * The training runtime: SageMaker's training contract (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo.html) around any
 * algorithm. Reads the job from an `/opt/ml`-shaped tree, validates the hyperparameters and
 * channels the algorithm declares, runs its `train(context)`, and writes what it returns into
 * `model/` atomically (temp files, then renames) with `output/data/metrics.json` — or a readable
 * reason to `output/failure` and a non-zero exit code. Never leaves a partial model.
 */
import { rm } from "node:fs/promises";
import { isAbsolute, join, normalize } from "node:path";
import { featureImportanceSvg, trainingCurveSvg } from "../charts/index.js";
import type { CodecRegistry } from "../codecs/registry.js";
import type { ChannelConfig } from "../config/data-config.js";
import { LIMITS, mlPaths } from "../contract/index.js";
import { isSagebrewError, SagebrewError } from "../errors/index.js";
import { removeStaleTemporaries, writeAllAtomic, writeAtomic } from "./_atomic.js";
import type {
  CheckedAlgorithm,
  MetricValue,
  ReadOptions,
  RoundReport,
  TrainingChannel,
  TrainingChannels,
  TrainingContext,
  TrainingLogger,
  TrainOutput,
} from "./algorithm.js";
import { channelDirectories, resolveChannels } from "./channels.js";
import { checkpointsIn } from "./checkpoints.js";
import { type ChannelSource, readChannel, readChannelDataset, streamChannel } from "./data.js";
import { type FailureOptions, writeFailure } from "./failure.js";
import { validateDeclared } from "./hyperparameters.js";
import { readTrainingJob, type TrainingJob } from "./job.js";
import { RoundHistory } from "./metrics.js";

/** What a finished run says about itself (`summaryLines` prints it). */
export interface TrainingSummary {
  readonly algorithm: string;
  /** Rounds done (the last reported round + 1), 0 when the algorithm reports none. */
  readonly rounds: number;
  readonly totalRounds: number;
  readonly stoppedBy: "completed" | "early-stopping" | "signal";
  readonly best?: TrainOutput["best"];
  /** The last round's metrics. */
  readonly finalMetrics: readonly MetricValue[];
  /** Every reported round, in order. */
  readonly history: readonly RoundReport[];
  /** The algorithm's own lines (`data: 150 training rows, 4 features`). */
  readonly lines: readonly string[];
  /** The model files written, the first being the main one. */
  readonly modelFiles: readonly string[];
  readonly modelPath?: string;
  readonly modelBytes?: number;
  /** Why this host wrote no model. */
  readonly noModel?: string;
  /** The pictures written to `output/data/` (the training curve, a tree model's feature importance). */
  readonly pictures: readonly string[];
  /** Reading and decoding the channels. */
  readonly loadMs: number;
  /** The algorithm's phases, in order. */
  readonly timings: Readonly<Record<string, number>>;
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
  /** The algorithm to run (checked with `checkAlgorithm`). */
  readonly algorithm: CheckedAlgorithm;
  readonly reporter: TrainingReporter;
  /** Aborted on SIGTERM: the algorithm stops at its next round boundary. */
  readonly signal?: AbortSignal;
  /**
   * How long `train` may take to stop after SIGTERM before the run fails without it. Default
   * 100 s: SageMaker kills the container 120 s after SIGTERM, and the rest is for writing.
   */
  readonly graceMs?: number;
  /** The codecs channels are decoded with (the algorithm's own `codecs` are added). */
  readonly codecs: CodecRegistry;
  /** How the failure file words the reason (`SAGEBREW_EMULATE`: as SageMaker's built-in algorithms do). */
  readonly failure?: FailureOptions;
  /** Hyperparameters added to, or replacing, those of `hyperparameters.json` (`sagebrew train --hyperparameter`). */
  readonly hyperparameters?: Readonly<Record<string, string>>;
}

export interface TrainingOutcome {
  readonly exitCode: number;
  readonly summary?: TrainingSummary;
  readonly error?: SagebrewError;
  /** Why the failure file could not be written, when it could not (the exit code is then 2). */
  readonly failureNotWritten?: string;
}

/** Exit codes of `train`: 0 success, 1 bad input or configuration, 2 algorithm or platform fault, 143 stopped. */
export const EXIT = { ok: 0, user: 1, internal: 2, terminated: 143 } as const;

const DEFAULT_GRACE_MS = (LIMITS.trainingStopGraceSeconds - 20) * 1000;

/** The exit code for an error. */
export function exitCodeOf(error: SagebrewError): number {
  if (error.code === "SB_TERMINATED") return EXIT.terminated;
  return error.kind === "user" ? EXIT.user : EXIT.internal;
}

/**
 * Runs a training job against `root` (e.g. `/opt/ml`). Resolves with the exit code; never throws
 * for job errors (they are written to the failure file).
 */
export async function runTraining(options: RunTrainingOptions): Promise<TrainingOutcome> {
  const { root, reporter, algorithm } = options;
  const paths = mlPaths(root);
  const t0 = performance.now();
  await rm(paths.failureFile, { force: true }).catch(() => undefined);
  let history: RoundHistory | undefined;
  try {
    for (const dir of [paths.modelDir, paths.outputDataDir]) {
      const stale = await removeStaleTemporaries(dir);
      if (stale.length) reporter.info(`removed ${stale.join(", ")} from ${dir}: left by an interrupted run`);
    }
    const read = await readTrainingJob(paths);
    const job: TrainingJob = options.hyperparameters
      ? { ...read, hyperparameters: { ...read.hyperparameters, ...options.hyperparameters } }
      : read;
    const hp = validateDeclared(algorithm.hyperparameters, job.hyperparameters, algorithm.name);
    for (const [alias, name] of Object.entries(hp.aliasesUsed)) {
      reporter.info(`hyperparameter ${alias} is read as ${name}`);
    }
    if (job.checkpointDir) {
      const stale = await removeStaleTemporaries(job.checkpointDir);
      if (stale.length)
        reporter.info(`removed ${stale.join(", ")} from ${job.checkpointDir}: left by an interrupted run`);
    }
    const channels = await openChannels(options, job);
    const signal = options.signal ?? new AbortController().signal;
    const recorded = new RoundHistory();
    history = recorded;
    const ctx: TrainingContext = {
      hyperparameters: hp.values,
      givenHyperparameters: hp.given,
      channels: channels.api,
      hosts: job.resource.hosts,
      currentHost: job.resource.currentHost,
      checkpoints: checkpointsIn(job.checkpointDir, algorithm.checkpointPrefix ?? "checkpoint"),
      signal,
      logger: loggerOf(reporter),
      report: (m) => reporter.round(recorded.record(m)),
    };
    const output = await settleWithin(
      Promise.resolve().then(() => algorithm.train(ctx)),
      signal,
      options.graceMs ?? DEFAULT_GRACE_MS,
      algorithm.name,
    );
    const stoppedBy = output.stoppedBy ?? (signal.aborted ? "signal" : "completed");
    const base = summaryBase(algorithm.name, output, stoppedBy, recorded, channels.loadMs());
    if (!output.model) {
      if (output.noModel !== undefined && !signal.aborted) {
        reporter.info(`no model written on this host: ${output.noModel}`);
        return {
          exitCode: EXIT.ok,
          summary: { ...base, noModel: output.noModel, totalMs: performance.now() - t0 },
        };
      }
      if (signal.aborted) throw terminated(recorded, algorithm.name);
      throw new SagebrewError(
        "SB_ALGORITHM",
        `Cannot save the model: train() of the ${algorithm.name} algorithm returned no model files (return { model: { "<file>": bytes } })`,
      );
    }
    const files = modelFiles(paths.modelDir, output.model, algorithm.name);
    await writeAllAtomic(files);
    if (output.outputData) {
      await writeAllAtomic(
        modelFiles(paths.outputDataDir, output.outputData, algorithm.name, "output data file"),
      );
    }
    if (recorded.rounds.length > 0) {
      await writeAtomic(join(paths.outputDataDir, "metrics.json"), recorded.toJson(output.best));
    }
    const pictures = await writePictures(paths.outputDataDir, algorithm.name, recorded, output);
    const sizes = files.map(([, data]) => (typeof data === "string" ? Buffer.byteLength(data) : data.length));
    return {
      exitCode: EXIT.ok,
      summary: {
        ...base,
        modelFiles: files.map(([p]) => p),
        modelPath: files[0]![0],
        modelBytes: sizes[0]!,
        pictures,
        totalMs: performance.now() - t0,
      },
    };
  } catch (e) {
    const error = asTrainingError(e, options.signal?.aborted === true, history, algorithm.name);
    const failure = await writeFailure(root, error, options.failure);
    if (!failure.written) return { exitCode: EXIT.internal, error, failureNotWritten: failure.reason };
    return { exitCode: exitCodeOf(error), error };
  }
}

/** The training curve (when rounds were reported) and the feature importance (when given), as SVG. */
async function writePictures(
  dir: string,
  algorithm: string,
  recorded: RoundHistory,
  output: TrainOutput,
): Promise<string[]> {
  const files: Array<readonly [string, string]> = [];
  if (recorded.rounds.length > 0) {
    files.push([join(dir, "training-curve.svg"), trainingCurveSvg(recorded.rounds, output.best, algorithm)]);
  }
  if (output.featureImportance) {
    files.push([
      join(dir, "feature-importance.svg"),
      featureImportanceSvg(output.featureImportance, algorithm),
    ]);
  }
  await writeAllAtomic(files);
  return files.map(([path]) => path);
}

function loggerOf(reporter: TrainingReporter): TrainingLogger {
  return { info: (m) => reporter.info(m), warn: (m) => reporter.warn(m) };
}

function summaryBase(
  algorithm: string,
  output: TrainOutput,
  stoppedBy: TrainingSummary["stoppedBy"],
  recorded: RoundHistory,
  loadMs: number,
) {
  const last = recorded.rounds.at(-1);
  return {
    algorithm,
    rounds: last ? last.round + 1 : 0,
    totalRounds: last?.totalRounds ?? 0,
    stoppedBy,
    ...(output.best ? { best: output.best } : {}),
    finalMetrics: last?.metrics ?? [],
    history: recorded.rounds,
    lines: output.summary ?? [],
    modelFiles: [] as string[],
    pictures: [] as string[],
    loadMs,
    timings: output.timings ?? {},
  };
}

/** The model's files as absolute paths inside the model directory. */
function modelFiles(
  modelDir: string,
  model: Readonly<Record<string, Uint8Array | string>>,
  algorithm: string,
  what = "model file",
): Array<readonly [string, Uint8Array | string]> {
  const entries = Object.entries(model);
  if (entries.length === 0) {
    throw new SagebrewError(
      "SB_ALGORITHM",
      `Cannot save the model: train() of the ${algorithm} algorithm returned an empty model`,
    );
  }
  return entries.map(([name, data]) => {
    const rel = normalize(name);
    if (name === "" || isAbsolute(name) || rel.startsWith("..") || rel === ".") {
      throw new SagebrewError(
        "SB_ALGORITHM",
        `Cannot save ${what} ${JSON.stringify(name)} of the ${algorithm} algorithm: the name must stay inside its directory`,
      );
    }
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      throw new SagebrewError(
        "SB_ALGORITHM",
        `Cannot save ${what} ${name} of the ${algorithm} algorithm: expected a string or bytes, got ${typeof data}`,
      );
    }
    return [join(modelDir, rel), data] as const;
  });
}

function terminated(recorded: RoundHistory, algorithm: string): SagebrewError {
  const last = recorded.rounds.at(-1);
  const done = last ? ` after ${last.round + 1} of ${last.totalRounds} rounds` : "";
  return new SagebrewError(
    "SB_TERMINATED",
    `Training stopped by SIGTERM${done}; no model was saved (the ${algorithm} algorithm returned none)`,
  );
}

/** The error a run ends with: after SIGTERM whatever `train` threw means it stopped. */
function asTrainingError(
  e: unknown,
  aborted: boolean,
  recorded: RoundHistory | undefined,
  algorithm: string,
): SagebrewError {
  if (isSagebrewError(e)) return e;
  if (aborted) return terminated(recorded ?? new RoundHistory(), algorithm);
  const message = e instanceof Error ? e.message : String(e);
  return new SagebrewError("SB_ALGORITHM", `Cannot train with the ${algorithm} algorithm: ${message}`, {
    cause: e,
  });
}

/**
 * `train`'s result; once SIGTERM has come, at most `graceMs` later: a `train` that does not stop
 * fails the run (SageMaker would kill it 120 s after SIGTERM, with no failure file).
 */
function settleWithin<T>(
  work: Promise<T>,
  signal: AbortSignal,
  graceMs: number,
  algorithm: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(
        () =>
          reject(
            new SagebrewError(
              "SB_TERMINATED",
              `Training stopped by SIGTERM: train() of the ${algorithm} algorithm did not stop within ${Math.round(graceMs / 1000)} s; no model was saved`,
            ),
          ),
        graceMs,
      );
      timer.unref();
    };
    if (signal.aborted) arm();
    else signal.addEventListener("abort", arm, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener("abort", arm);
    });
  });
}

/** The channel names an algorithm reads, aliases included: `train or training, validation, code`. */
function channelNames(algorithm: CheckedAlgorithm): string {
  const names = Object.entries(algorithm.channels).map(([name, d]) =>
    [name, ...(d.aliases ?? [])].join(" or "),
  );
  return [...names, "code"].join(", ");
}

/** The channels API of the context, over the job's channels. */
async function openChannels(
  options: RunTrainingOptions,
  job: TrainingJob,
): Promise<{ api: TrainingChannels; loadMs: () => number }> {
  const { algorithm, reporter } = options;
  const paths = mlPaths(options.root);
  const onDisk = await channelDirectories(paths.dataDir);
  const present = [...new Set([...job.channels.keys(), ...onDisk])];
  const { found, unused } = resolveChannels(algorithm.channels, present, paths.dataDir);
  const declaredNames = Object.keys(algorithm.channels);
  if (unused.length > 0 && algorithm.extraChannels === "reject") {
    throw new SagebrewError(
      "SB_CHANNEL_INVALID",
      `Cannot train: channel ${unused[0]} is not one the ${algorithm.name} algorithm reads (${channelNames(algorithm)}); rename it or leave it out of the job`,
    );
  }
  for (const n of unused) {
    reporter.warn(
      `channel ${n} is not used by the ${algorithm.name} algorithm (it reads ${declaredNames.join(" and ")})`,
    );
  }
  const codecs = options.codecs.with(algorithm.codecs);
  let loadMs = 0;
  const timed = async <T>(work: Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await work;
    } finally {
      loadMs += performance.now() - t;
    }
  };
  const channel = (name: string): TrainingChannel => {
    const directory = found.get(name);
    if (directory === undefined) {
      if (!Object.hasOwn(algorithm.channels, name)) {
        throw new SagebrewError(
          "SB_ALGORITHM",
          `Cannot read channel ${name}: the ${algorithm.name} algorithm does not declare it (declared: ${declaredNames.join(", ")})`,
        );
      }
      throw new SagebrewError(
        "SB_CHANNEL_MISSING",
        `Cannot train: there is no ${name} channel; put its data in ${join(paths.dataDir, name)}/`,
      );
    }
    const config: ChannelConfig | undefined = job.channels.get(directory);
    const accepted = algorithm.channels[name]?.contentTypes;
    const src: ChannelSource = {
      name,
      directory,
      dataDir: paths.dataDir,
      config,
      codecs,
      ...(accepted ? { accepted } : {}),
      logger: loggerOf(reporter),
    };
    return {
      name,
      directory,
      config,
      read: (o?: ReadOptions) => timed(readChannel(src, o)),
      dataset: (o?: ReadOptions) => timed(readChannelDataset(src, o)),
      batches: (o?: ReadOptions) => streamChannel(src, o),
    };
  };
  const api: TrainingChannels = {
    names: [...found.keys()],
    has: (name) => found.has(name),
    get: channel,
  };
  return { api, loadMs: () => loadMs };
}
