/**
 * SIGTERM against the real `serve` process: it stops accepting, answers every request in flight,
 * and exits 0.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { irisMlRoot, irisRows } from "../support/iris.js";
import { sendHttp } from "./_drivers.js";
import { startServeProcess } from "./_process.js";

const ECHO = fileURLToPath(new URL("./fixtures/echo-handler.ts", import.meta.url));

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

  it("exits 1 with one line naming the problem when the handler is invalid", async () => {
    await assert.rejects(startServeProcess({ SAGEBREW_HANDLER: "./does-not-exist.js" }), /serve exited/);
  });
});
