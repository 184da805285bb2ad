/**
 * The asynchronous invocation queue on its own, over a temporary state directory, `file://`
 * storage and containers played by node:http servers that hold every request until the test lets
 * it go: MaxConcurrentInvocationsPerInstance never exceeded on any container (and reached), the
 * order kept, RequestTTLSeconds expiring a waiting invocation (by an injected clock), a queue that
 * a stop leaves behind run by the next queue on the same directory, a deleted endpoint's
 * invocations failed, and a damaged journal file moved aside.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { createStorage } from "../../storage/index.js";
import { type Instance, LiveEndpoint } from "../endpoints/index.js";
import { UpstreamPool } from "../proxy/index.js";
import { AsyncQueue, type AsyncSubmission, type ServingEndpoints } from "./queue.js";

/** A container that holds each request until released, recording how many it holds at once. */
class HoldingContainer {
  readonly server: Server;
  readonly held: Array<{ body: string; res: ServerResponse }> = [];
  readonly bodies: string[] = [];
  most = 0;
  #arrived: () => void = () => {};

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString();
        this.bodies.push(body);
        this.held.push({ body, res });
        this.most = Math.max(this.most, this.held.length);
        this.#arrived();
      });
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    return (this.server.address() as AddressInfo).port;
  }

  /** Resolves once it holds `n` requests. */
  async holding(n: number): Promise<void> {
    while (this.held.length < n)
      await new Promise<void>((r) => {
        this.#arrived = r;
      });
  }

  /** Answers the oldest request it holds. */
  release(): void {
    const h = this.held.shift()!;
    const answer = `answer to ${h.body}`;
    h.res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(answer) });
    h.res.end(answer);
  }

  /** Answers the oldest request it holds with a 500. */
  fail(): void {
    const h = this.held.shift()!;
    h.res.writeHead(500, { "content-type": "text/plain" });
    h.res.end(`cannot answer ${h.body}`);
  }

  async close(): Promise<void> {
    for (const h of this.held.splice(0)) h.res.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

let work: string;
const containers: HoldingContainer[] = [];
const pools: UpstreamPool[] = [];
const endpoints = new Map<string, LiveEndpoint>();
const serving: ServingEndpoints = { lookup: (name) => endpoints.get(name.toLowerCase()) };
const storage = createStorage({ env: {} });
const warnings: string[] = [];
const logged: string[] = [];
const logs = {
  write: (group: string, stream: string, line: string) => logged.push(`${group} ${stream} ${line}`),
};
let now = 1_000_000;
const clock = () => now;

const url = (...p: string[]) => pathToFileURL(join(work, ...p)).href;

/** An asynchronous endpoint of `count` instances, each a holding container. */
async function endpoint(name: string, count: number, perInstance: number): Promise<HoldingContainer[]> {
  const mine: HoldingContainer[] = [];
  const instances: Instance[] = [];
  for (let i = 0; i < count; i++) {
    const c = new HoldingContainer();
    const pool = new UpstreamPool(await c.listen());
    containers.push(c);
    pools.push(pool);
    mine.push(c);
    instances.push({
      id: `i-${i}`,
      variant: "AllTraffic",
      pool,
      logStream: `AllTraffic/i-${i}`,
      exited: false,
    } as unknown as Instance);
  }
  endpoints.set(
    name,
    new LiveEndpoint(
      name,
      1,
      [{ name: "AllTraffic", weight: 1, instances, multiModel: false, inFlight: 0, next: 0, current: 0 }],
      {
        OutputConfig: { S3OutputPath: url(name, "out"), S3FailurePath: url(name, "failures") },
        ClientConfig: { MaxConcurrentInvocationsPerInstance: perInstance },
      },
    ),
  );
  return mine;
}

function submission(endpointName: string, i: number, over: Partial<AsyncSubmission> = {}): AsyncSubmission {
  return {
    endpoint: endpointName,
    inferenceId: `inv-${i}`,
    inputLocation: url("inputs", `${i}.txt`),
    outputLocation: url(endpointName, "out", `${i}.out`),
    failureLocation: url(endpointName, "failures", `${i}-error.out`),
    timeoutSeconds: 900,
    ttlSeconds: 21_600,
    ...over,
  };
}

async function open(dir = "state"): Promise<AsyncQueue> {
  const q = await AsyncQueue.open({
    endpoints: serving,
    storage,
    logs,
    dir: join(work, dir),
    warn: (m) => warnings.push(m),
    clock,
  });
  q.start();
  return q;
}

async function until(ok: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 800 && !(await ok()); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(await ok(), "waited 20 s");
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-async-queue-"));
  await mkdir(join(work, "inputs"));
  for (let i = 0; i < 40; i++) await writeFile(join(work, "inputs", `${i}.txt`), `row ${i}`);
});

after(async () => {
  for (const p of pools) p.close();
  await Promise.all(containers.map((c) => c.close()));
  await rm(work, { recursive: true, force: true });
});

describe("AsyncQueue", () => {
  it("never gives a container more than MaxConcurrentInvocationsPerInstance, fills every one, and keeps the order", async () => {
    const [a, b] = await endpoint("two", 2, 3);
    const q = await open("state-two");
    for (let i = 0; i < 20; i++) await q.submit(submission("two", i));
    await a!.holding(3);
    await b!.holding(3);
    assert.equal(q.backlog("two"), 20);
    // Let them go one at a time; a freed place is taken by the next in line, never one more.
    for (let done = 0; done < 20; done++) {
      const c = a!.held.length >= b!.held.length ? a! : b!;
      c.release();
      const left = 20 - done - 1;
      await until(() => a!.held.length + b!.held.length === Math.min(6, left));
    }
    assert.deepEqual([a!.most, b!.most], [3, 3]);
    // Taken in the order they came.
    assert.deepEqual(
      [...a!.bodies, ...b!.bodies].map((s) => Number(s.split(" ")[1])).sort((x, y) => x - y),
      Array.from({ length: 20 }, (_, i) => i),
    );
    // Each leaves the queue once its answer is written.
    await until(async () => (await readdir(join(work, "state-two"))).length === 0);
    for (let i = 0; i < 20; i++)
      assert.equal(await readFile(new URL(url("two", "out", `${i}.out`)), "utf8"), `answer to row ${i}`);
    await q.close();
  });

  it("writes the container's error as the failure object and tells it in the instance's data-log stream", async () => {
    const [c] = await endpoint("failing", 1, 1);
    const q = await open("state-failing");
    await q.submit(submission("failing", 7));
    await c!.holding(1);
    c!.fail();
    await until(async () => (await readdir(join(work, "state-failing"))).length === 0);
    assert.equal(
      await readFile(new URL(url("failing", "failures", "7-error.out")), "utf8"),
      "cannot answer row 7",
    );
    assert.deepEqual(logged, [
      "/aws/sagemaker/Endpoints/failing AllTraffic/i-0/data-log [sagemaker logs] [inv-7] Received server error (500) from primary",
    ]);
    await q.close();
  });

  it("fails an invocation that waited past its RequestTTLSeconds, saying so", async () => {
    const [c] = await endpoint("ttl", 1, 1);
    const q = await open("state-ttl");
    await q.submit(submission("ttl", 0));
    await c!.holding(1);
    await q.submit(submission("ttl", 1, { ttlSeconds: 60 }));
    now += 61_000;
    c!.release();
    await until(async () => (await readdir(join(work, "state-ttl"))).length === 0);
    assert.equal(
      await readFile(new URL(url("ttl", "failures", "1-error.out")), "utf8"),
      "The request expired: it waited in the queue longer than its RequestTTLSeconds (60 s) before a container was free.",
    );
    assert.equal(c!.bodies.length, 1, "the expired invocation never reached the container");
    await q.close();
  });

  it("runs again, after a stop, what was queued or running, and only that", async () => {
    const [c] = await endpoint("restart", 1, 1);
    const first = await open("state-restart");
    for (let i = 0; i < 3; i++) await first.submit(submission("restart", i));
    await c!.holding(1);
    // A stop: the queue first, then the containers (cutting the running invocation short).
    const closed = first.close();
    c!.held.shift()!.res.destroy();
    await closed;
    assert.equal((await readdir(join(work, "state-restart"))).length, 3, "all three still queued on disk");
    assert.equal(
      existsSync(new URL(url("restart", "failures", "0-error.out"))),
      false,
      "no failure for a cut run",
    );
    const second = await open("state-restart");
    for (let i = 0; i < 3; i++) {
      await c!.holding(1);
      c!.release();
    }
    await until(async () => (await readdir(join(work, "state-restart"))).length === 0);
    for (let i = 0; i < 3; i++)
      assert.equal(await readFile(new URL(url("restart", "out", `${i}.out`)), "utf8"), `answer to row ${i}`);
    assert.deepEqual(c!.bodies, ["row 0", "row 0", "row 1", "row 2"]);
    await second.close();
  });

  it("fails the invocations of an endpoint that is gone, and moves a damaged journal file aside", async () => {
    const [c] = await endpoint("gone", 1, 1);
    const q = await open("state-gone");
    await q.submit(submission("gone", 0));
    await q.submit(submission("gone", 1));
    await c!.holding(1);
    endpoints.delete("gone");
    c!.release();
    await until(async () => (await readdir(join(work, "state-gone"))).length === 0);
    assert.match(
      await readFile(new URL(url("gone", "failures", "1-error.out")), "utf8"),
      /^Endpoint gone was deleted, or stopped serving, before the request ran/,
    );
    assert.equal(await readFile(new URL(url("gone", "out", "0.out")), "utf8"), "answer to row 0");
    await q.close();
    await writeFile(join(work, "state-gone", "000000000009.json"), "{not json");
    warnings.length = 0;
    const reopened = await open("state-gone");
    assert.match(
      warnings[0] ?? "",
      /^Cannot read the queued asynchronous invocation .*000000000009\.json: .*; moved aside$/,
    );
    assert.deepEqual(await readdir(join(work, "state-gone")), ["000000000009.json.unreadable"]);
    await reopened.close();
  });
});
