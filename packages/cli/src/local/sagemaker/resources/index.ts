/**
 * SageMaker's control plane (JSON 1.1): the operations served, each kind of resource in its own
 * folder, over the resource store; the engines that run jobs and endpoints behind narrow ports.
 */
export type { EndpointEngine, OpContext, Services, TrainingEngine, TransformEngine } from "./context.js";
export { checkSageMakerInput, OPERATIONS, runSageMakerOperation } from "./control-plane.js";
export { closeTransition } from "./training-job/index.js";
