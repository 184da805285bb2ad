import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
  if (m.stop) parentPort.close();
  else if (m.op === "exit") process.exit(3);
  else if (m.op === "throw") setImmediate(() => { throw new Error("boom"); });
  else parentPort.postMessage({ id: m.id, ok: true, result: m.op });
});
`,
);
// A thread that is busy in its start-up (as a pool thread is while it loads libxgboost) before it answers.
writeFileSync(
  join(dir, "slow-start.js"),
  `import { writeFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
const until = Date.now() + 300;
while (Date.now() < until);
writeFileSync(workerData, "started");
parentPort.on("message", (m) => {
  if (m.stop) parentPort.close();
  else parentPort.postMessage({ id: m.id, ok: true, result: "ok" });
});
`,
);
// A thread that, asked to, marks a file and then stays inside a call (as in libxgboost) for 2 s.
writeFileSync(
  join(dir, "busy.js"),
  `import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
parentPort.on("message", (m) => {
  if (m.stop) parentPort.close();
  else {
    writeFileSync(workerData, "");
    execFileSync("sleep", ["2"]);
    parentPort.postMessage({ id: m.id, ok: true, result: "done" });
  }
});
`,
);
// A thread that never reads its messages.
writeFileSync(join(dir, "deaf.js"), "setInterval(() => {}, 1000);\n");
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

  it("lets a thread still starting up finish it and end by itself, instead of cutting it off", async () => {
    const marker = join(dir, "started");
    const w = new RequestWorker(base, "slow-start", marker, { label: "t", fallbackCode: "SB_INTERNAL" });
    const pending = w.request({ op: "ok" });
    await w.stop();
    assert.ok(existsSync(marker), "the thread's start-up ran to its end before the thread ended");
    assert.equal(await pending, "ok", "a request sent before the stop is answered before the thread ends");
  });

  it("rejects a request only once its thread has ended, never while it may still be using it", async () => {
    const started = join(dir, "busy-started");
    const w = new RequestWorker(base, "busy", started, { label: "t", fallbackCode: "SB_INTERNAL" });
    let settled = false;
    const pending = w.request({ op: "block" }).finally(() => {
      settled = true;
    });
    while (!existsSync(started)) await new Promise((r) => setTimeout(r, 10));
    const stopped = w.stop(undefined, { graceMs: 50 });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(settled, false, "the thread is still inside its call: its request holds on");
    await stopped;
    await assert.rejects(pending, /was stopped/);
  });

  it("terminates a thread that does not end within the grace period", async () => {
    const w = new RequestWorker(base, "deaf", undefined, { label: "t", fallbackCode: "SB_INTERNAL" });
    const code = await w.stop(undefined, { graceMs: 50 });
    assert.equal(typeof code, "number", "the stop resolves: the thread was terminated");
    assert.equal(await w.stop(), code, "stopping twice answers the same exit");
  });
});
