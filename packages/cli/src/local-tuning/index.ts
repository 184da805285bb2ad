/**
 * Tuning jobs on this machine (`sagebrew tune DIR` without `--instance-type`): the tuning core's
 * state machine driving trials that are processes of the runtime's `train` program, with the
 * results, the leaderboard and the pictures under `DIR/.sagebrew/tuning/<name>/`.
 */
export { writeTuningSummary } from "./_files.js";
export { drawTuningPictures, type PictureTrial } from "./pictures.js";
export {
  type LocalTuningOptions,
  type LocalTuningResult,
  runLocalTuning,
  type TuningEvents,
  threadsPerTrial,
  tune,
} from "./run.js";
