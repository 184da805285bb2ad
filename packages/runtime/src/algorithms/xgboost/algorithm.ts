/**
 * SageMaker's built-in XGBoost algorithm on the training API: reads `train` (or `training`) and
 * `validation`, maps class-name labels to class ids, boosts on the real libxgboost with
 * checkpoints and early stopping, and returns `xgboost-model` with its metadata. The runtime does
 * the rest (configuration, validation, metric lines, atomic writes, the failure file).
 */
import type { Dataset } from "../../codecs/types.js";
import { SagebrewError } from "../../errors/index.js";
import {
  type ChannelData,
  type CheckedAlgorithm,
  defineAlgorithm,
  type TrainingContext,
  type TrainOutput,
} from "../../training/index.js";
import { type Booster, trimNativeHeap } from "../../xgboost/index.js";
import { modelFiles } from "./_model.js";
import {
  toTrainingParams,
  XGBOOST_ALGORITHM_NAME,
  XGBOOST_HYPERPARAMETERS,
  type XGBoostHyperparameters,
  type XGBoostTrainingParams,
} from "./hyperparameters.js";
import { featureImportance } from "./importance.js";
import { checkLabels, classNamesOf, encodeLabels } from "./labels.js";
import { trainXGBoost } from "./train.js";

type Labelled = Dataset & { labels: Float32Array };

/** Maps class-name labels to ids (classes from the training parts) and checks labels for the objective. */
function prepareLabels(
  train: readonly Dataset[],
  validation: readonly Dataset[] | undefined,
  params: XGBoostTrainingParams,
  names: { train: string; validation: string },
): { train: Labelled[]; validation?: Labelled[]; classNames?: string[] } {
  if (train[0]?.labelStrings) return classNameLabels(train, validation, params, names);
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
): { train: Labelled[]; validation?: Labelled[]; classNames: string[] } {
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

/**
 * sagebrew does not run distributed XGBoost yet: each host holds only what it was given, and
 * SageMaker merges every host's model directory into one archive, so one host (the first of the
 * sorted list, as SageMaker's XGBoost container does) trains and writes the model. Returns why
 * this host writes none, or undefined when it trains.
 */
function onOneHost(ctx: TrainingContext<XGBoostHyperparameters>): string | undefined {
  const { hosts, currentHost } = ctx;
  if (hosts.length <= 1) return undefined;
  const master = hosts[0]!;
  if (currentHost !== master) {
    ctx.logger.warn(
      `this is ${currentHost}, one of ${hosts.length} hosts; sagebrew trains on one host (${master}) and writes no model here`,
    );
    return `${master} trains`;
  }
  const sharded = ctx.channels.names
    .map((n) => ctx.channels.get(n))
    .filter((c) => c.config?.distribution === "ShardedByS3Key")
    .map((c) => c.directory);
  ctx.logger.warn(
    `training on ${master} alone out of ${hosts.length} hosts${sharded.length ? `; channels ${sharded.join(", ")} are ShardedByS3Key, so only this host's shard is used` : ""}`,
  );
  return undefined;
}

function dataLine(
  train: ChannelData,
  validation: ChannelData | undefined,
  classNames: readonly string[] | undefined,
): string {
  return `data: ${train.rows} training rows${validation ? `, ${validation.rows} validation rows` : ""}, ${train.cols} features${classNames ? `, classes ${classNames.join(", ")}` : ""}`;
}

async function train(ctx: TrainingContext<XGBoostHyperparameters>): Promise<TrainOutput> {
  const params = toTrainingParams(ctx.hyperparameters, ctx.givenHyperparameters);
  const elsewhere = onOneHost(ctx);
  if (elsewhere !== undefined) return { noModel: elsewhere };
  const trainChannel = ctx.channels.get("train");
  const trainData = await trainChannel.read({ weights: params.csvWeights });
  const validationChannel = ctx.channels.has("validation") ? ctx.channels.get("validation") : undefined;
  const validationData = await validationChannel?.read({ weights: params.csvWeights });
  if (validationData && validationData.cols !== trainData.cols) {
    const sparse = [...trainData.parts, ...validationData.parts].some((p) => p.features.kind === "csr");
    if (!sparse) {
      throw new SagebrewError(
        "SB_DATA_SHAPE",
        `Cannot train: channel ${validationChannel!.directory} has ${validationData.cols} features, channel ${trainChannel.directory} has ${trainData.cols}`,
      );
    }
  }
  trimNativeHeap(); // parse threads are gone; hand their freed buffers back
  const labelled = prepareLabels(trainData.parts, validationData?.parts, params, {
    train: `channel ${trainChannel.directory}`,
    validation: `channel ${validationChannel?.directory ?? "validation"}`,
  });
  if (params.earlyStoppingRounds !== undefined && !labelled.validation) {
    ctx.logger.warn(
      "early_stopping_rounds is set but there is no validation channel; training runs all rounds",
    );
  }
  const resume = await ctx.checkpoints.latest();
  if (resume) ctx.logger.info(`resuming from checkpoint ${resume.path} (${resume.round + 1} rounds done)`);
  const result = await trainXGBoost({
    ...(resume ? { resumeFrom: { model: resume.data, rounds: resume.round + 1 } } : {}),
    train: { parts: labelled.train },
    ...(labelled.validation ? { validation: { parts: labelled.validation } } : {}),
    params,
    onRound: async (report, booster) => {
      ctx.report(report);
      const last = report.round + 1 === params.numRound;
      if ((report.round + 1) % params.checkpointFrequency === 0 || last) {
        if (ctx.checkpoints.dir) await ctx.checkpoints.save(report.round, booster.save("ubj"));
      }
    },
    signal: ctx.signal,
  });
  const booster = result.booster;
  try {
    if (result.stoppedBy === "signal" && !params.saveModelOnTermination) {
      throw new SagebrewError(
        "SB_TERMINATED",
        `Training stopped by SIGTERM after ${result.rounds} of ${params.numRound} rounds; no model was saved (set save_model_on_termination=true to keep the rounds done)`,
      );
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
      summary: [dataLine(trainData, validationData, labelled.classNames)],
      timings: { dmatrix: result.dataMs, boosting: result.boostMs },
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
export function createXGBoostAlgorithm(): CheckedAlgorithm {
  return defineAlgorithm({
    name: XGBOOST_ALGORITHM_NAME,
    hyperparameters: XGBOOST_HYPERPARAMETERS,
    channels: {
      train: { required: true, aliases: ["training"], description: "the training rows, label first" },
      validation: { description: "rows to evaluate each round on, and for early stopping" },
    },
    checkpointPrefix: "xgboost-checkpoint",
    train,
  }) as unknown as CheckedAlgorithm;
}
