/** Programmatic entry of the sagebrew CLI. */

export {
  COMMANDS,
  type Command,
  type CommandEntry,
  type CommandIo,
  loadCommands,
} from "./commands/index.js";
export {
  type LocalTuningOptions,
  type LocalTuningResult,
  type TuningEvents,
  tune,
} from "./local-tuning/index.js";
export { main, mainHelp } from "./main.js";
export * from "./sagemaker/index.js";
export type {
  Objective,
  ParameterRange,
  ScalingType,
  Strategy,
  TrialSummary,
  TuningOptions,
  TuningSummary,
} from "./tuning/index.js";
