/** Training jobs: their state machine, and CreateTrainingJob, DescribeTrainingJob, StopTrainingJob, ListTrainingJobs. */
export {
  newTrainingJob,
  TRAINING_JOB_PROGRESS,
  type TrainingJobEvent,
  trainingJobTransition,
} from "./machine.js";
export {
  checkTrainingJob,
  createTrainingJob,
  DEFAULT_MAX_RUNTIME,
  describeTrainingJob,
  listTrainingJobs,
  modelArtifactsOf,
  stopTrainingJob,
} from "./operations.js";
