/**
 * The inference app as a request → response function: `/ping`, `/invocations` and
 * `/execution-parameters`, with no socket in sight (tested in-process, then over a real socket by
 * the same suite). Each stage maps to one status, and negotiation comes before work:
 * size 413 → Content-Type 415 → Accept 406 → decode 400 → predict 500 (or the error's own status)
 * → encode; over the time limit 504.
 */
import { type MediaType, negotiate, parseContentType } from "../codecs/media-type.js";
import type { ServingConfig } from "../config/serving.js";
import { ENV, HEADERS, MEDIA, ROUTES } from "../contract/index.js";
import { type ErrorCode, SagebrewError, toSagebrewError } from "../errors/index.js";
import type { Logger } from "../node/logger.js";
import { decodeDataset, encodeOutput } from "./defaults.js";
import type { CheckedHandler, InvocationContext, LoadContext, Payload, ResponseOptions } from "./handler.js";

/** A request as the app sees it; header names lower-case. */
export interface AppRequest {
  readonly method: string;
  /** Path and optional query, e.g. `/invocations`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: Uint8Array;
  /**
   * Bytes of body the HTTP adapter received before it stopped reading one over the payload limit
   * (`body` is then absent); the app answers 413.
   */
  readonly bodyBytes?: number;
}

/** A response; `body` is bytes or text (UTF-8). */
export interface AppResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

/** One invocation's deadline, watched by the app's sweeping timer. */
interface Deadline {
  readonly at: number;
  reject: ((e: unknown) => void) | undefined;
  controller: AbortController | undefined;
}

/** Lifecycle of the model behind the app. */
export type AppState = "loading" | "ready" | "failed" | "stopping";

/** Options of `createInferenceApp`. */
export interface InferenceAppOptions {
  readonly config: ServingConfig;
  readonly logger: Logger;
  /** Default `<config.baseDir>/model`. */
  readonly modelDir?: string;
}

/** The app: `start()` loads and warms the model; `handle()` answers requests. */
export interface InferenceApp {
  readonly state: AppState;
  /** Loads the model and makes the warm-up prediction; `/ping` says 200 afterwards. */
  start(): Promise<void>;
  /** Answers what can be answered from the headers alone (route, size, media types, readiness). */
  precheck(req: AppRequest): AppResponse | undefined;
  /**
   * Answers one request; never throws or rejects. The answer is immediate when every hook of the
   * handler answered synchronously (the common small request), else a promise.
   */
  handle(req: AppRequest): AppResponse | Promise<AppResponse>;
  /** Convenience for tests: `app.request("/invocations", { method: "POST", body, headers })`. */
  request(
    url: string,
    init?: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array },
  ): Promise<AppResponse>;
  /** Marks the app stopping (`/ping` 503) and frees the model once `drained` resolves. */
  stop(drained?: Promise<void>): Promise<void>;
}

const TEXT = "text/plain; charset=utf-8";
const UTF8 = new Set(["utf-8", "utf8", "us-ascii", "ascii"]);
const MAX_CUSTOM_ATTRIBUTES = 1024;

/** Builds the error response: one readable sentence, logged once with its cause. */
export function errorResponse(
  status: number,
  message: string,
  extra: Record<string, string> = {},
): AppResponse {
  const sentence = message.replace(/\s*[\r\n]+\s*/g, " ").trim();
  const body = sentence.length > 2000 ? `${sentence.slice(0, 1997)}...` : sentence;
  return { status, headers: { "content-type": TEXT, ...extra }, body: `${body}\n` };
}

/**
 * The payload rule, the one place that decides a 413: a body of `size` bytes (declared by
 * Content-Length, counted while streaming, or in hand) over `limit` is refused.
 */
export function payloadTooLarge(
  size: number,
  limit: number,
  variable: string = ENV.maxPayloadMb,
): SagebrewError | undefined {
  if (!(size > limit)) return undefined;
  return new SagebrewError(
    "SB_PAYLOAD_TOO_LARGE",
    `The request body of ${size} bytes is over the limit of ${limit} bytes (${variable})`,
  );
}

/** The size a request declares (Content-Length), or 0. */
export function declaredSize(req: AppRequest): number {
  const declared = req.headers["content-length"];
  return declared === undefined ? 0 : Number(declared);
}

function fail(code: ErrorCode, message: string): SagebrewError {
  return new SagebrewError(code, message);
}

/**
 * Creates the inference app for one checked handler.
 *
 * @example
 * const app = createInferenceApp(checkHandler(myHandler, "my-handler"), { config, logger });
 * await app.start();
 * const res = await app.request("/invocations", { method: "POST", headers: { "content-type": "text/csv" }, body: "5.1,3.5,1.4,0.2" });
 */
export function createInferenceApp(handler: CheckedHandler, options: InferenceAppOptions): InferenceApp {
  const { config, logger } = options;
  const loadCtx: LoadContext = Object.freeze({
    modelDir: options.modelDir ?? `${config.baseDir.replace(/\/$/, "")}/model`,
    config,
    logger,
  });
  let state: AppState = "loading";
  let model: unknown;
  let loadError: SagebrewError | undefined;
  const offered = handler.contentTypes.join(", ");
  const negotiated = new Map<string, { contentType: MediaType; accept: string }>();
  const deadlines = new Set<Deadline>();
  let sweeper: NodeJS.Timeout | undefined;

  async function start(): Promise<void> {
    const t0 = performance.now();
    try {
      model = await handler.load(loadCtx);
      if (handler.warmup) await handler.warmup(model, loadCtx);
      if (state === "loading") state = "ready";
      logger.info("model loaded and warmed", {
        handler: handler.name,
        modelDir: loadCtx.modelDir,
        ms: Math.round(performance.now() - t0),
      });
    } catch (e) {
      loadError = toSagebrewError(e, "SB_MODEL_LOAD");
      if (state === "loading") state = "failed";
      logger.error("model load failed", { handler: handler.name, modelDir: loadCtx.modelDir, error: e });
      // Loaded but not warmed: free it now, since stop() only closes a ready model.
      if (model !== undefined && handler.close) {
        await Promise.resolve()
          .then(() => handler.close!(model, loadCtx))
          .catch((ce: unknown) => logger.warn("handler close failed", { error: ce }));
        model = undefined;
      }
      throw loadError;
    }
  }

  function route(req: AppRequest): AppResponse | "invoke" {
    const query = req.url.indexOf("?");
    const path = query < 0 ? req.url : req.url.slice(0, query);
    const allow = (methods: string) =>
      errorResponse(405, `Cannot ${req.method} ${path}: this route answers ${methods}`, { allow: methods });
    if (path === ROUTES.ping) {
      if (req.method !== "GET" && req.method !== "HEAD") return allow("GET");
      if (state === "ready") return { status: 200, headers: {}, body: "" };
      if (state === "failed") {
        return errorResponse(500, `The model could not be loaded: ${loadError?.message ?? "unknown error"}`);
      }
      return errorResponse(
        503,
        state === "loading" ? "The model is still loading" : "The server is stopping",
      );
    }
    if (path === ROUTES.executionParameters) {
      if (req.method !== "GET") return allow("GET");
      return {
        status: 200,
        headers: { "content-type": MEDIA.json },
        body: JSON.stringify({
          MaxConcurrentTransforms: config.maxConcurrentTransforms,
          BatchStrategy: config.batchStrategy,
          MaxPayloadInMB: Math.max(1, Math.floor(config.maxPayloadMb)),
        }),
      };
    }
    if (path === ROUTES.invocations) {
      if (req.method !== "POST") return allow("POST");
      return "invoke";
    }
    return errorResponse(
      404,
      `No route ${path}: this server answers ${ROUTES.ping} and ${ROUTES.invocations}`,
    );
  }

  /** Checks that need only headers; returns an error response, or the negotiated media types. */
  function negotiateRequest(req: AppRequest): AppResponse | { contentType: MediaType; accept: string } {
    if (state !== "ready") {
      if (state === "failed") {
        return errorResponse(500, `Cannot invoke the model: it could not be loaded: ${loadError?.message}`);
      }
      return errorResponse(
        503,
        state === "loading"
          ? "Cannot invoke the model: it is still loading"
          : "Cannot invoke the model: the server is stopping",
      );
    }
    const declared = req.headers["content-length"];
    if (declared !== undefined) {
      const over = payloadTooLarge(Number(declared), config.maxPayloadBytes, config.maxPayloadVariable);
      if (over) return errorResponse(over.status, over.message);
    }
    const rawType = req.headers["content-type"];
    const acceptHeader = req.headers.accept;
    const key = `${rawType}\u0000${acceptHeader ?? ""}`;
    const known = negotiated.get(key);
    if (known) return known;
    if (rawType === undefined || rawType.trim() === "") {
      return errorResponse(415, `The request has no Content-Type: send one of ${offered}`);
    }
    // The bare names SageMaker's XGBoost container takes (`csv`, `libsvm`) read as their media types.
    const contentType = parseContentType(rawType);
    if (!contentType) {
      return errorResponse(415, `Content-Type ${quote(rawType)} is not a media type: send one of ${offered}`);
    }
    if (!handler.contentTypes.includes(contentType.essence)) {
      return errorResponse(
        415,
        `Content-Type ${contentType.essence} is not supported: send one of ${offered}`,
      );
    }
    const charset = contentType.params.charset;
    if (charset !== undefined && !UTF8.has(charset.toLowerCase())) {
      return errorResponse(415, `Charset ${quote(charset)} is not supported: send UTF-8 text`);
    }
    const accept = negotiate(
      acceptHeader,
      handler.accepts,
      config.defaultAccept ? { fallback: config.defaultAccept } : {},
    );
    if (accept === undefined) {
      return errorResponse(
        406,
        `Accept ${quote(acceptHeader ?? "")} cannot be satisfied: this model answers ${handler.accepts.join(", ")}`,
      );
    }
    // Clients send the same few header pairs again and again: remember the answers.
    if (negotiated.size >= 256) negotiated.clear();
    const result = { contentType, accept };
    negotiated.set(key, result);
    return result;
  }

  function precheck(req: AppRequest): AppResponse | undefined {
    const r = route(req);
    if (r !== "invoke") return r;
    const n = negotiateRequest(req);
    if (!("status" in n)) return undefined;
    log(n.status, String(n.body).trim(), undefined);
    return n;
  }

  /**
   * Runs one invocation. Hooks that answer synchronously are chained without a promise or a timer
   * (a promise chain, a deadline entry and a frozen context per request were most of a 1-row
   * invocation's cost); the first hook that returns a promise switches to the watched async path.
   */
  function invoke(req: AppRequest): AppResponse | Promise<AppResponse> {
    const n = negotiateRequest(req);
    if ("status" in n) return n;
    const body = req.body ?? new Uint8Array(0);
    const over = payloadTooLarge(
      req.bodyBytes ?? body.length,
      config.maxPayloadBytes,
      config.maxPayloadVariable,
    );
    if (over) throw over;
    const watch: Deadline = {
      at: performance.now() + config.timeoutMs,
      reject: undefined,
      controller: undefined,
    };
    const ctx = new Invocation(
      loadCtx,
      n.contentType,
      n.accept,
      req.headers[HEADERS.customAttributes],
      watch,
    );
    const out = run(body, ctx);
    if (!isThenable(out)) {
      // A synchronous hook cannot be interrupted; one that ran over the limit still fails.
      if (performance.now() > watch.at) throw timedOut();
      return respond(out, ctx);
    }
    deadlines.add(watch);
    armSweeper();
    return new Promise<Payload>((resolve, reject) => {
      watch.reject = reject;
      out.then(resolve, reject);
    })
      .then((payload) => respond(payload, ctx))
      .finally(() => deadlines.delete(watch));
  }

  function timedOut(): SagebrewError {
    return fail(
      "SB_TIMEOUT",
      `The invocation took longer than ${config.timeoutMs / 1000} s (${ENV.timeout}) and was abandoned`,
    );
  }

  /**
   * Invocation deadlines, checked by one sweeping timer rather than a timer per request (a timer,
   * an AbortController and a Promise.race per request were a measurable share of a small
   * invocation). A deadline fires within a sweep interval of its time.
   */
  function armSweeper(): void {
    if (sweeper) return;
    sweeper = setInterval(
      () => {
        const now = performance.now();
        for (const d of deadlines) {
          if (now < d.at) continue;
          deadlines.delete(d);
          d.controller?.abort();
          d.reject?.(timedOut());
        }
        if (deadlines.size === 0) {
          clearInterval(sweeper);
          sweeper = undefined;
        }
      },
      Math.max(5, Math.min(100, config.timeoutMs / 10)),
    );
    // Kept referenced: an invocation in flight keeps the process alive until its deadline; the
    // timer stops as soon as none is pending.
  }

  function run(body: Uint8Array, ctx: InvocationContext): Payload | Promise<Payload> {
    if (handler.transform) {
      return stage(() => handler.transform!(model, body, ctx), "SB_PREDICT", "Cannot run the model");
    }
    const input = stage(
      () => (handler.decode ? handler.decode(body, ctx) : decodeDataset(body, ctx.contentType)),
      "SB_BAD_REQUEST",
      `Cannot decode the request body as ${ctx.contentType.essence}`,
    );
    const predicted = then(input, (i) =>
      stage(() => handler.predict!(model, i, ctx), "SB_PREDICT", "Cannot predict"),
    );
    return then(predicted, (output) =>
      stage(
        () => (handler.encode ? handler.encode(output, ctx) : encodeOutput(output, ctx.accept)),
        "SB_INTERNAL",
        `Cannot encode the prediction as ${ctx.accept}`,
      ),
    );
  }

  function respond(payload: Payload, ctx: InvocationContext): AppResponse {
    const p = typeof payload === "string" || payload instanceof Uint8Array ? { body: payload } : payload;
    if (
      p === null ||
      typeof p !== "object" ||
      !(typeof p.body === "string" || p.body instanceof Uint8Array)
    ) {
      throw fail(
        "SB_HANDLER_INVALID",
        `The handler ${handler.name} returned a response that is not a string, bytes or { body }`,
      );
    }
    const headers: Record<string, string> = { "content-type": p.contentType ?? ctx.accept };
    const attrs = p.customAttributes ?? ctx.response.customAttributes;
    if (attrs !== undefined) {
      if (attrs.length > MAX_CUSTOM_ATTRIBUTES || !/^[\x20-\x7e]*$/.test(attrs)) {
        throw fail(
          "SB_HANDLER_INVALID",
          `The handler ${handler.name} set custom attributes that are not up to ${MAX_CUSTOM_ATTRIBUTES} visible ASCII characters`,
        );
      }
      headers[HEADERS.customAttributes] = attrs;
    }
    return { status: 200, headers, body: p.body };
  }

  function handle(req: AppRequest): AppResponse | Promise<AppResponse> {
    const r = route(req);
    if (r !== "invoke") {
      if (r.status >= 500)
        logger.warn("route failed", { path: req.url, status: r.status, reason: String(r.body).trim() });
      return r;
    }
    const t0 = performance.now();
    const answered = (res: AppResponse): AppResponse => {
      if (res.status >= 400) log(res.status, String(res.body).trim(), undefined);
      else if (logger.enabled("debug")) {
        logger.debug("invocation", { status: res.status, ms: +(performance.now() - t0).toFixed(2) });
      }
      return res;
    };
    const failed = (e: unknown): AppResponse => {
      const err = toSagebrewError(e);
      log(err.status, err.message, e);
      return errorResponse(err.status, err.message);
    };
    try {
      const res = invoke(req);
      return isThenable(res) ? res.then(answered, failed) : answered(res);
    } catch (e) {
      return failed(e);
    }
  }

  function log(status: number, message: string, cause: unknown): void {
    const fields: Record<string, unknown> = { status, reason: message };
    if (cause !== undefined) fields.error = cause;
    if (status >= 500) logger.error("invocation failed", fields);
    else logger.warn("invocation rejected", fields);
  }

  async function stop(drained: Promise<void> = Promise.resolve()): Promise<void> {
    const was = state;
    state = "stopping";
    await drained;
    if (was === "ready" && handler.close) {
      try {
        await handler.close(model, loadCtx);
      } catch (e) {
        logger.warn("handler close failed", { error: e });
      }
    }
  }

  return {
    get state() {
      return state;
    },
    start,
    precheck,
    handle,
    stop,
    request: async (url, init) => handle(toAppRequest(url, init)),
  };
}

/** Builds an `AppRequest` from `app.request()`'s arguments: lower-cased headers, UTF-8 bodies. */
export function toAppRequest(url: string, init: Parameters<InferenceApp["request"]>[1] = {}): AppRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
  const body = typeof init.body === "string" ? new TextEncoder().encode(init.body) : init.body;
  return { method: init.method ?? "GET", url, headers, ...(body ? { body } : {}) };
}

/**
 * Runs one stage, synchronously when its hook answers synchronously; errors that are not
 * SagebrewErrors become `code` with `what` as the sentence start.
 */
function stage<T>(fn: () => T | Promise<T>, code: ErrorCode, what: string): T | Promise<T> {
  const wrap = (e: unknown): never => {
    if (e instanceof SagebrewError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    throw new SagebrewError(code, `${what}: ${message}`, { cause: e });
  };
  let value: T | Promise<T>;
  try {
    value = fn();
  } catch (e) {
    return wrap(e);
  }
  return isThenable(value) ? Promise.resolve(value).catch(wrap) : value;
}

/** `f(value)` now, or once `value` resolves. */
function then<T, U>(value: T | Promise<T>, f: (v: T) => U | Promise<U>): U | Promise<U> {
  return isThenable(value) ? value.then(f) : f(value);
}

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** The context of one invocation (a class: one shape, no per-request closures or freezing). */
class Invocation implements InvocationContext {
  readonly modelDir: string;
  readonly config: ServingConfig;
  readonly logger: Logger;
  readonly response: ResponseOptions = {};
  constructor(
    load: LoadContext,
    readonly contentType: MediaType,
    readonly accept: string,
    readonly customAttributes: string | undefined,
    private readonly watch: Deadline,
  ) {
    this.modelDir = load.modelDir;
    this.config = load.config;
    this.logger = load.logger;
  }
  /** Made on first use: most handlers never look at it. */
  get signal(): AbortSignal {
    this.watch.controller ??= new AbortController();
    return this.watch.controller.signal;
  }
}

function quote(s: string): string {
  const t = s.length > 100 ? `${s.slice(0, 97)}...` : s;
  return JSON.stringify(t);
}
