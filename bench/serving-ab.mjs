// node bench/serving-ab.mjs --baseline DIR [--rounds N] [--duration S] [--model OPT_ML --bodies
// 1=FILE,100=FILE] [--c 1,16,64] [--env NAME=VALUE]...: the serving cells (by default iris's, 1- and
// 100-row bodies, wrk c = 1, 16, 64) on this checkout's `serve`, a built baseline checkout's and
// the bare Node server, all three running at once and driven in turn, cell by cell, the order
// reversed every other round: CPU per request (the server's own, from /proc) and req/s. `--env`
// sets a variable for both `serve`s (e.g. SAGEBREW_XGBOOST_JS=off). Ratios are taken within each
// round (the three saw the same load) and their median printed: on a shared machine that pairing,
// not the absolute figures, is what to read.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "./lib/net.mjs";

const { values } = parseArgs({
  options: {
    baseline: { type: "string" },
    rounds: { type: "string", default: "6" },
    duration: { type: "string", default: "3" },
    model: { type: "string" },
    bodies: { type: "string" },
    c: { type: "string", default: "1,16,64" },
    env: { type: "string", multiple: true, default: [] },
  },
});
if (!values.baseline) throw new Error("--baseline DIR (a built checkout) is required");
const here = resolve(import.meta.dirname, "..");
const optMl = resolve(values.model ?? join(here, "bench", "work", "serving", "opt_ml"));
const bodies = values.bodies
  ? Object.fromEntries(values.bodies.split(",").map((kv) => [kv.split("=")[0], resolve(kv.split("=")[1])]))
  : { 1: join(here, "bench", "data", "iris-1.csv"), 100: join(here, "bench", "data", "iris-100.csv") };
const conc = values.c.split(",").map(Number);
const extraEnv = Object.fromEntries(
  values.env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);
const servers = [];
for (const [name, script] of [
  ["sagebrew", join(here, "packages", "runtime", "bin", "serve")],
  ["baseline", join(resolve(values.baseline), "packages", "runtime", "bin", "serve")],
  ["bare", join(here, "bench", "servers", "bare.mjs")],
]) {
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    SAGEMAKER_BIND_TO_PORT: String(port),
    SAGEMAKER_BASE_DIR: optMl,
    // The steady state is compared, walkers in place as a busy server has them: a large model's
    // are otherwise prepared only once libxgboost has earned them (docs/serving.md).
    ...(name === "bare" ? {} : { SAGEBREW_XGBOOST_PREPARE_AFTER_MS: "0", ...extraEnv }),
  };
  servers.push({ name, port, proc: spawn(process.execPath, [script], { env, stdio: "ignore" }) });
}
const cpuS = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
};
const wrk = (port, body, c, s) => {
  const args = ["-t1", `-c${c}`, `-d${s}s`, "--timeout", "5s", "-s", join(here, "bench", "wrk", "post.lua")];
  const out = execFileSync("wrk", [...args, `http://127.0.0.1:${port}/invocations`, "--", body], {
    encoding: "utf8",
  });
  const r = JSON.parse(
    out
      .split("\n")
      .find((l) => l.startsWith("BENCH "))
      .slice(6),
  );
  return { requests: r.requests, rps: r.requests / (r.duration_us / 1e6) };
};
try {
  // Start-up, the walkers' preparation, then a warm-up of each server with each body.
  await new Promise((r) => setTimeout(r, 15_000));
  for (const s of servers) for (const b of Object.values(bodies)) wrk(s.port, b, 16, 3);
  const res = {};
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const rows of Object.keys(bodies))
      for (const c of conc) {
        for (const s of r % 2 ? [...servers].reverse() : servers) {
          const c0 = cpuS(s.proc.pid);
          const w = wrk(s.port, bodies[rows], c, Number(values.duration));
          const key = `${rows}/${c}/${s.name}`;
          res[key] ??= [];
          res[key].push({ us: ((cpuS(s.proc.pid) - c0) * 1e6) / w.requests, rps: w.rps });
        }
      }
    const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    process.stderr.write(`round ${r + 1} done (load ${load})\n`);
  }
  const med = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const paired = (a, b, f) => med(a.map((v, k) => f(v) / f(b[k])));
  const pct = (x) => `${(100 * x).toFixed(0)} %`;
  console.log(
    "| rows | c | sagebrew CPU/req (µs) | baseline CPU/req | bare CPU/req | sagebrew ÷ baseline CPU/req | sagebrew ÷ bare req/s | baseline ÷ bare req/s | bare ÷ sagebrew CPU/req |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const rows of Object.keys(bodies))
    for (const c of conc) {
      const [s, b, x] = ["sagebrew", "baseline", "bare"].map((n) => res[`${rows}/${c}/${n}`]);
      const us = (v) => v.us;
      const rps = (v) => v.rps;
      console.log(
        `| ${rows} | ${c} | ${med(s.map(us)).toFixed(1)} | ${med(b.map(us)).toFixed(1)} | ${med(x.map(us)).toFixed(1)} | ` +
          `${pct(paired(s, b, us))} | ${pct(paired(s, x, rps))} | ${pct(paired(b, x, rps))} | ${pct(paired(x, s, us))} |`,
      );
    }
} finally {
  for (const s of servers) s.proc.kill("SIGTERM");
}
