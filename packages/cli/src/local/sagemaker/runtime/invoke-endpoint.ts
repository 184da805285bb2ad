/**
 * The SageMaker Runtime API (rest-json) in front of the endpoints' containers:
 * `POST /endpoints/<name>/invocations` (InvokeEndpoint) and
 * `POST /endpoints/<name>/invocations-response-stream` (InvokeEndpointWithResponseStream, as
 * event-stream frames). Only the headers InvokeEndpoint defines reach the container; a container
 * answering 4xx/5xx becomes `ModelError` (424) with `OriginalStatusCode` and `OriginalMessage`;
 * bodies over 6 MiB (4 MiB for a serverless endpoint) are refused and a container has 60 s to
 * answer, as on SageMaker. A serverless variant takes `MaxConcurrency` invocations at once and
 * answers `ThrottlingException` beyond; an asynchronous endpoint takes InvokeEndpointAsync only.
 *
 * This is the path the benchmark measures: it parses nothing it can pass on, copies no body, and
 * answers through one handler object per request instead of promises and streams.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HEADERS, LIMITS } from "@sagebrew/runtime/core";
import { SAGEMAKER_RUNTIME, shapeOf } from "../../../api/index.js";
import { type ArnScope, logStreamArn, regionOf } from "../arn.js";
import type { AsyncQueue } from "../engines/async/index.js";
import {
  type EndpointManager,
  endpointLogGroup,
  type Instance,
  type LiveEndpoint,
  type LiveVariant,
} from "../engines/endpoints/index.js";
import type { ResponseHandler, UpstreamError } from "../engines/proxy/index.js";
import { headerValue } from "../engines/proxy/index.js";
import { ApiError } from "../protocol/index.js";
import type { ObjectStorage } from "../storage/index.js";
import { sendError } from "./_answer.js";
import { RequestCheck, validationError } from "./_check.js";
import { ensureModelLoaded } from "./multi-model.js";

/** SageMaker's request body limit for real-time invocations: the `BodyBlob` shape's maximum (6 MiB). */
export const MAX_INVOKE_BYTES = blobMax("BodyBlob");

function blobMax(shape: string): number {
  const s = shapeOf(SAGEMAKER_RUNTIME, shape);
  if (s.type !== "blob" || s.max === undefined)
    throw new Error(`SageMaker Runtime's ${shape} has no maximum size`);
  return s.max;
}
/** SageMaker's request body limit for serverless endpoints ("4 MB"). */
export const MAX_SERVERLESS_INVOKE_BYTES = 4 * 1024 * 1024;
/** A body over the limit is read (and dropped) up to this size so that the 413 reaches the client. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const TIMEOUT_MS = LIMITS.defaultInvocationTimeoutSeconds * 1000;

/** Request headers of InvokeEndpoint that reach the container (lower-case), besides Content-Type and Accept. */
const FORWARDED = [
  HEADERS.customAttributes,
  HEADERS.targetModel,
  "x-amzn-sagemaker-target-variant",
  "x-amzn-sagemaker-target-container-hostname",
  "x-amzn-sagemaker-inference-id",
  "x-amzn-sagemaker-enable-explanations",
  "x-amzn-sagemaker-inference-component",
  "x-amzn-sagemaker-session-id",
] as const;

/** Response headers of the container that reach the client. */
const RETURNED = [
  HEADERS.customAttributes,
  "x-amzn-sagemaker-new-session-id",
  "x-amzn-sagemaker-closed-session-id",
];

export interface RuntimeOptions {
  readonly storage: ObjectStorage;
  /** The queue InvokeEndpointAsync feeds (without it, the operation is not served). */
  readonly asyncQueue?: AsyncQueue;
  readonly warn: (message: string) => void;
  /** The account endpoints belong to (`--account`): errors and log stream ARNs name it. */
  readonly account: string;
  /** How long a container has to answer (SageMaker: 60 s). */
  readonly invocationTimeoutMs?: number;
}

/** A real-time invocation: its answer whole, or streamed as event-stream frames. */
export type Kind = "invoke" | "stream";

/** `ModelError` for a container that answered an error status. */
function modelError(
  scope: ArnScope,
  endpoint: string,
  instance: Instance,
  status: number,
  body: Buffer,
): ApiError {
  const text = body.toString("utf8");
  const side = status < 500 ? "client" : "server";
  return new ApiError(
    "ModelError",
    `Received ${side} error (${status}) from primary with message "${text}". See the log group ${endpointLogGroup(endpoint)} (stream ${instance.logStream}) for more information.`,
    {
      status: 424,
      fields: {
        ErrorCode: status < 500 ? "CLIENT_ERROR_FROM_MODEL" : "SERVER_ERROR_FROM_MODEL",
        OriginalStatusCode: status,
        OriginalMessage: text,
        LogStreamArn: logStreamArn(scope, endpointLogGroup(endpoint), instance.logStream),
      },
    },
  );
}

/** `ModelError` for a container that did not answer (timed out, or went away). */
function noAnswer(scope: ArnScope, endpoint: string, instance: Instance, e: UpstreamError): ApiError {
  const why =
    e.code === "timeout"
      ? "Your invocation timed out while waiting for a response from container primary. Review the latency metrics for each container in Amazon CloudWatch, resolve the issue, and try again."
      : `The container primary stopped answering (${e.message}).`;
  return new ApiError("ModelError", `Received server error (0) from primary with message "${why}"`, {
    status: 424,
    fields: {
      ErrorCode: "INTERNAL_FAILURE_FROM_MODEL",
      LogStreamArn: logStreamArn(scope, endpointLogGroup(endpoint), instance.logStream),
    },
  });
}

/** The operation each kind of invocation is, in SageMaker Runtime's API table. */
const OPERATION = { invoke: "InvokeEndpoint", stream: "InvokeEndpointWithResponseStream" } as const;

/** The body is checked by its size as it arrives (413), not by the validator. */
const SKIP_BODY = { skip: ["Body"] } as const;

/** One invocation in flight: the request's state and the callbacks of its upstream response. */
class Invocation implements ResponseHandler {
  readonly res: ServerResponse;
  readonly endpoint: string;
  readonly kind: Kind;
  readonly requestId: string;
  readonly head: string;
  readonly body: Buffer[];
  readonly target: string | undefined;
  readonly targetVariant: string | undefined;
  /** The request's `Authorization`, read for its region only when an error names an ARN. */
  readonly authorization: string | undefined;
  variant!: LiveVariant;
  instance!: Instance;
  ok = false;
  status = 0;
  remaining = -1;
  held: Buffer | undefined;
  errorBody: Buffer[] | undefined;
  retried = false;
  /** The serverless variant whose MaxConcurrency place this holds until the container has answered. */
  admitted: LiveVariant | undefined;
  route: Route;

  constructor(
    route: Route,
    res: ServerResponse,
    endpoint: string,
    kind: Kind,
    head: string,
    body: Buffer[],
    req: IncomingMessage,
  ) {
    this.route = route;
    this.res = res;
    this.endpoint = endpoint;
    this.kind = kind;
    this.requestId = randomUUID();
    this.head = head;
    this.body = body;
    this.target = req.headers[HEADERS.targetModel] as string | undefined;
    this.targetVariant = req.headers["x-amzn-sagemaker-target-variant"] as string | undefined;
    this.authorization = req.headers.authorization;
  }

  /** The region the request was signed for and the server's account: where its ARNs point. */
  get scope(): ArnScope {
    return { region: regionOf(this.authorization), account: this.route.options.account };
  }

  onHead(status: number, headers: readonly string[]): void {
    this.status = status;
    if (status < 200 || status > 299) {
      this.errorBody = [];
      return;
    }
    this.ok = true;
    const contentType = headerValue(headers, "content-type") ?? "application/octet-stream";
    const out: string[] =
      this.kind === "invoke"
        ? ["content-type", contentType]
        : [
            "content-type",
            "application/vnd.amazon.eventstream",
            "x-amzn-sagemaker-content-type",
            contentType,
          ];
    out.push("x-amzn-invoked-production-variant", this.variant.name, "x-amzn-requestid", this.requestId);
    for (const name of RETURNED) {
      const v = headerValue(headers, name);
      if (v !== undefined) out.push(name, v);
    }
    if (this.kind === "invoke") {
      const length = headerValue(headers, "content-length");
      if (length !== undefined) {
        this.remaining = Number(length);
        out.push("content-length", length);
      }
    }
    this.res.writeHead(200, out);
  }

  onData(chunk: Buffer): void {
    if (!this.ok) {
      this.errorBody!.push(chunk);
      return;
    }
    if (this.kind === "stream") {
      this.route.writeFrame(this.res, chunk);
      return;
    }
    // The usual answer is one chunk holding the whole body: end the response with it in one call.
    if (this.held === undefined && chunk.length === this.remaining) {
      this.held = chunk;
      return;
    }
    this.res.write(chunk);
  }

  /** Gives back the serverless place the invocation held. */
  release(): void {
    if (this.admitted) this.admitted.inFlight--;
    this.admitted = undefined;
  }

  onEnd(): void {
    this.release();
    if (this.ok) {
      if (this.held) this.res.end(this.held);
      else this.res.end();
      return;
    }
    const body = Buffer.concat(this.errorBody ?? []);
    sendError(
      this.res,
      modelError(this.scope, this.endpoint, this.instance, this.status, body),
      this.requestId,
    );
  }

  onError(e: UpstreamError): void {
    if (!e.started && e.code === "connect" && !this.retried) {
      // The instance was being retired as this request reached it: send it to the live one.
      this.retried = true;
      this.route.dispatch(this);
      return;
    }
    this.release();
    if (this.res.headersSent) {
      if (this.kind === "stream") this.route.writeStreamError(this.res, e);
      else this.res.destroy();
      return;
    }
    sendError(this.res, noAnswer(this.scope, this.endpoint, this.instance, e), this.requestId);
  }
}

/** Event-stream frames (lazily loaded codec). */
interface FrameCodec {
  encode(headers: Record<string, string>, body: Uint8Array): Uint8Array;
}

async function loadCodec(): Promise<FrameCodec> {
  // Loaded on the first streaming call only; the codec computes the CRCs (no hand-rolled framing).
  const { EventStreamCodec } = await import("@smithy/eventstream-codec");
  const codec = new EventStreamCodec(
    (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8"),
    (s: string) => Buffer.from(s, "utf8"),
  );
  return {
    encode(headers, body) {
      const h: Record<string, { type: "string"; value: string }> = {};
      for (const [k, v] of Object.entries(headers)) h[k] = { type: "string", value: v };
      return codec.encode({ headers: h, body });
    },
  };
}

/** The routing state shared by every invocation. */
export class Route {
  readonly endpoints: EndpointManager;
  readonly options: RuntimeOptions;
  #codec: FrameCodec | undefined;
  #codecLoading: Promise<FrameCodec> | undefined;

  readonly timeoutMs: number;
  /** What SageMaker Runtime checks first, per kind of invocation. */
  readonly checks: Readonly<Record<Kind, RequestCheck>> = {
    invoke: new RequestCheck(OPERATION.invoke, SKIP_BODY),
    stream: new RequestCheck(OPERATION.stream, SKIP_BODY),
  };

  constructor(endpoints: EndpointManager, options: RuntimeOptions) {
    this.endpoints = endpoints;
    this.options = options;
    this.timeoutMs = options.invocationTimeoutMs ?? TIMEOUT_MS;
  }

  get streamCodec(): Promise<FrameCodec> {
    this.#codecLoading ??= loadCodec().then((c) => {
      this.#codec = c;
      return c;
    });
    return this.#codecLoading;
  }

  writeFrame(res: ServerResponse, chunk: Buffer): void {
    res.write(
      this.#codec!.encode(
        {
          ":message-type": "event",
          ":event-type": "PayloadPart",
          ":content-type": "application/octet-stream",
        },
        chunk,
      ),
    );
  }

  writeStreamError(res: ServerResponse, e: UpstreamError): void {
    const payload = JSON.stringify({
      Message:
        e.code === "timeout"
          ? "The model did not stream a response in time."
          : `The model's stream broke: ${e.message}`,
      ErrorCode: e.code === "timeout" ? "ModelInvocationTimeExceeded" : "StreamBroken",
    });
    res.end(
      this.#codec!.encode(
        {
          ":message-type": "exception",
          ":exception-type": "ModelStreamError",
          ":content-type": "application/json",
        },
        Buffer.from(payload),
      ),
    );
  }

  /** Picks a live instance and sends the invocation to it (loading a multi-model target first). */
  dispatch(inv: Invocation): void {
    const live = this.endpoints.lookup(inv.endpoint);
    if (!live) {
      inv.release();
      sendError(
        inv.res,
        validationError(`Endpoint ${inv.endpoint} of account ${this.options.account} not found.`),
        inv.requestId,
      );
      return;
    }
    if (live.ready) {
      this.#whenReady(live, inv);
      return;
    }
    const picked = live.pick(inv.targetVariant);
    if (!picked) {
      inv.release();
      sendError(
        inv.res,
        validationError(
          inv.targetVariant !== undefined
            ? `Variant ${inv.targetVariant} of endpoint ${inv.endpoint} not found.`
            : `Endpoint ${inv.endpoint} has no instance to serve the request.`,
        ),
        inv.requestId,
      );
      return;
    }
    inv.variant = picked.variant;
    inv.instance = picked.instance;
    if (picked.variant.serverless && !inv.admitted && !this.#admit(inv, picked.variant)) return;
    if (picked.variant.multiModel) {
      this.#invokeMultiModel(inv);
      return;
    }
    picked.instance.pool.request(inv.head, inv.body, inv, {
      timeoutMs: this.timeoutMs,
      idle: inv.kind === "stream",
    });
  }

  /**
   * Holds one of a serverless variant's `MaxConcurrency` places for the invocation until the
   * container has answered it (a client that goes away does not free it: the container still works
   * on the request), or answers `ThrottlingException` (HTTP 400, as SageMaker Runtime answers it) when all are
   * taken.
   */
  #admit(inv: Invocation, variant: LiveVariant): boolean {
    const max = variant.serverless!.MaxConcurrency;
    if (variant.inFlight >= max) {
      sendError(
        inv.res,
        new ApiError(
          "ThrottlingException",
          `Endpoint ${inv.endpoint} is serving its MaxConcurrency of ${max} concurrent invocation${max === 1 ? "" : "s"} (ServerlessConfig of variant ${variant.name}); try again later.`,
        ),
        inv.requestId,
      );
      return false;
    }
    variant.inFlight++;
    inv.admitted = variant;
    return true;
  }

  #whenReady(live: LiveEndpoint, inv: Invocation): void {
    const timer = setTimeout(() => {
      sendError(
        inv.res,
        new ApiError("ServiceUnavailable", `Endpoint ${inv.endpoint} is still starting.`, { status: 503 }),
        inv.requestId,
      );
    }, this.timeoutMs);
    void live.ready!.then(() => {
      clearTimeout(timer);
      if (inv.res.headersSent) return;
      if (live.failure) {
        sendError(
          inv.res,
          new ApiError("InternalFailure", `Endpoint ${inv.endpoint} did not come back up: ${live.failure}`, {
            status: 500,
          }),
          inv.requestId,
        );
        return;
      }
      this.dispatch(inv);
    });
  }

  #invokeMultiModel(inv: Invocation): void {
    if (!inv.target) {
      sendError(
        inv.res,
        validationError(
          `Endpoint ${inv.endpoint} is a multi-model endpoint: name the model to invoke with TargetModel (X-Amzn-SageMaker-Target-Model).`,
        ),
        inv.requestId,
      );
      return;
    }
    ensureModelLoaded(inv.instance, inv.variant, inv.target, this.options.storage).then(
      (modelName) => {
        const head = inv.head.replace(
          /^POST \/invocations /,
          `POST /models/${encodeURIComponent(modelName)}/invoke `,
        );
        inv.instance.pool.request(head, inv.body, inv, {
          timeoutMs: this.timeoutMs,
          idle: inv.kind === "stream",
        });
      },
      (e: unknown) => {
        if (e instanceof ApiError) sendError(inv.res, e, inv.requestId);
        else {
          this.options.warn(`multi-model load on ${inv.endpoint}: ${(e as Error).stack ?? String(e)}`);
          sendError(
            inv.res,
            new ApiError("InternalFailure", `Cannot load model ${inv.target}: ${(e as Error).message}`, {
              status: 500,
            }),
            inv.requestId,
          );
        }
      },
    );
  }
}

/** The request head for the container, with only the headers InvokeEndpoint defines. */
function upstreamHead(req: IncomingMessage, kind: Kind, length: number): string {
  const h = req.headers;
  let head = `POST /invocations HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${length}\r\n`;
  if (h["content-type"] !== undefined) head += `content-type: ${h["content-type"]}\r\n`;
  const accept = kind === "stream" ? h["x-amzn-sagemaker-accept"] : h.accept;
  if (accept !== undefined) head += `accept: ${accept}\r\n`;
  for (const name of FORWARDED) {
    const v = h[name];
    if (v !== undefined) head += `${name}: ${v}\r\n`;
  }
  return `${head}\r\n`;
}

/** The 413 SageMaker answers for a body over its limit (no error type: clients report the status). */
function tooLarge(res: ServerResponse, requestId: string, limit: number): void {
  const body = JSON.stringify({ message: `HTTP content length exceeded ${limit} bytes.` });
  res.writeHead(413, [
    "content-type",
    "application/json",
    "content-length",
    String(Buffer.byteLength(body)),
    "x-amzn-requestid",
    requestId,
    "connection",
    "close",
  ]);
  res.end(body);
}

/**
 * Reads an InvokeEndpoint or InvokeEndpointWithResponseStream request and sends it on: checked
 * first (an asynchronous endpoint takes InvokeEndpointAsync only), its body limited as it arrives
 * (6 MiB, 4 MiB for a serverless endpoint).
 */
export function acceptInvocation(
  route: Route,
  req: IncomingMessage,
  res: ServerResponse,
  endpoint: string,
  kind: Kind,
): void {
  const live = route.endpoints.lookup(endpoint);
  const problem = route.checks[kind].check(req, endpoint) ?? asyncOnly(live, endpoint, OPERATION[kind]);
  if (problem) {
    req.resume();
    sendError(res, problem, randomUUID());
    return;
  }
  const limit = live?.variants[0]?.serverless ? MAX_SERVERLESS_INVOKE_BYTES : MAX_INVOKE_BYTES;
  const body: Buffer[] = [];
  let size = 0;
  req.on("data", (c: Buffer) => {
    size += c.length;
    if (size <= limit) body.push(c);
    else if (size > MAX_DRAIN_BYTES) {
      // Far over the limit: answer now and drop the connection rather than read it all.
      if (!res.headersSent) tooLarge(res, randomUUID(), limit);
      req.destroy();
    }
  });
  req.on("end", () => {
    if (res.headersSent) return;
    if (size > limit) {
      // Read to the end first, so that the client sees the answer rather than a reset.
      tooLarge(res, randomUUID(), limit);
      return;
    }
    const inv = new Invocation(route, res, endpoint, kind, upstreamHead(req, kind, size), body, req);
    if (kind === "stream") {
      route.streamCodec.then(
        () => route.dispatch(inv),
        (e: Error) =>
          sendError(
            res,
            new ApiError("InternalFailure", `Cannot stream: ${e.message}`, { status: 500 }),
            inv.requestId,
          ),
      );
    } else route.dispatch(inv);
  });
}

/** The refusal of a real-time invocation of an asynchronous endpoint. */
function asyncOnly(
  live: LiveEndpoint | undefined,
  endpoint: string,
  operation: string,
): ApiError | undefined {
  if (!live?.asyncInference) return undefined;
  return validationError(
    `Endpoint ${endpoint} is an asynchronous inference endpoint (its endpoint configuration has an AsyncInferenceConfig): ${operation} cannot invoke it; use InvokeEndpointAsync.`,
  );
}
