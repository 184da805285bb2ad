/** Serving: the handler API, the inference app, its HTTP adapter and the server that runs them. */

export {
  createGuardedServer,
  type GuardAnswer,
  type GuardedServer,
  type GuardOptions,
  type GuardProblem,
  type HttpLimits,
} from "../node/http-guard.js";
export {
  DEFAULT_REJECTION_LOG_LIMIT,
  REJECTIONS_SUMMARY,
  RejectionLog,
  type RejectionLogOptions,
  rejectionLog,
} from "../node/rejection-log.js";
export {
  MAX_MODEL_DEPTH,
  MAX_MODEL_ENTRIES,
  MAX_MODEL_NAME_LENGTH,
  modelDirectoryBytes,
  modelNameProblem,
  resolveModelUrl,
} from "./_models-root.js";
export {
  type AppRequest,
  type AppResponse,
  type AppState,
  createInferenceApp,
  type ErrorStyle,
  errorResponse,
  type InferenceApp,
  type InferenceAppOptions,
  type ModelApp,
  type Problem,
} from "./app.js";
export { builtinCodecs, decodeDataset, decodeWith, encodeOutput, encodeWith } from "./defaults.js";
export {
  type CheckedHandler,
  checkHandler,
  DEFAULT_ACCEPTS,
  DEFAULT_CONTENT_TYPES,
  defineHandler,
  type InvocationContext,
  type LoadContext,
  type ModelHandler,
  type Payload,
  type ResponseOptions,
} from "./handler.js";
export { createHttpServer, type HttpServerOptions, type ServingHttpServer } from "./http.js";
export { type ResolveHandlerOptions, resolveHandler } from "./load-handler.js";
export {
  createMultiModelApp,
  DEFAULT_MEMORY_FRACTION,
  DEFAULT_PAGE_SIZE,
  defaultMemoryBudget,
  type LoadedModelInfo,
  type MultiModelApp,
  type MultiModelAppOptions,
} from "./multi-model.js";
export { type RunningServer, type StartServerOptions, startServer } from "./server.js";
