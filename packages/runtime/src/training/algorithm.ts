/**
 * The training API, the twin of the serving handler API: an algorithm declares its
 * hyperparameters and channels as data and gives one `train(context)`. The runtime (`run.ts`)
 * owns the contract around it — the configuration, validation, the failure file and exit codes,
 * SIGTERM, atomic model writes, metric lines, `metrics.json`, checkpoints and the pictures.
 * The shape is checked once (`checkAlgorithm`), never guessed.
 */
import type { Codec } from "../codecs/registry.js";
import type { Dataset } from "../codecs/types.js";
import type { ChannelConfig } from "../config/data-config.js";
import { SagebrewError } from "../errors/index.js";
import type {
  HyperparameterDeclarations,
  HyperparameterSchema,
  HyperparameterValues,
} from "./hyperparameters.js";

/** A channel the algorithm reads. */
export interface ChannelDeclaration {
  /** Training fails when the channel is absent. Default false. */
  readonly required?: boolean;
  /** Other directory names accepted for it (`training` for `train`). */
  readonly aliases?: readonly string[];
  /** Media types accepted as its `ContentType`. Default: every format the codec registry can train on. */
  readonly contentTypes?: readonly string[];
  /** One line for the documentation and messages. */
  readonly description?: string;
}

/** How a channel's rows are decoded. */
export interface ReadOptions {
  /** The first column (CSV) or the records' label is the label. Default true. */
  readonly labels?: boolean;
  /** CSV: the column after the label is an instance weight. Default false. */
  readonly weights?: boolean;
}

/** A channel's rows, decoded: batches in file order (a large file arrives as several). */
export interface ChannelData {
  readonly parts: readonly Dataset[];
  readonly rows: number;
  readonly cols: number;
  /** The formats read (codec names: `csv`, `libsvm` …). */
  readonly formats: ReadonlySet<string>;
  readonly bytes: number;
}

/** One channel of the job. */
export interface TrainingChannel {
  /** The declared name (`train`). */
  readonly name: string;
  /** The directory name it was found under (`training` when the alias is used). */
  readonly directory: string;
  /** Its `inputdataconfig.json` entry, when the job declares one. */
  readonly config: ChannelConfig | undefined;
  /** Reads and decodes every file (large CSV files in parallel), in file order. */
  read(options?: ReadOptions): Promise<ChannelData>;
  /** The rows as one data set (`read()` concatenated). */
  dataset(options?: ReadOptions): Promise<Dataset>;
  /** Streams the rows in batches (CSV in 32 MiB blocks, other formats a file at a time): for data larger than memory. */
  batches(options?: ReadOptions): AsyncIterable<Dataset>;
}

/** The channels the algorithm declared that the job holds. */
export interface TrainingChannels {
  /** Declared names present in the job. */
  readonly names: readonly string[];
  has(name: string): boolean;
  /** @throws SagebrewError SB_CHANNEL_MISSING when the job does not hold it. */
  get(name: string): TrainingChannel;
}

/** A checkpoint as saved by `Checkpoints.save`. */
export interface SavedCheckpoint {
  readonly path: string;
  /** Zero-based index of the last round it holds. */
  readonly round: number;
  readonly data: Uint8Array;
}

/** Checkpoints for spot training, when the job configures a checkpoint directory. */
export interface Checkpoints {
  /** The checkpoint directory, or undefined when the job configures none (then `save` does nothing). */
  readonly dir: string | undefined;
  /** The newest checkpoint, to resume from. */
  latest(): Promise<SavedCheckpoint | undefined>;
  /** Saves the state after `round` atomically and prunes old checkpoints. */
  save(round: number, data: Uint8Array): Promise<void>;
}

/** One `set-metric:value` entry of a metric line (`validation`, `auc`, 0.93). */
export interface MetricValue {
  /** The data set: a channel name such as `train` or `validation`. */
  readonly set: string;
  readonly metric: string;
  readonly value: number;
}

/** What an algorithm reports after each round. */
export interface RoundMetrics {
  /** Zero-based round index. */
  readonly round: number;
  /** The rounds planned, for progress displays. */
  readonly totalRounds?: number;
  readonly metrics: readonly MetricValue[];
}

/** A round as the runtime printed it. */
export interface RoundReport extends RoundMetrics {
  readonly totalRounds: number;
  /** The metric line, `[3]\ttrain-mlogloss:0.08\tvalidation-mlogloss:0.12` (XGBoost's format). */
  readonly line: string;
  /** Time since the previous round's report. */
  readonly elapsedMs: number;
}

/** Messages for the job's log. */
export interface TrainingLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** Everything `train` receives. */
export interface TrainingContext<H = Readonly<Record<string, unknown>>> {
  /** Typed hyperparameters, validated, defaults applied. */
  readonly hyperparameters: H;
  /** Names (aliases resolved) the job set itself, in the order given. */
  readonly givenHyperparameters: readonly string[];
  readonly channels: TrainingChannels;
  /** Every host of the job, sorted (`algo-1`, `algo-2`). */
  readonly hosts: readonly string[];
  /** This host. */
  readonly currentHost: string;
  readonly checkpoints: Checkpoints;
  /** Aborted on SIGTERM: stop at the next round boundary; return a model to keep it. */
  readonly signal: AbortSignal;
  readonly logger: TrainingLogger;
  /** Prints the round's metric line (SageMaker's metric regexes read it) and records it for `metrics.json`. */
  report(round: RoundMetrics): void;
}

/** Feature importance of a tree model, per measure (`gain`, `weight`, `cover`), one value per feature. */
export interface FeatureImportance {
  readonly features: readonly string[];
  readonly measures: Readonly<Record<string, readonly number[]>>;
}

/** What `train` returns. */
export interface TrainOutput {
  /** The model: file name → contents, written into the model directory atomically. */
  readonly model?: Readonly<Record<string, Uint8Array | string>>;
  /** Files for `output/data/` (`predictions.csv`): name → contents, written atomically beside `metrics.json`. */
  readonly outputData?: Readonly<Record<string, Uint8Array | string>>;
  /** Why this host writes no model (one of several hosts); then `model` is absent and the job succeeds. */
  readonly noModel?: string;
  /** Default: `signal` when SIGTERM arrived, else `completed`. */
  readonly stoppedBy?: "completed" | "early-stopping" | "signal";
  /** The best round, when the algorithm tracks one (early stopping). */
  readonly best?: { readonly round: number; readonly score: number; readonly metric: string };
  /** Lines for the summary (`data: 150 training rows, 4 features`). */
  readonly summary?: readonly string[];
  /** Phases of training in milliseconds, in order (`{ dmatrix: 12, boosting: 340 }`). */
  readonly timings?: Readonly<Record<string, number>>;
  /** For the feature-importance picture of a tree model. */
  readonly featureImportance?: FeatureImportance;
}

/**
 * A training algorithm: declarations and `train`.
 *
 * @example
 * export default defineAlgorithm({
 *   name: "nearest-centroid",
 *   hyperparameters: { declarations: { shrink: { type: "float", min: 0, max: 1, default: 0 } } },
 *   channels: { train: { required: true } },
 *   async train(ctx) {
 *     const data = await ctx.channels.get("train").dataset();
 *     return { model: { "centroids.json": JSON.stringify(fit(data, ctx.hyperparameters.shrink)) } };
 *   },
 * });
 */
export interface AlgorithmDefinition<Ds extends HyperparameterDeclarations = HyperparameterDeclarations> {
  /** For messages: `not a hyperparameter of the <name> algorithm`. */
  readonly name: string;
  readonly hyperparameters: HyperparameterSchema<Ds>;
  readonly channels: Readonly<Record<string, ChannelDeclaration>>;
  /**
   * A job channel the algorithm does not declare (`code` aside): `warn` (the default) reads on and
   * says so; `reject` fails the job, as SageMaker's XGBoost container does ("Extraneous channel").
   */
  readonly extraChannels?: "warn" | "reject";
  /** File name prefix of checkpoints (`<prefix>.<round>`). Default `checkpoint`. */
  readonly checkpointPrefix?: string;
  /** Formats this algorithm adds to the codec registry. */
  readonly codecs?: readonly Codec[];
  train(ctx: TrainingContext<HyperparameterValues<Ds>>): TrainOutput | Promise<TrainOutput>;
}

/** Types an algorithm definition; returns it unchanged. */
export function defineAlgorithm<const Ds extends HyperparameterDeclarations>(
  algorithm: AlgorithmDefinition<Ds>,
): AlgorithmDefinition<Ds> {
  return algorithm;
}

/** An algorithm whose shape was checked. */
export type CheckedAlgorithm = AlgorithmDefinition<HyperparameterDeclarations>;

const KNOWN = new Set([
  "name",
  "hyperparameters",
  "channels",
  "extraChannels",
  "checkpointPrefix",
  "codecs",
  "train",
]);
const TYPES = new Set(["int", "float", "bool", "enum", "string", "custom"]);

/**
 * Checks an algorithm's shape once, before the job's files are read.
 *
 * @throws SagebrewError SB_ALGORITHM_INVALID saying what is wrong with the algorithm from `source`.
 */
export function checkAlgorithm(value: unknown, source: string): CheckedAlgorithm {
  const fail = (why: string) =>
    new SagebrewError("SB_ALGORITHM_INVALID", `Cannot use algorithm ${source}: ${why}`);
  if (typeof value !== "object" || value === null) {
    throw fail(`expected an object with name, hyperparameters, channels and train(), got ${typeof value}`);
  }
  const a = value as Record<string, unknown>;
  const unknown = Object.keys(a).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) throw fail(`unknown field ${unknown.join(", ")} (known: ${[...KNOWN].join(", ")})`);
  if (typeof a.name !== "string" || a.name === "") throw fail("name must be a non-empty string");
  if (typeof a.train !== "function") throw fail("train() is missing");
  checkHyperparameterSchema(a.hyperparameters, fail);
  checkChannels(a.channels, fail);
  if (
    a.checkpointPrefix !== undefined &&
    !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(String(a.checkpointPrefix))
  ) {
    throw fail("checkpointPrefix must be a file name prefix such as model-checkpoint");
  }
  if (a.codecs !== undefined && !Array.isArray(a.codecs)) throw fail("codecs must be an array of codecs");
  if (a.extraChannels !== undefined && a.extraChannels !== "warn" && a.extraChannels !== "reject") {
    throw fail(`extraChannels must be "warn" or "reject", got ${JSON.stringify(a.extraChannels)}`);
  }
  return value as CheckedAlgorithm;
}

function checkHyperparameterSchema(value: unknown, fail: (why: string) => SagebrewError): void {
  if (typeof value !== "object" || value === null) {
    throw fail("hyperparameters must be an object { declarations, aliases?, check? }");
  }
  const s = value as Record<string, unknown>;
  const decls = s.declarations;
  if (typeof decls !== "object" || decls === null)
    throw fail("hyperparameters.declarations must be an object");
  for (const [name, d] of Object.entries(decls)) {
    const type = (d as { type?: unknown } | null)?.type;
    if (!TYPES.has(String(type))) {
      throw fail(
        `hyperparameter ${name} has type ${JSON.stringify(type)}; use one of ${[...TYPES].join(", ")}`,
      );
    }
    if (type === "enum" && !Array.isArray((d as { values?: unknown }).values)) {
      throw fail(`hyperparameter ${name} is an enum without values`);
    }
    if (type === "custom" && typeof (d as { parse?: unknown }).parse !== "function") {
      throw fail(`hyperparameter ${name} is custom without parse()`);
    }
  }
  const aliases = (s.aliases ?? {}) as Record<string, unknown>;
  for (const [alias, to] of Object.entries(aliases)) {
    if (typeof to !== "string" || !Object.hasOwn(decls, to)) {
      throw fail(`hyperparameter alias ${alias} names ${JSON.stringify(to)}, which is not declared`);
    }
  }
  if (s.check !== undefined && typeof s.check !== "function")
    throw fail("hyperparameters.check must be a function");
  if (s.validate !== undefined && typeof s.validate !== "function")
    throw fail("hyperparameters.validate must be a function");
}

function checkChannels(value: unknown, fail: (why: string) => SagebrewError): void {
  if (typeof value !== "object" || value === null || Object.keys(value).length === 0) {
    throw fail("channels must declare at least one channel, such as { train: { required: true } }");
  }
  const seen = new Map<string, string>();
  for (const [name, c] of Object.entries(value)) {
    const decl = (c ?? {}) as ChannelDeclaration;
    for (const dir of [name, ...(decl.aliases ?? [])]) {
      const other = seen.get(dir);
      if (other !== undefined) throw fail(`channels ${other} and ${name} both claim the directory ${dir}`);
      seen.set(dir, name);
    }
  }
}
