/**
 * The wire of `sagebrew local`: the one listener, the host guard every request passes first, and
 * the errors in AWS's shapes with their one answer per protocol (JSON 1.1, rest-json). It knows no
 * resource and no engine: the composition root hands it the services it routes to.
 */
export { allowedHostName, checkBinding, isLoopbackAddress } from "./_host-guard.js";
export {
  ApiError,
  jsonErrorBody,
  resourceInUse,
  resourceLimitExceeded,
  resourceNotFound,
  restJsonErrorBody,
  serialization,
  unknownOperation,
  validation,
} from "./errors.js";
export { createFront, type FrontOptions, type JsonService, type RuntimeRoute } from "./listener.js";
