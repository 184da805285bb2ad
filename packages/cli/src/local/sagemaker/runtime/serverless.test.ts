/**
 * Serverless and asynchronous endpoints through the runtime API, in-process, read with the real
 * `@aws-sdk/client-sagemaker-runtime`: a serverless variant's MaxConcurrency held over the
 * invocations in flight (ThrottlingException beyond it, real-time and streamed alike), its 4 MiB
 * body limit, and an asynchronous endpoint refusing real-time invocations.
 */
import assert from "node:assert/strict";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  InvokeEndpointCommand,
  InvokeEndpointWithResponseStreamCommand,
  SageMakerRuntimeClient,
} from "@aws-sdk/client-sagemaker-runtime";
import type { AsyncInferenceConfig, ServerlessConfig } from "../docs.js";
import {
  type EndpointManager,
  type Instance,
  LiveEndpoint,
  type LiveVariant,
} from "../engines/endpoints/index.js";
import { UpstreamPool } from "../engines/proxy/index.js";
import { createStorage } from "../storage/index.js";
import { createRuntimeRoute } from "./route.js";

let container: Server;
let front: Server;
let pool: UpstreamPool;
let client: SageMakerRuntimeClient;
/** Requests the container holds, answered when the test says so. */
const held: ServerResponse[] = [];
let arrived: () => void = () => {};

function variant(serverless?: ServerlessConfig): LiveVariant {
  const instance = {
    id: "i-0",
    variant: "AllTraffic",
    pool,
    logStream: "AllTraffic/i-0",
  } as unknown as Instance;
  return {
    name: "AllTraffic",
    weight: 1,
    instances: [instance],
    multiModel: false,
    ...(serverless ? { serverless } : {}),
    inFlight: 0,
    next: 0,
    current: 0,
  };
}

const serverless = variant({ MemorySizeInMB: 2048, MaxConcurrency: 2 });
const asyncConfig: AsyncInferenceConfig = { OutputConfig: { S3OutputPath: "file:///tmp/out" } };
const endpoints = new Map([
  ["srv", new LiveEndpoint("srv", 1, [serverless])],
  ["queued", new LiveEndpoint("queued", 1, [variant()], asyncConfig)],
]);

before(async () => {
  container = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (Buffer.concat(chunks).toString() === "hold") {
        held.push(res);
        arrived();
      } else res.end(`${Buffer.concat(chunks).length}`);
    });
  });
  await new Promise<void>((r) => container.listen(0, "127.0.0.1", r));
  pool = new UpstreamPool((container.address() as AddressInfo).port);
  for (const live of endpoints.values())
    for (const i of live.variants[0]!.instances) Object.assign(i, { pool });
  const manager = {
    lookup: (name: string) => endpoints.get(name.toLowerCase()),
  } as unknown as EndpointManager;
  const route = createRuntimeRoute(manager, {
    storage: createStorage({ env: {} }),
    account: "123456789012",
    warn: () => undefined,
  });
  front = createServer((req, res) => {
    if (!route(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
  client = new SageMakerRuntimeClient({
    endpoint: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
    // The SDK retries a ThrottlingException by itself; here every answer is seen.
    maxAttempts: 1,
  });
});

after(async () => {
  for (const res of held) res.end();
  pool.close();
  client.destroy();
  front.closeAllConnections();
  container.closeAllConnections();
  await Promise.all([new Promise((r) => front.close(r)), new Promise((r) => container.close(r))]);
});

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error("expected a failure");
}

/** Resolves once `n` requests are held by the container. */
async function holding(n: number): Promise<void> {
  while (held.length < n)
    await new Promise<void>((r) => {
      arrived = r;
    });
}

const invoke = (body: string | Buffer, endpoint = "srv") =>
  client.send(new InvokeEndpointCommand({ EndpointName: endpoint, Body: Buffer.from(body) }));

describe("a serverless endpoint", () => {
  it("takes MaxConcurrency invocations at once, throttles the next, and takes more once one ends", async () => {
    const first = invoke("hold");
    const second = client.send(
      new InvokeEndpointWithResponseStreamCommand({ EndpointName: "srv", Body: Buffer.from("hold") }),
    );
    await holding(2);
    assert.equal(serverless.inFlight, 2);
    const throttled = await failure(invoke("x"));
    assert.equal(throttled.name, "ThrottlingException");
    assert.equal(throttled.$metadata.httpStatusCode, 400);
    assert.equal(
      throttled.message,
      "Endpoint srv is serving its MaxConcurrency of 2 concurrent invocations (ServerlessConfig of variant AllTraffic); try again later.",
    );
    assert.equal(held.length, 2, "the throttled invocation never reached the container");
    held.shift()!.end("done");
    assert.equal(Buffer.from((await first).Body!).toString(), "done");
    // The place is free again once the answer has ended.
    while (serverless.inFlight > 1) await new Promise((r) => setImmediate(r));
    assert.equal(Buffer.from((await invoke("abc")).Body!).toString(), "3");
    held.shift()!.end("streamed");
    const parts: string[] = [];
    for await (const ev of (await second).Body!)
      if (ev.PayloadPart?.Bytes) parts.push(Buffer.from(ev.PayloadPart.Bytes).toString());
    assert.deepEqual(parts, ["streamed"]);
    while (serverless.inFlight > 0) await new Promise((r) => setImmediate(r));
  });

  it("holds the place of an invocation whose client went away until the container has answered it", async () => {
    const abort = new AbortController();
    const gone = client
      .send(new InvokeEndpointCommand({ EndpointName: "srv", Body: Buffer.from("hold") }), {
        abortSignal: abort.signal,
      })
      .catch(() => undefined);
    await holding(1);
    abort.abort();
    await gone;
    assert.equal(serverless.inFlight, 1);
    held.shift()!.end();
    while (serverless.inFlight > 0) await new Promise((r) => setImmediate(r));
  });

  it("refuses a body over 4 MiB with 413, and takes one of 4 MiB", async () => {
    const big = await failure(invoke(Buffer.alloc(4 * 1024 * 1024 + 1)));
    assert.equal(big.$metadata.httpStatusCode, 413);
    assert.equal(Buffer.from((await invoke(Buffer.alloc(4 * 1024 * 1024))).Body!).toString(), "4194304");
  });
});

describe("an asynchronous endpoint", () => {
  it("refuses InvokeEndpoint and InvokeEndpointWithResponseStream with ValidationError", async () => {
    for (const p of [
      invoke("x", "queued"),
      client.send(
        new InvokeEndpointWithResponseStreamCommand({ EndpointName: "queued", Body: Buffer.from("x") }),
      ),
    ]) {
      const e = await failure(p);
      assert.equal(e.name, "ValidationError");
      assert.match(
        e.message,
        /^Endpoint queued is an asynchronous inference endpoint .*use InvokeEndpointAsync\.$/,
      );
    }
  });
});
