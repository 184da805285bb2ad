/**
 * The one HTTP listener of `sagebrew local`: JSON 1.1 calls (`POST /` with `X-Amz-Target`) go to
 * the SageMaker control plane or CloudWatch Logs, `/endpoints/<name>/…` to the runtime API.
 * Before any of that, every request passes one check of its `Host` and `Origin` (`_host-guard.ts`:
 * loopback names only, unless allowed), refused with 403 in its protocol's error format.
 * Signatures are not checked, so real clients with any credentials work. Every failure becomes an
 * AWS-shaped error answer; nothing a client sends can stop the server.
 */
import { randomUUID } from "node:crypto";
import {
  type IncomingMessage,
  type OutgoingHttpHeader,
  type OutgoingHttpHeaders,
  ServerResponse,
} from "node:http";
import {
  createGuardedServer,
  type GuardedServer,
  type GuardProblem,
  type HttpLimitsConfig,
  type Logger,
  rejectionLog,
} from "@sagebrew/runtime/core";
import { regionOf } from "../arn.js";
import { createHostGuard, type Refusal } from "./_host-guard.js";
import { ApiError, jsonErrorBody, restJsonErrorBody, unknownOperation } from "./errors.js";

/**
 * JSON 1.1 request bodies larger than this get 413. SageMaker documents no size for its control
 * plane's requests; its shapes keep them far smaller (100 hyperparameters of at most 256 + 2,500
 * characters, 50 tags, …), so this only stops a body no client would send.
 */
export const MAX_JSON_BODY = 8 * 1024 * 1024;
/**
 * A body over the limit is read (and dropped) up to this size, so that the client, still sending,
 * reads the 413 rather than a reset; past it the connection is cut.
 */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** Answers `/endpoints/<name>/…` (the runtime API); returns false when it does not own the path. */
export type RuntimeRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * One JSON 1.1 service (`X-Amz-Target: <service>.<Operation>`): runs an operation on a parsed body
 * for the region the request was signed for; throws an `ApiError` to answer one.
 */
export type JsonService = (operation: string, body: unknown, region: string) => unknown;

export interface FrontOptions {
  /** The JSON 1.1 services served, by their `X-Amz-Target` prefix (`SageMaker`, `Logs_20140328`). */
  readonly services: Readonly<Record<string, JsonService>>;
  readonly runtime: RuntimeRoute;
  /**
   * The other AWS services on this port (S3, STS, and the answer for services not served), tried
   * after the runtime: answers and returns true, or returns false for SageMaker's own requests.
   */
  readonly aws?: RuntimeRoute;
  /**
   * Answers the host guard's 403 for a request of those other services in its own protocol (S3's
   * `<Error>`, STS's `<ErrorResponse>`, …); returns false for SageMaker's own, answered here.
   */
  readonly refuseOther?: (req: IncomingMessage, res: ServerResponse, message: string) => boolean;
  /** The value of `x-sagebrew-local` on every answer, so that a client can tell it is talking to sagebrew local. */
  readonly identity?: string;
  readonly warn: (message: string) => void;
  /** Time limits, the connection cap and rejection logging (`readHttpLimits(env)`). */
  readonly limits: HttpLimitsConfig;
  /** Host names served besides loopback ones (`--allow-host`, as `allowedHostName` returns them). */
  readonly allowHosts?: readonly string[];
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  requestId: string,
  errorType?: string,
): void {
  const headers: Record<string, string | number> = {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(body),
    "x-amzn-requestid": requestId,
  };
  if (errorType) headers["x-amzn-errortype"] = errorType;
  res.writeHead(status, headers);
  res.end(body);
}

function sendError(res: ServerResponse, error: ApiError, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, error.status, jsonErrorBody(error), requestId, error.type);
}

/** The JSON 1.1 answer to a body over `MAX_JSON_BODY`: 413, and the connection closes. */
function tooLarge(size: number): ApiError {
  return new ApiError(
    "RequestEntityTooLargeException",
    `The request body is larger than ${MAX_JSON_BODY} bytes (${size} bytes or more were sent), the most sagebrew local reads for a JSON 1.1 request.`,
    { status: 413 },
  );
}

/** Reads a JSON body; an empty one is `{}`. A body over the limit is drained and refused with 413. */
function readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const declared = Number(req.headers["content-length"]);
    if (declared > MAX_DRAIN_BYTES) {
      // Far over the limit before a byte is read: answer and cut the connection.
      res.setHeader("connection", "close");
      reject(tooLarge(declared));
      req.resume();
      res.once("finish", () => req.destroy());
      return;
    }
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_JSON_BODY) chunks.push(c);
      else if (size > MAX_DRAIN_BYTES) {
        res.setHeader("connection", "close");
        reject(tooLarge(size));
        res.once("finish", () => req.destroy());
      }
    });
    req.on("error", reject);
    req.on("end", () => {
      if (size > MAX_JSON_BODY) {
        res.setHeader("connection", "close");
        reject(tooLarge(size));
        return;
      }
      const text = Buffer.concat(chunks).toString("utf8");
      if (!text.trim()) return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new ApiError("SerializationException", "The request body is not valid JSON."));
      }
    });
  });
}

async function handleJson(
  req: IncomingMessage,
  res: ServerResponse,
  o: FrontOptions,
  requestId: string,
): Promise<void> {
  const target = String(req.headers["x-amz-target"] ?? "");
  const dot = target.indexOf(".");
  const service = dot === -1 ? target : target.slice(0, dot);
  const operation = dot === -1 ? "" : target.slice(dot + 1);
  const region = regionOf(req.headers.authorization);
  const body = await readJson(req, res);
  const run = Object.hasOwn(o.services, service) ? o.services[service] : undefined;
  if (!run)
    throw unknownOperation(
      target,
      Object.keys(o.services).map((s) => `${s}.<Operation>`),
    );
  const result = await run(operation, body, region);
  sendJson(res, 200, JSON.stringify(result ?? {}), requestId);
}

function onRequest(req: IncomingMessage, res: ServerResponse, o: FrontOptions): void {
  // The runtime path is the hot one: it decides by URL before anything else is allocated.
  if (req.url?.startsWith("/endpoints/") && o.runtime(req, res)) return;
  if (o.aws?.(req, res)) return;
  const requestId = randomUUID();
  if (req.method === "POST" && req.headers["x-amz-target"] !== undefined) {
    handleJson(req, res, o, requestId).catch((e: unknown) => {
      if (e instanceof ApiError) sendError(res, e, requestId);
      else {
        o.warn(`request ${requestId} failed: ${(e as Error)?.stack ?? String(e)}`);
        sendError(
          res,
          new ApiError("InternalFailure", "sagebrew local failed while answering the request", {
            status: 500,
          }),
          requestId,
        );
      }
    });
    return;
  }
  req.resume();
  sendError(
    res,
    new ApiError(
      "UnknownOperationException",
      `sagebrew local has nothing at ${req.method} ${req.url}: send SageMaker (X-Amz-Target: SageMaker.<Operation>), CloudWatch Logs (Logs_20140328.<Operation>) or runtime (/endpoints/<name>/invocations) requests`,
      { status: 404 },
    ),
    requestId,
  );
}

/**
 * Answers 403 for a request the host guard refused, in the protocol the request speaks: rest-json
 * for the runtime's paths, JSON 1.1 for everything else. The body is not read; the connection closes.
 */
function sendRefusal(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  req.resume();
  const error = new ApiError("AccessDeniedException", refusal.message, { status: 403 });
  const runtime = req.url?.startsWith("/endpoints/") === true;
  const body = runtime ? restJsonErrorBody(error) : jsonErrorBody(error);
  res.writeHead(403, {
    "content-type": runtime ? "application/json" : "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(body),
    "x-amzn-requestid": randomUUID(),
    "x-amzn-errortype": error.type,
    connection: "close",
  });
  res.end(body);
}

/** The AWS error type of each refusal the guarded server makes by itself. */
const GUARD_ERROR_TYPES: Record<GuardProblem["code"], string> = {
  SB_REQUEST_TIMEOUT: "RequestTimeoutException",
  SB_TOO_MANY_CONNECTIONS: "ServiceUnavailable",
  SB_BAD_REQUEST: "SerializationException",
};

/**
 * Creates the listener (not yet listening) on the same guarded server as `serve`: slow clients
 * get 408, connections over the cap 503, requests for another host or from another origin 403,
 * and rejections are logged at a bounded rate.
 */
export function createFront(options: FrontOptions): GuardedServer {
  const warner = rejectionLog(warnLogger(options.warn), { limit: options.limits.rejectionLogLimit });
  const hosts = createHostGuard(options.allowHosts);
  return createGuardedServer(
    (req, res) => {
      try {
        // One check for every protocol, before anything is routed.
        const refusal = hosts.check(req.headers.host, req.headers.origin);
        if (refusal) {
          warner.warn(`403 ${refusal.reason}`, "request rejected", { status: 403, reason: refusal.message });
          if (!options.refuseOther?.(req, res, refusal.message)) sendRefusal(req, res, refusal);
          return;
        }
        onRequest(req, res, options);
      } catch (e) {
        options.warn(`request failed: ${(e as Error)?.stack ?? String(e)}`);
        if (!res.headersSent)
          sendError(res, new ApiError("InternalFailure", "sagebrew local failed", { status: 500 }), "-");
        else res.destroy();
      }
    },
    {
      limits: options.limits,
      answer: (problem) => ({
        status: problem.status,
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amzn-errortype": GUARD_ERROR_TYPES[problem.code],
        },
        body: jsonErrorBody(
          new ApiError(GUARD_ERROR_TYPES[problem.code], problem.message, { status: problem.status }),
        ),
      }),
      rejected: (problem, reason) =>
        warner.warn(`${problem.status} ${reason}`, "request rejected", {
          status: problem.status,
          reason: problem.message,
        }),
      // A stop is a developer's Ctrl-C: idle connections need not be waited for long.
      drainIdleMs: 100,
      ...(options.identity !== undefined ? { ServerResponse: identifiedResponse(options.identity) } : {}),
    },
  );
}

/**
 * Responses that carry `x-sagebrew-local: <identity>` on every answer, whoever writes it. The
 * header joins the list an answer's `writeHead` is given: set with `setHeader` beforehand it
 * would send node's `writeHead` down its slow path (each header of the list removed, checked,
 * lower-cased and stored again), a measured cost on every InvokeEndpoint (bench/RESULTS.md).
 */
function identifiedResponse(identity: string): typeof ServerResponse {
  return class IdentifiedResponse extends ServerResponse {
    override writeHead(status: number, a?: string | Headers, b?: Headers): this {
      const reason = typeof a === "string" ? a : undefined;
      const headers = typeof a === "string" ? b : a;
      if (Array.isArray(headers)) {
        // A flat list of names and values, or (as node also takes) a list of pairs. Copied by
        // `slice` (a caller may hand the same list to every answer), not `concat` (a slow builtin).
        const all = headers.slice();
        if (Array.isArray(headers[0])) all.push([IDENTITY_HEADER, identity]);
        else all.push(IDENTITY_HEADER, identity);
        return reason === undefined ? super.writeHead(status, all) : super.writeHead(status, reason, all);
      }
      if (!this.headersSent) this.setHeader(IDENTITY_HEADER, identity);
      return reason === undefined
        ? super.writeHead(status, headers)
        : super.writeHead(status, reason, headers);
    }
  } as typeof ServerResponse;
}

type Headers = OutgoingHttpHeaders | OutgoingHttpHeader[];
const IDENTITY_HEADER = "x-sagebrew-local";

/** `warn` as a Logger, for the rejection log: `request rejected: {"status":408,…}`. */
function warnLogger(warn: (message: string) => void): Logger {
  const line = (msg: string, fields?: Record<string, unknown>) =>
    warn(fields ? `${msg}: ${JSON.stringify(fields)}` : msg);
  return {
    level: "warn",
    debug: () => {},
    info: () => {},
    warn: line,
    error: line,
    enabled: (l) => l !== "debug" && l !== "info",
  };
}
