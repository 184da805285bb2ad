/**
 * What an operation sees: the resources, the region of the request, the clock, and the engines
 * that run jobs and endpoints (behind narrow interfaces, so the control plane stays testable).
 */
import type { ArnScope } from "../arn.js";
import type { EndpointDoc, ImagePlan, TrainingJobDoc, TransformJobDoc, TuningJobDoc } from "../docs.js";
import type { LogStore } from "../logs/index.js";
import type { ResourceStore } from "../state/index.js";
import type { ObjectStorage } from "../storage/index.js";

/** What a tuning job follows of a training job it launched. */
export interface TrainingWatch {
  /** Each line a host prints, as it prints it. */
  line(line: string): void;
  /** The job's run is over: its final status is written (or could not be). */
  ended(): void;
}

/** Runs training jobs. */
export interface TrainingEngine {
  /** Starts a job whose document was just stored (InProgress/Starting). */
  start(job: TrainingJobDoc, watch?: TrainingWatch): void;
  /** Stops a running job: SIGTERM, SIGKILL after the grace period (the document already says Stopping). */
  stop(job: TrainingJobDoc): void;
}

/** Runs endpoints. */
export interface EndpointEngine {
  /** Deploys the endpoint's pending config (Creating or Updating). */
  deploy(endpoint: EndpointDoc): void;
  /** Stops every container of the endpoint and removes it (the document says Deleting). */
  remove(endpoint: EndpointDoc): void;
}

/** Runs transform jobs. */
export interface TransformEngine {
  start(job: TransformJobDoc): void;
  stop(job: TransformJobDoc): void;
}

/** Runs hyperparameter tuning jobs: proposes trials, runs them as training jobs, stops them. */
export interface TuningEngine {
  /** Starts a tuning job whose document was just stored (InProgress, no trial yet). */
  start(job: TuningJobDoc): void;
  /**
   * StopHyperParameterTuningJob: resolves once the job's Stopping is written; its running
   * training jobs are being stopped, and it ends Stopped once they have.
   */
  stop(job: TuningJobDoc): Promise<void>;
}

/** Shared by every request. */
export interface Services {
  readonly store: ResourceStore;
  readonly logs: LogStore;
  readonly storage: ObjectStorage;
  readonly training: TrainingEngine;
  readonly endpoints: EndpointEngine;
  readonly transforms: TransformEngine;
  readonly tuning: TuningEngine;
  /** How an image runs here; throws a sentence when it cannot. */
  planImage(image: string): Promise<ImagePlan>;
  /** Seconds since the epoch (with milliseconds), the unit of JSON 1.1 timestamps. */
  now(): number;
  /** Hosts one training job may use (`ResourceLimitExceeded` above). */
  readonly maxInstances: number;
  /** The account resources belong to (their ARNs name it: `--account`). */
  readonly account: string;
  /**
   * How long a request's check of its data (a channel's objects, the model data) waits for
   * storage; past it the request goes on unchecked, and the job meets the storage itself.
   */
  readonly storageCheckMs: number;
}

/** One request's view: its region and the server's account are where its ARNs point. */
export interface OpContext extends Services, ArnScope {
  readonly region: string;
}
