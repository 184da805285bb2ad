// node bench/prepare-cost.mjs OPT_ML... [--runs N]: what preparing a model's JavaScript walkers costs
// `serve` (this checkout's build) on an idle server: its CPU (all threads, from /proc) from the first
// 200 on /ping to the `xgboost walkers` log line, with SAGEBREW_XGBOOST_PREPARE_AFTER_MS=0 so that
// they are prepared at once; per MiB of the model file too, the figure PREPARE_MS_PER_MIB stands for.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { freePort, ping } from "./lib/net.mjs";

const { values, positionals } = parseArgs({
  options: { runs: { type: "string", default: "3" } },
  allowPositionals: true,
});
const serve = join(resolve(import.meta.dirname, ".."), "packages", "runtime", "dist", "bin", "serve.js");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cpuS = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
};
for (const optMl of positionals) {
  const dir = join(resolve(optMl), "model");
  const file = readdirSync(dir).find((f) => !f.startsWith("."));
  const mib = statSync(join(dir, file)).size / (1 << 20);
  const costs = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const port = await freePort();
    const env = {
      ...process.env,
      SAGEMAKER_BASE_DIR: resolve(optMl),
      SAGEMAKER_BIND_TO_PORT: String(port),
      SAGEBREW_XGBOOST_PREPARE_AFTER_MS: "0",
    };
    const child = spawn(process.execPath, [serve], { env, stdio: ["ignore", "pipe", "pipe"] });
    let done = false;
    for (const s of [child.stdout, child.stderr])
      s.setEncoding("utf8").on("data", (c) => {
        if (c.includes('"xgboost walkers"')) done = true;
      });
    while (!(await ping(port))) await sleep(5);
    const c0 = cpuS(child.pid);
    while (!done) await sleep(20);
    costs.push(cpuS(child.pid) - c0);
    child.kill("SIGTERM");
    await new Promise((r) => child.once("close", r));
  }
  costs.sort((a, b) => a - b);
  const med = costs[(costs.length - 1) >> 1];
  console.log(
    `${optMl}: ${mib.toFixed(1)} MiB; walkers' preparation ${costs.map((c) => c.toFixed(2)).join(", ")} s of CPU (median ${med.toFixed(2)}, ${((med * 1000) / mib).toFixed(0)} ms per MiB)`,
  );
}
