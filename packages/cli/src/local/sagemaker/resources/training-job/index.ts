/** Training jobs: CreateTrainingJob, DescribeTrainingJob, StopTrainingJob, ListTrainingJobs. */
export {
  closeTransition,
  createTrainingJob,
  describeTrainingJob,
  listTrainingJobs,
  stopTrainingJob,
} from "./operations.js";
