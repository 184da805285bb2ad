/**
 * The first seconds of a fresh `serve`, variant against variant (issue 22 §2): for each body and
 * concurrency, every variant is started fresh in turn (the order rotating each run), timed from
 * launch to its first 200 on /ping; its first request is then sent alone and timed, and wrk drives
 * it for `--first` seconds (`--windows N`: N such windows in a row): the server's CPU per request
 * (from /proc, its threads included), p50 and req/s; medians over `--runs`.
 *
 *   node --import tsx bench/first-seconds.ts OPT_ML BODY.csv[,BODY.csv…] VARIANT… [--runs N]
 *     [--first S] [--c 1,16] [--prof DIR]
 *
 * A variant is `label=CHECKOUT[:NAME=VALUE…]`: CHECKOUT's built `serve` (`.` for this one) with
 * those variables, e.g. `new=.` `off=.:SAGEBREW_XGBOOST_JS=off` `main=/tmp/main`; or
 * `label=SCRIPT.mjs[:…]`, a server of its own, e.g. `floor=bench/servers/floor-xgboost.mjs`. `--prof DIR`
 * runs each server under `--cpu-prof` into DIR (one profile per server, named by variant and cell).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { loadNow } from "./lib/machine.js";
import { freePort, httpCall, processCpuS, startBackground, stopBackground, waitFor200 } from "./lib/proc.js";
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
  const where = resolve(rest[0] ?? spec);
  return {
    label,
    // A script (bench/servers/floor-xgboost.mjs) runs as it is; a checkout runs its built `serve`.
    serve: /\.m?js$/.test(where) ? where : join(where, "packages", "runtime", "dist", "bin", "serve.js"),
    env,
  };
});
const logDir = join(resolve(optMl), "..", "first-seconds-logs");
mkdirSync(logDir, { recursive: true });
if (prof) mkdirSync(prof, { recursive: true });

interface Sample {
  coldMs: number;
  /** The first request's round trip (ms), sent alone the moment /ping said 200. */
  firstMs: number;
  startCpuMs: number;
  cpuUsPerReq: number;
  /** The main thread's share: the request path (the rest is the pool, preparation, V8's compiler and collector threads). */
  mainUsPerReq: number;
  p50Ms: number;
  rps: number;
}
const samples = new Map<string, Sample[]>();
/** A cell's name: body, concurrency and, past the first, which window of `firstS` seconds. */
const cellName = (body: string, c: number, window: number) =>
  `${basename(body, ".csv")}/c${c}${window > 0 ? ` window ${window + 1}` : ""}`;
/** CPU seconds of a process's main thread (its task of the same id), from /proc. */
function threadCpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}
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
          env: {
            ...process.env,
            SAGEMAKER_BASE_DIR: optMl,
            SAGEMAKER_BIND_TO_PORT: String(port),
            PORT: String(port),
            ...v.env,
          },
          log: join(logDir, `${v.label}.log`),
        });
        try {
          const coldMs = await waitFor200(port, "/ping", { since: bg.startedAt, timeoutS: 120, bg });
          const startCpu = processCpuS(bg.pid);
          const f0 = performance.now();
          const first = await httpCall(port, "/invocations", {
            method: "POST",
            body: readFileSync(body, "utf8"),
            headers: { "content-type": "text/csv", accept: "text/csv" },
          });
          const firstMs = performance.now() - f0;
          if (first.status !== 200) throw new Error(`${v.label} answered ${first.status}: ${first.body}`);
          for (let wi = 0; wi < windows; wi++) {
            const cpu0 = processCpuS(bg.pid);
            const main0 = threadCpuS(bg.pid);
            const w = await runWrk({ port, bodyFile: body, connections: c, durationS: firstS });
            const cpu1 = processCpuS(bg.pid);
            const main1 = threadCpuS(bg.pid);
            const s: Sample = {
              coldMs,
              firstMs,
              startCpuMs: startCpu * 1000,
              cpuUsPerReq: ((cpu1 - cpu0) / w.requests) * 1e6,
              mainUsPerReq: ((main1 - main0) / w.requests) * 1e6,
              p50Ms: w.p50Ms,
              rps: w.rps,
            };
            const k = `${cellName(body, c, wi)} ${v.label}`;
            samples.set(k, [...(samples.get(k) ?? []), s]);
            console.error(
              `run ${r + 1} ${k}: /ping ${coldMs.toFixed(0)} ms (start CPU ${s.startCpuMs.toFixed(0)} ms), first request ${firstMs.toFixed(2)} ms, ${s.rps.toFixed(0)} req/s, p50 ${s.p50Ms.toFixed(3)} ms, CPU ${s.cpuUsPerReq.toFixed(1)} µs/req (main thread ${s.mainUsPerReq.toFixed(1)}) (load ${loadNow()})`,
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
  `| cell | variant | /ping (ms) | start-up CPU (ms) | first request (ms) | req/s | p50 (ms) | CPU/req (µs) | main thread (µs) | CPU/req ÷ ${variants[0]!.label} |`,
);
console.log(`|${" --- |".repeat(10)}`);
for (const body of bodies)
  for (const c of conc)
    for (let wi = 0; wi < windows; wi++) {
      const cell = cellName(body, c, wi);
      const ref = med((samples.get(`${cell} ${variants[0]!.label}`) ?? []).map((s) => s.cpuUsPerReq));
      for (const v of variants) {
        const ss = samples.get(`${cell} ${v.label}`) ?? [];
        const m = (f: (s: Sample) => number) => med(ss.map(f));
        console.log(
          `| ${cell} | ${v.label} | ${m((s) => s.coldMs).toFixed(0)} | ${m((s) => s.startCpuMs).toFixed(0)} | ${m((s) => s.firstMs).toFixed(2)} | ${m((s) => s.rps).toFixed(0)} | ${m((s) => s.p50Ms).toFixed(3)} | ${m((s) => s.cpuUsPerReq).toFixed(1)} | ${m((s) => s.mainUsPerReq).toFixed(1)} | ${(m((s) => s.cpuUsPerReq) / ref).toFixed(2)}× |`,
        );
      }
    }
