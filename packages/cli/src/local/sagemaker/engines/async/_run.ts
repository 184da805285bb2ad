/**
 * One asynchronous invocation, start to end: the input read from `InputLocation`, a plain
 * `POST /invocations` to one container (the headers InvokeEndpointAsync defines, its timeout), and
 * the answer written to the output location — or a failure object to the failure location: the
 * container's own body when it answers an error status, a sentence otherwise. As on SageMaker, the
 * container must say how long its answer is (`Content-Length`); a chunked answer is a failure.
 */
import type { ObjectStorage } from "../../storage/index.js";
import type { Instance } from "../endpoints/index.js";
import { callWhole, headerValue, type UpstreamError, type WholeResponse } from "../proxy/index.js";
import type { QueuedInvocation } from "./_journal.js";

/** How a run ended: an answer or a failure written (or not, and why), or cut short by a stop. */
export type RunOutcome =
  | { readonly kind: "answered" }
  | { readonly kind: "failed"; readonly reason: string; readonly written: boolean; readonly problem?: string }
  | { readonly kind: "interrupted" };

/** What a run needs besides the invocation and the container. */
export interface RunContext {
  readonly storage: ObjectStorage;
  /** True once `sagebrew local` is stopping: a call cut short then is run again at the next start. */
  readonly stopping: () => boolean;
}

/**
 * Writes the failure object of `item` saying `reason` (or the container's `body`).
 * Resolves to whether it was written, and the storage's complaint when not.
 */
export async function writeFailure(
  storage: ObjectStorage,
  item: QueuedInvocation,
  body: Buffer | string,
  contentType = "text/plain",
): Promise<{ written: boolean; problem?: string }> {
  try {
    await storage.write(item.failureLocation, typeof body === "string" ? Buffer.from(body) : body, {
      contentType,
    });
    return { written: true };
  } catch (e) {
    return { written: false, problem: `Cannot write ${item.failureLocation}: ${(e as Error).message}` };
  }
}

async function failed(ctx: RunContext, item: QueuedInvocation, reason: string, body?: Buffer, type?: string) {
  const w = await writeFailure(ctx.storage, item, body ?? reason, type);
  return { kind: "failed" as const, reason, ...w };
}

/** The container's request head fields: the content and accept types, the custom attributes. */
function requestHeaders(item: QueuedInvocation): Record<string, string> {
  return {
    ...(item.contentType !== undefined ? { "content-type": item.contentType } : {}),
    ...(item.accept !== undefined ? { accept: item.accept } : {}),
    ...(item.customAttributes !== undefined
      ? { "x-amzn-sagemaker-custom-attributes": item.customAttributes }
      : {}),
  };
}

/**
 * Runs `item` on `instance` and writes its result. `done` is called once the container is done
 * with it (answered, failed, or never asked), before the result is written: the instance's place
 * is free again while the answer goes to storage. Never throws.
 */
export async function runInvocation(
  ctx: RunContext,
  item: QueuedInvocation,
  instance: Instance,
  done: () => void,
): Promise<RunOutcome> {
  let called = false;
  const containerDone = () => {
    if (!called) done();
    called = true;
  };
  try {
    const asked = await ask(ctx, item, instance);
    containerDone();
    return "kind" in asked ? asked : await record(ctx, item, asked);
  } finally {
    containerDone();
  }
}

/** The container's answer to `item`, or how asking it ended otherwise. */
async function ask(
  ctx: RunContext,
  item: QueuedInvocation,
  instance: Instance,
): Promise<WholeResponse | RunOutcome> {
  let input: Buffer;
  try {
    input = await ctx.storage.read(item.inputLocation);
  } catch (e) {
    if (ctx.stopping()) return { kind: "interrupted" };
    return failed(
      ctx,
      item,
      `Failed to download the input from ${item.inputLocation}: ${(e as Error).message}`,
    );
  }
  try {
    return await callWhole(instance.pool, "POST", "/invocations", {
      body: input,
      headers: requestHeaders(item),
      timeoutMs: item.timeoutSeconds * 1000,
    });
  } catch (e) {
    if (ctx.stopping()) return { kind: "interrupted" };
    const err = e as UpstreamError;
    return failed(
      ctx,
      item,
      err.code === "timeout"
        ? `The invocation timed out: container primary did not answer within InvocationTimeoutSeconds (${item.timeoutSeconds} s).`
        : `The container primary stopped answering (${err.message}).`,
    );
  }
}

/** Writes the container's answer, or the failure it amounts to. */
async function record(ctx: RunContext, item: QueuedInvocation, answer: WholeResponse): Promise<RunOutcome> {
  const contentType = headerValue(answer.headers, "content-type") ?? "application/octet-stream";
  if (answer.status < 200 || answer.status > 299) {
    return failed(
      ctx,
      item,
      `Received ${answer.status < 500 ? "client" : "server"} error (${answer.status}) from primary`,
      answer.body,
      contentType,
    );
  }
  if (headerValue(answer.headers, "content-length") === undefined) {
    return failed(
      ctx,
      item,
      "The response from container primary did not specify the required Content-Length header",
    );
  }
  try {
    await ctx.storage.write(item.outputLocation, answer.body, { contentType });
    return { kind: "answered" };
  } catch (e) {
    return failed(ctx, item, `Cannot write the answer to ${item.outputLocation}: ${(e as Error).message}`);
  }
}
