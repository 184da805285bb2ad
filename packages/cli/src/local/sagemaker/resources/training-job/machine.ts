/**
 * A training job's state machine, as SageMaker's DescribeTrainingJob shows it: `TrainingJobStatus`
 * InProgress → Completed | Failed | Stopping → Stopped, and within it the secondary statuses
 * Starting → Downloading → Training → Uploading → Completed (or Failed, Stopping → Stopped or
 * MaxRuntimeExceeded), each one appended to `SecondaryStatusTransitions` with its start time and
 * message, the previous one ended. Plain functions: an event and the current document in, the next
 * document (or a refusal saying why not) out. The only place a training job's status is written:
 * the operations ask it (StopTrainingJob) and the training engine reports to it.
 */
import type { SecondaryStatusTransition, TrainingJobDoc, TrainingJobStatus } from "../../docs.js";
import { INTERRUPTED_REASON, MAX_REASON_CHARS, type Transition } from "../transition.js";

/** What can happen to a training job: asked for by a request, or reported by the training engine. */
export type TrainingJobEvent =
  /** The engine began copying the input data in. */
  | { readonly type: "download-started" }
  /** Every host's container is running. */
  | { readonly type: "training-started" }
  /** The containers exited 0; the output is being uploaded. */
  | { readonly type: "upload-started" }
  /** The final value of each metric the job's definitions matched. */
  | { readonly type: "metrics"; readonly final: NonNullable<TrainingJobDoc["FinalMetricDataList"]> }
  /** Trained and uploaded. */
  | { readonly type: "completed" }
  /** It cannot go on: a process that could not start or failed, output that could not be written. */
  | { readonly type: "failed"; readonly reason: string }
  /** StopTrainingJob, or the job reached `MaxRuntimeInSeconds`. */
  | { readonly type: "stop-requested"; readonly by: "StopTrainingJob" | "MaxRuntimeExceeded" }
  /** After a stop, every container has ended (and what they saved is uploaded). */
  | { readonly type: "stopped" }
  /** Found running when `sagebrew local` started: its processes are gone. */
  | { readonly type: "interrupted" };

/**
 * The events that only say how far a job has got: lost in a crash of the machine they change
 * nothing (a restart ends the job), so they are written without waiting for the disk.
 */
export const TRAINING_JOB_PROGRESS: ReadonlySet<TrainingJobEvent["type"]> = new Set([
  "download-started",
  "training-started",
  "upload-started",
  "metrics",
]);

/** Ends the open transition at `now` and appends `next`. */
function closeTransition(
  list: readonly SecondaryStatusTransition[],
  now: number,
  next: SecondaryStatusTransition,
): SecondaryStatusTransition[] {
  const out = list.map((t) => ({ ...t }));
  const last = out[out.length - 1];
  if (last && last.EndTime === undefined) last.EndTime = now;
  out.push(next);
  return out;
}

/** Moves the secondary status (and the status when given), closing the open transition. */
function move(
  job: TrainingJobDoc,
  now: number,
  secondary: string,
  message: string,
  change: Partial<TrainingJobDoc> = {},
): Transition<TrainingJobDoc> {
  return {
    doc: {
      ...job,
      ...change,
      SecondaryStatus: secondary,
      SecondaryStatusTransitions: closeTransition(job.SecondaryStatusTransitions, now, {
        Status: secondary,
        StartTime: now,
        StatusMessage: message,
      }),
      LastModifiedTime: now,
    },
  };
}

/** The end times of a job ending at `now` (training time counted from its TrainingStartTime). */
function ended(job: TrainingJobDoc, now: number): Partial<TrainingJobDoc> {
  if (job.TrainingStartTime === undefined) return { TrainingEndTime: now };
  const seconds = Math.max(1, Math.round(now - job.TrainingStartTime));
  return { TrainingEndTime: now, TrainingTimeInSeconds: seconds, BillableTimeInSeconds: seconds };
}

function refuse(job: TrainingJobDoc, event: TrainingJobEvent): Transition<TrainingJobDoc> {
  return {
    refused: `Cannot apply ${event.type} to training job ${job.TrainingJobName}: it is ${job.TrainingJobStatus} (${job.SecondaryStatus})`,
  };
}

const isRunning = (s: TrainingJobStatus) => s === "InProgress" || s === "Stopping";

/**
 * The training job after `event` at `now` (epoch seconds).
 *
 * @example trainingJobTransition(job, { type: "training-started" }, Date.now() / 1000);
 */
export function trainingJobTransition(
  job: TrainingJobDoc,
  event: TrainingJobEvent,
  now: number,
): Transition<TrainingJobDoc> {
  const status = job.TrainingJobStatus;
  switch (event.type) {
    case "download-started":
      if (status !== "InProgress" || job.SecondaryStatus !== "Starting") return refuse(job, event);
      return move(job, now, "Downloading", "Downloading input data");
    case "training-started":
      if (status !== "InProgress" || job.SecondaryStatus !== "Downloading") return refuse(job, event);
      return move(job, now, "Training", "Training image download completed. Training in progress.", {
        TrainingStartTime: now,
      });
    case "upload-started":
      if (status !== "InProgress" || job.SecondaryStatus !== "Training") return refuse(job, event);
      return move(job, now, "Uploading", "Uploading generated training model");
    case "metrics":
      if (!isRunning(status)) return refuse(job, event);
      return { doc: { ...job, FinalMetricDataList: [...event.final] } };
    case "completed":
      // Asked to stop after its containers had ended: it stops with what it uploaded.
      if (status === "Stopping") return trainingJobTransition(job, { type: "stopped" }, now);
      if (
        status !== "InProgress" ||
        (job.SecondaryStatus !== "Training" && job.SecondaryStatus !== "Uploading")
      )
        return refuse(job, event);
      return move(job, now, "Completed", "Training job completed", {
        ...ended(job, now),
        TrainingJobStatus: "Completed",
      });
    case "failed":
      if (!isRunning(status)) return refuse(job, event);
      return move(job, now, "Failed", "Training job failed", {
        ...ended(job, now),
        TrainingJobStatus: "Failed",
        FailureReason: event.reason.slice(0, MAX_REASON_CHARS),
      });
    case "stop-requested":
      if (status !== "InProgress") {
        return { refused: `The request was rejected because the training job is in status ${status}.` };
      }
      return move(
        job,
        now,
        "Stopping",
        event.by === "MaxRuntimeExceeded"
          ? "Stopping the training job: it reached MaxRuntimeInSeconds"
          : "Stopping the training job",
        { TrainingJobStatus: "Stopping", _stop: event.by },
      );
    case "stopped":
      if (status !== "Stopping") return refuse(job, event);
      return job._stop === "MaxRuntimeExceeded"
        ? move(job, now, "MaxRuntimeExceeded", "Training job exceeded MaxRuntimeInSeconds provided", {
            ...ended(job, now),
            TrainingJobStatus: "Stopped",
          })
        : move(job, now, "Stopped", "Training job stopped", {
            ...ended(job, now),
            TrainingJobStatus: "Stopped",
          });
    case "interrupted":
      // A job being stopped has stopped (its processes are gone); one that was running failed.
      if (status === "Stopping") return trainingJobTransition(job, { type: "stopped" }, now);
      if (status !== "InProgress") return refuse(job, event);
      return trainingJobTransition(job, { type: "failed", reason: INTERRUPTED_REASON }, now);
  }
}

/** What a new job records besides the request: its ARN, how it runs, and the clock. */
export interface NewTrainingJob {
  readonly name: string;
  readonly arn: string;
  /** The request's members but the name and tags, as JSON 1.1 carried them. */
  readonly request: Record<string, unknown>;
  readonly tags?: TrainingJobDoc["Tags"];
  /** Where the model goes (`ModelArtifacts.S3ModelArtifacts`). */
  readonly modelArtifacts: string;
  readonly runner: TrainingJobDoc["_runner"];
  readonly maxRuntimeSeconds: number;
  readonly now: number;
}

/** A training job as CreateTrainingJob makes it: InProgress, Starting. */
export function newTrainingJob(o: NewTrainingJob): TrainingJobDoc {
  const request = o.request as Partial<TrainingJobDoc>;
  return {
    name: o.name,
    TrainingJobName: o.name,
    TrainingJobArn: o.arn,
    ...request,
    AlgorithmSpecification: request.AlgorithmSpecification!,
    RoleArn: request.RoleArn!,
    OutputDataConfig: request.OutputDataConfig!,
    ResourceConfig: request.ResourceConfig!,
    StoppingCondition: { MaxRuntimeInSeconds: o.maxRuntimeSeconds, ...(request.StoppingCondition ?? {}) },
    ModelArtifacts: { S3ModelArtifacts: o.modelArtifacts },
    TrainingJobStatus: "InProgress",
    SecondaryStatus: "Starting",
    SecondaryStatusTransitions: [
      { Status: "Starting", StartTime: o.now, StatusMessage: "Preparing the instances for training" },
    ],
    CreationTime: o.now,
    LastModifiedTime: o.now,
    ...(o.tags ? { Tags: o.tags } : {}),
    _runner: o.runner,
  };
}
