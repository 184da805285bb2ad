/**
 * SageMaker's built-in XGBoost algorithm on the training API: reads `train` (or `training`) and
 * `validation`, maps class-name labels to class ids, boosts on the real libxgboost with
 * checkpoints and early stopping, and returns `xgboost-model` with its metadata. The runtime does
 * the rest (configuration, validation, metric lines, atomic writes, the failure file).
 */
import type { Dataset } from "../../codecs/types.js";
import { readClusterConfig } from "../../config/cluster.js";
import type { XGBoostImageVersion } from "../../config/emulate.js";
import { isSagebrewError, SagebrewError, toSagebrewError } from "../../errors/index.js";
import {
  type ChannelData,
  type CheckedAlgorithm,
  defineAlgorithm,
  type ReadOptions,
  type TrainingChannel,
  type TrainingContext,
  type TrainOutput,
} from "../../training/index.js";
import { type Booster, type Collective, collectGarbage, trimNativeHeap } from "../../xgboost/index.js";
import { modelFiles } from "./_model.js";
import { crossValidate } from "./cross-validation.js";
import {
  type EmulatedJob,
  emulatedError,
  emulatedHyperparameters,
  prepareEmulatedJob,
} from "./emulate/index.js";
import {
  toTrainingParams,
  XGBOOST_ALGORITHM_NAME,
  XGBOOST_HYPERPARAMETERS,
  type XGBoostHyperparameters,
  type XGBoostTrainingParams,
} from "./hyperparameters.js";
import { featureImportance } from "./importance.js";
import { checkLabels, classNamesOf, encodeLabels } from "./labels.js";
import { guard, MultiHost, type Role, resumeAcross } from "./multi-host.js";
import { trainXGBoost } from "./train.js";

type Labelled = Dataset & { labels: Float32Array };

/** Maps class-name labels to ids (classes from the training parts) and checks labels for the objective. */
function prepareLabels(
  train: readonly Dataset[],
  validation: readonly Dataset[] | undefined,
  params: XGBoostTrainingParams,
  names: { train: string; validation: string },
  /** Every training host's classes (training across hosts), instead of this host's own. */
  allClassNames?: readonly string[],
): { train: Labelled[]; validation?: Labelled[]; classNames?: string[] } {
  if (train[0]?.labelStrings) return classNameLabels(train, validation, params, names, allClassNames);
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

function classNameLabels(
  train: readonly Dataset[],
  validation: readonly Dataset[] | undefined,
  params: XGBoostTrainingParams,
  names: { train: string; validation: string },
  allClassNames: readonly string[] | undefined,
): { train: Labelled[]; validation?: Labelled[]; classNames: string[] } {
  const classNames = allClassNames
    ? [...allClassNames]
    : classNamesOf(train.flatMap((p) => p.labelStrings ?? []));
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
  if (validation && !validation[0]?.labelStrings) {
    throw new SagebrewError(
      "SB_LABEL",
      `Cannot use ${names.validation}: its labels are numbers, but the training labels are class names (${classNames.join(", ")})`,
    );
  }
  return {
    train: encode(train, names.train),
    ...(validation ? { validation: encode(validation, names.validation) } : {}),
    classNames,
  };
}

/** A channel's rows, or undefined when a host of a multi-host job received none. */
async function readOrNone(
  channel: TrainingChannel | undefined,
  options: ReadOptions,
  multi: MultiHost | undefined,
): Promise<ChannelData | undefined> {
  if (!channel) return undefined;
  try {
    return await channel.read(options);
  } catch (e) {
    // ShardedByS3Key with fewer files than hosts leaves some hosts without data, as on SageMaker.
    if (multi && isSagebrewError(e, "SB_CHANNEL_EMPTY")) return undefined;
    throw e;
  }
}

/** Joins the other hosts, when the job has several (`multi-host.ts`). */
function joinHosts(ctx: TrainingContext<XGBoostHyperparameters>): Promise<MultiHost> | undefined {
  if (ctx.hosts.length <= 1) return undefined;
  return MultiHost.join({
    hosts: ctx.hosts,
    currentHost: ctx.currentHost,
    config: readClusterConfig(process.env),
    log: (m) => ctx.logger.info(m),
  });
}

function dataLine(
  train: ChannelData,
  validation: ChannelData | undefined,
  classNames: readonly string[] | undefined,
): string {
  return `data: ${train.rows} training rows${validation ? `, ${validation.rows} validation rows` : ""}, ${train.cols} features${classNames ? `, classes ${classNames.join(", ")}` : ""}`;
}

/** Train as that version of SageMaker's XGBoost image would, under the job's root. */
interface EmulateOptions {
  readonly version: XGBoostImageVersion;
  readonly root: string;
  /** Added to, or replacing, those of `hyperparameters.json` (`sagebrew train --hyperparameter`). */
  readonly hyperparameters?: Readonly<Record<string, string>>;
}

async function train(
  ctx: TrainingContext<XGBoostHyperparameters>,
  emulate?: EmulateOptions,
): Promise<TrainOutput> {
  if (emulate) {
    try {
      const job = await prepareEmulatedJob(ctx, emulate);
      return await trainAcrossHosts(ctx, job);
    } catch (e) {
      throw emulatedError(e);
    }
  }
  return trainAcrossHosts(ctx);
}

async function trainAcrossHosts(
  ctx: TrainingContext<XGBoostHyperparameters>,
  emulated?: EmulatedJob,
): Promise<TrainOutput> {
  const kfold = emulated ? emulated.params.crossValidation : ctx.hyperparameters._kfold;
  if (kfold !== undefined && ctx.hosts.length > 1) {
    throw new SagebrewError(
      "SB_HYPERPARAMETER",
      `Hyperparameter _kfold: k-fold cross-validation runs on one host, and this job has ${ctx.hosts.length} (${ctx.hosts.join(", ")}); use one instance, or leave _kfold out`,
    );
  }
  const multi = await joinHosts(ctx);
  let ring: Collective | undefined;
  try {
    const output = await trainHere(
      ctx,
      multi,
      (r) => {
        ring = r;
      },
      emulated,
    );
    await ring?.finalize();
    await multi?.finish();
    return output;
  } catch (e) {
    if (!multi) throw e;
    // A broken ring is the effect of another host's failure: let the cluster name that host.
    const error = await multi.fail(toSagebrewError(e), {
      secondary: ring !== undefined && isSagebrewError(e, "SB_XGBOOST"),
    });
    (ring as Collective | undefined)?.abandon();
    throw error;
  }
}

/** What this host does in a multi-host job; alone on a single host. */
async function roleOf(
  multi: MultiHost | undefined,
  trainData: ChannelData | undefined,
  validationData: ChannelData | undefined,
  validationConfigured: boolean,
): Promise<Role> {
  if (!multi) return { kind: "alone" };
  const classNames = trainData?.parts[0]?.labelStrings
    ? classNamesOf(trainData.parts.flatMap((p) => p.labelStrings ?? []))
    : undefined;
  return multi.decide({
    train: trainData !== undefined,
    validation: validationData !== undefined,
    validationConfigured,
    ...(classNames ? { classNames } : {}),
  });
}

async function trainHere(
  ctx: TrainingContext<XGBoostHyperparameters>,
  multi: MultiHost | undefined,
  onRing: (ring: Collective) => void,
  emulated?: EmulatedJob,
): Promise<TrainOutput> {
  const params = emulated?.params ?? toTrainingParams(ctx.hyperparameters, ctx.givenHyperparameters);
  const trainChannel = emulated ? undefined : ctx.channels.get("train");
  const validationChannel =
    !emulated && ctx.channels.has("validation") ? ctx.channels.get("validation") : undefined;
  const read = { weights: params.csvWeights };
  const localTrain = emulated ? emulated.train : await readOrNone(trainChannel, read, multi);
  const validationData = emulated ? emulated.validation : await readOrNone(validationChannel, read, multi);
  const validationConfigured = emulated ? emulated.validationConfigured : validationChannel !== undefined;
  const trainName = trainChannel?.directory ?? "train";
  const validationName = validationChannel?.directory ?? "validation";
  const role = await roleOf(multi, localTrain, validationData, validationConfigured);
  if (role.kind === "leave" || role.kind === "coordinate") {
    ctx.logger.warn(role.reason);
    await multi!.finish();
    if (multi!.cluster.broken.aborted) throw multi!.cluster.broken.reason;
    return { noModel: role.reason };
  }
  const ring = role.kind === "ring" ? role.ring : undefined;
  if (ring) onRing(ring);
  const isMaster = !ring || ring.rank === 0;
  if (ring)
    ctx.logger.info(
      `training on ${ring.worldSize} hosts (${role.kind === "ring" ? role.hosts.join(", ") : ""}) as rank ${ring.rank}${isMaster ? "; this host writes the model" : ""}`,
    );
  const trainData = localTrain!;
  // The image hands XGBoost both matrices as they are; XGBoost itself decides.
  if (!emulated && validationData && validationData.cols !== trainData.cols) {
    const sparse = [...trainData.parts, ...validationData.parts].some((p) => p.features.kind === "csr");
    if (!sparse) {
      throw new SagebrewError(
        "SB_DATA_SHAPE",
        `Cannot train: channel ${validationName} has ${validationData.cols} features, channel ${trainName} has ${trainData.cols}`,
      );
    }
  }
  // Parse threads are gone: hand their freed buffers back, and the parse's garbage on this thread
  // (left to V8, it stayed resident through the quantile build, the peak, in some runs).
  if (!collectGarbage()) trimNativeHeap();
  // The image's labels are numbers, whatever they fit: XGBoost itself checks them against the objective.
  const labelled = emulated
    ? {
        train: trainData.parts as Labelled[],
        ...(validationData ? { validation: validationData.parts as Labelled[] } : {}),
        classNames: undefined,
      }
    : prepareLabels(
        trainData.parts,
        validationData?.parts,
        params,
        { train: `channel ${trainName}`, validation: `channel ${validationName}` },
        role.kind === "ring" || role.kind === "alone" ? role.classNames : undefined,
      );
  if (params.crossValidation) {
    return crossValidate({
      ctx,
      params: { ...params, crossValidation: params.crossValidation },
      train: labelled.train,
      validation: labelled.validation,
      facts: {
        objective: params.objective,
        numClass: params.numClass,
        numFeatures: trainData.cols,
        classNames: labelled.classNames,
      },
      summary: [dataLine(trainData, validationData, labelled.classNames)],
    });
  }
  if (params.earlyStoppingRounds !== undefined && !labelled.validation) {
    ctx.logger.warn(
      "early_stopping_rounds is set but there is no validation channel; training runs all rounds",
    );
  } else if (!emulated && params.earlyStoppingRounds !== undefined && params.evalMetrics.length === 0) {
    // SageMaker's container stops early only on a metric named in eval_metric (or by HPO), and
    // otherwise trains every round without a word; XGBoost itself watches its default metric.
    ctx.logger.info(
      `early_stopping_rounds is set without eval_metric: early stopping watches XGBoost's default validation metric for ${params.objective} (SageMaker's XGBoost container would train all ${params.numRound} rounds)`,
    );
  }
  // Only the master writes checkpoints, so every host of a ring resumes from the master's.
  const saved = isMaster ? await ctx.checkpoints.latest() : undefined;
  const local = saved ? { path: saved.path, round: saved.round, model: Buffer.from(saved.data) } : undefined;
  const resume = ring ? await resumeAcross(ring, local) : local;
  if (resume) ctx.logger.info(`resuming from checkpoint ${resume.path} (${resume.round + 1} rounds done)`);
  const training = trainXGBoost({
    ...(resume ? { resumeFrom: { model: resume.model, rounds: resume.round + 1 } } : {}),
    train: { parts: labelled.train },
    ...(labelled.validation ? { validation: { parts: labelled.validation } } : {}),
    params,
    onRound: async (report, booster) => {
      ctx.report(report);
      const last = report.round + 1 === params.numRound;
      if (isMaster && ((report.round + 1) % params.checkpointFrequency === 0 || last)) {
        if (ctx.checkpoints.dir) await ctx.checkpoints.save(report.round, booster.save("ubj"));
      }
    },
    signal: ctx.signal,
    ...(ring ? { ring } : {}),
  });
  const result = await (multi ? guard(multi, training) : training);
  const booster = result.booster;
  try {
    if (result.stoppedBy === "signal" && !params.saveModelOnTermination) {
      throw new SagebrewError(
        "SB_TERMINATED",
        `Training stopped by SIGTERM after ${result.rounds} of ${params.numRound} rounds; no model was saved (set save_model_on_termination=true to keep the rounds done)`,
      );
    }
    const summary = [dataLine(trainData, validationData, labelled.classNames)];
    const timings = { dmatrix: result.dataMs, boosting: result.boostMs };
    if (!isMaster) {
      return {
        noModel: "the first training host writes the model",
        stoppedBy: result.stoppedBy,
        summary,
        timings,
      };
    }
    const model = modelFiles(booster, {
      objective: params.objective,
      numClass: params.numClass,
      numFeatures: trainData.cols,
      classNames: labelled.classNames,
      rounds: result.rounds,
      bestIteration: result.bestIteration,
      bestScore: result.bestScore,
      stoppingMetric: result.stoppingMetric,
      stoppedBy: result.stoppedBy,
    });
    return {
      model,
      stoppedBy: result.stoppedBy,
      ...(result.bestIteration !== undefined && result.bestScore !== undefined
        ? {
            best: {
              round: result.bestIteration,
              score: result.bestScore,
              metric: result.stoppingMetric ?? "",
            },
          }
        : {}),
      summary,
      timings,
      ...importanceOf(booster, trainData.cols),
    };
  } finally {
    booster.dispose();
  }
}

/** Feature importance for the picture; none for a linear booster (or a model it cannot read). */
function importanceOf(booster: Booster, cols: number): Pick<TrainOutput, "featureImportance"> {
  const importance = featureImportance(booster, cols);
  return importance ? { featureImportance: importance } : {};
}

/**
 * The XGBoost algorithm.
 *
 * @example await runTraining({ root, algorithm: createXGBoostAlgorithm(), reporter, codecs: defaultCodecs() });
 */
export function createXGBoostAlgorithm(options: { emulate?: EmulateOptions } = {}): CheckedAlgorithm {
  const { emulate } = options;
  if (emulate) {
    // The image validates hyperparameters and channels itself (emulate/), before it reads data.
    return defineAlgorithm({
      name: XGBOOST_ALGORITHM_NAME,
      hyperparameters: emulatedHyperparameters(emulate),
      channels: { train: { description: "the training rows, label first" }, validation: {} },
      checkpointPrefix: "xgboost-checkpoint",
      train: (ctx) => train(ctx as unknown as TrainingContext<XGBoostHyperparameters>, emulate),
    }) as unknown as CheckedAlgorithm;
  }
  return defineAlgorithm({
    name: XGBOOST_ALGORITHM_NAME,
    hyperparameters: XGBOOST_HYPERPARAMETERS,
    channels: {
      train: { required: true, aliases: ["training"], description: "the training rows, label first" },
      validation: { description: "rows to evaluate each round on, and for early stopping" },
    },
    // SageMaker's container fails on any other channel ("Extraneous channel found").
    extraChannels: "reject",
    checkpointPrefix: "xgboost-checkpoint",
    train: (ctx) => train(ctx),
  }) as unknown as CheckedAlgorithm;
}
