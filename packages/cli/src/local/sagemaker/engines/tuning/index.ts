/** Hyperparameter tuning jobs on this machine: the tuning core drives training jobs of the training engine. */
export { TuningRunner, type TuningRunnerOptions } from "./runner.js";
