/** Transform jobs: their state machine, and CreateTransformJob, DescribeTransformJob, StopTransformJob, ListTransformJobs. */
export {
  newTransformJob,
  TRANSFORM_JOB_PROGRESS,
  type TransformJobEvent,
  transformJobTransition,
} from "./machine.js";
export {
  createTransformJob,
  describeTransformJob,
  listTransformJobs,
  stopTransformJob,
} from "./operations.js";
