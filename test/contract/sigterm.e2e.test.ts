/**
 * SIGTERM against the real `serve` process: it stops accepting, answers every request in flight,
 * and exits 0.
 */
import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { irisMlRoot, irisRows } from "../kit/iris.js";
import { startServeProcess } from "../kit/serve-process.js";
import { sendHttp } from "../kit/serving-drivers.js";

const ECHO = fileURLToPath(new URL("./fixtures/echo-handler.ts", import.meta.url));

type Outcome = { status: number; text: string } | { error: string; sent: boolean };

/** One request on `agent`'s kept-alive connection; a failure says whether the request had been written. */
function keepAliveRequest(agent: Agent, port: number, body: string): Promise<Outcome> {
  return new Promise((resolve) => {
    let sent = false;
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/invocations",
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, sent }));
      },
    );
    req.on("finish", () => {
      sent = true;
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, sent }));
    req.end(body);
  });
}

async function waitForPing(port: number): Promise<void> {
  for (;;) {
    const r = await sendHttp(port, "/ping");
    if (r.status === 200) return;
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe("serve process and SIGTERM", () => {
  it("serves the iris model on the port it logs, answering setosa", async () => {
    const root = await irisMlRoot();
    const p = await startServeProcess({ SAGEMAKER_BASE_DIR: root });
    try {
      await waitForPing(p.port);
      const row = irisRows().features[0]!.join(",");
      const r = await sendHttp(p.port, "/invocations", {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: row,
      });
      assert.equal(r.status, 200);
      assert.equal(r.text, "setosa\n");
      p.child.kill("SIGTERM");
      assert.equal(await p.exited, 0);
    } finally {
      p.kill();
    }
  });

  it("finishes every request in flight after SIGTERM, refuses new ones, and exits 0", async () => {
    const p = await startServeProcess({ SAGEBREW_HANDLER: ECHO });
    try {
      await waitForPing(p.port);
      const inFlight = Array.from({ length: 8 }, (_, i) =>
        sendHttp(p.port, "/invocations", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ delayMs: 1500, value: i }),
        }),
      );
      await p.waitForLog((l) => l.msg === "predict started", 8);
      p.child.kill("SIGTERM");
      await p.waitForLog((l) => l.msg === "stopping");
      await assert.rejects(sendHttp(p.port, "/ping"), /ECONNREFUSED|ECONNRESET/);
      const replies = await Promise.all(inFlight);
      assert.deepEqual(
        replies.map((r) => [r.status, r.text]),
        Array.from({ length: 8 }, (_, i) => [200, `[${i}]`]),
      );
      assert.equal(await p.exited, 0);
    } finally {
      p.kill();
    }
  });

  it(
    "loses no request when SIGTERM comes while keep-alive clients send continuously",
    { timeout: 60_000 },
    async () => {
      const p = await startServeProcess({ SAGEBREW_HANDLER: ECHO });
      try {
        await waitForPing(p.port);
        let answered = 0;
        let signalled = false;
        const outcomes = await Promise.all(
          Array.from({ length: 32 }, async (_, client) => {
            const agent = new Agent({ keepAlive: true, maxSockets: 1 });
            const statuses = new Set<number>();
            try {
              // Each client sends its next request as soon as the last is answered, until one fails.
              for (let i = 0; ; i++) {
                const r = await keepAliveRequest(
                  agent,
                  p.port,
                  JSON.stringify({ value: client * 100_000 + i }),
                );
                if ("error" in r) return { statuses, ...r };
                statuses.add(r.status);
                if (r.status === 200) assert.equal(r.text, `[${client * 100_000 + i}]`);
                if (++answered === 2000 && !signalled) {
                  signalled = true;
                  p.child.kill("SIGTERM");
                }
              }
            } finally {
              agent.destroy();
            }
          }),
        );
        assert.ok(signalled, "SIGTERM was sent under load");
        // A request either got an answer (200 before the stop, 503 once stopping) or failed before
        // any of its bytes were sent: the server no longer listens. Never a reset mid-request.
        for (const o of outcomes) {
          assert.equal(
            o.error,
            "ECONNREFUSED",
            `a request was cut off after ${o.sent ? "being sent" : "connecting"}: ${o.error}`,
          );
          assert.ok(o.statuses.has(200));
        }
        assert.equal(await p.exited, 0);
      } finally {
        p.kill();
      }
    },
  );

  it("exits 1 with one line naming the problem when the handler is invalid", async () => {
    await assert.rejects(startServeProcess({ SAGEBREW_HANDLER: "./does-not-exist.js" }), /serve exited/);
  });
});
