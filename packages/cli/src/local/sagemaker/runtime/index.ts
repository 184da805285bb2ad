/** The SageMaker Runtime API (rest-json): InvokeEndpoint and InvokeEndpointWithResponseStream. */
export {
  createRuntimeRoute,
  MAX_INVOKE_BYTES,
  RUNTIME_OPERATIONS,
  type RuntimeOptions,
} from "./invoke-endpoint.js";
