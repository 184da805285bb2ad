/**
 * The multi-model endpoint (https://docs.aws.amazon.com/sagemaker/latest/dg/mms-container-apis.html) as an `InferenceApp`: `POST /models` loads a model
 * directory under a name, `GET /models[/<name>]` lists and describes, `DELETE /models/<name>`
 * unloads (the handler's `close` runs before the answer), `POST /models/<name>/invoke` predicts.
 * It composes single-model apps: each loaded model is one (`_model-registry.ts`), and an
 * invocation is that app's invocation route behind this app's router, so negotiation, limits,
 * timeouts and status codes are those of single-model serving; every error is JSON. Model
 * directories must lie inside `<base>/models`, links included (`_models-root.ts`).
 */
import { totalmem } from "node:os";
import type { ServingConfig } from "../config/serving.js";
import { HEADERS, mlPaths, ROUTES } from "../contract/index.js";
import { SagebrewError } from "../errors/index.js";
import type { Logger } from "../node/logger.js";
import type { AppRequest, AppState, InferenceApp } from "./_app-types.js";
import { createDispatcher, toAppRequest } from "./_dispatch.js";
import { clipName, parseLoadRequest } from "./_load-request.js";
import { listPage } from "./_model-list.js";
import { type ModelEntry, ModelRegistry, notFound } from "./_model-registry.js";
import { modelNameProblem } from "./_models-root.js";
import { EMPTY_OK, executionParameters, jsonResponse, type Problem } from "./_responses.js";
import { createRouter, type Route, type RouteParams } from "./_router.js";
import type { CheckedHandler } from "./handler.js";

export { DEFAULT_PAGE_SIZE } from "./_model-list.js";

/** Share of the machine's (or cgroup's) memory that loaded models may take by default. */
export const DEFAULT_MEMORY_FRACTION = 0.5;
const MIB = 1024 * 1024;

/** Options of `createMultiModelApp`. */
export interface MultiModelAppOptions {
  readonly config: ServingConfig;
  readonly logger: Logger;
  /** The handler for a model directory, found as single-model serving finds it. */
  readonly handlerFor: (modelDir: string) => Promise<CheckedHandler>;
  /** Bytes of model files that may be loaded at once. Default `config.mmeMemoryMb`, else `defaultMemoryBudget()`. */
  readonly memoryBudgetBytes?: number;
  /** Runs once every model is closed on stop (for example, closes a shared thread pool). */
  readonly onStopped?: () => unknown;
}

/** A loaded model as `GET /models/<name>` describes it. */
export interface LoadedModelInfo {
  readonly modelName: string;
  readonly modelUrl: string;
  /** The handler's name (`xgboost`, or the custom handler's). */
  readonly handler: string;
  /** Bytes accounted against the budget: the model directory's file sizes. */
  readonly memoryBytes: number;
}

/** The multi-model app; `models()` and `memory` are for tests and diagnostics. */
export interface MultiModelApp extends InferenceApp {
  /** Loaded models, by name. */
  models(): readonly LoadedModelInfo[];
  /** Bytes accounted to loaded (and loading) models, and the budget. */
  readonly memory: { readonly usedBytes: number; readonly budgetBytes: number };
}

/** The default budget: `DEFAULT_MEMORY_FRACTION` of the cgroup limit, else of the machine's memory. */
export function defaultMemoryBudget(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  const total = totalmem();
  const limit = constrained > 0 && constrained < total ? constrained : total;
  return Math.floor(limit * DEFAULT_MEMORY_FRACTION);
}

/**
 * Creates the multi-model app. `start()` only marks it ready: there is no model until one is loaded.
 *
 * @example
 * const app = createMultiModelApp({ config, logger, handlerFor: async () => checkHandler(h, "h") });
 * await app.start();
 * await app.request("/models", { method: "POST", body: JSON.stringify({ model_name: "a", url: "/opt/ml/models/a/model" }) });
 */
export function createMultiModelApp(options: MultiModelAppOptions): MultiModelApp {
  const { config, logger } = options;
  const modelsRoot = mlPaths(config.baseDir).multiModelDir;
  const registry = new ModelRegistry({
    config,
    logger,
    modelsRoot,
    handlerFor: options.handlerFor,
    budgetBytes:
      options.memoryBudgetBytes ??
      (config.mmeMemoryMb === undefined ? defaultMemoryBudget() : Math.floor(config.mmeMemoryMb * MIB)),
  });
  let state: AppState = "loading";

  /** The model an invocation names, or why it cannot be invoked. */
  function target(name: string | undefined, from: "path" | "header"): ModelEntry | Problem {
    if (state === "stopping") {
      return { code: "SB_SHUTTING_DOWN", message: "Cannot invoke a model: the server is stopping" };
    }
    if (name === undefined || name.trim() === "") {
      return {
        code: "SB_BAD_REQUEST",
        message: `Cannot invoke ${ROUTES.invocations} on a multi-model endpoint without ${HEADERS.targetModel}: name the model, or POST /models/<name>/invoke`,
      };
    }
    const invalid = nameProblem(name, from === "path" ? "Model name" : HEADERS.targetModel);
    if (invalid) return invalid;
    // SageMaker's TargetModel is the artifact's name; a trailing `.tar.gz` may be left on.
    return registry.ready(name) ?? registry.ready(name.replace(/\.tar\.gz$/, "")) ?? notFound(name);
  }

  /** Invokes the model named by the path (`/models/<name>/invoke`) or by the target header. */
  function invoke(from: "path" | "header"): Route {
    const nameOf = (req: AppRequest, params: RouteParams) =>
      from === "path" ? params.name : req.headers[HEADERS.targetModel];
    return {
      subject: "invocation",
      precheck(req, params) {
        const e = target(nameOf(req, params), from);
        return "code" in e ? e : e.app!.invocations.precheck?.(req, params);
      },
      async handle(req, params) {
        const e = target(nameOf(req, params), from);
        if ("code" in e) throw new SagebrewError(e.code, e.message);
        if (logger.enabled("debug")) {
          logger.debug("invoke", { model: e.name, targetModel: req.headers[HEADERS.targetModel] });
        }
        return registry.track(e, () => e.app!.invocations.handle(req, params));
      },
    };
  }

  const ping: Route = {
    handle() {
      if (state === "ready") return EMPTY_OK;
      throw state === "stopping"
        ? new SagebrewError("SB_SHUTTING_DOWN", "The server is stopping")
        : new SagebrewError("SB_NOT_READY", "The server is starting");
    },
  };
  const list: Route = {
    handle: (req) => jsonResponse(listPage(new Map(registry.loaded().map((e) => [e.name, e.url])), req.url)),
  };
  const load: Route = {
    subject: "model load",
    async handle(req) {
      if (state === "stopping") {
        throw new SagebrewError("SB_SHUTTING_DOWN", "Cannot load a model: the server is stopping");
      }
      const { name, url } = parseLoadRequest(req, modelsRoot);
      await registry.load(name, url);
      return jsonResponse({ status: "Workers scaled" });
    },
  };
  const describe: Route = {
    handle(_req, { name }) {
      const e = registry.ready(validName(name!));
      if (!e) throw notFound(name!);
      return jsonResponse(info(e));
    },
  };
  const unload: Route = {
    async handle(_req, { name }) {
      await registry.unload(validName(name!));
      return jsonResponse({ status: `Model "${name}" unregistered` });
    },
  };

  const router = createRouter({
    [ROUTES.ping]: { GET: ping },
    [ROUTES.executionParameters]: { GET: { handle: () => executionParameters(config) } },
    [ROUTES.invocations]: { POST: invoke("header") },
    [ROUTES.models]: { GET: list, POST: load },
    [`${ROUTES.models}/:name`]: { GET: describe, DELETE: unload },
    [`${ROUTES.models}/:name/invoke`]: { POST: invoke("path") },
  });
  const { precheck, handle } = createDispatcher({
    router,
    style: "json",
    maxPayloadBytes: config.maxPayloadBytes,
    maxPayloadVariable: config.maxPayloadVariable,
    logger,
    rejectionLogLimit: config.rejectionLogLimit,
  });

  return {
    get state() {
      return state;
    },
    errorStyle: "json",
    get memory() {
      return { usedBytes: registry.usedBytes, budgetBytes: registry.budgetBytes };
    },
    models: () => registry.loaded().map(info),
    async start() {
      if (state === "loading") state = "ready";
      logger.info("multi-model endpoint ready", { budgetBytes: registry.budgetBytes });
    },
    precheck,
    handle,
    request: async (url, init) => handle(toAppRequest(url, init)),
    async stop(drained = Promise.resolve()) {
      state = "stopping";
      await drained;
      await registry.close();
      await options.onStopped?.();
    },
  };
}

/** Why `name` cannot name a model, worded for `what` names it; undefined when it can. */
function nameProblem(name: string, what: string): Problem | undefined {
  const problem = modelNameProblem(name);
  return problem === undefined
    ? undefined
    : { code: "SB_BAD_REQUEST", message: `${what} ${clipName(name)} is not valid: ${problem}` };
}

/** `name`, when it is a valid model name. @throws SagebrewError SB_BAD_REQUEST otherwise. */
function validName(name: string): string {
  const problem = nameProblem(name, "Model name");
  if (problem) throw new SagebrewError(problem.code, problem.message);
  return name;
}

function info(e: ModelEntry): LoadedModelInfo {
  return { modelName: e.name, modelUrl: e.url, handler: e.handler ?? "", memoryBytes: e.bytes };
}
