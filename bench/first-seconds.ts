/**
 * The first seconds of a fresh `serve`, variant against variant (issue 22 §2): for each body and
 * concurrency, every variant is started fresh in turn (the order rotating each run), timed from
 * launch to its first 200 on /ping, then driven by wrk for `--first` seconds; the server's CPU per
 * request (from /proc, its threads included), p50 and req/s; medians over `--runs`.
 *
 *   node --import tsx bench/first-seconds.ts OPT_ML BODY.csv[,BODY.csv…] VARIANT… [--runs N]
 *     [--first S] [--c 1,16] [--prof DIR]
 *
 * A variant is `label=CHECKOUT[:NAME=VALUE…]`: CHECKOUT's built `serve` (`.` for this one) with
 * those variables, e.g. `new=.` `off=.:SAGEBREW_XGBOOST_JS=off` `main=/tmp/main`. `--prof DIR`
 * runs each server under `--cpu-prof` into DIR (one profile per server, named by variant and cell).
 */
import { mkdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { loadNow } from "./lib/machine.js";
import { freePort, processCpuS, startBackground, stopBackground, waitFor200 } from "./lib/proc.js";
import { runWrk } from "./lib/wrk.js";

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const v = argv[i + 1]!;
  argv.splice(i, 2);
  return v;
};
const runs = Number(opt("--runs", "3"));
const firstS = Number(opt("--first", "3"));
const conc = opt("--c", "1").split(",").map(Number);
const prof = opt("--prof", "");
const windows = Number(opt("--windows", "1"));
const [optMl, bodiesArg, ...variantArgs] = argv;
if (!optMl || !bodiesArg || variantArgs.length === 0) {
  console.error("usage: bench/first-seconds.ts OPT_ML BODY.csv[,…] label=CHECKOUT[:NAME=VALUE…]…");
  process.exit(2);
}
const bodies = bodiesArg.split(",");
const variants = variantArgs.map((v) => {
  const [label, spec] = v.split("=", 2) as [string, string];
  const rest = v.slice(label.length + 1).split(":");
  const env: Record<string, string> = {};
  for (const kv of rest.slice(1)) env[kv.slice(0, kv.indexOf("="))] = kv.slice(kv.indexOf("=") + 1);
  return {
    label,
    serve: join(resolve(rest[0] ?? spec), "packages", "runtime", "dist", "bin", "serve.js"),
    env,
  };
});
const logDir = join(resolve(optMl), "..", "first-seconds-logs");
mkdirSync(logDir, { recursive: true });
if (prof) mkdirSync(prof, { recursive: true });

interface Sample {
  coldMs: number;
  startCpuMs: number;
  cpuUsPerReq: number;
  p50Ms: number;
  rps: number;
}
const samples = new Map<string, Sample[]>();
/** A cell's name: body, concurrency and, past the first, which window of `firstS` seconds. */
const cellName = (body: string, c: number, window: number) =>
  `${basename(body, ".csv")}/c${c}${window > 0 ? ` window ${window + 1}` : ""}`;
const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

for (let r = 0; r < runs; r++) {
  for (const body of bodies) {
    for (const c of conc) {
      const order = variants.map((_, i) => variants[(i + r) % variants.length]!);
      for (const v of order) {
        const port = await freePort();
        const cell = cellName(body, c, 0);
        const flags = prof
          ? [
              "--cpu-prof",
              "--cpu-prof-dir",
              prof,
              "--cpu-prof-name",
              `${v.label}-${cell.replace("/", "-")}-${r}.cpuprofile`,
            ]
          : [];
        const bg = startBackground(v.label, process.execPath, [...flags, v.serve], {
          env: { ...process.env, SAGEMAKER_BASE_DIR: optMl, SAGEMAKER_BIND_TO_PORT: String(port), ...v.env },
          log: join(logDir, `${v.label}.log`),
        });
        try {
          const coldMs = await waitFor200(port, "/ping", { since: bg.startedAt, timeoutS: 120, bg });
          const startCpu = processCpuS(bg.pid);
          for (let wi = 0; wi < windows; wi++) {
            const cpu0 = processCpuS(bg.pid);
            const w = await runWrk({ port, bodyFile: body, connections: c, durationS: firstS });
            const cpu1 = processCpuS(bg.pid);
            const s: Sample = {
              coldMs,
              startCpuMs: startCpu * 1000,
              cpuUsPerReq: ((cpu1 - cpu0) / w.requests) * 1e6,
              p50Ms: w.p50Ms,
              rps: w.rps,
            };
            const k = `${cellName(body, c, wi)} ${v.label}`;
            samples.set(k, [...(samples.get(k) ?? []), s]);
            console.error(
              `run ${r + 1} ${k}: /ping ${coldMs.toFixed(0)} ms (start CPU ${s.startCpuMs.toFixed(0)} ms), ${s.rps.toFixed(0)} req/s, p50 ${s.p50Ms.toFixed(3)} ms, CPU ${s.cpuUsPerReq.toFixed(1)} µs/req (load ${loadNow()})`,
            );
          }
        } finally {
          await stopBackground(bg);
        }
      }
    }
  }
}

console.log(
  `| cell | variant | /ping (ms) | start-up CPU (ms) | req/s | p50 (ms) | CPU/req (µs) | CPU/req ÷ ${variants[0]!.label} |`,
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const body of bodies)
  for (const c of conc)
    for (let wi = 0; wi < windows; wi++) {
      const cell = cellName(body, c, wi);
      const ref = med((samples.get(`${cell} ${variants[0]!.label}`) ?? []).map((s) => s.cpuUsPerReq));
      for (const v of variants) {
        const ss = samples.get(`${cell} ${v.label}`) ?? [];
        const m = (f: (s: Sample) => number) => med(ss.map(f));
        console.log(
          `| ${cell} | ${v.label} | ${m((s) => s.coldMs).toFixed(0)} | ${m((s) => s.startCpuMs).toFixed(0)} | ${m((s) => s.rps).toFixed(0)} | ${m((s) => s.p50Ms).toFixed(3)} | ${m((s) => s.cpuUsPerReq).toFixed(1)} | ${(m((s) => s.cpuUsPerReq) / ref).toFixed(2)}× |`,
        );
      }
    }
