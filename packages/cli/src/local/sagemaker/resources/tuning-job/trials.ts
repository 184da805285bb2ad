/**
 * A tuning job's training jobs: each trial as an ordinary training job document (named as
 * SageMaker names them, `TuningJobArn` set, the tuned and static hyperparameters and
 * `_tuning_objective_metric` in `HyperParameters`), and the trials as DescribeHyperParameterTuningJob
 * and ListTrainingJobsForHyperParameterTuningJob summarise them. Pure.
 */
import { type TrialSummary, TuningMachine } from "../../../../tuning/index.js";
import { type ArnScope, resourceArn } from "../../arn.js";
import type { HyperParameterTrainingJobDefinition, TrainingJobDoc, TuningJobDoc } from "../../docs.js";
import { describeOf } from "../list.js";
import { DEFAULT_MAX_RUNTIME, modelArtifactsOf, newTrainingJob } from "../training-job/index.js";

/** The definition every trial runs (sagebrew tunes one definition per job; the spec checked that). */
export function definitionOf(doc: Pick<TuningJobDoc, "TrainingJobDefinition" | "TrainingJobDefinitions">) {
  return (doc.TrainingJobDefinition ??
    doc.TrainingJobDefinitions?.[0]) as HyperParameterTrainingJobDefinition;
}

/** The region and account of a tuning job (its ARN's): its training jobs' too. */
export function scopeOf(doc: Pick<TuningJobDoc, "HyperParameterTuningJobArn">): ArnScope {
  const parts = doc.HyperParameterTuningJobArn.split(":");
  return { region: parts[3] ?? "us-east-1", account: parts[4] ?? "123456789012" };
}

/** The members of a training job definition that a tuning job does not pass to its training jobs. */
const TUNING_ONLY = new Set([
  "DefinitionName",
  "TuningObjective",
  "HyperParameterRanges",
  "StaticHyperParameters",
  "HyperParameterTuningResourceConfig",
]);

/** The CreateTrainingJob request a trial of `doc` amounts to (without its name). */
export function trialRequest(
  definition: HyperParameterTrainingJobDefinition,
  hyperParameters: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(definition)) if (!TUNING_ONLY.has(k)) request[k] = v;
  return { ...request, HyperParameters: { ...hyperParameters } };
}

/** The training job document of a trial, as the tuning job creates it (InProgress, Starting). */
export function trialJob(
  doc: TuningJobDoc,
  name: string,
  hyperParameters: Readonly<Record<string, string>>,
  now: number,
): TrainingJobDoc {
  const definition = definitionOf(doc);
  return {
    ...newTrainingJob({
      name,
      arn: resourceArn(scopeOf(doc), "training-job", name),
      request: { ...trialRequest(definition, hyperParameters), TuningJobArn: doc.HyperParameterTuningJobArn },
      // The tuning job's tags are added to every training job it launches (CreateHyperParameterTuningJob, Tags).
      ...(doc.Tags?.length ? { tags: doc.Tags.map((t) => ({ ...t })) } : {}),
      modelArtifacts: modelArtifactsOf(definition.OutputDataConfig, name),
      runner: doc._runner,
      maxRuntimeSeconds: DEFAULT_MAX_RUNTIME,
      now,
    }),
    _threads: doc._threads,
  };
}

/** A trial as `HyperParameterTrainingJobSummary`. */
export function trainingJobSummary(
  doc: TuningJobDoc,
  t: TrialSummary,
  job: TrainingJobDoc | undefined,
): Record<string, unknown> {
  const metric = doc._state.spec.objective.metricName;
  return {
    TrainingJobName: t.name,
    TrainingJobArn: job?.TrainingJobArn ?? resourceArn(scopeOf(doc), "training-job", t.name),
    TuningJobName: t.tuningJob,
    CreationTime: job?.CreationTime ?? t.createdAt / 1000,
    ...(job?.TrainingStartTime !== undefined ? { TrainingStartTime: job.TrainingStartTime } : {}),
    ...(job?.TrainingEndTime !== undefined ? { TrainingEndTime: job.TrainingEndTime } : {}),
    // The training job's own status while it runs (Stopping); the tuning core's once it ended.
    TrainingJobStatus: t.status === "InProgress" ? (job?.TrainingJobStatus ?? "InProgress") : t.status,
    TunedHyperParameters: { ...t.hyperParameters },
    ...(t.failureReason ? { FailureReason: t.failureReason } : {}),
    ...(t.final !== undefined && t.objectiveStatus === "Succeeded"
      ? { FinalHyperParameterTuningJobObjectiveMetric: { MetricName: metric, Value: t.final } }
      : {}),
    ObjectiveStatus: t.objectiveStatus,
  };
}

/** Every trial of the job, each with its training job (when there is one). */
export function trialsOf(
  doc: TuningJobDoc,
  trainingJob: (name: string) => TrainingJobDoc | undefined,
): Array<{ summary: TrialSummary; row: Record<string, unknown> }> {
  return new TuningMachine(doc._state).trials().map((summary) => ({
    summary,
    row: trainingJobSummary(doc, summary, trainingJob(summary.name)),
  }));
}

/** DescribeHyperParameterTuningJob's answer. */
export function describeTuningJobDoc(
  doc: TuningJobDoc,
  trainingJob: (name: string) => TrainingJobDoc | undefined,
  now: number,
): Record<string, unknown> {
  const s = new TuningMachine(doc._state).summary();
  const row = (t: TrialSummary | undefined) =>
    t ? trainingJobSummary(doc, t, trainingJob(t.name)) : undefined;
  const best = row(s.best);
  const overall = row(s.overallBest);
  const end = doc.HyperParameterTuningEndTime ?? now;
  return {
    ...describeOf(doc),
    TrainingJobStatusCounters: s.trainingJobStatusCounters,
    ObjectiveStatusCounters: s.objectiveStatusCounters,
    ...(best ? { BestTrainingJob: best } : {}),
    ...(overall ? { OverallBestTrainingJob: overall } : {}),
    TuningJobCompletionDetails: {
      NumberOfTrainingJobsObjectiveNotImproving: s.notImproving,
      ...(s.convergedAt !== undefined ? { ConvergenceDetectedTime: s.convergedAt / 1000 } : {}),
    },
    ConsumedResources: { RuntimeInSeconds: Math.max(0, Math.round(end - doc.CreationTime)) },
  };
}

/** ListHyperParameterTuningJobs' summary of a job. */
export function tuningJobSummary(doc: TuningJobDoc): Record<string, unknown> {
  const s = new TuningMachine(doc._state).summary();
  const config = doc.HyperParameterTuningJobConfig as { Strategy?: string; ResourceLimits?: unknown };
  return {
    HyperParameterTuningJobName: doc.HyperParameterTuningJobName,
    HyperParameterTuningJobArn: doc.HyperParameterTuningJobArn,
    HyperParameterTuningJobStatus: doc.HyperParameterTuningJobStatus,
    Strategy: config.Strategy,
    CreationTime: doc.CreationTime,
    ...(doc.HyperParameterTuningEndTime !== undefined
      ? { HyperParameterTuningEndTime: doc.HyperParameterTuningEndTime }
      : {}),
    LastModifiedTime: doc.LastModifiedTime,
    TrainingJobStatusCounters: s.trainingJobStatusCounters,
    ObjectiveStatusCounters: s.objectiveStatusCounters,
    ...(config.ResourceLimits ? { ResourceLimits: config.ResourceLimits } : {}),
  };
}
