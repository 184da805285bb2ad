/** The ledgers engines report to: one per kind of resource with a state machine, over one store. */
import type { EndpointDoc, TrainingJobDoc, TransformJobDoc, TuningJobDoc } from "../docs.js";
import type { ResourceStore } from "../state/index.js";
import { type EndpointEvent, endpointTransition } from "./endpoint/index.js";
import { createLedger, type Ledger } from "./ledger.js";
import { TRAINING_JOB_PROGRESS, type TrainingJobEvent, trainingJobTransition } from "./training-job/index.js";
import {
  TRANSFORM_JOB_PROGRESS,
  type TransformJobEvent,
  transformJobTransition,
} from "./transform-job/index.js";
import { type TuningJobEvent, tuningJobTransition } from "./tuning-job/index.js";

/** Training jobs as the training engine sees them. */
export type TrainingJobLedger = Ledger<TrainingJobDoc, TrainingJobEvent>;
/** Transform jobs as the transform engine sees them. */
export type TransformJobLedger = Ledger<TransformJobDoc, TransformJobEvent>;
/** Hyperparameter tuning jobs as the tuning engine sees them. */
export type TuningJobLedger = Ledger<TuningJobDoc, TuningJobEvent>;
/** Endpoints as the endpoint engine sees them. */
export type EndpointLedger = Ledger<EndpointDoc, EndpointEvent>;

/** The resources with a state machine, each through its ledger. */
export interface Ledgers {
  readonly trainingJob: TrainingJobLedger;
  readonly transformJob: TransformJobLedger;
  readonly endpoint: EndpointLedger;
  readonly tuningJob: TuningJobLedger;
  /** Stops every ledger's waits for a full disk. */
  close(): void;
}

/**
 * The ledgers of every resource with a state machine, over one store.
 *
 * @example const ledgers = createLedgers({ store, now: () => Date.now() / 1000, warn: console.error });
 */
export function createLedgers(o: {
  readonly store: ResourceStore;
  readonly now: () => number;
  readonly warn: (message: string) => void;
  readonly retryMs?: number;
}): Ledgers {
  const common = { store: o.store, now: o.now, warn: o.warn, ...(o.retryMs ? { retryMs: o.retryMs } : {}) };
  const trainingJob: TrainingJobLedger = createLedger({
    ...common,
    kind: "training-job",
    machine: trainingJobTransition,
    progress: TRAINING_JOB_PROGRESS,
  });
  const transformJob: TransformJobLedger = createLedger({
    ...common,
    kind: "transform-job",
    machine: transformJobTransition,
    progress: TRANSFORM_JOB_PROGRESS,
  });
  const endpoint: EndpointLedger = createLedger({ ...common, kind: "endpoint", machine: endpointTransition });
  const tuningJob: TuningJobLedger = createLedger({
    ...common,
    kind: "hyper-parameter-tuning-job",
    machine: tuningJobTransition,
  });
  return {
    trainingJob,
    transformJob,
    endpoint,
    tuningJob,
    close() {
      for (const l of [trainingJob, transformJob, endpoint, tuningJob]) l.close();
    },
  };
}
