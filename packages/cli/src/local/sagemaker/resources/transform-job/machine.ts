/**
 * A transform job's state machine, as SageMaker's DescribeTransformJob shows it:
 * `TransformJobStatus` InProgress → Completed | Failed | Stopping → Stopped, with
 * `TransformStartTime` when its instances start and `TransformEndTime` when it ends. Plain
 * functions; the only place a transform job's status is written.
 */
import type { TransformJobDoc } from "../../docs.js";
import { INTERRUPTED_REASON, MAX_REASON_CHARS, type Transition } from "../transition.js";

/** What can happen to a transform job: asked for by a request, or reported by the transform engine. */
export type TransformJobEvent =
  /** The model and inputs are in place; instances start. */
  | { readonly type: "started" }
  /** Every input transformed and uploaded. */
  | { readonly type: "completed" }
  | { readonly type: "failed"; readonly reason: string }
  /** StopTransformJob. */
  | { readonly type: "stop-requested" }
  /** After a stop, every instance has ended. */
  | { readonly type: "stopped" }
  /** Found running when `sagebrew local` started: its processes are gone. */
  | { readonly type: "interrupted" };

/** The events that only say how far a job has got (see TRAINING_JOB_PROGRESS). */
export const TRANSFORM_JOB_PROGRESS: ReadonlySet<TransformJobEvent["type"]> = new Set(["started"]);

function end(
  job: TransformJobDoc,
  now: number,
  change: Partial<TransformJobDoc>,
): Transition<TransformJobDoc> {
  return { doc: { ...job, ...change, TransformEndTime: now, LastModifiedTime: now } };
}

function refuse(job: TransformJobDoc, event: TransformJobEvent): Transition<TransformJobDoc> {
  return {
    refused: `Cannot apply ${event.type} to transform job ${job.TransformJobName}: it is ${job.TransformJobStatus}`,
  };
}

/**
 * The transform job after `event` at `now` (epoch seconds).
 *
 * @example transformJobTransition(job, { type: "stop-requested" }, Date.now() / 1000);
 */
export function transformJobTransition(
  job: TransformJobDoc,
  event: TransformJobEvent,
  now: number,
): Transition<TransformJobDoc> {
  const status = job.TransformJobStatus;
  switch (event.type) {
    case "started":
      if (status !== "InProgress") return refuse(job, event);
      return { doc: { ...job, TransformStartTime: now, LastModifiedTime: now } };
    case "completed":
      // Asked to stop after its last record: it stops with what it wrote.
      if (status === "Stopping") return end(job, now, { TransformJobStatus: "Stopped" });
      if (status !== "InProgress") return refuse(job, event);
      return end(job, now, { TransformJobStatus: "Completed" });
    case "failed":
      if (status !== "InProgress" && status !== "Stopping") return refuse(job, event);
      return end(job, now, {
        TransformJobStatus: "Failed",
        FailureReason: event.reason.slice(0, MAX_REASON_CHARS),
      });
    case "stop-requested":
      if (status !== "InProgress") {
        return { refused: `The request was rejected because the transform job is in status ${status}.` };
      }
      return { doc: { ...job, TransformJobStatus: "Stopping", LastModifiedTime: now, _stop: true } };
    case "stopped":
      if (status !== "Stopping") return refuse(job, event);
      return end(job, now, { TransformJobStatus: "Stopped" });
    case "interrupted":
      if (status === "Stopping") return end(job, now, { TransformJobStatus: "Stopped" });
      if (status !== "InProgress") return refuse(job, event);
      return end(job, now, { TransformJobStatus: "Failed", FailureReason: INTERRUPTED_REASON });
  }
}

/** A transform job as CreateTransformJob makes it: InProgress, with the model frozen as it was. */
export function newTransformJob(o: {
  readonly name: string;
  readonly arn: string;
  readonly request: Record<string, unknown>;
  readonly tags?: TransformJobDoc["Tags"];
  readonly model: TransformJobDoc["_model"];
  readonly now: number;
}): TransformJobDoc {
  const request = o.request as Partial<TransformJobDoc>;
  return {
    name: o.name,
    ...request,
    TransformJobName: o.name,
    TransformJobArn: o.arn,
    TransformJobStatus: "InProgress",
    ModelName: o.model.ModelName,
    TransformInput: request.TransformInput!,
    TransformOutput: request.TransformOutput!,
    TransformResources: request.TransformResources!,
    CreationTime: o.now,
    LastModifiedTime: o.now,
    ...(o.tags ? { Tags: o.tags } : {}),
    _model: o.model,
  };
}
