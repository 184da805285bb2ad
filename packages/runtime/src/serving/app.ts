/**
 * The single-model inference app as a request → response function: `/ping`, `/invocations` and
 * `/execution-parameters`, with no socket in sight (tested in-process, then over a real socket by
 * the same suite). The pieces: the model's lifecycle (`_model-lifecycle.ts`), its invocation
 * route (`_invoke.ts`), the router and the pipeline every app shares (`_router.ts`,
 * `_dispatch.ts`): route → size 413 → Content-Type 415 → Accept 406 → decode 400 → predict 500
 * (or the error's own status) → encode; over the time limit 504.
 */
import type { ServingConfig } from "../config/serving.js";
import { LIMITS, ROUTES } from "../contract/index.js";
import { SagebrewError } from "../errors/index.js";
import type { Logger } from "../node/logger.js";
import type { AppResponse, ErrorStyle, InferenceApp } from "./_app-types.js";
import { createDispatcher, toAppRequest } from "./_dispatch.js";
import { createInvocationRoute } from "./_invoke.js";
import { ModelLifecycle } from "./_model-lifecycle.js";
import { EMPTY_OK, executionParameters } from "./_responses.js";
import { createRouter, type Route } from "./_router.js";
import { warmInvocations } from "./_warm-up.js";
import type { CheckedHandler, LoadContext } from "./handler.js";

export type { AppRequest, AppResponse, AppState, ErrorStyle, InferenceApp } from "./_app-types.js";
export { errorResponse, type Problem } from "./_responses.js";

/** Options of `createInferenceApp`. */
export interface InferenceAppOptions {
  readonly config: ServingConfig;
  readonly logger: Logger;
  /** Default `<config.baseDir>/model`. */
  readonly modelDir?: string;
  /** How errors are worded. Default `text`. */
  readonly errorStyle?: ErrorStyle;
}

/** A single-model app, and its invocation route for the multi-model app to compose. */
export interface ModelApp extends InferenceApp {
  /** `POST /invocations` of this model, without the router and the size check around it. */
  readonly invocations: Route;
}

/**
 * Creates the inference app for one checked handler.
 *
 * @example
 * const app = createInferenceApp(checkHandler(myHandler, "my-handler"), { config, logger });
 * await app.start();
 * const res = await app.request("/invocations", { method: "POST", headers: { "content-type": "text/csv" }, body: "5.1,3.5,1.4,0.2" });
 */
export function createInferenceApp(handler: CheckedHandler, options: InferenceAppOptions): ModelApp {
  const { config, logger } = options;
  const errorStyle = options.errorStyle ?? "text";
  const loadCtx: LoadContext = Object.freeze({
    modelDir: options.modelDir ?? `${config.baseDir.replace(/\/$/, "")}/model`,
    config,
    logger,
  });
  const lifecycle = new ModelLifecycle(handler, loadCtx);
  const invocations = createInvocationRoute(lifecycle, config);
  const ping: Route = { handle: () => pingAnswer(lifecycle) };
  const router = createRouter({
    [ROUTES.ping]: { GET: ping },
    [ROUTES.executionParameters]: { GET: { handle: () => executionParameters(config) } },
    [ROUTES.invocations]: { POST: invocations },
  });
  const { precheck, handle } = createDispatcher({
    router,
    style: errorStyle,
    maxPayloadBytes: config.maxPayloadBytes,
    maxPayloadVariable: config.maxPayloadVariable,
    logger,
    rejectionLogLimit: config.rejectionLogLimit,
  });
  return {
    get state() {
      return lifecycle.state;
    },
    errorStyle,
    invocations,
    start: (startOptions = {}) =>
      lifecycle.start(() =>
        warmInvocations({
          handler,
          model: lifecycle.model,
          loadCtx,
          handle,
          marked: lifecycle.warmups,
          // Configs built by hand (tests, embedders) may lack it: the default then applies.
          budgetMs: config.warmupMs ?? LIMITS.defaultWarmupMs,
          wanted: () => lifecycle.state === "loading",
          ...(startOptions.send ? { send: startOptions.send, token: lifecycle.warmupToken } : {}),
        }),
      ),
    precheck,
    handle,
    request: async (url, init) => handle(toAppRequest(url, init)),
    stop: (drained = Promise.resolve()) => lifecycle.stop(drained),
  };
}

/** `/ping`: 200 once the model is loaded and warmed; the reason it is not, otherwise. */
function pingAnswer(lifecycle: ModelLifecycle): AppResponse {
  if (lifecycle.state === "ready") return EMPTY_OK;
  if (lifecycle.state === "failed") {
    const reason = lifecycle.loadError?.message ?? "unknown error";
    throw new SagebrewError("SB_MODEL_LOAD", `The model could not be loaded: ${reason}`);
  }
  throw lifecycle.state === "loading"
    ? new SagebrewError("SB_NOT_READY", "The model is still loading")
    : new SagebrewError("SB_SHUTTING_DOWN", "The server is stopping");
}
