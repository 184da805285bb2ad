/**
 * Containers of jobs and endpoints: how an image runs here (on sagebrew's runtime or in the
 * container engine), starting and stopping one, the runtime's programs, loopback ports, and the
 * record of what runs so that a restart can stop what a `kill -9` left.
 */
export {
  type ContainerDeps,
  type ContainerExit,
  type ContainerSpec,
  type RunningContainer,
  startContainer,
} from "./containers.js";
export {
  type ContainerEngineCli,
  containerEngineCli,
  emulationEnv,
  type ImageConfig,
  isBuiltinXGBoostImage,
  planImage,
  SAGEBREW_CODE_LABEL,
  SAGEBREW_IMAGE_LABEL,
} from "./images.js";
export { freePort } from "./ports.js";
export { ProcessRegistry } from "./process-registry.js";
export { type RuntimePrograms, runtimePrograms } from "./programs.js";
export { afterDelay } from "./timer.js";
