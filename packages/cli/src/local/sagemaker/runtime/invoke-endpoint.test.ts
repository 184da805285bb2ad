/**
 * The runtime API against a container played by a node:http server, read with the real
 * `@aws-sdk/client-sagemaker-runtime`: which headers reach the container and come back, ModelError,
 * the 6 MiB and time limits, and response streams of several chunks, broken ones included.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  InvokeEndpointCommand,
  InvokeEndpointWithResponseStreamCommand,
  SageMakerRuntimeClient,
} from "@aws-sdk/client-sagemaker-runtime";
import { type EndpointManager, type Instance, LiveEndpoint } from "../engines/endpoints/manager.js";
import { UpstreamPool } from "../engines/proxy/_upstream.js";
import { createStorage } from "../storage/storage.js";
import { createRuntimeRoute } from "./route.js";

/** Opened by the streaming test once its client has the first chunk (or by a timer). */
const gate = (() => {
  let open!: (by: string) => void;
  const opened = new Promise<string>((r) => {
    open = r;
  });
  return { open, opened };
})();

let container: Server;
let front: Server;
let pool: UpstreamPool;
let client: SageMakerRuntimeClient;
const seen: Array<Record<string, string | string[] | undefined>> = [];

function answer(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  seen.push(req.headers);
  const text = body.toString();
  if (text === "fail") {
    res.writeHead(400, { "content-type": "text/plain" });
    res.end("Cannot parse the row: fail");
  } else if (text === "slow") {
    setTimeout(() => res.end("late"), 1500);
  } else if (text === "stream") {
    res.writeHead(200, { "content-type": "text/plain" });
    let i = 0;
    const next = () => {
      if (i === 3) return res.end();
      res.write(`part${i++};`);
      setTimeout(next, 20);
    };
    next();
  } else if (text === "gated") {
    // One chunk, then nothing until the client has received it: a front that held the chunks
    // back until the end would wait here for ever (the gate opens by itself after 10 s).
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("first;");
    const timer = setTimeout(() => gate.open("timer"), 10_000);
    void gate.opened.then(() => {
      clearTimeout(timer);
      res.end("second;");
    });
  } else if (text === "break") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("first;");
    setTimeout(() => res.socket?.destroy(), 20);
  } else {
    res.writeHead(200, {
      "content-type": "application/json",
      "x-amzn-sagemaker-custom-attributes": "from-model",
      "x-not-for-the-client": "1",
    });
    res.end(JSON.stringify({ bytes: body.length }));
  }
}

before(async () => {
  container = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => answer(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((r) => container.listen(0, "127.0.0.1", r));
  pool = new UpstreamPool((container.address() as AddressInfo).port);
  const instance = {
    id: "i-0",
    variant: "AllTraffic",
    pool,
    logStream: "AllTraffic/i-0",
    loaded: new Map(),
    loading: new Map(),
  } as unknown as Instance;
  const live = new LiveEndpoint("ep", 1, [
    {
      name: "AllTraffic",
      weight: 1,
      instances: [instance],
      multiModel: false,
      inFlight: 0,
      next: 0,
      current: 0,
    },
  ]);
  const manager = {
    lookup: (name: string) => (name.toLowerCase() === "ep" ? live : undefined),
  } as unknown as EndpointManager;
  const route = createRuntimeRoute(manager, {
    storage: createStorage({ env: {} }),
    account: "123456789012",
    warn: () => undefined,
    invocationTimeoutMs: 500,
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
    maxAttempts: 1,
  });
});

after(async () => {
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
    return e as Error & Record<string, unknown> & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error("expected a failure");
}

describe("InvokeEndpoint through the runtime API", () => {
  it("forwards only InvokeEndpoint's headers and returns the model's answer and custom attributes", async () => {
    seen.length = 0;
    const r = await client.send(
      new InvokeEndpointCommand({
        EndpointName: "ep",
        Body: Buffer.from("1,2,3"),
        ContentType: "text/csv",
        Accept: "application/json",
        CustomAttributes: "trace=1",
        InferenceId: "req-7",
        TargetVariant: "AllTraffic",
      }),
    );
    assert.equal(Buffer.from(r.Body!).toString(), '{"bytes":5}');
    assert.equal(r.ContentType, "application/json");
    assert.equal(r.CustomAttributes, "from-model");
    assert.equal(r.InvokedProductionVariant, "AllTraffic");
    const h = seen[0]!;
    assert.equal(h["content-type"], "text/csv");
    assert.equal(h.accept, "application/json");
    assert.equal(h["x-amzn-sagemaker-custom-attributes"], "trace=1");
    assert.equal(h["x-amzn-sagemaker-inference-id"], "req-7");
    assert.equal(h["x-amzn-sagemaker-target-variant"], "AllTraffic");
    assert.equal(h.authorization, undefined);
    assert.equal(h["x-amz-date"], undefined);
    assert.equal(h["user-agent"], undefined);
  });

  it("turns the container's error into ModelError 424 with its status and message", async () => {
    const e = await failure(
      client.send(new InvokeEndpointCommand({ EndpointName: "ep", Body: Buffer.from("fail") })),
    );
    assert.equal(e.name, "ModelError");
    assert.equal(e.$metadata.httpStatusCode, 424);
    assert.equal(e.OriginalStatusCode, 400);
    assert.equal(e.OriginalMessage, "Cannot parse the row: fail");
    assert.match(
      e.message,
      /^Received client error \(400\) from primary with message "Cannot parse the row: fail"\./,
    );
  });

  it("answers a container that runs past the time limit with ModelError", async () => {
    const e = await failure(
      client.send(new InvokeEndpointCommand({ EndpointName: "ep", Body: Buffer.from("slow") })),
    );
    assert.equal(e.name, "ModelError");
    assert.match(e.message, /Your invocation timed out while waiting for a response from container primary/);
    // The server is still there and answers the next request.
    const r = await client.send(new InvokeEndpointCommand({ EndpointName: "ep", Body: Buffer.from("ok") }));
    assert.equal(Buffer.from(r.Body!).toString(), '{"bytes":2}');
  });

  it("refuses a body over 6 MiB with 413, a bad name and an unknown endpoint with ValidationError", async () => {
    const big = await failure(
      client.send(new InvokeEndpointCommand({ EndpointName: "ep", Body: Buffer.alloc(6 * 1024 * 1024 + 1) })),
    );
    assert.equal(big.$metadata.httpStatusCode, 413);
    const ok = await client.send(
      new InvokeEndpointCommand({ EndpointName: "ep", Body: Buffer.alloc(6 * 1024 * 1024) }),
    );
    assert.equal(Buffer.from(ok.Body!).toString(), `{"bytes":${6 * 1024 * 1024}}`);
    const bad = await failure(
      client.send(new InvokeEndpointCommand({ EndpointName: "bad_name", Body: Buffer.from("x") })),
    );
    assert.equal(bad.name, "ValidationError");
    assert.match(bad.message, /Value 'bad_name' at 'endpointName' failed to satisfy constraint/);
    // Header members are checked against SageMaker Runtime's table, every one at once; the
    // sensitive CustomAttributes is not echoed.
    const headers = await failure(
      client.send(
        new InvokeEndpointCommand({
          EndpointName: "ep",
          Body: Buffer.from("x"),
          CustomAttributes: "a".repeat(1025),
          InferenceId: "i".repeat(65),
        }),
      ),
    );
    assert.equal(headers.name, "ValidationError");
    assert.equal(
      headers.message,
      "2 validation errors detected: Value at 'customAttributes' failed to satisfy constraint: Member must have length less than or equal to 1024; " +
        `Value '${"i".repeat(65)}' at 'inferenceId' failed to satisfy constraint: Member must have length less than or equal to 64`,
    );
    const missing = await failure(
      client.send(new InvokeEndpointCommand({ EndpointName: "other", Body: Buffer.from("x") })),
    );
    assert.equal(missing.name, "ValidationError");
    assert.equal(missing.message, "Endpoint other of account 123456789012 not found.");
  });
});

describe("InvokeEndpointWithResponseStream through the runtime API", () => {
  it("turns each chunk the container sends into a PayloadPart frame", async () => {
    const r = await client.send(
      new InvokeEndpointWithResponseStreamCommand({ EndpointName: "ep", Body: Buffer.from("stream") }),
    );
    assert.equal(r.ContentType, "text/plain");
    assert.equal(r.InvokedProductionVariant, "AllTraffic");
    const parts: string[] = [];
    for await (const ev of r.Body!)
      if (ev.PayloadPart?.Bytes) parts.push(Buffer.from(ev.PayloadPart.Bytes).toString());
    assert.deepEqual(parts, ["part0;", "part1;", "part2;"]);
  });

  it("passes each chunk on as it comes: the client has the first before the container sends the second", async () => {
    const r = await client.send(
      new InvokeEndpointWithResponseStreamCommand({ EndpointName: "ep", Body: Buffer.from("gated") }),
    );
    const parts: string[] = [];
    for await (const ev of r.Body!) {
      if (!ev.PayloadPart?.Bytes) continue;
      parts.push(Buffer.from(ev.PayloadPart.Bytes).toString());
      if (parts.length === 1) gate.open("client");
    }
    assert.deepEqual(parts, ["first;", "second;"]);
    assert.equal(
      await gate.opened,
      "client",
      "the first chunk reached the client only after the container gave up waiting",
    );
  });

  it("ends a stream the container breaks off with a ModelStreamError event", async () => {
    const r = await client.send(
      new InvokeEndpointWithResponseStreamCommand({ EndpointName: "ep", Body: Buffer.from("break") }),
    );
    const parts: string[] = [];
    const e = await failure(
      (async () => {
        for await (const ev of r.Body!)
          if (ev.PayloadPart?.Bytes) parts.push(Buffer.from(ev.PayloadPart.Bytes).toString());
      })(),
    );
    assert.deepEqual(parts, ["first;"]);
    assert.equal(e.name, "ModelStreamError");
    assert.equal(e.ErrorCode, "StreamBroken");
  });

  it("answers a container error before the stream starts with ModelError", async () => {
    const e = await failure(
      client.send(
        new InvokeEndpointWithResponseStreamCommand({ EndpointName: "ep", Body: Buffer.from("fail") }),
      ),
    );
    assert.equal(e.name, "ModelError");
    assert.equal(e.OriginalStatusCode, 400);
  });
});
