/**
 * Hyperparameter tuning as SageMaker runs it, as a pure core: a CreateHyperParameterTuningJob
 * request checked against SageMaker's rules (`tuningSpec`), ranges on their scales, the four
 * strategies (Random, Grid, Bayesian with a Gaussian process, Hyperband), early stopping, the
 * completion criteria and warm start, all driven through one state machine (`TuningMachine`) that
 * runs nothing itself. `sagebrew tune` drives it on this machine; a tuning-job resource of
 * `sagebrew local` drives the same machine with its training jobs. No I/O here.
 *
 * @example
 * const spec = tuningSpec(request);
 * const job = TuningMachine.create(spec, { seed: 42, now: Date.now() });
 * for (let t = job.propose(Date.now()); t; t = job.propose(Date.now())) start(t.name, job.hyperParametersOf(t));
 * // as each log line arrives: if (job.observe(name, value) === "stop") stopTrainingJob(name);
 * // as each job ends: job.end(name, { status: "Completed", now: Date.now() });
 */
export { gridPoint, gridSize } from "./_grid.js";
export { type LeaderboardRow, leaderboardLines } from "./_leaderboard.js";
export {
  FAIL_FAST_TRIALS,
  type ParentTrial,
  type StopCause,
  type TrialState,
  type TrialStatus,
  type TrialSummary,
  TuningMachine,
  type TuningState,
  type TuningStatus,
  type TuningSummary,
} from "./_machine.js";
export {
  defaultDirection,
  isBetter,
  isXGBoostMetric,
  metricReader,
  type Objective,
  type ObjectiveType,
  objectiveDefinition,
  parseObjective,
} from "./_objective.js";
export { initialRandomTrials } from "./_propose.js";
export {
  AUTO_LOG_RATIO,
  type ParameterRange,
  type ParameterRangesShape,
  parseParameterRanges,
  RANGE_LIMITS,
  SCALING_TYPES,
  type Scale,
  type ScalingType,
  scaleOf,
  toParameterRangesShape,
  unitOf,
  valueAt,
} from "./_ranges.js";
export {
  DEFAULT_MAX_JOBS,
  type DeclaredHyperparameter,
  defaultTuningJobName,
  parseRange,
  type TuningOptions,
  tuningRequest,
} from "./_request.js";
export {
  EPOCH_KEYS,
  STRATEGIES,
  type Strategy,
  type TrainingJobDefinitionShape,
  TUNING_JOB_NAME,
  TUNING_LIMITS,
  type TuningJobRequest,
  type TuningSpec,
  tuningSpec,
  type WarmStartType,
} from "./_spec.js";
export {
  bracketOf,
  HYPERBAND_ETA,
  hyperbandBrackets,
  hyperbandRungs,
  MEDIAN_MIN_TRIALS,
} from "./_stopping.js";
