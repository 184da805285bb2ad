// node bench/cold-rss.mjs OPT_ML [RUNS]: `serve` (the built runtime) on OPT_ML's model with timed walkers and with
// SAGEBREW_XGBOOST_JS=off, interleaved: launch → first 200 on /ping (ms), and RSS (MB) 30 s after the walkers are in
// place (the `xgboost walkers` log line; at once for off). Medians and ranges, one line per mode.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { freePort, ping } from "./lib/net.mjs";

const [optMl, runsArg] = process.argv.slice(2);
const serve = new URL("../packages/runtime/bin/serve", import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const results = { timed: { ms: [], rss: [] }, off: { ms: [], rss: [] } };
for (let i = 0; i < Number(runsArg ?? 3); i++) {
  for (const mode of i % 2 ? ["off", "timed"] : ["timed", "off"]) {
    const port = await freePort();
    const env = { ...process.env, SAGEMAKER_BASE_DIR: optMl, SAGEMAKER_BIND_TO_PORT: String(port) };
    if (mode === "off") env.SAGEBREW_XGBOOST_JS = "off";
    // The walkers' memory once in place, as a busy server holds it (an idle one never prepares a
    // large model's: docs/serving.md, "When the walkers are prepared").
    else env.SAGEBREW_XGBOOST_PREPARE_AFTER_MS = "0";
    const t0 = performance.now();
    const child = spawn(process.execPath, [serve], { env, stdio: ["ignore", "pipe", "pipe"] });
    let walkers = mode === "off";
    for (const s of [child.stdout, child.stderr])
      s.setEncoding("utf8").on("data", (c) => {
        if (c.includes('"xgboost walkers"')) walkers = true;
      });
    while (!(await ping(port))) await sleep(5);
    results[mode].ms.push(performance.now() - t0);
    while (!walkers) await sleep(50);
    await sleep(30_000);
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))[1]) / 1024;
    results[mode].rss.push(rss);
    child.kill("SIGTERM");
    await new Promise((r) => child.once("close", r));
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
for (const [mode, r] of Object.entries(results))
  console.log(
    `${mode}: /ping ${med(r.ms).toFixed(0)} ms (${range(r.ms)}), RSS ${med(r.rss).toFixed(1)} MB (${range(r.rss)})`,
  );
console.log(
  `timed ÷ off: cold start ${(med(results.timed.ms) / med(results.off.ms)).toFixed(2)}×, RSS ${(med(results.timed.rss) / med(results.off.rss)).toFixed(2)}×`,
);
