/**
 * InvokeEndpointAsync (`POST /endpoints/<name>/async-invocations`): checked as SageMaker Runtime
 * checks it (the header members against the API table, no body, an endpoint whose config has an
 * `AsyncInferenceConfig`), written into the endpoint's queue, and answered 202 with the
 * `InferenceId` and where the answer (`X-Amzn-SageMaker-OutputLocation`) and a failure
 * (`X-Amzn-SageMaker-FailureLocation`, when the config has an `S3FailurePath`) will be.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type AsyncQueue, type AsyncTarget, asyncTarget } from "../engines/async/index.js";
import type { EndpointManager } from "../engines/endpoints/index.js";
import { ApiError } from "../protocol/index.js";
import { schemeOf } from "../storage/index.js";
import { sendError } from "./_answer.js";
import { checkRuntimeRequest, headerInput, validationError } from "./_check.js";

const OPERATION = "InvokeEndpointAsync";
/** `InvocationTimeoutSeconds` and `RequestTTLSeconds` when the request gives none (15 min, 6 h). */
const DEFAULT_TIMEOUT_S = 900;
const DEFAULT_TTL_S = 21_600;
/** A body is read (and dropped) up to this size so that the refusal reaches the client. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** `sagebrew local` reads `file://` input as it takes `file://` data elsewhere. */
const LOCAL_INPUT = { alsoAccept: { InputLocationHeader: (v: string) => /^file:\/\/./.test(v) } } as const;

/** SageMaker Runtime's answer to a body, which InvokeEndpointAsync does not take (its input is at InputLocation). */
const BODY_REFUSED =
  "1 validation error detected: Value at 'body' failed to satisfy constraint: Member must have length less than or equal to 0";

/** What the request asks for, or why it is refused. */
function plan(
  endpoints: EndpointManager,
  account: string,
  endpoint: string,
  input: Record<string, unknown>,
): ApiError | { target: AsyncTarget } {
  const problem = checkRuntimeRequest(OPERATION, input, LOCAL_INPUT);
  if (problem) return problem;
  const live = endpoints.lookup(endpoint);
  if (!live) return validationError(`Endpoint ${endpoint} of account ${account} not found.`);
  if (!live.asyncInference)
    return validationError(
      `Endpoint ${endpoint} is not an asynchronous inference endpoint: its endpoint configuration has no AsyncInferenceConfig; invoke it with InvokeEndpoint.`,
    );
  const location = input.InputLocation as string;
  const scheme = schemeOf(location);
  if (scheme !== "s3" && scheme !== "file")
    return validationError(
      `Cannot read InputLocation ${location}: sagebrew local reads s3:// and file:// URIs.`,
    );
  try {
    return {
      target: asyncTarget(live.asyncInference, {
        ...(input.InferenceId !== undefined ? { inferenceId: input.InferenceId as string } : {}),
        ...(input.Filename !== undefined ? { filename: input.Filename as string } : {}),
        ...(input.S3OutputPathExtension !== undefined
          ? { extension: input.S3OutputPathExtension as string }
          : {}),
      }),
    };
  } catch (e) {
    return validationError((e as Error).message);
  }
}

/** Accepts one InvokeEndpointAsync request. */
export function acceptAsyncInvocation(
  endpoints: EndpointManager,
  queue: AsyncQueue,
  account: string,
  req: IncomingMessage,
  res: ServerResponse,
  endpoint: string,
): void {
  const requestId = randomUUID();
  let size = 0;
  req.on("data", (c: Buffer) => {
    size += c.length;
    if (size > MAX_DRAIN_BYTES) {
      if (!res.headersSent) sendError(res, validationError(BODY_REFUSED), requestId);
      req.destroy();
    }
  });
  req.on("end", () => {
    if (res.headersSent) return;
    if (size > 0) {
      sendError(res, validationError(BODY_REFUSED), requestId);
      return;
    }
    const input = headerInput(req, endpoint, OPERATION);
    const planned = plan(endpoints, account, endpoint, input);
    if (planned instanceof ApiError) {
      sendError(res, planned, requestId);
      return;
    }
    const { target } = planned;
    const text = (member: string) =>
      typeof input[member] === "string" ? { [member]: input[member] as string } : {};
    queue
      .submit({
        endpoint,
        inferenceId: target.inferenceId,
        inputLocation: input.InputLocation as string,
        outputLocation: target.outputLocation,
        failureLocation: target.failureLocation,
        ...rename(text("ContentType"), "contentType"),
        ...rename(text("Accept"), "accept"),
        ...rename(text("CustomAttributes"), "customAttributes"),
        timeoutSeconds: (input.InvocationTimeoutSeconds as number | undefined) ?? DEFAULT_TIMEOUT_S,
        ttlSeconds: (input.RequestTTLSeconds as number | undefined) ?? DEFAULT_TTL_S,
      })
      .then(
        () => {
          const body = JSON.stringify({ InferenceId: target.inferenceId });
          res.writeHead(202, [
            "content-type",
            "application/json",
            "content-length",
            String(Buffer.byteLength(body)),
            "x-amzn-requestid",
            requestId,
            "x-amzn-sagemaker-outputlocation",
            target.outputLocation,
            ...(target.failureShown ? ["x-amzn-sagemaker-failurelocation", target.failureLocation] : []),
          ]);
          res.end(body);
        },
        (e: Error) =>
          sendError(
            res,
            new ApiError("InternalFailure", `Cannot queue the invocation: ${e.message}.`, { status: 500 }),
            requestId,
          ),
      );
  });
}

/** `{ [from]: v }` as `{ [to]: v }` (empty stays empty). */
function rename(o: Record<string, string>, to: string): Record<string, string> {
  const v = Object.values(o)[0];
  return v === undefined ? {} : { [to]: v };
}
