/**
 * Hyperparameter tuning jobs: their state machine, their trials as training jobs, and
 * Create/Describe/List/Stop/DeleteHyperParameterTuningJob and ListTrainingJobsForHyperParameterTuningJob.
 */
export { newTuningJob, type TuningJobEvent, tuningJobEnded, tuningJobTransition } from "./machine.js";
export {
  createHyperParameterTuningJob,
  deleteHyperParameterTuningJob,
  describeHyperParameterTuningJob,
  listHyperParameterTuningJobs,
  listTrainingJobsForHyperParameterTuningJob,
  stopHyperParameterTuningJob,
  threadsPerTrial,
} from "./operations.js";
export { trialJob } from "./trials.js";
