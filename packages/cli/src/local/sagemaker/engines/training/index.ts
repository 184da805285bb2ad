/** Training jobs on this machine: each host's `/opt/ml` laid out, run, and its output uploaded. */
export { type HostLayout, hostNames, layoutTrainingJob, shardObjects } from "./layout.js";
export { MetricCollector, type MetricDatum } from "./metrics.js";
export { TRAINING_LOG_GROUP, TrainingRunner, type TrainingRunnerOptions } from "./runner.js";
