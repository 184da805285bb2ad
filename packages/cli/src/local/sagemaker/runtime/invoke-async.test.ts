/**
 * InvokeEndpointAsync in-process: the runtime route and the real queue (on a temporary state
 * directory, `file://` storage) in front of a container played by a node:http server, read with the
 * real `@aws-sdk/client-sagemaker-runtime`. The 202 answer and its locations, the answer written
 * where it said, the container's error body as the failure object, a chunked answer refused,
 * the input missing, a timeout, and what SageMaker Runtime refuses up front.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { InvokeEndpointAsyncCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import type { AsyncInferenceConfig } from "../docs.js";
import { AsyncQueue } from "../engines/async/index.js";
import { type EndpointManager, type Instance, LiveEndpoint } from "../engines/endpoints/index.js";
import { UpstreamPool } from "../engines/proxy/index.js";
import { createStorage } from "../storage/index.js";
import { createRuntimeRoute } from "./route.js";

let work: string;
let container: Server;
let front: Server;
let pool: UpstreamPool;
let queue: AsyncQueue;
let client: SageMakerRuntimeClient;
const seen: IncomingHttpHeaders[] = [];
const warnings: string[] = [];

const url = (...p: string[]) => pathToFileURL(join(work, ...p)).href;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-async-route-"));
  container = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push(req.headers);
      const text = Buffer.concat(chunks).toString();
      if (text === "fail") {
        // An error answer needs no length: its body is the failure object either way.
        res.writeHead(500, { "content-type": "application/json" });
        res.end('{"error":"the model cannot read fail"}');
      } else if (text === "chunked") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("part;");
        res.end("rest");
      } else if (text === "never") {
        // no answer: the invocation times out
      } else {
        const answer = `answer to ${text}`;
        res.writeHead(200, { "content-type": "text/csv", "content-length": Buffer.byteLength(answer) });
        res.end(answer);
      }
    });
  });
  await new Promise<void>((r) => container.listen(0, "127.0.0.1", r));
  pool = new UpstreamPool((container.address() as AddressInfo).port);
  const instance = { id: "i-0", variant: "AllTraffic", pool, exited: false } as unknown as Instance;
  const variant = {
    name: "AllTraffic",
    weight: 1,
    instances: [instance],
    multiModel: false,
    inFlight: 0,
    next: 0,
    current: 0,
  };
  const config = (failure: boolean): AsyncInferenceConfig => ({
    OutputConfig: { S3OutputPath: url("out"), ...(failure ? { S3FailurePath: url("failures") } : {}) },
  });
  const live = new Map([
    ["async", new LiveEndpoint("async", 1, [variant], config(true))],
    ["nofailurepath", new LiveEndpoint("nofailurepath", 1, [variant], config(false))],
    ["realtime", new LiveEndpoint("realtime", 1, [variant])],
  ]);
  const endpoints = { lookup: (name: string) => live.get(name.toLowerCase()) } as unknown as EndpointManager;
  const storage = createStorage({ env: {} });
  queue = await AsyncQueue.open({
    endpoints,
    storage,
    dir: join(work, "state", "async-invocations"),
    warn: (m) => warnings.push(m),
  });
  queue.start();
  const route = createRuntimeRoute(endpoints, {
    storage,
    asyncQueue: queue,
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
    maxAttempts: 1,
  });
  await writeFile(join(work, "in.csv"), "1,2,3");
  for (const t of ["fail", "chunked", "never"]) await writeFile(join(work, `${t}.txt`), t);
});

after(async () => {
  client.destroy();
  pool.close();
  front.closeAllConnections();
  container.closeAllConnections();
  await Promise.all([new Promise((r) => front.close(r)), new Promise((r) => container.close(r))]);
  await queue.close();
  await rm(work, { recursive: true, force: true });
});

/** Waits (bounded) until the file behind a `file://` URI exists, and reads it. */
async function object(uri: string): Promise<string> {
  const path = new URL(uri).pathname;
  for (let i = 0; i < 600 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 25));
  return readFile(path, "utf8");
}

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error("expected a failure");
}

const invoke = (input: Partial<ConstructorParameters<typeof InvokeEndpointAsyncCommand>[0]>) =>
  client.send(
    new InvokeEndpointAsyncCommand({ EndpointName: "async", InputLocation: url("in.csv"), ...input }),
  );

describe("InvokeEndpointAsync", () => {
  it("answers 202 with the InferenceId and locations, and writes the container's answer there", async () => {
    seen.length = 0;
    const r = await invoke({
      ContentType: "text/csv",
      Accept: "text/csv",
      CustomAttributes: "trace=7",
      InferenceId: "req 1",
    });
    assert.equal(r.$metadata.httpStatusCode, 202);
    assert.equal(r.InferenceId, "req 1");
    assert.match(r.OutputLocation!, new RegExp(`^${url("out")}/[0-9a-f-]{36}\\.out$`));
    const name = r.OutputLocation!.slice(url("out").length + 1, -".out".length);
    assert.equal(r.FailureLocation, `${url("failures")}/${name}-error.out`);
    assert.equal(await object(r.OutputLocation!), "answer to 1,2,3");
    const h = seen[0]!;
    assert.deepEqual(
      [h["content-type"], h.accept, h["x-amzn-sagemaker-custom-attributes"]],
      ["text/csv", "text/csv", "trace=7"],
    );
    assert.equal(existsSync(new URL(r.FailureLocation!).pathname), false);
  });

  it("names the InferenceId after the file when the caller gives none, and takes a Filename and a path extension", async () => {
    const r = await invoke({});
    assert.equal(r.OutputLocation, `${url("out")}/${r.InferenceId}.out`);
    const named = await invoke({ Filename: "result.csv", S3OutputPathExtension: "2026/run-1" });
    assert.equal(named.OutputLocation, `${url("out")}/2026/run-1/result.csv`);
    assert.equal(named.FailureLocation, `${url("failures")}/result.csv-error.out`);
    assert.equal(await object(named.OutputLocation!), "answer to 1,2,3");
  });

  it("writes the container's error body as the failure object", async () => {
    const r = await invoke({ InputLocation: url("fail.txt") });
    assert.equal(await object(r.FailureLocation!), '{"error":"the model cannot read fail"}');
  });

  it("fails an answer without Content-Length, a missing input and a timeout, each saying why", async () => {
    const chunked = await invoke({ InputLocation: url("chunked.txt") });
    assert.equal(
      await object(chunked.FailureLocation!),
      "The response from container primary did not specify the required Content-Length header",
    );
    const missing = await invoke({ InputLocation: url("nothing-here.csv") });
    assert.match(
      await object(missing.FailureLocation!),
      /^Failed to download the input from file:.*nothing-here\.csv: ENOENT/,
    );
    const slow = await invoke({ InputLocation: url("never.txt"), InvocationTimeoutSeconds: 1 });
    assert.equal(
      await object(slow.FailureLocation!),
      "The invocation timed out: container primary did not answer within InvocationTimeoutSeconds (1 s).",
    );
  });

  it("without an S3FailurePath, answers no FailureLocation and writes a failure beside the answers", async () => {
    const r = await client.send(
      new InvokeEndpointAsyncCommand({ EndpointName: "nofailurepath", InputLocation: url("fail.txt") }),
    );
    assert.equal(r.FailureLocation, undefined);
    const name = r.OutputLocation!.slice(url("out").length + 1, -".out".length);
    assert.equal(await object(`${url("out")}/${name}-error.out`), '{"error":"the model cannot read fail"}');
  });

  it("refuses what SageMaker Runtime refuses: no InputLocation, a body, out-of-range numbers, a real-time or unknown endpoint", async () => {
    const noInput = await failure(
      client.send(new InvokeEndpointAsyncCommand({ EndpointName: "async" } as never)),
    );
    assert.equal(noInput.name, "ValidationError");
    assert.match(
      noInput.message,
      /Value null at 'inputLocation' failed to satisfy constraint: Member must not be null/,
    );
    const numbers = await failure(invoke({ InvocationTimeoutSeconds: 3601, RequestTTLSeconds: 59 }));
    assert.match(numbers.message, /^2 validation errors detected: /);
    assert.match(
      numbers.message,
      /Value '59' at 'requestTTLSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60/,
    );
    assert.match(
      numbers.message,
      /Value '3601' at 'invocationTimeoutSeconds' failed to satisfy constraint: Member must have value less than or equal to 3600/,
    );
    const port = (front.address() as AddressInfo).port;
    const withBody = await fetch(`http://127.0.0.1:${port}/endpoints/async/async-invocations`, {
      method: "POST",
      headers: { "x-amzn-sagemaker-inputlocation": url("in.csv") },
      body: "inline",
    });
    assert.equal(withBody.status, 400);
    assert.equal(withBody.headers.get("x-amzn-errortype"), "ValidationError");
    assert.equal(
      ((await withBody.json()) as { message: string }).message,
      "1 validation error detected: Value at 'body' failed to satisfy constraint: Member must have length less than or equal to 0",
    );
    const realtime = await failure(
      client.send(new InvokeEndpointAsyncCommand({ EndpointName: "realtime", InputLocation: url("in.csv") })),
    );
    assert.equal(realtime.name, "ValidationError");
    assert.match(realtime.message, /^Endpoint realtime is not an asynchronous inference endpoint/);
    const unknown = await failure(
      client.send(new InvokeEndpointAsyncCommand({ EndpointName: "nope", InputLocation: url("in.csv") })),
    );
    assert.equal(unknown.message, "Endpoint nope of account 123456789012 not found.");
    const https = await failure(invoke({ InputLocation: "https://b.s3.amazonaws.com/in.csv" }));
    assert.equal(
      https.message,
      "Cannot read InputLocation https://b.s3.amazonaws.com/in.csv: sagebrew local reads s3:// and file:// URIs.",
    );
    const climbing = await failure(invoke({ S3OutputPathExtension: "a/../../x" }));
    assert.match(climbing.message, /^Cannot write below .* with S3OutputPathExtension 'a\/\.\.\/\.\.\/x'/);
  });

  it("leaves nothing queued once every invocation has ended, and warned of nothing", async () => {
    for (let i = 0; i < 600 && (await readdir(join(work, "state", "async-invocations"))).length > 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    assert.deepEqual(await readdir(join(work, "state", "async-invocations")), []);
    assert.deepEqual(warnings, []);
  });
});
