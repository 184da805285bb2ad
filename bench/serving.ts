/**
 * Serving benchmark (issue 3): sagebrew `serve` vs the classic nginx → gunicorn/gevent → Flask stack
 * vs a bare Node http server, side by side in one run: cold start (launch to first 200 on /ping),
 * then wrk at concurrency 1, 16 and 64 with 1-row and 100-row iris CSV bodies, the three servers
 * interleaved so that noise on the shared machine hits all of them alike.
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { ensureIrisPayloads, WORK_DIR } from "./data.js";
import { loadNow } from "./lib/machine.js";
import { freePort, httpCall, waitFor200 } from "./lib/proc.js";
import { median, num, pass, ratio, spreadPct, table } from "./lib/stats.js";
import { runWrk, type WrkResult } from "./lib/wrk.js";
import { profileServing } from "./profile.js";
import {
  baselineStack,
  type Running,
  STACKS,
  type Stack,
  type StackKey,
  stackCpuS,
  stackRssMB,
  stop,
  trainIrisModel,
} from "./serving-stacks.js";

export interface ServingOptions {
  runs: number;
  coldRuns: number;
  durationS: number;
  stacks: readonly StackKey[];
  /** A built checkout whose `serve` runs beside this one (`--baseline DIR`), and how to name it. */
  baseline?: { dir: string; label: string };
  /** Also profile sagebrew's `serve` (bench/profile.ts) and add where its time goes. */
  profile: boolean;
  log: (s: string) => void;
}

export interface ServingReport {
  markdown: string;
  notes: string[];
}

const CONCURRENCY = [1, 16, 64] as const;

/** An /opt/ml-shaped dir holding the iris model sagebrew's `train` writes (or BENCH_OPT_ML as is). */
async function prepareIrisModel(log: (s: string) => void): Promise<{ optMl: string; how: string }> {
  const given = process.env.BENCH_OPT_ML;
  if (given) return { optMl: given, how: `model taken as is from BENCH_OPT_ML=${given}` };
  const optMl = join(WORK_DIR, "serving", "opt_ml");
  await trainIrisModel(optMl, log);
  return { optMl, how: "iris model trained by sagebrew's `train` on `examples/iris-xgboost` (copied)" };
}

async function coldStart(stack: Stack, optMl: string, logDir: string): Promise<number> {
  const port = await freePort();
  const running = stack.start(port, optMl, logDir);
  try {
    return await waitFor200(port, "/ping", {
      since: running.startedAt,
      timeoutS: 60,
      bg: running.processes[0],
    });
  } finally {
    await stop(running);
  }
}

type Cell = { stack: StackKey; rows: number; c: number };
/** wrk's figures plus the server's own CPU time per request (robust to a shared machine). */
type Measured = WrkResult & { cpuUsPerReq: number };
const cellKey = (x: Cell) => `${x.stack}/${x.rows}/${x.c}`;

export async function runServing(o: ServingOptions): Promise<ServingReport> {
  const notes: string[] = [];
  const logDir = join(WORK_DIR, "serving", "logs");
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const payloads = ensureIrisPayloads();
  const bodies = [
    { rows: 1, file: payloads.one },
    { rows: 100, file: payloads.hundred },
  ];
  const { optMl, how } = await prepareIrisModel(o.log);
  const stacks = STACKS.filter((s) => o.stacks.includes(s.key));
  if (o.baseline) stacks.splice(1, 0, baselineStack(o.baseline.dir, o.baseline.label));

  // Cold start: launch to first 200 on /ping, interleaved, several runs each.
  const cold = new Map<StackKey, number[]>();
  for (let r = 0; r < o.coldRuns; r++) {
    for (const s of stacks) {
      const ms = await coldStart(s, optMl, logDir);
      cold.set(s.key, [...(cold.get(s.key) ?? []), ms]);
      o.log(`cold start ${s.key} #${r + 1}: ${ms.toFixed(0)} ms`);
    }
  }

  // Throughput: all three up at once, checked, warmed, then driven in turn.
  const running: Running[] = [];
  const results = new Map<string, Measured[]>();
  const rss = new Map<StackKey, number>();
  const loadSamples: string[] = [loadNow()];
  try {
    for (const s of stacks) {
      const port = await freePort();
      const run = s.start(port, optMl, logDir);
      running.push(run);
      await waitFor200(port, "/ping", { since: run.startedAt, timeoutS: 60, bg: run.processes[0] });
    }
    const answers = new Map<string, string>();
    for (const run of running) {
      for (const b of bodies) {
        const res = await httpCall(run.port, "/invocations", {
          method: "POST",
          body: readFileSync(b.file, "utf8"),
          headers: { "content-type": "text/csv", accept: "text/csv" },
        });
        if (res.status !== 200)
          throw new Error(`${run.key} answered ${res.status} to ${b.rows} rows: ${res.body}`);
        answers.set(`${run.key}/${b.rows}`, res.body.trim());
      }
    }
    for (const k of ["sagebrew", "classic"] as const) {
      const one = answers.get(`${k}/1`);
      if (one !== undefined) notes.push(`${k} answers the 1-row body with \`${one}\`.`);
    }
    const [sb, cl] = [answers.get("sagebrew/100"), answers.get("classic/100")];
    if (sb !== undefined && cl !== undefined) {
      const same = sb.split(/\s+/).join(",") === cl.split(/\s+/).join(",");
      notes.push(
        `100-row answers of sagebrew and the classic stack are ${same ? "identical" : "**different**"}.`,
      );
    }
    for (const run of running) {
      for (const b of bodies)
        await runWrk({ port: run.port, bodyFile: b.file, connections: 16, durationS: 2 });
    }
    for (let r = 0; r < o.runs; r++) {
      for (const b of bodies) {
        for (const c of CONCURRENCY) {
          const order = r % 2 === 0 ? running : [...running].reverse();
          for (const run of order) {
            const cpu0 = stackCpuS(run);
            const w = await runWrk({
              port: run.port,
              bodyFile: b.file,
              connections: c,
              durationS: o.durationS,
            });
            const res: Measured = { ...w, cpuUsPerReq: ((stackCpuS(run) - cpu0) / w.requests) * 1e6 };
            const key = cellKey({ stack: run.key, rows: b.rows, c });
            results.set(key, [...(results.get(key) ?? []), res]);
            o.log(
              `run ${r + 1} ${b.rows}-row c=${c} ${run.key}: ${res.rps.toFixed(0)} req/s p50 ${res.p50Ms.toFixed(2)} ms ` +
                `p99 ${res.p99Ms.toFixed(2)} ms cpu ${res.cpuUsPerReq.toFixed(0)} µs/req${res.errors ? ` errors ${res.errors}` : ""} (load ${loadNow()})`,
            );
          }
        }
      }
      loadSamples.push(loadNow());
    }
    for (const run of running) rss.set(run.key, stackRssMB(run));
  } finally {
    for (const run of running) await stop(run);
  }
  const loads1 = loadSamples.map((l) => Number(l.split(" ")[0]));
  const spreads = [...results.values()].map((rs) => spreadPct(rs.map((w) => w.rps)));
  notes.push(
    `Noise: 1-minute load average between ${Math.min(...loads1).toFixed(1)} and ${Math.max(...loads1).toFixed(1)} ` +
      `on ${cpus().length} cores during the load runs (other engineers building and testing; wrk itself takes ` +
      `about one core); req/s of one cell varied by up to ${Math.max(0, ...spreads).toFixed(0)} % between runs ` +
      `(median ${median(spreads).toFixed(0)} %). CPU/req is the steadier figure.`,
  );
  let markdown = render(o, stacks, results, cold, rss, loadSamples, how);
  if (o.profile && o.stacks.includes("sagebrew")) {
    o.log("profiling sagebrew serve");
    markdown += "\n\n" + (await profileServing(optMl, payloads.one, o.durationS));
  }
  return { markdown, notes };
}

function render(
  o: ServingOptions,
  stacks: readonly Stack[],
  results: Map<string, Measured[]>,
  cold: Map<StackKey, number[]>,
  rss: Map<StackKey, number>,
  loadSamples: string[],
  how: string,
): string {
  const get = (stack: StackKey, rows: number, c: number) => results.get(cellKey({ stack, rows, c })) ?? [];
  const med = (stack: StackKey, rows: number, c: number, f: (w: Measured) => number) =>
    median(get(stack, rows, c).map(f));
  const out: string[] = [];
  const figureRows: string[][] = [];
  for (const rows of [1, 100]) {
    for (const c of CONCURRENCY) {
      for (const s of stacks) {
        const rs = get(s.key, rows, c);
        const errors = rs.reduce((n, w) => n + w.errors, 0);
        figureRows.push([
          `${rows}`,
          `${c}`,
          s.label,
          num(med(s.key, rows, c, (w) => w.rps)),
          `±${spreadPct(rs.map((w) => w.rps)).toFixed(0)} %`,
          num(med(s.key, rows, c, (w) => w.p50Ms)),
          num(med(s.key, rows, c, (w) => w.p99Ms)),
          num(med(s.key, rows, c, (w) => w.cpuUsPerReq)),
          `${errors}`,
        ]);
      }
    }
  }
  out.push(
    "Medians over the runs; `spread` is (max − min) / median of req/s across runs; latencies in ms; " +
      "`CPU/req` is the server's own CPU time (all its processes, from /proc) per request in µs — " +
      "the figure least disturbed by other work on the machine.",
    "",
    table(["rows", "c", "server", "req/s", "spread", "p50", "p99", "CPU/req (µs)", "errors"], figureRows),
  );

  const has = (k: StackKey) => stacks.some((s) => s.key === k);
  if (has("sagebrew")) {
    const ratioRows: string[][] = [];
    for (const rows of [1, 100]) {
      for (const c of CONCURRENCY) {
        const rps = (k: StackKey) => med(k, rows, c, (w) => w.rps);
        const p99 = (k: StackKey) => med(k, rows, c, (w) => w.p99Ms);
        const cpu = (k: StackKey) => med(k, rows, c, (w) => w.cpuUsPerReq);
        ratioRows.push([
          `${rows}`,
          `${c}`,
          has("classic") ? ratio(rps("sagebrew") / rps("classic")) : "n/a",
          has("classic") ? ratio(p99("classic") / p99("sagebrew")) : "n/a",
          has("bare") ? `${((rps("sagebrew") / rps("bare")) * 100).toFixed(0)} %` : "n/a",
          has("classic") ? ratio(cpu("classic") / cpu("sagebrew")) : "n/a",
          has("bare") ? ratio(cpu("sagebrew") / cpu("bare")) : "n/a",
          ...(has("baseline")
            ? [
                `${((rps("sagebrew") / rps("baseline")) * 100).toFixed(0)} %`,
                `${((cpu("sagebrew") / cpu("baseline")) * 100).toFixed(0)} %`,
              ]
            : []),
        ]);
      }
    }
    out.push(
      "",
      "Ratios:",
      "",
      table(
        [
          "rows",
          "c",
          "sagebrew ÷ classic req/s",
          "classic p99 ÷ sagebrew p99",
          "sagebrew ÷ bare req/s",
          "classic ÷ sagebrew CPU/req",
          "sagebrew ÷ bare CPU/req",
          ...(has("baseline") ? ["sagebrew ÷ baseline req/s", "sagebrew ÷ baseline CPU/req"] : []),
        ],
        ratioRows,
      ),
    );
  }

  const coldRows = stacks.map((s) => {
    const xs = cold.get(s.key) ?? [];
    return [
      s.label,
      num(median(xs)),
      `${num(Math.min(...xs))}–${num(Math.max(...xs))}`,
      num(rss.get(s.key) ?? Number.NaN),
    ];
  });
  out.push(
    "",
    `Cold start = launch to first 200 on \`/ping\` (${o.coldRuns} runs each, interleaved); RSS = whole stack after the load runs.`,
    "",
    table(["server", "cold start median (ms)", "range (ms)", "RSS (MB)"], coldRows),
  );

  if (has("sagebrew") && has("classic") && has("bare")) {
    const rps = (k: StackKey) => med(k, 1, 64, (w) => w.rps);
    const p99 = (k: StackKey) => med(k, 1, 64, (w) => w.p99Ms);
    const coldMs = (k: StackKey) => median(cold.get(k) ?? []);
    const t1 = rps("sagebrew") / rps("classic");
    const t2 = p99("sagebrew") / p99("classic");
    const t3 = rps("sagebrew") / rps("bare");
    const t4 = coldMs("sagebrew") / coldMs("classic");
    out.push(
      "",
      "Targets (1-row bodies, c = 64):",
      "",
      table(
        ["target", "measured", "status"],
        [
          ["req/s ≥ 10× the classic stack", ratio(t1), pass(t1 >= 10)],
          ["p99 ≤ 1/10 of the classic stack", `${ratio(t2)} (1/${(1 / t2).toFixed(2)})`, pass(t2 <= 0.1)],
          ["req/s ≥ 70 % of the bare Node server", `${(t3 * 100).toFixed(0)} %`, pass(t3 >= 0.7)],
          [
            "cold start ≤ 1/5 of the classic stack",
            `${ratio(t4)} (1/${(1 / t4).toFixed(2)})`,
            pass(t4 <= 0.2),
          ],
        ],
      ),
    );
  }
  out.push(
    "",
    `Setup: ${how}; bodies from \`bench/data/iris-{1,100}.csv\` (rows of the example, no label), ` +
      "`Content-Type: text/csv`; wrk 1 thread, `--latency`, " +
      `${o.durationS} s per cell, ${o.runs} runs, one 2 s warm-up per server and body; ` +
      "classic = nginx (`worker_processes 1`, the BYO example's config) → gunicorn `-k gevent -w <nproc> " +
      "--worker-connections 1000×nproc` on a unix socket → Flask app as the tutorial's predictor.py " +
      "(pandas.read_csv, Python XGBoost, OMP_NUM_THREADS=1 as the XGBoost container sets), one model copy per worker. " +
      `Load average during the runs: ${loadSamples.join(" → ")}.`,
  );
  return out.join("\n");
}
