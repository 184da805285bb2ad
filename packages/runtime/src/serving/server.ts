/**
 * Starts serving: listen first (so `/ping` answers "not yet" instead of refusing connections),
 * then load and warm the model in the background. `stop()` stops accepting, finishes in-flight
 * requests and frees the model.
 */
import type { Agent as HttpAgent } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type { ServingConfig } from "../config/serving.js";
import type { Logger } from "../node/logger.js";
import { rejectionLog } from "../node/rejection-log.js";
import { type AppRequest, type AppResponse, createInferenceApp, type InferenceApp } from "./app.js";
import type { CheckedHandler } from "./handler.js";
import { createHttpServer, type ServingHttpServer } from "./http.js";

// node:http through require: an ES import of it loads Node's bundled fetch at every start
// (node/http-guard.ts).
const { Agent, request } = createRequire(import.meta.url)("node:http") as typeof import("node:http");

/** Options of `startServer`. */
export interface StartServerOptions {
  readonly config: ServingConfig;
  readonly logger: Logger;
  /** Default `<config.baseDir>/model`. */
  readonly modelDir?: string;
  /** Interface to bind. Default all (`0.0.0.0`/`::`). */
  readonly host?: string;
  /** An app to serve instead of a single-model app built from the handler (multi-model endpoints). */
  readonly app?: InferenceApp;
}

/** A listening server. */
export interface RunningServer {
  readonly app: InferenceApp;
  readonly http: ServingHttpServer;
  /** The port actually bound (useful with `SAGEMAKER_BIND_TO_PORT=0`). */
  readonly port: number;
  readonly url: string;
  /** Resolves once the model is loaded and warmed; rejects when loading fails. */
  readonly ready: Promise<void>;
  /** Stops accepting, finishes in-flight requests (up to `deadlineMs`, default 25 s), frees the model. */
  stop(options?: { deadlineMs?: number }): Promise<void>;
}

/**
 * Listens on `config.port` and loads the handler's model (or serves `options.app`; then `handler`
 * may be undefined).
 *
 * @throws SagebrewError-free: listen errors (port in use) reject with the OS error.
 * @example const server = await startServer(handler, { config, logger }); await server.ready;
 */
export async function startServer(
  handler: CheckedHandler | undefined,
  options: StartServerOptions,
): Promise<RunningServer> {
  const { config, logger } = options;
  const app = options.app ?? singleModelApp(handler, options);
  const http = createHttpServer(app, {
    logger,
    maxPayloadBytes: config.maxPayloadBytes,
    // Configs built by hand (tests, embedders) may lack the HTTP limits: the defaults then apply.
    ...(config.maxConnections === undefined
      ? {}
      : {
          limits: {
            headersTimeoutMs: config.headersTimeoutMs,
            bodyIdleTimeoutMs: config.bodyIdleTimeoutMs,
            bodyTimeoutMs: config.bodyTimeoutMs,
            maxConnections: config.maxConnections,
          },
          rejectionLogLimit: config.rejectionLogLimit,
        }),
  });
  await new Promise<void>((resolve, reject) => {
    http.server.once("error", reject);
    http.server.listen(config.port, options.host, () => {
      http.server.off("error", reject);
      resolve();
    });
  });
  const port = (http.server.address() as AddressInfo).port;
  const host =
    options.host === undefined || options.host === "0.0.0.0" || options.host === "::"
      ? "127.0.0.1"
      : options.host;
  logger.info("listening", { port, handler: handler?.name ?? "multi-model", workers: config.workers });
  // The warm-up's requests also go through this very server, over one keep-alive connection.
  const loopback = new Agent({ keepAlive: true, maxSockets: 1 });
  const ready = app.start({ send: (req) => sendTo(loopback, host, port, req) });
  void ready.then(
    () => loopback.destroy(),
    () => loopback.destroy(),
  );
  ready.catch((e: unknown) => {
    // Reported here and by /ping; the caller may also await `ready`.
    logger.error("model load failed", { handler: handler?.name, error: e });
  });
  let stopping: Promise<void> | undefined;
  return {
    app,
    http,
    port,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    ready,
    stop(opts = {}) {
      stopping ??= (async () => {
        logger.info("stopping", { inFlight: http.inFlight });
        const drained = http.close(opts);
        await app.stop(drained);
        rejectionLog(logger).flush();
        logger.info("stopped");
      })();
      return stopping;
    },
  };
}

function singleModelApp(handler: CheckedHandler | undefined, options: StartServerOptions): InferenceApp {
  if (!handler) throw new TypeError("startServer needs a handler or an app");
  const { config, logger, modelDir } = options;
  return createInferenceApp(handler, { config, logger, ...(modelDir === undefined ? {} : { modelDir }) });
}

/** One request to this server's own socket (the warm-up's), its answer collected. */
function sendTo(agent: HttpAgent, host: string, port: number, req: AppRequest): Promise<AppResponse> {
  return new Promise((resolve, reject) => {
    const out = request(
      {
        agent,
        host,
        port,
        method: req.method,
        path: req.url,
        headers: req.headers as Record<string, string>,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: {},
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    out.on("error", reject);
    out.end(req.body);
  });
}
