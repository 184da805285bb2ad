import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { RequestWorker } from "./worker.js";

// A thread module that answers `ok`, exits on `exit` and throws outside any handler on `throw`.
const dir = mkdtempSync(join(tmpdir(), "sb-worker-"));
writeFileSync(
  join(dir, "dying.js"),
  `import { parentPort } from "node:worker_threads";
parentPort.on("message", (m) => {
  if (m.op === "exit") process.exit(3);
  else if (m.op === "throw") setImmediate(() => { throw new Error("boom"); });
  else parentPort.postMessage({ id: m.id, ok: true, result: m.op });
});
`,
);
const base = pathToFileURL(join(dir, "test.js")).href;
after(() => rmSync(dir, { recursive: true, force: true }));

describe("RequestWorker", () => {
  let deaths = 0;
  const start = () =>
    new RequestWorker(base, "dying", undefined, {
      label: "The test thread",
      fallbackCode: "SB_INTERNAL",
      onDead: () => deaths++,
    });

  it("rejects what is pending, and everything after, when its thread exits by itself", async () => {
    const w = start();
    assert.equal(await w.request({ op: "ok" }), "ok");
    await assert.rejects(w.request({ op: "exit" }), /The test thread exited with code 3/);
    assert.ok(w.dead);
    assert.equal(deaths, 1);
    await assert.rejects(w.request({ op: "ok" }), /exited with code 3/, "no request hangs on a dead thread");
  });

  it("does the same, once, for an uncaught error in the thread", async () => {
    const w = start();
    await assert.rejects(w.request({ op: "throw" }), /The test thread failed: boom/);
    assert.ok(w.dead);
    assert.equal(deaths, 2);
  });

  it("is dead once stopped, without reporting a death", async () => {
    const w = start();
    await w.stop();
    assert.ok(w.dead);
    await assert.rejects(w.request({ op: "ok" }), /was stopped/);
    assert.equal(deaths, 2);
  });
});
