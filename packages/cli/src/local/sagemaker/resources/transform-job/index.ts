/** Transform jobs: CreateTransformJob, DescribeTransformJob, StopTransformJob, ListTransformJobs. */
export {
  createTransformJob,
  describeTransformJob,
  listTransformJobs,
  stopTransformJob,
} from "./operations.js";
