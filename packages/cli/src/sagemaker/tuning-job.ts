/**
 * Tuning on SageMaker from the same /opt/ml-shaped directory as `sagebrew tune`: the training job
 * definition is the one `sagebrew train --instance-type` would send (channels synced to S3, the
 * image pushed and pinned, the role), the tuning configuration is the tuning core's request,
 * checked against SageMaker's rules before it is sent; then the job is followed — its status,
 * counters and every training job as a leaderboard — until it ends, with the best training job at
 * the end, its model unpacked with `downloadTo` (and the pictures and summary beside it), and
 * deployed with `deploy`.
 */
import { basename, join, resolve } from "node:path";
import { type MetricDefinition, SagebrewError } from "@sagebrew/runtime/core";
import type {
  CreateHyperParameterTuningJobRequest,
  DescribeHyperParameterTuningJobResponse,
  HyperParameterTrainingJobSummary,
} from "../aws/index.js";
import {
  defaultTuningJobName,
  type TuningOptions,
  type TuningSpec,
  tuningRequest,
  tuningSpec,
} from "../tuning/index.js";
import { type AwsClients, type Reporter, SILENT, sleep } from "./context.js";
import { downloadModel, prepareTrainingJob, type TrainingJobOptions } from "./training-job.js";
import { jobMetricDefinitions, readDirectoryJob, toHyperParameters } from "./training-request.js";

/** One training job of a tuning job, as its leaderboard shows it. */
export interface TuningTrial {
  readonly name: string;
  readonly status: string;
  readonly hyperParameters: Readonly<Record<string, string>>;
  readonly final?: number;
  readonly objectiveStatus?: string;
  readonly failureReason?: string;
}

/** What DescribeHyperParameterTuningJob and the list of its training jobs say, together. */
export interface TuningJobView {
  readonly name: string;
  readonly status: string;
  readonly strategy?: string;
  readonly objective?: { readonly type: string; readonly metricName: string };
  readonly trainingJobStatusCounters: Readonly<Record<string, number>>;
  readonly objectiveStatusCounters: Readonly<Record<string, number>>;
  readonly best?: TuningTrial;
  readonly overallBest?: TuningTrial;
  /** Every training job, in creation order (empty when they cannot be listed). */
  readonly trials: readonly TuningTrial[];
  readonly failureReason?: string;
  readonly completionDetails?: { readonly notImproving?: number; readonly convergedAt?: Date };
  readonly created?: Date;
  readonly ended?: Date;
}

export interface TuningJobOptions
  extends Omit<
      TrainingJobOptions,
      "jobName" | "baseJobName" | "wait" | "downloadTo" | "spot" | "maxWaitSeconds"
    >,
    TuningOptions {
  /** Metric definitions for an image's own metrics (default: the evaluation lines' regexes). */
  readonly metricDefinitions?: readonly MetricDefinition[];
  /** Follow the job until it ends (default true). */
  readonly wait?: boolean;
  /**
   * A directory whose `model/` receives the best training job's model, with the tuning job's
   * summary and pictures under `.sagebrew/tuning/<name>/`.
   */
  readonly downloadTo?: string;
  /** Told the job's view at every poll (a leaderboard to draw). */
  readonly onUpdate?: (view: TuningJobView) => void;
}

export interface TuningJobResult {
  readonly name: string;
  readonly view: TuningJobView;
  readonly outcome: "completed" | "failed" | "stopped" | "timeout" | "interrupted" | "not-waited";
  /** The best training job's model artifact (s3://…/model.tar.gz). */
  readonly bestModelArtifact?: string;
  /** Where the best model was unpacked, with `downloadTo`. */
  readonly downloadedTo?: string;
  /** The summary and pictures written with `downloadTo`. */
  readonly resultsDir?: string;
  readonly pictures?: readonly string[];
  /** The request sent. */
  readonly request: CreateHyperParameterTuningJobRequest;
}

/** A training job's row from SageMaker's summary. */
function trialOf(s: HyperParameterTrainingJobSummary): TuningTrial {
  const final = s.FinalHyperParameterTuningJobObjectiveMetric?.Value;
  return {
    name: s.TrainingJobName ?? "?",
    status: s.TrainingJobStatus ?? "Unknown",
    hyperParameters: { ...(s.TunedHyperParameters ?? {}) },
    ...(final !== undefined ? { final } : {}),
    ...(s.ObjectiveStatus ? { objectiveStatus: s.ObjectiveStatus } : {}),
    ...(s.FailureReason ? { failureReason: s.FailureReason } : {}),
  };
}

/** The view of a tuning job from its description and (when they could be listed) its training jobs. */
export function tuningJobView(
  d: DescribeHyperParameterTuningJobResponse,
  trials: readonly HyperParameterTrainingJobSummary[],
): TuningJobView {
  const config = d.HyperParameterTuningJobConfig;
  const objective = config?.HyperParameterTuningJobObjective;
  const details = d.TuningJobCompletionDetails;
  return {
    name: d.HyperParameterTuningJobName ?? "?",
    status: d.HyperParameterTuningJobStatus ?? "Unknown",
    ...(config?.Strategy ? { strategy: config.Strategy } : {}),
    ...(objective?.MetricName
      ? { objective: { type: objective.Type ?? "Maximize", metricName: objective.MetricName } }
      : {}),
    trainingJobStatusCounters: { ...(d.TrainingJobStatusCounters ?? {}) } as Record<string, number>,
    objectiveStatusCounters: { ...(d.ObjectiveStatusCounters ?? {}) } as Record<string, number>,
    ...(d.BestTrainingJob ? { best: trialOf(d.BestTrainingJob) } : {}),
    ...(d.OverallBestTrainingJob ? { overallBest: trialOf(d.OverallBestTrainingJob) } : {}),
    trials: [...trials]
      .sort((a, b) => (a.CreationTime?.getTime() ?? 0) - (b.CreationTime?.getTime() ?? 0))
      .map(trialOf),
    ...(d.FailureReason ? { failureReason: d.FailureReason } : {}),
    ...(details
      ? {
          completionDetails: {
            ...(details.NumberOfTrainingJobsObjectiveNotImproving !== undefined
              ? { notImproving: details.NumberOfTrainingJobsObjectiveNotImproving }
              : {}),
            ...(details.ConvergenceDetectedTime ? { convergedAt: details.ConvergenceDetectedTime } : {}),
          },
        }
      : {}),
    ...(d.CreationTime ? { created: d.CreationTime } : {}),
    ...(d.HyperParameterTuningEndTime ? { ended: d.HyperParameterTuningEndTime } : {}),
  };
}

/**
 * The metric definitions of a tuning job's training jobs: the objective's first, then the other
 * evaluation metrics, within the 20 a tuning job takes.
 */
function tuningMetricDefinitions(
  objective: string,
  hyperparameters: Readonly<Record<string, string>>,
  channels: readonly string[],
): MetricDefinition[] {
  const all = jobMetricDefinitions({ ...hyperparameters, _tuning_objective_metric: objective }, channels);
  const own = all.filter((d) => d.Name === objective);
  return [...own, ...all.filter((d) => d.Name !== objective)].slice(0, 20);
}

const ENDED = new Set(["Completed", "Failed", "Stopped"]);

/**
 * Follows a tuning job until it ends, `deadline` passes or `signal` aborts, telling `onUpdate` its
 * view at every poll (the job itself is never stopped here).
 */
export async function waitForTuningJob(
  clients: AwsClients,
  name: string,
  options: {
    deadline: number;
    pollSeconds?: number;
    signal?: AbortSignal;
    reporter?: Reporter;
    onUpdate?: (view: TuningJobView) => void;
  },
): Promise<{ view: TuningJobView; end: "ended" | "timeout" | "interrupted" }> {
  const reporter = options.reporter ?? SILENT;
  let listable = true;
  let lastStatus = "";
  let local: boolean | undefined;
  for (;;) {
    const d = await clients.sagemaker.describeHyperParameterTuningJob(name);
    if (!d) throw new SagebrewError("SB_AWS", `Cannot follow tuning job ${name}: it does not exist`);
    let trials: HyperParameterTrainingJobSummary[] = [];
    if (listable) {
      try {
        trials = await clients.sagemaker.listTrainingJobsForHyperParameterTuningJob(name);
      } catch (e) {
        // The leaderboard is a view on the job, not the job: without the list (no permission, or an
        // emulator that lacks the call) keep following its status and best training job.
        listable = false;
        reporter.info(
          `the training jobs of ${name} cannot be listed, only its best: ${(e as Error).message}`,
        );
      }
    }
    const view = tuningJobView(d, trials);
    if (view.status !== lastStatus) {
      reporter.info(`tuning job ${name}: ${view.status}`);
      lastStatus = view.status;
    }
    options.onUpdate?.(view);
    if (ENDED.has(view.status)) return { view, end: "ended" };
    if (options.signal?.aborted) return { view, end: "interrupted" };
    if (Date.now() >= options.deadline) return { view, end: "timeout" };
    // Against sagebrew local a poll is a call on this machine, and a small job ends in seconds.
    local ??= (await clients.sagemaker.isSagebrewLocal?.().catch(() => false)) ?? false;
    const every = (options.pollSeconds ?? 30) * 1000;
    await sleep(
      Math.min(local ? Math.min(every, 1000) : every, Math.max(0, options.deadline - Date.now())),
      options.signal,
    );
  }
}

/** The CreateHyperParameterTuningJob request of a directory's job (channels uploaded, image pushed). */
async function tuningJobRequest(
  clients: AwsClients,
  options: TuningJobOptions,
  reporter: Reporter,
): Promise<{ request: CreateHyperParameterTuningJobRequest; spec: TuningSpec }> {
  const dir = options.dir ? resolve(options.dir) : undefined;
  const name = options.name ?? defaultTuningJobName(dir ? basename(dir) : "sagebrew", new Date());
  const objectiveName =
    typeof options.objective === "string"
      ? options.objective.replace(/:(max|min|maximize|minimize)$/i, "")
      : options.objective.metricName;
  // Checked before anything is uploaded: a job SageMaker would refuse costs nothing.
  const fromDir = dir ? (await readDirectoryJob(dir)).hyperparameters : {};
  const given = { ...fromDir, ...toHyperParameters(options.hyperparameters ?? {}) };
  tuningSpec(tuningRequest({ ...options, name }, { staticHyperParameters: given }));
  const training = await prepareTrainingJob(
    clients,
    { ...options, jobName: name, baseJobName: name },
    reporter,
  );
  const statics = { ...(training.HyperParameters ?? {}) };
  const channels = (training.InputDataConfig ?? []).map((c) => c.ChannelName ?? "");
  const definitions = options.metricDefinitions ?? tuningMetricDefinitions(objectiveName, statics, channels);
  const tuning = tuningRequest(
    { ...options, name },
    { staticHyperParameters: statics, metricDefinitions: definitions },
  );
  const spec = tuningSpec(tuning);
  const request: CreateHyperParameterTuningJobRequest = {
    HyperParameterTuningJobName: name,
    HyperParameterTuningJobConfig: tuning.HyperParameterTuningJobConfig as NonNullable<
      CreateHyperParameterTuningJobRequest["HyperParameterTuningJobConfig"]
    >,
    TrainingJobDefinition: {
      StaticHyperParameters: { ...spec.staticHyperParameters },
      AlgorithmSpecification: {
        TrainingImage: training.AlgorithmSpecification?.TrainingImage,
        TrainingInputMode: training.AlgorithmSpecification?.TrainingInputMode ?? "File",
        MetricDefinitions: definitions.map((d) => ({ Name: d.Name, Regex: d.Regex })),
      },
      RoleArn: training.RoleArn,
      InputDataConfig: training.InputDataConfig,
      OutputDataConfig: training.OutputDataConfig,
      ResourceConfig: training.ResourceConfig,
      StoppingCondition: training.StoppingCondition,
      ...(training.Environment ? { Environment: training.Environment } : {}),
    } as NonNullable<CreateHyperParameterTuningJobRequest["TrainingJobDefinition"]>,
    ...(tuning.WarmStartConfig
      ? { WarmStartConfig: tuning.WarmStartConfig as CreateHyperParameterTuningJobRequest["WarmStartConfig"] }
      : {}),
    ...(training.Tags ? { Tags: training.Tags } : {}),
  };
  return { request, spec };
}

/**
 * Runs a hyperparameter tuning job on SageMaker and (by default) follows it to its end.
 *
 * @throws SagebrewError SB_TUNING for a job SageMaker would refuse, SB_USAGE for bad options,
 *   SB_AWS when a call fails.
 * @example
 * const r = await tuneOnSageMaker(sdkClients(), {
 *   dir: "local_test/tune_dir", image: "iris-xgboost:dev", instanceType: "ml.m5.xlarge",
 *   role: "arn:aws:iam::123456789012:role/SageMakerRole", pushImage,
 *   objective: "validation:mlogloss", maxJobs: 20, maxParallel: 4,
 *   ranges: [{ kind: "Continuous", name: "eta", min: 0.05, max: 0.5, scaling: "Logarithmic" }],
 * });
 * console.log(r.view.best?.name);
 */
export async function tuneOnSageMaker(
  clients: AwsClients,
  options: TuningJobOptions,
  reporter: Reporter = SILENT,
): Promise<TuningJobResult> {
  if ((options as { spot?: boolean }).spot)
    throw new SagebrewError(
      "SB_USAGE",
      "Cannot tune with managed spot training yet: its checkpoints would be shared by every training job of the tuning job",
    );
  const { request, spec } = await tuningJobRequest(clients, options, reporter);
  const name = spec.name;
  await clients.sagemaker.createHyperParameterTuningJob(request);
  const rc = request.TrainingJobDefinition?.ResourceConfig;
  reporter.info(
    `created tuning job ${name} (${spec.strategy}, ${spec.maxJobs} training jobs, ${spec.maxParallel} at a time, each ${rc?.InstanceCount ?? 1} × ${rc?.InstanceType}; ${spec.objective.type === "Maximize" ? "maximising" : "minimising"} ${spec.objective.metricName})`,
  );
  if (options.wait === false) {
    const view: TuningJobView = {
      name,
      status: "InProgress",
      trainingJobStatusCounters: {},
      objectiveStatusCounters: {},
      trials: [],
    };
    return { name, view, outcome: "not-waited", request };
  }
  // Bounded by the job's own limits: its runtime when it has one, else every round of training jobs
  // at their longest, plus an hour each to start and upload.
  const perJob = (request.TrainingJobDefinition?.StoppingCondition?.MaxRuntimeInSeconds ?? 86_400) + 3600;
  const limit = spec.maxRuntimeSeconds ?? Math.ceil(spec.maxJobs / spec.maxParallel) * perJob;
  const waited = await waitForTuningJob(clients, name, {
    deadline: Date.now() + (limit + 3600) * 1000,
    ...(options.pollSeconds !== undefined ? { pollSeconds: options.pollSeconds } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    reporter,
    ...(options.onUpdate ? { onUpdate: options.onUpdate } : {}),
  });
  const { view } = waited;
  const outcome =
    waited.end !== "ended"
      ? waited.end
      : view.status === "Completed"
        ? "completed"
        : view.status === "Stopped"
          ? "stopped"
          : "failed";
  const result: TuningJobResult = { name, view, outcome, request };
  if (!view.best) return result;
  const best = await clients.sagemaker.describeTrainingJob(view.best.name);
  const artifact = best?.ModelArtifacts?.S3ModelArtifacts;
  if (!artifact) {
    reporter.info(`the best training job ${view.best.name} cannot be described, or has no model artifact`);
    return result;
  }
  if (!options.downloadTo || outcome === "timeout" || outcome === "interrupted")
    return { ...result, bestModelArtifact: artifact };
  const downloadedTo = await downloadModel(clients, artifact, options.downloadTo, reporter);
  const { drawTuningPictures, writeTuningSummary } = await import("../local-tuning/index.js");
  const resultsDir = join(resolve(options.downloadTo), ".sagebrew", "tuning", name);
  await writeTuningSummary(resultsDir, { request, view });
  const pictures = await drawTuningPictures(resultsDir, {
    title: name,
    metric: spec.objective.metricName,
    maximize: spec.objective.type === "Maximize",
    ranges: spec.ranges,
    trials: view.trials,
  });
  return { ...result, bestModelArtifact: artifact, downloadedTo, resultsDir, pictures };
}
