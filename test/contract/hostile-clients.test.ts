/**
 * The HTTP server under hostile clients, over real sockets on port 0: bodies and headers that stop
 * arriving get 408, connections over the cap get 503 while `/ping` still answers, large bodies at
 * a normal pace are not cut off, and rejections are logged at a bounded rate.
 *
 * No assertion depends on how fast the machine is, except the one the platform sets: `/ping`
 * answered within SageMaker's 2 s health-check timeout while 200 slow clients hold connections
 * (the answer takes milliseconds; the bound is 2 s so that a loaded machine does not fail it).
 * Waits that a broken server would never end are ended by each test's `timeout`.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, describe, it } from "node:test";
import {
  checkHandler,
  createLogger,
  createMultiModelApp,
  defineHandler,
  REJECTIONS_SUMMARY,
  RejectionLog,
  type RunningServer,
  readServingConfig,
  startServer,
} from "@sagebrew/runtime";
import { sendHttp } from "../kit/serving-drivers.js";

/** A model that answers the number of body bytes it received. */
const byteCounter = checkHandler(
  defineHandler({
    name: "byte-counter",
    contentTypes: ["text/csv"],
    accepts: ["text/csv"],
    load: () => ({}),
    transform: (_model, body) => `${body.length}\n`,
  }),
  "byte-counter",
);

interface Started {
  readonly server: RunningServer;
  readonly logs: Array<Record<string, unknown>>;
}

const running: RunningServer[] = [];
after(async () => {
  await Promise.all(running.map((s) => s.stop({ deadlineMs: 2000 })));
});

async function start(env: Record<string, string>): Promise<Started> {
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: "info", write: (l) => void logs.push(JSON.parse(l)) });
  const config = readServingConfig({ SAGEMAKER_BIND_TO_PORT: "0", ...env }, { cpuCount: 2 });
  const server = await startServer(byteCounter, { config, logger, host: "127.0.0.1" });
  running.push(server);
  await server.ready;
  return { server, logs };
}

/** What a raw connection received: the first response, and whether the server closed. */
interface RawReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

/** Resolves with the response the server sends on `socket`, once the server has closed it. */
function replyOf(socket: Socket): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.once("error", reject);
    socket.once("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      const lines = text.slice(0, split).split("\r\n");
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const c = l.indexOf(":");
        headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
      }
      resolve({ status: Number(lines[0]?.split(" ")[1] ?? 0), headers, body: text.slice(split + 4) });
    });
  });
}

/** A request head; `Connection: close`, so that `replyOf` sees the end of the one answer. */
const postHead = (length: number, path = "/invocations", type = "text/csv") =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

describe("serve under hostile clients", () => {
  it(
    "answers a body that stops arriving with 408, one sentence, and closes the connection",
    { timeout: 20_000 },
    async () => {
      const { server } = await start({ SAGEBREW_BODY_IDLE_TIMEOUT: "0.3" });
      const s = await open(server.port);
      const reply = replyOf(s);
      s.write(`${postHead(100)}1,2,3`);
      const r = await reply;
      assert.equal(r.status, 408);
      assert.equal(r.headers.connection, "close");
      assert.equal(r.headers["content-type"], "text/plain; charset=utf-8");
      assert.equal(
        r.body,
        "The request body stopped arriving: no byte for 0.3 s (SAGEBREW_BODY_IDLE_TIMEOUT)\n",
      );
      // The server still serves everyone else.
      const ok = await sendHttp(server.port, "/invocations", {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: "1,2",
      });
      assert.equal(ok.text, "3\n");
    },
  );

  it(
    "answers a body that trickles past SAGEBREW_BODY_TIMEOUT with 408, however steady",
    { timeout: 20_000 },
    async () => {
      const { server } = await start({ SAGEBREW_BODY_TIMEOUT: "0.5" });
      const s = await open(server.port);
      const reply = replyOf(s);
      s.write(postHead(1000));
      const drip = setInterval(() => s.writable && s.write("1"), 20);
      try {
        const r = await reply;
        assert.equal(r.status, 408);
        assert.equal(r.body, "The request body did not arrive within 0.5 s (SAGEBREW_BODY_TIMEOUT)\n");
      } finally {
        clearInterval(drip);
      }
    },
  );

  it("answers headers that stop arriving with 408, not 400", { timeout: 20_000 }, async () => {
    const { server, logs } = await start({ SAGEBREW_HEADERS_TIMEOUT: "0.3" });
    const s = await open(server.port);
    const reply = replyOf(s);
    s.write("POST /invocations HTTP/1.1\r\nHost: x\r\nContent-");
    const r = await reply;
    assert.equal(r.status, 408);
    assert.equal(r.headers.connection, "close");
    assert.equal(r.body, "The request's headers did not arrive within 0.3 s (SAGEBREW_HEADERS_TIMEOUT)\n");
    assert.ok(logs.some((l) => l.msg === "request rejected" && l.status === 408));
  });

  it(
    "words its own refusals in the app's style: JSON on a multi-model endpoint",
    { timeout: 20_000 },
    async () => {
      const config = readServingConfig(
        { SAGEMAKER_BIND_TO_PORT: "0", SAGEMAKER_MULTI_MODEL: "true", SAGEBREW_BODY_IDLE_TIMEOUT: "0.3" },
        { cpuCount: 2 },
      );
      const logger = createLogger({ level: "silent" });
      const app = createMultiModelApp({ config, logger, handlerFor: async () => byteCounter });
      const server = await startServer(undefined, { config, logger, app, host: "127.0.0.1" });
      running.push(server);
      const s = await open(server.port);
      const reply = replyOf(s);
      s.write(`${postHead(100, "/models", "application/json")}{"model_name":`);
      const r = await reply;
      assert.equal(r.status, 408);
      assert.equal(r.headers["content-type"], "application/json");
      assert.deepEqual(JSON.parse(r.body), {
        message: "The request body stopped arriving: no byte for 0.3 s (SAGEBREW_BODY_IDLE_TIMEOUT)",
      });
    },
  );

  it(
    "takes 100 MB bodies whole, at full speed and in pieces over longer than the idle limit",
    { timeout: 120_000 },
    async () => {
      const { server } = await start({ SAGEMAKER_MAX_PAYLOAD_IN_MB: "100", SAGEBREW_BODY_IDLE_TIMEOUT: "2" });
      const big = Buffer.alloc(100 * 1024 * 1024, 0x31);
      const whole = await sendHttp(server.port, "/invocations", {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: big,
      });
      assert.equal(whole.status, 200, whole.text);
      assert.equal(whole.text, `${big.length}\n`);
      // 30 pieces 100 ms apart: 3 s in all, more than the 2 s idle limit, never 2 s without a byte.
      const s = await open(server.port);
      const reply = replyOf(s);
      const piece = 1024 * 1024;
      s.write(postHead(30 * piece));
      for (let i = 0; i < 30; i++) {
        s.write(big.subarray(0, piece));
        await new Promise((r) => setTimeout(r, 100));
      }
      s.end();
      const paced = await reply;
      assert.equal(paced.status, 200, paced.body);
      assert.equal(paced.body, `${30 * piece}\n`);
    },
  );

  it(
    "answers 503 on connections over SAGEBREW_MAX_CONNECTIONS, but still answers /ping",
    { timeout: 30_000 },
    async () => {
      const { server } = await start({ SAGEBREW_MAX_CONNECTIONS: "4" });
      const holders = await Promise.all(Array.from({ length: 4 }, () => open(server.port)));
      const held = holders.map((s) => replyOf(s));
      for (const s of holders) s.write(`${postHead(3)}1,`);
      await until(() => server.http.connections === 4);
      const refused = await sendHttp(server.port, "/invocations", {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: "1,2",
      });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.connection, "close");
      assert.equal(
        refused.text,
        "The server already holds 4 connections, its limit (SAGEBREW_MAX_CONNECTIONS): retry later\n",
      );
      const ping = await sendHttp(server.port, "/ping");
      assert.equal(ping.status, 200);
      assert.equal(ping.headers.connection, "close");
      // Beyond twice the cap a connection is answered at once, before it sends anything.
      const waiting = await Promise.all(Array.from({ length: 4 }, () => open(server.port)));
      await until(() => server.http.connections === 8);
      const beyond = await open(server.port);
      const atOnce = await replyOf(beyond);
      assert.equal(atOnce.status, 503);
      assert.match(atOnce.body, /its limit \(SAGEBREW_MAX_CONNECTIONS\), and more waiting/);
      for (const s of waiting) s.destroy();
      // The holders finish their bodies and are answered; the cap frees up.
      for (const s of holders) s.write("2");
      assert.deepEqual(await Promise.all(held.map(async (p) => (await p).body)), [
        "3\n",
        "3\n",
        "3\n",
        "3\n",
      ]);
      await until(() => server.http.connections === 0);
      const ok = await sendHttp(server.port, "/invocations", {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: "1,2",
      });
      assert.equal(ok.text, "3\n");
    },
  );

  it(
    "answers /ping within 2 s while 200 slow clients hold connections, then answers each of them 408",
    { timeout: 60_000 },
    async () => {
      const { server } = await start({ SAGEBREW_BODY_IDLE_TIMEOUT: "5", SAGEBREW_HEADERS_TIMEOUT: "5" });
      const slow = await Promise.all(Array.from({ length: 200 }, () => open(server.port)));
      const replies = slow.map((s) => replyOf(s));
      // Half stop in their body, half in their headers.
      for (const [i, s] of slow.entries()) {
        s.write(i % 2 === 0 ? `${postHead(1000)}1,2` : "POST /invocations HTTP/1.1\r\nHo");
      }
      await until(() => server.http.connections === 200);
      const t0 = performance.now();
      const ping = await sendHttp(server.port, "/ping");
      const ms = performance.now() - t0;
      assert.equal(ping.status, 200);
      assert.ok(ms < 2000, `/ping took ${ms.toFixed(0)} ms`);
      assert.ok(
        server.http.connections >= 200,
        "the slow clients were still connected when /ping was answered",
      );
      const statuses = await Promise.all(replies.map(async (r) => (await r).status));
      assert.deepEqual(new Set(statuses), new Set([408]));
    },
  );

  it(
    "logs the first SAGEBREW_REJECTION_LOG_LIMIT rejections in full, then one summary with counts by reason",
    { timeout: 20_000 },
    async () => {
      const { server, logs } = await start({ SAGEBREW_REJECTION_LOG_LIMIT: "3" });
      for (let i = 0; i < 10; i++) {
        const r = await sendHttp(server.port, "/invocations", {
          method: "POST",
          headers: { "content-type": "image/png" },
          body: "x",
        });
        assert.equal(r.status, 415);
      }
      for (let i = 0; i < 2; i++) {
        const s = await open(server.port);
        const reply = replyOf(s);
        s.write("GARBAGE\r\n\r\n");
        assert.equal((await reply).status, 400);
      }
      const full = logs.filter((l) => l.msg === "invocation rejected" || l.msg === "request rejected");
      assert.equal(full.length, 3);
      assert.equal(logs.filter((l) => l.msg === REJECTIONS_SUMMARY).length, 0);
      await server.stop({ deadlineMs: 2000 });
      const summaries = logs.filter((l) => l.msg === REJECTIONS_SUMMARY);
      assert.equal(summaries.length, 1);
      assert.equal(summaries[0]!.count, 9);
      assert.deepEqual(summaries[0]!.byReason, {
        "415 SB_UNSUPPORTED_MEDIA_TYPE": 7,
        "400 malformed HTTP": 2,
      });
    },
  );
});

describe("RejectionLog", () => {
  it("counts per interval: a summary when the interval ends, then full lines again", () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: "info", write: (l) => void lines.push(JSON.parse(l)) });
    let now = 0;
    const log = new RejectionLog(logger, { limit: 2, intervalMs: 1000, now: () => now });
    for (let i = 0; i < 5; i++) log.warn(i % 2 ? "400 a" : "415 b", "rejected", { i });
    assert.deepEqual(
      lines.map((l) => [l.msg, l.i]),
      [
        ["rejected", 0],
        ["rejected", 1],
      ],
    );
    now = 1000;
    log.warn("400 a", "rejected", { i: 5 });
    assert.deepEqual(
      lines.slice(2).map((l) => [l.msg, l.count ?? l.i, l.byReason]),
      [
        [REJECTIONS_SUMMARY, 3, { "415 b": 2, "400 a": 1 }],
        ["rejected", 5, undefined],
      ],
    );
    log.flush();
    assert.equal(lines.length, 4, "nothing held back, nothing to summarise");
  });
});
