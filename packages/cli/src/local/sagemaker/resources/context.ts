/**
 * What an operation sees: the resources, the region of the request, the clock, and the engines
 * that run jobs and endpoints (behind narrow interfaces, so the control plane stays testable).
 */
import type { ArnScope } from "../arn.js";
import type { EndpointDoc, ImagePlan, TrainingJobDoc, TransformJobDoc } from "../docs.js";
import type { LogStore } from "../logs/index.js";
import type { ResourceStore } from "../state/index.js";
import type { ObjectStorage } from "../storage/index.js";

/** Runs training jobs. */
export interface TrainingEngine {
  /** Starts a job whose document was just stored (InProgress/Starting). */
  start(job: TrainingJobDoc): void;
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

/** Shared by every request. */
export interface Services {
  readonly store: ResourceStore;
  readonly logs: LogStore;
  readonly storage: ObjectStorage;
  readonly training: TrainingEngine;
  readonly endpoints: EndpointEngine;
  readonly transforms: TransformEngine;
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
