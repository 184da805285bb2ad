/**
 * The node:http adapter: turns sockets into `AppRequest`s. Answers what the headers already
 * decide (route, Content-Length over the limit, media types) before reading the body, enforces
 * the payload limit while streaming. The server underneath (`node/http-guard.ts`) times slow clients
 * out, caps connections and drains without losing a request on stop.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { LIMITS } from "../contract/index.js";
import { createGuardedServer, type HttpLimits } from "../node/http-guard.js";
import type { Logger } from "../node/logger.js";
import { rejectionLog } from "../node/rejection-log.js";
import type { AppRequest, AppResponse, InferenceApp } from "./app.js";
import { errorResponse } from "./app.js";

const EMPTY = new Uint8Array(0);

/** Limits used when `createHttpServer` is given none (the environment's defaults). */
export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  headersTimeoutMs: LIMITS.defaultHeadersTimeoutSeconds * 1000,
  bodyIdleTimeoutMs: LIMITS.defaultBodyIdleTimeoutSeconds * 1000,
  bodyTimeoutMs: LIMITS.defaultBodyTimeoutSeconds * 1000,
  maxConnections: LIMITS.defaultMaxConnections,
});

/** Options of `createHttpServer`. */
export interface HttpServerOptions {
  readonly logger: Logger;
  /** The body limit in bytes (`config.maxPayloadBytes`). */
  readonly maxPayloadBytes: number;
  /** Bodies are drained (to send a clean error) up to this many bytes, then the socket is closed. Default 4 × the limit. */
  readonly drainLimitBytes?: number;
  /** Time limits and the connection cap (`config`'s); default `DEFAULT_HTTP_LIMITS`. */
  readonly limits?: HttpLimits;
  /** Rejections logged in full per minute (`config.rejectionLogLimit`); default 10. */
  readonly rejectionLogLimit?: number;
  /** After stop begins, a connection idle this long is closed. Default 1 s. */
  readonly drainIdleMs?: number;
}

/** An http.Server plus a way to stop it gracefully. */
export interface ServingHttpServer {
  readonly server: Server;
  /** Requests being answered right now. */
  readonly inFlight: number;
  /** Open connections. */
  readonly connections: number;
  /**
   * Stops accepting connections; resolves once every request in flight and every one that still
   * arrives on an open connection is answered, and the connections are closed (or `deadlineMs` passes).
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

/**
 * Creates the HTTP server for an app (not yet listening).
 *
 * @example const { server } = createHttpServer(app, { logger, maxPayloadBytes: config.maxPayloadBytes });
 * server.listen(0);
 */
export function createHttpServer(app: InferenceApp, options: HttpServerOptions): ServingHttpServer {
  const { logger, maxPayloadBytes } = options;
  const drainLimit = options.drainLimitBytes ?? 4 * maxPayloadBytes;
  const rejections = rejectionLog(
    logger,
    options.rejectionLogLimit === undefined ? undefined : { limit: options.rejectionLogLimit },
  );

  const guarded = createGuardedServer(
    (req, res) => {
      try {
        serve(req, res);
      } catch (e) {
        failed(res, e);
      }
    },
    {
      limits: options.limits ?? DEFAULT_HTTP_LIMITS,
      answer: (problem) => {
        const a = errorResponse(problem, app.errorStyle);
        return { status: a.status, headers: a.headers, body: a.body as string };
      },
      rejected: (problem, reason) =>
        rejections.warn(`${problem.status} ${reason}`, "request rejected", {
          status: problem.status,
          reason: problem.message,
        }),
      // SageMaker's health check must see the model's state even while clients hold every connection.
      exempt: (req) => req.url === "/ping" && (req.method === "GET" || req.method === "HEAD"),
      ...(options.drainIdleMs === undefined ? {} : { drainIdleMs: options.drainIdleMs }),
    },
  );
  const { server } = guarded;

  function failed(res: ServerResponse, e: unknown): void {
    logger.error("request failed in the HTTP adapter", { error: e });
    const problem = {
      code: "SB_INTERNAL",
      message: "The server failed while answering the request",
    } as const;
    if (!res.headersSent) send(res, errorResponse(problem, app.errorStyle));
    else res.destroy();
  }

  // Callbacks rather than promises on this path: it runs once per request, and a small request
  // is answered within the tick that read it.
  function serve(req: IncomingMessage, res: ServerResponse): void {
    const head: AppRequest = {
      method: req.method ?? "GET",
      url: req.url ?? "/",
      headers: req.headers as Record<string, string | undefined>,
    };
    const early = app.precheck(head);
    if (early) {
      drain(req, res, early);
      return;
    }
    readBody(req, (body, bodyBytes) => {
      try {
        const full: AppRequest =
          body === undefined
            ? { method: head.method, url: head.url, headers: head.headers, bodyBytes }
            : {
                method: head.method,
                url: head.url,
                headers: head.headers,
                body,
                // The open connections too: while the event loop is busy, a request another
                // connection has sent is not yet in flight, so in-flight counts alone read 1 under load.
                concurrent: Math.max(guarded.inFlight, guarded.connections),
              };
        const answer = app.handle(full);
        // A body cut off at the limit is refused by the app; the rest of it is drained or cut.
        const reply =
          body === undefined ? (a: AppResponse) => drain(req, res, a) : (a: AppResponse) => send(res, a);
        if (answer instanceof Promise) {
          answer.then(reply).catch((e: unknown) => failed(res, e));
        } else reply(answer);
      } catch (e) {
        failed(res, e);
      }
    });
  }

  /**
   * Reads the body and calls `done` once: with the bytes, or with none and the count received
   * when the body grows over the payload limit (reading stops there; the app answers 413).
   */
  function readBody(
    req: IncomingMessage,
    done: (body: Uint8Array | undefined, bodyBytes: number) => void,
  ): void {
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxPayloadBytes) {
        cleanup();
        done(undefined, size);
        return;
      }
      if (first === undefined) first = chunk;
      else if (chunks === undefined) chunks = [first, chunk];
      else chunks.push(chunk);
    };
    // A request that ends is finished with, so its listeners are left in place; one that is
    // aborted never ends (node emits no 'error' on a request without an error listener).
    const onEnd = () => done(chunks ? Buffer.concat(chunks, size) : (first ?? EMPTY), size);
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
    };
    req.on("data", onData);
    req.on("end", onEnd);
  }

  /**
   * Sends an answer to a request whose body we will not use. Small bodies are read and thrown
   * away first so the client sees the answer rather than a reset; beyond `drainLimit` the
   * answer goes out at once and the connection is closed.
   */
  function drain(req: IncomingMessage, res: ServerResponse, answer: AppResponse): void {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (req.complete || (declared === 0 && req.headers["transfer-encoding"] === undefined)) {
      send(res, answer);
      return;
    }
    if (declared > drainLimit) {
      send(res, answer, true);
      return;
    }
    let seen = 0;
    const done = (close: boolean) => {
      req.off("data", onData);
      if (!res.headersSent) send(res, answer, close);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > drainLimit) done(true);
    };
    req.on("data", onData);
    req.once("end", () => done(false));
    req.once("error", () => done(true));
  }

  function send(res: ServerResponse, answer: AppResponse, close = false): void {
    // Already answered: the body stopped arriving and the server said 408.
    if (res.headersSent) return;
    // A string body goes out in the same write as the headers (node joins them); a Uint8Array
    // body would take a second buffer in a writev, measurably dearer for small answers.
    const body = answer.body;
    const length = typeof body === "string" ? Buffer.byteLength(body) : body.length;
    const headers: Record<string, string | number> = { ...answer.headers, "content-length": length };
    if (close) headers.connection = "close";
    res.writeHead(answer.status, headers);
    res.end(body);
  }

  return {
    server,
    get inFlight() {
      return guarded.inFlight;
    },
    get connections() {
      return guarded.connections;
    },
    close(opts = {}) {
      return guarded.close({
        ...(opts.deadlineMs === undefined ? {} : { deadlineMs: opts.deadlineMs }),
        onDeadline: (inFlight) => logger.warn("stop deadline reached with requests in flight", { inFlight }),
      });
    },
  };
}
