/**
 * The request pipeline every serving app runs: route (404, 405), then size (413), then the
 * route's own header checks, and — once the body is in — the route's answer. Every refusal and
 * failure becomes a response here, through `errorResponse`, and is logged here, once: those of
 * routes with a `subject` (invocations, model loads), and any error that is not a SagebrewError.
 */

import { ENV } from "../contract/index.js";
import { isSagebrewError, toSagebrewError } from "../errors/index.js";
import type { Logger } from "../node/logger.js";
import { rejectionLog } from "../node/rejection-log.js";
import type { AppRequest, AppResponse, ErrorStyle, InferenceApp } from "./_app-types.js";
import { errorResponse, type Problem } from "./_responses.js";
import type { Route, Router } from "./_router.js";

/** Options of `createDispatcher`. */
export interface DispatcherOptions {
  readonly router: Router;
  readonly style: ErrorStyle;
  /** The payload limit (`config.maxPayloadBytes`). */
  readonly maxPayloadBytes: number;
  /** The variable that set it, named in a 413 (`config.maxPayloadVariable`). */
  readonly maxPayloadVariable: string;
  readonly logger: Logger;
  /** Refusals logged in full per minute (`config.rejectionLogLimit`); the rest are counted. */
  readonly rejectionLogLimit?: number;
}

/** The two entry points of an app: before the body (`precheck`) and with it (`handle`). */
export interface Dispatcher {
  precheck(req: AppRequest): AppResponse | undefined;
  handle(req: AppRequest): AppResponse | Promise<AppResponse>;
}

/**
 * The payload rule, the one place that decides a 413: a body of `size` bytes (declared by
 * Content-Length, counted while streaming, or in hand) over `limit` is refused.
 */
export function payloadTooLarge(
  size: number,
  limit: number,
  variable: string = ENV.maxPayloadMb,
): Problem | undefined {
  if (!(size > limit)) return undefined;
  return {
    code: "SB_PAYLOAD_TOO_LARGE",
    message: `The request body of ${size} bytes is over the limit of ${limit} bytes (${variable})`,
  };
}

/**
 * Creates the pipeline for one app's routes.
 *
 * @example const { precheck, handle } = createDispatcher({ router, style: "text", maxPayloadBytes, logger });
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { router, style, maxPayloadBytes, maxPayloadVariable, logger } = options;
  const rejections = rejectionLog(
    logger,
    options.rejectionLogLimit === undefined ? undefined : { limit: options.rejectionLogLimit },
  );

  /** Answers `problem`, logging it once when its route logs refusals: 4xx as rejected, 5xx as failed. */
  function refuse(route: Route | undefined, problem: Problem, cause?: unknown): AppResponse {
    const res = errorResponse(problem, style);
    if (route?.subject !== undefined) log(route.subject, res.status, problem, cause);
    return res;
  }

  function log(subject: string, status: number, problem: Problem, cause: unknown): void {
    const fields: Record<string, unknown> = { status, reason: problem.message };
    if (status >= 500) {
      if (cause !== undefined) fields.error = cause;
      logger.error(`${subject} failed`, fields);
      // A client can send any number of bad requests: their warnings are rate-limited.
    } else rejections.warn(`${status} ${problem.code}`, `${subject} rejected`, fields);
  }

  function failed(route: Route, e: unknown): AppResponse {
    if (isSagebrewError(e)) return refuse(route, e, e);
    // Not one of ours: a fault, logged whatever the route.
    const err = toSagebrewError(e);
    log(route.subject ?? "request", err.status, err, e);
    return errorResponse(err, style);
  }

  return {
    precheck(req) {
      const m = router(req.method, req.url);
      if (m.problem) return errorResponse(m.problem, style, m.headers);
      const declared = req.headers["content-length"];
      const over =
        declared === undefined
          ? undefined
          : payloadTooLarge(Number(declared), maxPayloadBytes, maxPayloadVariable);
      const problem = over ?? m.route.precheck?.(req, m.params);
      return problem && refuse(m.route, problem);
    },
    handle(req) {
      const m = router(req.method, req.url);
      if (m.problem) return errorResponse(m.problem, style, m.headers);
      const over = payloadTooLarge(
        req.bodyBytes ?? req.body?.length ?? 0,
        maxPayloadBytes,
        maxPayloadVariable,
      );
      if (over) return refuse(m.route, over);
      const { route } = m;
      try {
        const res = route.handle(req, m.params);
        return isThenable(res) ? res.then(undefined, (e: unknown) => failed(route, e)) : res;
      } catch (e) {
        return failed(route, e);
      }
    },
  };
}

/** Builds an `AppRequest` from `app.request()`'s arguments: lower-cased headers, UTF-8 bodies. */
export function toAppRequest(url: string, init: Parameters<InferenceApp["request"]>[1] = {}): AppRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
  const body = typeof init.body === "string" ? new TextEncoder().encode(init.body) : init.body;
  return { method: init.method ?? "GET", url, headers, ...(body ? { body } : {}) };
}

/** True for a promise (or any thenable). */
export function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
