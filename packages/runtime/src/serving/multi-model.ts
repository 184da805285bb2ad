/**
 * The multi-model endpoint (contract §4) as an `InferenceApp`: `POST /models` loads a model
 * directory under a name, `GET /models[/<name>]` lists and describes, `DELETE /models/<name>`
 * unloads (the handler's `close` runs before the answer), `POST /models/<name>/invoke` predicts.
 * Each loaded model is one single-model app (`createInferenceApp`), so negotiation, limits,
 * timeouts and status codes are those of single-model serving. Loaded models are accounted by
 * their file sizes against a memory budget; a load over it answers 507. Model directories must lie
 * inside `<base>/models`, links included (`_models-root.ts`).
 */
import { totalmem } from "node:os";
import type { ServingConfig } from "../config/serving.js";
import { ENV, HEADERS, MEDIA, mlPaths, ROUTES } from "../contract/index.js";
import { ERROR_CODES, type ErrorCode, isSagebrewError, toSagebrewError } from "../errors/index.js";
import type { Logger } from "../node/logger.js";
import { modelDirectoryBytes, modelNameProblem, resolveModelUrl } from "./_models-root.js";
import {
  type AppRequest,
  type AppResponse,
  type AppState,
  createInferenceApp,
  declaredSize,
  type InferenceApp,
  payloadTooLarge,
  toAppRequest,
} from "./app.js";
import type { CheckedHandler } from "./handler.js";

/** Share of the machine's (or cgroup's) memory that loaded models may take by default. */
export const DEFAULT_MEMORY_FRACTION = 0.5;
/** Models per page of `GET /models` when no `limit` is given. */
export const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
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

interface Entry {
  readonly name: string;
  readonly url: string;
  state: "loading" | "ready";
  bytes: number;
  app?: InferenceApp;
  handler?: string;
  inFlight: number;
  idle?: () => void;
}

type Route =
  | { kind: "ping" }
  | { kind: "execution-parameters" }
  | { kind: "list" }
  | { kind: "load" }
  | { kind: "describe" | "unload"; name: string }
  | { kind: "invoke"; name: string | undefined };

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
  const budget =
    options.memoryBudgetBytes ??
    (config.mmeMemoryMb === undefined ? defaultMemoryBudget() : Math.floor(config.mmeMemoryMb * MIB));
  const modelsRoot = mlPaths(config.baseDir).multiModelDir;
  const models = new Map<string, Entry>();
  const loading = new Set<Promise<unknown>>();
  let used = 0;
  let state: AppState = "loading";

  function route(req: AppRequest): Route | AppResponse {
    const path = req.url.split("?", 1)[0] ?? "";
    const allow = (methods: string) =>
      problem("SB_METHOD_NOT_ALLOWED", `Cannot ${req.method} ${path}: this route answers ${methods}`, {
        allow: methods,
      });
    const only = (methods: string, r: Route): Route | AppResponse =>
      methods.split(", ").includes(req.method) ? r : allow(methods);
    if (path === ROUTES.ping) return only("GET, HEAD", { kind: "ping" });
    if (path === ROUTES.executionParameters) return only("GET", { kind: "execution-parameters" });
    if (path === ROUTES.invocations) {
      return only("POST", { kind: "invoke", name: req.headers[HEADERS.targetModel] });
    }
    if (path === ROUTES.models) {
      return req.method === "POST" ? { kind: "load" } : only("GET", { kind: "list" });
    }
    const m = /^\/models\/([^/]+)(\/invoke)?$/.exec(path);
    if (m) {
      let name: string;
      try {
        name = decodeURIComponent(m[1]!);
      } catch {
        return problem("SB_BAD_REQUEST", `The model name in ${path} is not valid percent-encoding`);
      }
      const bad = modelNameProblem(name);
      if (bad !== undefined)
        return problem("SB_BAD_REQUEST", `Model name ${clip(name)} is not valid: ${bad}`);
      if (m[2]) return only("POST", { kind: "invoke", name });
      if (req.method === "DELETE") return { kind: "unload", name };
      return only("GET, DELETE", { kind: "describe", name });
    }
    return problem(
      "SB_NOT_FOUND",
      `No route ${path}: this multi-model server answers ${ROUTES.ping}, ${ROUTES.models} and ${ROUTES.invocations}`,
    );
  }

  function ready(name: string): Entry | undefined {
    const e = models.get(name);
    return e?.state === "ready" ? e : undefined;
  }

  function notFound(name: string): AppResponse {
    return problem("SB_NOT_FOUND", `Model not found: ${name}`);
  }

  /** The model an invoke names, or the response refusing it. */
  function target(r: { name: string | undefined }): Entry | AppResponse {
    if (state === "stopping")
      return problem("SB_SHUTTING_DOWN", "Cannot invoke a model: the server is stopping");
    if (r.name === undefined || r.name.trim() === "") {
      return problem(
        "SB_BAD_REQUEST",
        `Cannot invoke ${ROUTES.invocations} on a multi-model endpoint without ${HEADERS.targetModel}: name the model, or POST /models/<name>/invoke`,
      );
    }
    const bad = modelNameProblem(r.name);
    if (bad !== undefined) {
      return problem("SB_BAD_REQUEST", `${HEADERS.targetModel} ${clip(r.name)} is not valid: ${bad}`);
    }
    return ready(r.name) ?? ready(r.name.replace(/\.tar\.gz$/, "")) ?? notFound(r.name);
  }

  /** A body over the payload limit, declared or received, answered as every other error. */
  function oversized(req: AppRequest): AppResponse | undefined {
    const size = req.bodyBytes ?? req.body?.length ?? declaredSize(req);
    const over = payloadTooLarge(size, config.maxPayloadBytes, config.maxPayloadVariable);
    return over && problem(over.code, over.message);
  }

  function precheck(req: AppRequest): AppResponse | undefined {
    const r = route(req);
    if ("status" in r) return r;
    const over = oversized(req);
    if (over) return over;
    if (r.kind === "ping" || r.kind === "execution-parameters" || r.kind === "list") return answer(r, req);
    if (r.kind === "describe") return describe(r.name);
    if (r.kind !== "invoke") return undefined;
    const e = target(r);
    if ("status" in e) return e;
    const early = e.app!.precheck({ ...req, url: ROUTES.invocations });
    return early && asJson(early);
  }

  /** Answers the routes that need no I/O. */
  function answer(r: { kind: "ping" | "execution-parameters" | "list" }, req: AppRequest): AppResponse {
    if (r.kind === "ping") {
      return state === "ready"
        ? { status: 200, headers: {}, body: "" }
        : problem(
            state === "stopping" ? "SB_SHUTTING_DOWN" : "SB_NOT_READY",
            state === "stopping" ? "The server is stopping" : "The server is starting",
          );
    }
    if (r.kind === "execution-parameters") {
      return json(200, {
        MaxConcurrentTransforms: config.maxConcurrentTransforms,
        BatchStrategy: config.batchStrategy,
        MaxPayloadInMB: Math.max(1, Math.floor(config.maxPayloadMb)),
      });
    }
    return list(req.url);
  }

  function list(url: string): AppResponse {
    const params = new URLSearchParams(url.split("?", 2)[1] ?? "");
    const rawLimit = params.get("limit");
    const limit = rawLimit === null || rawLimit === "" ? DEFAULT_PAGE_SIZE : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      return problem(
        "SB_BAD_REQUEST",
        `Cannot list models with limit=${rawLimit}: expected a whole number from 1 to ${MAX_PAGE_SIZE}`,
      );
    }
    const token = params.get("next_page_token") ?? params.get("nextPageToken");
    let after: string | undefined;
    if (token !== null && token !== "") {
      after = decodeToken(token);
      if (after === undefined) {
        return problem(
          "SB_BAD_REQUEST",
          `Cannot list models after next_page_token ${JSON.stringify(token)}: it is not a token this server gave`,
        );
      }
    }
    const names = [...models.values()]
      .filter((e) => e.state === "ready" && (after === undefined || e.name > after))
      .map((e) => e.name)
      .sort(byCodeUnits);
    const page = names.slice(0, limit);
    const body: { models: Array<{ modelName: string; modelUrl: string }>; nextPageToken?: string } = {
      models: page.map((n) => ({ modelName: n, modelUrl: models.get(n)!.url })),
    };
    if (names.length > limit) body.nextPageToken = encodeToken(page[page.length - 1]!);
    return json(200, body);
  }

  function describe(name: string): AppResponse {
    const e = ready(name);
    return e ? json(200, info(e)) : notFound(name);
  }

  async function load(req: AppRequest): Promise<AppResponse> {
    if (state === "stopping")
      return problem("SB_SHUTTING_DOWN", "Cannot load a model: the server is stopping");
    const request = loadRequest(req);
    if ("status" in request) return request;
    const { name, url } = request;
    const existing = models.get(name);
    if (existing) {
      return problem(
        "SB_CONFLICT",
        `Model ${name} is already registered.${existing.state === "loading" ? " It is still loading." : ""}`,
      );
    }
    const entry: Entry = { name, url, state: "loading", bytes: 0, inFlight: 0 };
    models.set(name, entry);
    const work = loadEntry(entry);
    loading.add(work);
    try {
      return await work;
    } finally {
      loading.delete(work);
    }
  }

  async function loadEntry(entry: Entry): Promise<AppResponse> {
    const { name, url } = entry;
    const t0 = performance.now();
    const rss0 = process.memoryUsage.rss();
    /** Forgets the entry and its budget; logs the refusal unless the model's app already did. */
    const refuse = (code: ErrorCode, message: string, logged = false): AppResponse => {
      models.delete(name);
      used -= entry.bytes;
      entry.bytes = 0;
      const fields = { model: name, url, status: ERROR_CODES[code].status, reason: message };
      if (logged) {
        // The model's app has logged it with its cause.
      } else if (code === "SB_MODEL_LOAD") logger.error("model not loaded", fields);
      else logger.warn("model not loaded", fields);
      return problem(code, message);
    };
    let bytes: number;
    try {
      bytes = await modelDirectoryBytes(modelsRoot, url);
    } catch (e) {
      if (isSagebrewError(e)) return refuse(e.code, `Cannot load model ${name}: ${e.message}`);
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") {
        return refuse(
          "SB_NOT_FOUND",
          `Cannot load model ${name}: ${url} does not exist or is not a directory`,
        );
      }
      return refuse(
        "SB_MODEL_LOAD",
        `Cannot load model ${name}: cannot read ${url}: ${(e as Error).message}`,
      );
    }
    if (used + bytes > budget) {
      return refuse(
        "SB_INSUFFICIENT_STORAGE",
        `Cannot load model ${name}: it needs ${size(bytes)} and ${size(Math.max(0, budget - used))} of the ${size(budget)} memory budget (${ENV.mmeMemoryMb}) is free; unload a model first`,
      );
    }
    used += bytes;
    entry.bytes = bytes;
    let handler: CheckedHandler;
    try {
      handler = await options.handlerFor(url);
    } catch (e) {
      return refuse("SB_MODEL_LOAD", `Cannot load model ${name}: ${toSagebrewError(e).message}`);
    }
    const app = createInferenceApp(handler, {
      config,
      logger: withFields(logger, { model: name }),
      modelDir: url,
    });
    try {
      await app.start();
    } catch (e) {
      return refuse(
        "SB_MODEL_LOAD",
        `Cannot load model ${name} from ${url}: ${toSagebrewError(e).message}`,
        true,
      );
    }
    if (state === "stopping") {
      await app.stop();
      return refuse("SB_SHUTTING_DOWN", `Model ${name} was loaded, but the server is stopping`);
    }
    entry.app = app;
    entry.handler = handler.name;
    entry.state = "ready";
    logger.info("model loaded", {
      model: name,
      url,
      handler: handler.name,
      memoryBytes: bytes,
      usedBytes: used,
      budgetBytes: budget,
      rssDeltaBytes: process.memoryUsage.rss() - rss0,
      ms: Math.round(performance.now() - t0),
    });
    return json(200, { status: "Workers scaled" });
  }

  async function unload(name: string): Promise<AppResponse> {
    const e = ready(name);
    if (!e) return notFound(name);
    models.delete(name);
    await close(e);
    logger.info("model unloaded", { model: name, memoryBytes: e.bytes, usedBytes: used });
    return json(200, { status: `Model "${name}" unregistered` });
  }

  /** Waits for the model's invocations, then runs its handler's `close` and frees its budget. */
  async function close(e: Entry): Promise<void> {
    const drained =
      e.inFlight === 0
        ? Promise.resolve()
        : new Promise<void>((r) => {
            e.idle = r;
          });
    await e.app!.stop(drained);
    used -= e.bytes;
  }

  async function invoke(r: { name: string | undefined }, req: AppRequest): Promise<AppResponse> {
    const e = target(r);
    if ("status" in e) return e;
    if (logger.enabled("debug")) {
      logger.debug("invoke", { model: e.name, targetModel: req.headers[HEADERS.targetModel] });
    }
    e.inFlight++;
    try {
      return asJson(await e.app!.handle({ ...req, url: ROUTES.invocations }));
    } finally {
      e.inFlight--;
      if (e.inFlight === 0) e.idle?.();
    }
  }

  async function handle(req: AppRequest): Promise<AppResponse> {
    try {
      const r = route(req);
      if ("status" in r) return r;
      const over = oversized(req);
      if (over) return over;
      switch (r.kind) {
        case "load":
          return await load(req);
        case "unload":
          return await unload(r.name);
        case "describe":
          return describe(r.name);
        case "invoke":
          return await invoke(r, req);
        default:
          return answer(r, req);
      }
    } catch (e) {
      const err = toSagebrewError(e);
      logger.error("request failed", { path: req.url, status: err.status, error: e });
      return problem(err.code, err.message);
    }
  }

  async function stop(drained: Promise<void> = Promise.resolve()): Promise<void> {
    state = "stopping";
    await drained;
    await Promise.allSettled([...loading]);
    const open = [...models.values()].filter((e) => e.state === "ready");
    models.clear();
    await Promise.all(open.map((e) => close(e)));
    await options.onStopped?.();
  }

  return {
    get state() {
      return state;
    },
    get memory() {
      return { usedBytes: used, budgetBytes: budget };
    },
    models: () =>
      [...models.values()]
        .filter((e) => e.state === "ready")
        .sort((a, b) => byCodeUnits(a.name, b.name))
        .map(info),
    async start() {
      if (state === "loading") state = "ready";
      logger.info("multi-model endpoint ready", { budgetBytes: budget });
    },
    precheck,
    handle,
    stop,
    request: (url, init) => handle(toAppRequest(url, init)),
  };

  /** `{"model_name", "url"}` from the JSON body (or the query, as MMS also takes it). */
  function loadRequest(req: AppRequest): { name: string; url: string } | AppResponse {
    const params = new URLSearchParams(req.url.split("?", 2)[1] ?? "");
    let fields: Record<string, unknown> = { model_name: params.get("model_name"), url: params.get("url") };
    const text = new TextDecoder().decode(req.body ?? new Uint8Array(0)).trim();
    if (text !== "") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        return problem(
          "SB_BAD_REQUEST",
          `Cannot load a model: the request body is not JSON: ${(e as Error).message}`,
        );
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return problem(
          "SB_BAD_REQUEST",
          `Cannot load a model: expected a JSON object {"model_name": …, "url": …}`,
        );
      }
      fields = parsed as Record<string, unknown>;
    }
    const { model_name: name, url } = fields;
    if (typeof name !== "string" || name.trim() === "") {
      return problem(
        "SB_BAD_REQUEST",
        `Cannot load a model: model_name is missing or not a string (send {"model_name": …, "url": …})`,
      );
    }
    if (typeof url !== "string" || url.trim() === "") {
      return problem(
        "SB_BAD_REQUEST",
        `Cannot load model ${name}: url is missing or not a string (send {"model_name": …, "url": …})`,
      );
    }
    const bad = modelNameProblem(name);
    if (bad !== undefined)
      return problem("SB_BAD_REQUEST", `Cannot load model ${clip(name)}: model_name is not valid: ${bad}`);
    try {
      return { name, url: resolveModelUrl(modelsRoot, url) };
    } catch (e) {
      const err = toSagebrewError(e);
      return problem(err.code, err.message);
    }
  }
}

function info(e: Entry): LoadedModelInfo {
  return { modelName: e.name, modelUrl: e.url, handler: e.handler ?? "", memoryBytes: e.bytes };
}

/** The logger with `fields` added to every line. */
function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  const add = (f?: Record<string, unknown>) => ({ ...fields, ...f });
  return {
    level: logger.level,
    debug: (msg, f) => logger.debug(msg, add(f)),
    info: (msg, f) => logger.info(msg, add(f)),
    warn: (msg, f) => logger.warn(msg, add(f)),
    error: (msg, f) => logger.error(msg, add(f)),
    enabled: (l) => logger.enabled(l),
  };
}

function json(status: number, value: unknown): AppResponse {
  return { status, headers: { "content-type": MEDIA.json }, body: JSON.stringify(value) };
}

/** An error with the catalogue's status for `code`. */
function problem(code: ErrorCode, message: string, extra: Record<string, string> = {}): AppResponse {
  return jsonError(ERROR_CODES[code].status, message, extra);
}

/** An error as §4 shows it: `{"message": "<one sentence>"}`. */
function jsonError(status: number, message: string, extra: Record<string, string> = {}): AppResponse {
  const sentence = message.replace(/\s*[\r\n]+\s*/g, " ").trim();
  return {
    status,
    headers: { "content-type": MEDIA.json, ...extra },
    body: JSON.stringify({ message: sentence.length > 2000 ? `${sentence.slice(0, 1997)}...` : sentence }),
  };
}

/** A model app's plain-text error as a JSON one; other responses unchanged. */
function asJson(res: AppResponse): AppResponse {
  if (res.status < 400 || !res.headers["content-type"]?.startsWith("text/plain")) return res;
  const text = typeof res.body === "string" ? res.body : new TextDecoder().decode(res.body);
  const { "content-type": _, ...rest } = res.headers;
  return jsonError(res.status, text, rest);
}

/** A name for a message: quoted, and cut short when long. */
function clip(name: string): string {
  const quoted = JSON.stringify(name);
  return quoted.length > 80 ? `${quoted.slice(0, 77)}..."` : quoted;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeToken(name: string): string {
  return Buffer.from(`m:${name}`, "utf8").toString("base64url");
}

function decodeToken(token: string): string | undefined {
  const text = Buffer.from(token, "base64url").toString("utf8");
  return text.startsWith("m:") && encodeToken(text.slice(2)) === token ? text.slice(2) : undefined;
}

function size(bytes: number): string {
  return bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}
