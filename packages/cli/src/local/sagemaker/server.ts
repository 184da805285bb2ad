/**
 * The one HTTP listener of `sagebrew local`: JSON 1.1 calls (`POST /` with `X-Amz-Target`) go to
 * the SageMaker control plane or CloudWatch Logs, `/endpoints/<name>/…` to the runtime API.
 * Signatures are not checked, so real clients with any credentials work. Every failure becomes an
 * AWS-shaped error answer; nothing a client sends can stop the server.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { ApiError, jsonErrorBody } from "./api-error.js";
import { regionOf } from "./arn.js";
import type { Services } from "./context.js";
import { runSageMakerOperation, unknownOperation } from "./control-plane.js";
import { runLogsOperation } from "./logs-api.js";

/** JSON request bodies larger than this are refused (SageMaker's largest requests are far smaller). */
const MAX_JSON_BODY = 8 * 1024 * 1024;

/** Answers `/endpoints/<name>/…` (the runtime API); returns false when it does not own the path. */
export type RuntimeRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface FrontOptions {
  readonly services: Services;
  readonly runtime: RuntimeRoute;
  readonly warn: (message: string) => void;
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

/** Reads a JSON body; an empty one is `{}`. */
function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_JSON_BODY) {
        reject(
          new ApiError("SerializationException", `The request body is larger than ${MAX_JSON_BODY} bytes.`, {
            status: 413,
          }),
        );
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("error", reject);
    req.on("end", () => {
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
  const body = await readJson(req);
  let result: unknown;
  if (service === "SageMaker") {
    result = await runSageMakerOperation(operation, body, { ...o.services, region });
  } else if (service === "Logs_20140328") {
    result = runLogsOperation(operation, body, o.services.logs, region);
  } else {
    throw unknownOperation(target, ["SageMaker.<Operation>", "Logs_20140328.<Operation>"]);
  }
  sendJson(res, 200, JSON.stringify(result ?? {}), requestId);
}

function onRequest(req: IncomingMessage, res: ServerResponse, o: FrontOptions): void {
  // The runtime path is the hot one: it decides by URL before anything else is allocated.
  if (req.url?.startsWith("/endpoints/") && o.runtime(req, res)) return;
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

/** Creates the listener (not yet listening). */
export function createFront(options: FrontOptions): Server {
  const server = createServer((req, res) => {
    try {
      onRequest(req, res, options);
    } catch (e) {
      options.warn(`request failed: ${(e as Error)?.stack ?? String(e)}`);
      if (!res.headersSent)
        sendError(res, new ApiError("InternalFailure", "sagebrew local failed", { status: 500 }), "-");
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  server.on("clientError", (_err, socket) => {
    if (socket.writable)
      socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
  });
  return server;
}
