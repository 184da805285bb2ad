import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { fileURLToPath } from "node:url";

const POOL = fileURLToPath(new URL("./_pool.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "sb-pool-close-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// A process whose pool is asked for a thread while it closes. The stopping threads count as dead,
// and the pool used to start fresh ones in their place that nobody stopped: the process then never
// ended (serve after SIGTERM, once in 30 runs on a loaded machine).
const SCRIPT = `
import { XGBoostPool } from ${JSON.stringify(POOL)};
const pool = new XGBoostPool(2);
pool.start();
await new Promise((r) => setTimeout(r, 300));
const closing = pool.close();
const late = await pool.predictTrees(null, new Float32Array(4), 1).then(() => "answered", (e) => e.message);
let pinned;
try { pinned = String(pool.pinSlot()); } catch (e) { pinned = e.message; }
await closing;
console.log(JSON.stringify({ late, pinned }));
`;

it("a closing pool starts no thread: asked for one meanwhile, it refuses, and the process ends by itself", async () => {
  const script = join(dir, "close.mts");
  writeFileSync(script, SCRIPT);
  const child = spawn(process.execPath, ["--conditions=sagebrew-source", "--import", "tsx", script], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise<number | null>((r) => child.on("close", r));
  clearTimeout(timer);
  assert.equal(code, 0, `the process did not end by itself (a thread was left running):\n${out}`);
  const result = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { late: string; pinned: string };
  assert.match(result.late, /pool is closed/);
  assert.match(result.pinned, /pool is closed/);
});
