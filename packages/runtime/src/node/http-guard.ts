/**
 * The node:http server both of sagebrew's listeners run on (`serve`, and `sagebrew local`'s front),
 * with what a server facing any client needs and node:http leaves out:
 *
 * - Time limits on a request's arrival: its line and headers (`headersTimeoutMs`, node's own check,
 *   answered 408 here instead of node's 400), and its body — `bodyIdleTimeoutMs` without a byte,
 *   or `bodyTimeoutMs` in all. Only the arrival is timed: once a body is in, the app takes as
 *   long as it takes (`serve` has its own invocation deadline).
 * - A cap on open connections: a request on a connection over the cap is answered 503 with
 *   `Connection: close` — except `exempt` ones (`/ping`), so a health check still sees the truth
 *   while clients hold every connection. Beyond twice the cap a connection gets the 503 at once.
 * - A drain that loses no request: `close()` stops listening, answers every request that still
 *   arrives with `Connection: close`, and closes a connection only once it has been idle — no
 *   request in progress and no byte received — for `drainIdleMs` (node's own close resets idle
 *   keep-alive connections at once, cutting off requests already on their way).
 *
 * Arrival times are checked by one sweeping timer, by the socket's byte count, not by a timer or
 * a listener per request, so the hot path only adds a request to a set.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { Server as NetServer, type Socket } from "node:net";
import { ENV } from "../contract/index.js";

// node:http through require, not an ES import: importing it builds its ES module face, which reads
// every export, and one of them loads Node's bundled fetch (undici) — CPU at every start of `serve`
// and of the CLI (bench/RESULTS.md, "Batch transform").
const { createServer, STATUS_CODES } = createRequire(import.meta.url)(
  "node:http",
) as typeof import("node:http");

/** The limits of a guarded server (`readHttpLimits` reads them from the environment). */
export interface HttpLimits {
  /** The request line and headers must arrive within this (node's `headersTimeout`). */
  readonly headersTimeoutMs: number;
  /** The longest a request body may go without a byte arriving. */
  readonly bodyIdleTimeoutMs: number;
  /** A whole body must arrive within this; 0 = no limit. */
  readonly bodyTimeoutMs: number;
  /** Open connections served; requests on connections over it get 503. */
  readonly maxConnections: number;
}

/** A refusal the server answers by itself. */
export interface GuardProblem {
  readonly code: "SB_REQUEST_TIMEOUT" | "SB_TOO_MANY_CONNECTIONS" | "SB_BAD_REQUEST";
  readonly status: number;
  readonly message: string;
}

/** An answer: status, headers and a text body (the server adds Content-Length and Connection). */
export interface GuardAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Options of `createGuardedServer`. */
export interface GuardOptions {
  readonly limits: HttpLimits;
  /** Words a refusal as the app words its errors. */
  answer(problem: GuardProblem): GuardAnswer;
  /** Called once per refusal, to log it (`reason` is a short key such as `body idle timeout`). */
  rejected(problem: GuardProblem, reason: string): void;
  /** Requests answered normally even on a connection over the cap (health checks). */
  exempt?(req: IncomingMessage): boolean;
  /** After `close()` begins, a connection idle this long is closed. Default 1000 ms. */
  readonly drainIdleMs?: number;
  /** Idle keep-alive connections are closed after this. Default 65 s. */
  readonly keepAliveTimeoutMs?: number;
  /** The class of the responses (node's `ServerResponse` option): an app's subclass adding a header to every answer. */
  readonly ServerResponse?: typeof ServerResponse;
}

/** A guarded server. */
export interface GuardedServer {
  readonly server: Server;
  /** Requests received and not yet answered. */
  readonly inFlight: number;
  /** Open connections. */
  readonly connections: number;
  /**
   * Stops listening; resolves once every connection is closed (each after its last answer, or
   * idle for `drainIdleMs`), or at `deadlineMs` (default 25 s), when the rest are cut.
   */
  close(options?: { deadlineMs?: number; onDeadline?: (inFlight: number) => void }): Promise<void>;
}

/** How long a connection over the cap may stay without sending a request. */
const OVER_CAP_WAIT_MS = 5000;
const DEFAULT_DRAIN_IDLE_MS = 1000;
const CONN = Symbol("sagebrew.connection");

interface Connection {
  /** Requests received and not yet answered. */
  active: number;
  /** When `active` last fell to 0 (or the connection opened), and the bytes read by then. */
  idleSince: number;
  idleBytes: number;
  overCap: boolean;
  /** Answered 503 at once (beyond twice the cap): nothing more is served on it. */
  refused: boolean;
}

type TrackedSocket = Socket & { [CONN]?: Connection };

/** A body being received. */
interface Arrival {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly socket: Socket;
  readonly start: number;
  lastAt: number;
  lastBytes: number;
}

/**
 * Creates a guarded HTTP server around `handler` (not yet listening).
 *
 * @example const { server, close } = createGuardedServer(onRequest, { limits, answer, rejected });
 */
export function createGuardedServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: GuardOptions,
): GuardedServer {
  const { limits, answer, rejected } = options;
  const drainIdleMs = options.drainIdleMs ?? DEFAULT_DRAIN_IDLE_MS;
  const now = () => performance.now();
  const open = new Set<TrackedSocket>();
  const arrivals = new Set<Arrival>();
  let inFlight = 0;
  let closing = false;
  let closingAt = 0;
  let sweeper: NodeJS.Timeout | undefined;
  let onDrained: (() => void) | undefined;

  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      // Bodies are timed here (by progress, not only in total); node's total check stays off.
      requestTimeout: 0,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 65_000,
      // Node checks the header deadline every 30 s by default, which would let a 60 s limit run
      // to 90 s.
      connectionsCheckingInterval: clampTick(limits.headersTimeoutMs),
      ...(options.ServerResponse ? { ServerResponse: options.ServerResponse } : {}),
    },
    (req, res) => {
      const socket = req.socket as TrackedSocket;
      const conn = socket[CONN] ?? track(socket);
      inFlight++;
      conn.active++;
      let arrival: Arrival | undefined;
      res.once("close", () => {
        inFlight--;
        conn.active--;
        if (arrival !== undefined) arrivals.delete(arrival);
        if (conn.active === 0) {
          conn.idleSince = now();
          conn.idleBytes = socket.bytesRead;
        }
      });
      if (conn.refused) {
        req.resume();
        return;
      }
      if (closing || conn.overCap) res.setHeader("connection", "close");
      if (conn.overCap && !options.exempt?.(req)) {
        refuse(
          res,
          {
            code: "SB_TOO_MANY_CONNECTIONS",
            status: 503,
            message: `The server already holds ${limits.maxConnections} connections, its limit (${ENV.maxConnections}): retry later`,
          },
          "connection cap",
        );
        req.resume();
        return;
      }
      if (!req.complete && hasBody(req)) {
        const t = now();
        arrival = { req, res, socket, start: t, lastAt: t, lastBytes: socket.bytesRead };
        arrivals.add(arrival);
        arm();
      }
      handler(req, res);
    },
  );

  server.on("connection", (socket: TrackedSocket) => {
    const conn = track(socket);
    if (open.size > 2 * limits.maxConnections) {
      conn.refused = true;
      const problem: GuardProblem = {
        code: "SB_TOO_MANY_CONNECTIONS",
        status: 503,
        message: `The server already holds ${limits.maxConnections} connections, its limit (${ENV.maxConnections}), and more waiting: retry later`,
      };
      rejected(problem, "connection cap");
      socket.end(raw(answer(problem)));
      setTimeout(() => socket.destroy(), OVER_CAP_WAIT_MS).unref();
    } else if (conn.overCap) {
      // Long enough for a health check to send its request, short enough that connections over
      // the cap cannot pile up.
      socket.setTimeout(Math.min(OVER_CAP_WAIT_MS, limits.headersTimeoutMs));
    }
  });

  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    // A response whose bytes have started cannot be followed by another one (node's own rule).
    const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (!socket.writable || err.code === "ECONNRESET" || current?.headersSent) {
      socket.destroy();
      return;
    }
    const problem: GuardProblem =
      err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? {
            code: "SB_REQUEST_TIMEOUT",
            status: 408,
            message: `The request's headers did not arrive within ${seconds(limits.headersTimeoutMs)} (${ENV.headersTimeout})`,
          }
        : err.code === "HPE_HEADER_OVERFLOW"
          ? { code: "SB_BAD_REQUEST", status: 431, message: "The request headers are too large" }
          : {
              code: "SB_BAD_REQUEST",
              status: 400,
              message: `The request is not valid HTTP: ${err.code ?? err.message}`,
            };
    rejected(problem, problem.status === 408 ? "headers timeout" : "malformed HTTP");
    socket.end(raw(answer(problem)));
  });

  function track(socket: TrackedSocket): Connection {
    open.add(socket);
    const conn: Connection = {
      active: 0,
      idleSince: now(),
      idleBytes: 0,
      overCap: open.size > limits.maxConnections,
      refused: false,
    };
    socket[CONN] = conn;
    socket.once("close", () => {
      open.delete(socket);
      if (open.size === 0) onDrained?.();
    });
    return conn;
  }

  function refuse(res: ServerResponse, problem: GuardProblem, reason: string): void {
    rejected(problem, reason);
    const a = answer(problem);
    res.writeHead(a.status, {
      ...a.headers,
      "content-length": Buffer.byteLength(a.body),
      connection: "close",
    });
    res.end(a.body);
  }

  function arm(): void {
    if (sweeper) return;
    const bodyTotal = limits.bodyTimeoutMs > 0 ? limits.bodyTimeoutMs : Number.POSITIVE_INFINITY;
    const shortest = Math.min(limits.bodyIdleTimeoutMs, bodyTotal, closing ? drainIdleMs : Infinity);
    sweeper = setInterval(sweep, clampTick(shortest));
    sweeper.unref();
  }

  function sweep(): void {
    const t = now();
    for (const a of arrivals) {
      if (a.req.complete) {
        arrivals.delete(a);
        continue;
      }
      // Bytes the app has not read yet are ours to wait for, not the client's.
      const bytes = a.socket.bytesRead;
      if (bytes !== a.lastBytes || a.req.readableLength > 0) {
        a.lastBytes = bytes;
        a.lastAt = t;
      }
      const idle = t - a.lastAt >= limits.bodyIdleTimeoutMs;
      if (!idle && !(limits.bodyTimeoutMs > 0 && t - a.start >= limits.bodyTimeoutMs)) continue;
      arrivals.delete(a);
      if (a.res.headersSent) {
        a.socket.destroy();
        continue;
      }
      refuse(
        a.res,
        {
          code: "SB_REQUEST_TIMEOUT",
          status: 408,
          message: idle
            ? `The request body stopped arriving: no byte for ${seconds(limits.bodyIdleTimeoutMs)} (${ENV.bodyIdleTimeout})`
            : `The request body did not arrive within ${seconds(limits.bodyTimeoutMs)} (${ENV.bodyTimeout})`,
        },
        idle ? "body idle timeout" : "body timeout",
      );
    }
    if (closing) {
      for (const socket of open) {
        const conn = socket[CONN]!;
        if (
          conn.active === 0 &&
          socket.bytesRead === conn.idleBytes &&
          t - Math.max(conn.idleSince, closingAt) >= drainIdleMs
        ) {
          socket.destroySoon();
        }
      }
    }
    if (arrivals.size === 0 && !closing) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  }

  let closed: Promise<void> | undefined;
  return {
    server,
    get inFlight() {
      return inFlight;
    },
    get connections() {
      return open.size;
    },
    close(opts = {}) {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        closingAt = now();
        // Not server.close(): node's closes idle keep-alive connections at once (a request may
        // already be on its way on one); stop listening only, and let the sweep close them.
        NetServer.prototype.close.call(server);
        let deadline: NodeJS.Timeout | undefined;
        const finish = () => {
          onDrained = undefined;
          clearTimeout(deadline);
          clearInterval(sweeper);
          sweeper = undefined;
          server.closeAllConnections();
          server.close();
          resolve();
        };
        if (open.size === 0) {
          finish();
          return;
        }
        onDrained = finish;
        clearInterval(sweeper);
        sweeper = undefined;
        arm();
        deadline = setTimeout(() => {
          opts.onDeadline?.(inFlight);
          finish();
        }, opts.deadlineMs ?? 25_000);
        deadline.unref();
      });
      return closed;
    },
  };
}

/** True when a request has a body to wait for. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return length === undefined ? req.headers["transfer-encoding"] !== undefined : length !== "0";
}

/** A sweep interval a quarter of the shortest limit, from 10 ms to 1 s. */
function clampTick(ms: number): number {
  return Math.max(10, Math.min(1000, Math.floor(ms / 4)));
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** An answer as raw bytes, for a socket with no response object (or none yet). */
function raw(a: GuardAnswer): string {
  let head = `HTTP/1.1 ${a.status} ${STATUS_CODES[a.status] ?? ""}\r\n`;
  for (const [k, v] of Object.entries(a.headers)) head += `${k}: ${v}\r\n`;
  return `${head}content-length: ${Buffer.byteLength(a.body)}\r\nconnection: close\r\n\r\n${a.body}`;
}
