/** Transform jobs on this machine, through sagebrew's local batch transform. */
export { TRANSFORM_LOG_GROUP, TransformRunner, type TransformRunnerOptions } from "./runner.js";
