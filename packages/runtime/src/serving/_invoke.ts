/**
 * The `/invocations` route of one model: readiness (503, or 500 when the model failed to load),
 * negotiation (415, 406), then decode (400) → predict (500, or the error's own status) → encode,
 * within `SAGEMAKER_MODEL_SERVER_TIMEOUT` (504).
 */
import type { MediaType } from "../codecs/media-type.js";
import type { ServingConfig } from "../config/serving.js";
import { ENV, HEADERS } from "../contract/index.js";
import { type ErrorCode, SagebrewError } from "../errors/index.js";
import type { Logger } from "../node/logger.js";
import type { AppRequest, AppResponse } from "./_app-types.js";
import { type Deadline, Deadlines } from "./_deadlines.js";
import { isThenable } from "./_dispatch.js";
import type { ModelLifecycle } from "./_model-lifecycle.js";
import { createNegotiator, type Negotiated } from "./_negotiate.js";
import type { Problem } from "./_responses.js";
import type { Route } from "./_router.js";
import { decodeDataset, encodeOutput } from "./defaults.js";
import type { CheckedHandler, InvocationContext, LoadContext, Payload, ResponseOptions } from "./handler.js";

const EMPTY = new Uint8Array(0);
const MAX_CUSTOM_ATTRIBUTES = 1024;

/**
 * Creates the invocation route of the model `lifecycle` holds. Hooks that answer synchronously
 * are chained without a promise or a timer (a promise chain, a deadline entry and a frozen context
 * per request were most of a 1-row invocation's cost); the first hook that returns a promise
 * switches to the watched async path.
 */
export function createInvocationRoute(lifecycle: ModelLifecycle, config: ServingConfig): Route {
  const { handler, loadCtx } = lifecycle;
  const { logger } = loadCtx;
  const negotiated = createNegotiator(handler, config);
  const timedOut = () =>
    new SagebrewError(
      "SB_TIMEOUT",
      `The invocation took longer than ${config.timeoutMs / 1000} s (${ENV.timeout}) and was abandoned`,
    );
  const deadlines = new Deadlines(config.timeoutMs, timedOut);
  const debug = logger.enabled("debug");

  /** Readiness (the warm-up's own requests come before it), then negotiation: what the headers decide. */
  function check(req: AppRequest): Negotiated | Problem {
    return lifecycle.state === "ready" || lifecycle.isWarmup(req) ? negotiated(req) : notReady(lifecycle);
  }

  return {
    subject: "invocation",
    precheck(req) {
      const n = check(req);
      return n.code === undefined ? undefined : n;
    },
    handle(req) {
      const n = check(req);
      if (n.code !== undefined) throw new SagebrewError(n.code, n.message);
      const t0 = debug ? performance.now() : -1;
      const watch = deadlines.start();
      const ctx = new Invocation(
        loadCtx,
        n,
        req.headers[HEADERS.customAttributes],
        watch,
        req.headers["content-type"],
        req.headers.accept,
        req.concurrent,
      );
      const out = run(handler, lifecycle.model, req.body ?? EMPTY, ctx);
      if (!isThenable(out)) {
        // A synchronous hook cannot be interrupted; one that ran over the limit still fails.
        if (deadlines.passed(watch)) throw timedOut();
        return answered(respond(handler, out, ctx), logger, t0);
      }
      return deadlines.race(watch, out).then((p) => answered(respond(handler, p, ctx), logger, t0));
    },
  };
}

function notReady(lifecycle: ModelLifecycle): Problem {
  switch (lifecycle.state) {
    case "failed":
      return {
        code: "SB_MODEL_LOAD",
        message: `Cannot invoke the model: it could not be loaded: ${lifecycle.loadError?.message}`,
      };
    case "loading":
      return { code: "SB_NOT_READY", message: "Cannot invoke the model: it is still loading" };
    default:
      return { code: "SB_SHUTTING_DOWN", message: "Cannot invoke the model: the server is stopping" };
  }
}

/** Decode → predict → encode (or the one `transform`), synchronously while the hooks are. */
function run(
  handler: CheckedHandler,
  model: unknown,
  body: Uint8Array,
  ctx: InvocationContext,
): Payload | Promise<Payload> {
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

/** The handler's payload as a 200 response, checked. */
function respond(handler: CheckedHandler, payload: Payload, ctx: InvocationContext): AppResponse {
  const p = typeof payload === "string" || payload instanceof Uint8Array ? { body: payload } : payload;
  if (p === null || typeof p !== "object" || !(typeof p.body === "string" || p.body instanceof Uint8Array)) {
    throw new SagebrewError(
      "SB_HANDLER_INVALID",
      `The handler ${handler.name} returned a response that is not a string, bytes or { body }`,
    );
  }
  const headers: Record<string, string> = { "content-type": p.contentType ?? ctx.accept };
  const attrs = p.customAttributes ?? ctx.response.customAttributes;
  if (attrs !== undefined) {
    if (attrs.length > MAX_CUSTOM_ATTRIBUTES || !/^[\x20-\x7e]*$/.test(attrs)) {
      throw new SagebrewError(
        "SB_HANDLER_INVALID",
        `The handler ${handler.name} set custom attributes that are not up to ${MAX_CUSTOM_ATTRIBUTES} visible ASCII characters`,
      );
    }
    headers[HEADERS.customAttributes] = attrs;
  }
  return { status: p.status ?? 200, headers, body: p.body };
}

/** Logs a successful invocation at debug (only then is its start time taken). */
function answered(res: AppResponse, logger: Logger, t0: number): AppResponse {
  if (t0 >= 0) logger.debug("invocation", { status: res.status, ms: +(performance.now() - t0).toFixed(2) });
  return res;
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

/** The context of one invocation (a class: one shape, no per-request closures or freezing). */
class Invocation implements InvocationContext {
  readonly modelDir: string;
  readonly config: ServingConfig;
  readonly logger: Logger;
  readonly contentType: MediaType;
  readonly accept: string;
  readonly response: ResponseOptions = {};
  readonly headers: { readonly contentType: string | undefined; readonly accept: string | undefined };
  constructor(
    load: LoadContext,
    negotiated: Negotiated,
    readonly customAttributes: string | undefined,
    private readonly watch: Deadline,
    contentType: string | undefined,
    accept: string | undefined,
    readonly concurrent: number | undefined,
  ) {
    this.headers = { contentType, accept };
    this.modelDir = load.modelDir;
    this.config = load.config;
    this.logger = load.logger;
    this.contentType = negotiated.contentType;
    this.accept = negotiated.accept;
  }
  /** Made on first use: most handlers never look at it. */
  get signal(): AbortSignal {
    this.watch.controller ??= new AbortController();
    return this.watch.controller.signal;
  }
}
