/**
 * A hyperparameter tuning job's state machine, as DescribeHyperParameterTuningJob shows it:
 * `HyperParameterTuningJobStatus` InProgress → Completed | Failed, or InProgress → Stopping →
 * Stopped, and a job that has ended → Deleting → gone. What happens inside the job — which trial
 * to start next, the objective read per epoch, early stopping, Hyperband's rungs, the completion
 * criteria — is the tuning core's `TuningMachine` (packages/cli/src/tuning), which the tuning
 * engine drives and reports here as `progress`: its state, from which the status follows. This
 * function is the only place the document's status is written; it refuses what does not follow
 * (progress after the end, a job moving backwards, a delete of a running job). Pure.
 */
import type { TuningState } from "../../../../tuning/index.js";
import type { Tag, TuningJobDoc, TuningJobStatus } from "../../docs.js";
import type { Applied } from "../ledger.js";
import { MAX_REASON_CHARS } from "../transition.js";

/** What can happen to a tuning job: reported by the tuning engine, or asked for by a request. */
export type TuningJobEvent =
  /** The tuning core moved (a trial proposed or ended, an objective read, a stop, the clock). */
  | { readonly type: "progress"; readonly state: TuningState }
  /** DeleteHyperParameterTuningJob. */
  | { readonly type: "delete-requested" }
  /** The document is to go. */
  | { readonly type: "deleted" };

const ENDED: readonly TuningJobStatus[] = ["Completed", "Failed", "Stopped"];

/** True once the tuning job has reached its final status (it may be deleted). */
export function tuningJobEnded(status: TuningJobStatus): boolean {
  return ENDED.includes(status);
}

function refuse(doc: TuningJobDoc, event: TuningJobEvent): { refused: string } {
  return {
    refused: `Cannot apply ${event.type} to tuning job ${doc.HyperParameterTuningJobName}: it is ${doc.HyperParameterTuningJobStatus}`,
  };
}

/** The statuses each status may move to through progress (itself included). */
const NEXT: Readonly<Record<TuningJobStatus, readonly TuningJobStatus[]>> = {
  InProgress: ["InProgress", "Stopping", "Completed", "Failed", "Stopped"],
  Stopping: ["Stopping", "Stopped", "Failed", "Completed"],
  Completed: [],
  Failed: [],
  Stopped: [],
  Deleting: [],
};

/**
 * The tuning job after `event` at `now` (epoch seconds).
 *
 * @example tuningJobTransition(doc, { type: "progress", state: machine.state }, Date.now() / 1000);
 */
export function tuningJobTransition(
  doc: TuningJobDoc,
  event: TuningJobEvent,
  now: number,
): Applied<TuningJobDoc> {
  const status = doc.HyperParameterTuningJobStatus;
  switch (event.type) {
    case "progress": {
      const next = event.state.status;
      if (!NEXT[status].includes(next)) {
        return NEXT[status].length === 0
          ? refuse(doc, event)
          : {
              refused: `Cannot move tuning job ${doc.HyperParameterTuningJobName} from ${status} to ${next}`,
            };
      }
      const moved = next !== status;
      const ends = tuningJobEnded(next);
      const reason = event.state.failureReason;
      return {
        doc: {
          ...doc,
          _state: event.state,
          HyperParameterTuningJobStatus: next,
          ...(moved ? { LastModifiedTime: now } : {}),
          ...(moved && ends ? { HyperParameterTuningEndTime: now } : {}),
          ...(next === "Failed" && reason ? { FailureReason: reason.slice(0, MAX_REASON_CHARS) } : {}),
        },
      };
    }
    case "delete-requested":
      if (!tuningJobEnded(status)) {
        return {
          refused: `Cannot delete tuning job ${doc.HyperParameterTuningJobName}: it is ${status}; stop it (StopHyperParameterTuningJob) and delete it once it has stopped`,
        };
      }
      return { doc: { ...doc, HyperParameterTuningJobStatus: "Deleting", LastModifiedTime: now } };
    case "deleted":
      if (status !== "Deleting") return refuse(doc, event);
      return { removed: true };
  }
}

/** What a new tuning job records besides the request. */
export interface NewTuningJob {
  readonly name: string;
  readonly arn: string;
  /** The request's members but the name and tags, as JSON 1.1 carried them. */
  readonly request: Record<string, unknown>;
  readonly tags?: Tag[];
  readonly state: TuningState;
  readonly runner: TuningJobDoc["_runner"];
  readonly threads: number;
  readonly now: number;
}

/** A tuning job as CreateHyperParameterTuningJob makes it: InProgress, no trial yet. */
export function newTuningJob(o: NewTuningJob): TuningJobDoc {
  const request = o.request as Partial<TuningJobDoc>;
  return {
    name: o.name,
    HyperParameterTuningJobName: o.name,
    HyperParameterTuningJobArn: o.arn,
    ...request,
    HyperParameterTuningJobConfig: request.HyperParameterTuningJobConfig!,
    HyperParameterTuningJobStatus: "InProgress",
    CreationTime: o.now,
    LastModifiedTime: o.now,
    ...(o.tags ? { Tags: o.tags } : {}),
    _state: o.state,
    _runner: o.runner,
    _threads: o.threads,
  };
}
