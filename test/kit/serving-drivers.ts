/**
 * The two ways the contract suite talks to the inference app: in-process (`app.handle`) and over
 * a real socket on port 0 (`startServer`). Both answer `{ status, headers, text }`.
 */
import { request as httpRequest } from "node:http";
import {
  type CheckedHandler,
  createInferenceApp,
  createLogger,
  type InferenceApp,
  type ServingConfig,
  startServer,
} from "@sagebrew/runtime";

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
  /** The body as received (binary answers such as RecordIO-protobuf). */
  readonly bytes: Uint8Array;
}

export interface Init {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export interface Target {
  readonly app: InferenceApp;
  /** Log lines written so far (JSON). */
  readonly logs: string[];
  /** The listening port (socket targets only). */
  readonly port: number | undefined;
  send(path: string, init?: Init): Promise<Reply>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export type DriverName = "in-process" | "socket";

/** Builds a target for `handler` with `config`, not yet loaded (call `start()`). */
export async function makeTarget(
  driver: DriverName,
  handler: CheckedHandler,
  config: ServingConfig,
  modelDir?: string,
): Promise<Target> {
  const logs: string[] = [];
  const logger = createLogger({ level: "debug", write: (l) => void logs.push(l) });
  if (driver === "in-process") {
    const app = createInferenceApp(handler, { config, logger, ...(modelDir ? { modelDir } : {}) });
    return {
      app,
      logs,
      port: undefined,
      start: () => app.start(),
      close: () => app.stop(),
      async send(path, init = {}) {
        const res = await app.request(path, init);
        const bytes = typeof res.body === "string" ? new TextEncoder().encode(res.body) : res.body;
        const text = typeof res.body === "string" ? res.body : new TextDecoder().decode(res.body);
        return { status: res.status, headers: { ...res.headers }, text, bytes };
      },
    };
  }
  // The socket target listens at once; `start()` loads the model, so /ping can be seen before it.
  const app = createInferenceApp(handler, { config, logger, ...(modelDir ? { modelDir } : {}) });
  const server = await startServer(handler, { config, logger, host: "127.0.0.1", app: lazyStart(app) });
  return {
    app,
    logs,
    port: server.port,
    start: () => app.start(),
    close: () => server.stop({ deadlineMs: 2000 }),
    send: (path, init = {}) => sendHttp(server.port, path, init),
  };
}

/** An app whose `start()` (called by startServer) does nothing; the test starts it explicitly. */
function lazyStart(app: InferenceApp): InferenceApp {
  return {
    get state() {
      return app.state;
    },
    errorStyle: app.errorStyle,
    start: () => Promise.resolve(),
    precheck: (r) => app.precheck(r),
    handle: (r) => app.handle(r),
    request: (u, i) => app.request(u, i),
    stop: (d) => app.stop(d),
  };
}

/** One HTTP request on a fresh connection. */
export function sendHttp(port: number, path: string, init: Init = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = typeof init.body === "string" ? Buffer.from(init.body) : init.body;
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        method: init.method ?? "GET",
        headers: { ...(body ? { "content-length": String(body.length) } : {}), ...init.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const bytes = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: Object.fromEntries(
              Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]),
            ),
            text: bytes.toString("utf8"),
            bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
