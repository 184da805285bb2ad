/** Transform jobs: their state machine, and CreateTransformJob, DescribeTransformJob, StopTransformJob, ListTransformJobs. */
export { newTransformJob, type TransformJobEvent, transformJobTransition } from "./machine.js";
export {
  createTransformJob,
  describeTransformJob,
  listTransformJobs,
  stopTransformJob,
} from "./operations.js";
