/** Asynchronous inference: the queue of InvokeEndpointAsync invocations, kept on disk, run on the endpoints' containers. */
export { type AsyncNaming, type AsyncTarget, asyncTarget } from "./locations.js";
export {
  AsyncQueue,
  type AsyncQueueOptions,
  type AsyncSubmission,
  DEFAULT_CONCURRENCY_PER_INSTANCE,
  type LogLines,
  type QueuedInvocation,
  type ServingEndpoints,
} from "./queue.js";
