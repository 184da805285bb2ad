/** Training jobs: their state machine, and CreateTrainingJob, DescribeTrainingJob, StopTrainingJob, ListTrainingJobs. */
export { newTrainingJob, type TrainingJobEvent, trainingJobTransition } from "./machine.js";
export { createTrainingJob, describeTrainingJob, listTrainingJobs, stopTrainingJob } from "./operations.js";
