/**
 * SageMaker's control plane (JSON 1.1): the operations served, each kind of resource in its own
 * folder with its state machine, over the resource store; the engines that run jobs and endpoints
 * behind narrow ports, reporting to the state machines through ledgers.
 */

export { checkDocument } from "./check.js";
export type {
  EndpointEngine,
  OpContext,
  Services,
  TrainingEngine,
  TrainingWatch,
  TransformEngine,
  TuningEngine,
} from "./context.js";
export { checkSageMakerInput, OPERATIONS, runSageMakerOperation } from "./control-plane.js";
export { type EndpointEvent, endpointTransition } from "./endpoint/index.js";
export { type Applied, applyEvent, createLedger, type Ledger, type Machine } from "./ledger.js";
export {
  createLedgers,
  type EndpointLedger,
  type Ledgers,
  type TrainingJobLedger,
  type TransformJobLedger,
  type TuningJobLedger,
} from "./ledgers.js";
export { type TrainingJobEvent, trainingJobTransition } from "./training-job/index.js";
export { type TransformJobEvent, transformJobTransition } from "./transform-job/index.js";
export { INTERRUPTED_REASON, type Transition } from "./transition.js";
export { type TuningJobEvent, trialJob, tuningJobTransition } from "./tuning-job/index.js";
