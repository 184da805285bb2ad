/**
 * The SageMaker Runtime API (rest-json): InvokeEndpoint, InvokeEndpointWithResponseStream and
 * InvokeEndpointAsync.
 */
export { MAX_INVOKE_BYTES, MAX_SERVERLESS_INVOKE_BYTES, type RuntimeOptions } from "./invoke-endpoint.js";
export { createRuntimeRoute, RUNTIME_OPERATIONS } from "./route.js";
