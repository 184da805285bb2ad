/**
 * Where sagebrew's time and memory go, for the benchmark report (`bench/run.ts --profile`):
 *  - serving: `serve` under `node --cpu-prof` while wrk drives 1-row bodies at c=64; the main
 *    thread's self time per function, in µs per request;
 *  - training: `train`'s RSS sampled from /proc every 20 ms, split at the phases the program
 *    reports (data loaded, first round done, last round done), and its main thread's self time.
 * Profiles are kept in bench/work/profiles/ for a closer look (Chrome DevTools → Performance).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { BENCH_DIR, WORK_DIR } from "./data.js";
import { PYTHON } from "./lib/machine.js";
import {
  freePort,
  runTimed,
  sleep,
  startBackground,
  stopBackground,
  treeCpuS,
  waitFor200,
} from "./lib/proc.js";
import { num, table } from "./lib/stats.js";
import { runWrk } from "./lib/wrk.js";
import { SAGEBREW_SERVE } from "./serving-stacks.js";

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (ms), busiest first, from one .cpuprofile. */
export function selfTimes(path: string): { name: string; ms: number }[] {
  const p = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const f = byId.get(id)?.callFrame;
    const where = f?.url ? ` ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}` : "";
    const name = `${f?.functionName || "(anonymous)"}${where}`;
    self.set(name, (self.get(name) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return [...self].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
}

/** The profile of the thread that did the most non-idle work. */
function busiestProfile(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  const busy = (f: string) =>
    selfTimes(join(dir, f))
      .filter((x) => !x.name.startsWith("(idle)"))
      .reduce((s, x) => s + x.ms, 0);
  const best = files.sort((a, b) => busy(b) - busy(a))[0];
  if (!best) throw new Error(`No CPU profile was written in ${dir}`);
  return join(dir, best);
}

export async function profileServing(optMl: string, bodyFile: string, durationS: number): Promise<string> {
  const dir = join(WORK_DIR, "profiles", "serve");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const bg = startBackground(
    "sagebrew serve (profiled)",
    process.execPath,
    ["--cpu-prof", `--cpu-prof-dir=${dir}`, SAGEBREW_SERVE],
    {
      env: { ...process.env, SAGEMAKER_BASE_DIR: optMl, SAGEMAKER_BIND_TO_PORT: String(port) },
      log: join(dir, "serve.log"),
    },
  );
  let requests = 0;
  let warmup = 0;
  let cpuS = 0;
  try {
    await waitFor200(port, "/ping", { since: bg.startedAt, timeoutS: 60, bg });
    warmup = (await runWrk({ port, bodyFile, connections: 64, durationS: 2 })).requests;
    const cpu0 = treeCpuS(bg.pid);
    const w = await runWrk({ port, bodyFile, connections: 64, durationS });
    cpuS = treeCpuS(bg.pid) - cpu0;
    requests = w.requests;
  } finally {
    // SIGINT lets serve exit through process.exit, which writes the profile.
    await stopBackground(bg, "SIGINT", 20);
  }
  const top = selfTimes(busiestProfile(dir)).slice(0, 12);
  // The profile spans start-up, warm-up and the measured run: divide by every request it saw.
  const rows = top.map((x) => [`\`${x.name}\``, num((x.ms * 1000) / (warmup + requests))]);
  return [
    `Profile of \`serve\` (main thread, \`node --cpu-prof\`) under wrk, body \`${basename(bodyFile)}\`, c = 64, ${durationS} s ` +
      `after a 2 s warm-up: ${requests.toLocaleString("en-US")} requests, ${num((cpuS / requests) * 1e6)} µs of ` +
      "process CPU per request. Self time per function in µs per request (wall-clock samples over " +
      "warm-up and run; start-up is in `(idle)`/`(program)`):",
    "",
    table(["function", "µs / request"], rows),
  ].join("\n");
}

/** Average cores busy between the first and last sample: CPU seconds over wall seconds. */
function coresUsed(samples: readonly { t: number; cpuS: number }[]): string {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || last.t - first.t < 200) return "n/a";
  return ((last.cpuS - first.cpuS) / ((last.t - first.t) / 1000)).toFixed(2);
}

interface Phase {
  name: string;
  end: number;
}

/**
 * XGBoost's own memory for a `rows × features` hist model (bench/peer/quantile_floor.py): what the
 * library holds whatever the host language, to judge how low peak RSS can go.
 */
export async function xgboostFloor(rows: number, features: number, nthread: number): Promise<string> {
  const run = await runTimed(
    PYTHON,
    [join(BENCH_DIR, "peer", "quantile_floor.py"), String(rows), String(features), String(nthread)],
    { timeoutS: 600 },
  );
  const line = run.stdout.split("\n").find((l) => l.startsWith("BENCH "));
  if (run.code !== 0 || !line) return `XGBoost floor probe failed (${run.code}): ${run.stderr.slice(-500)}`;
  const r = JSON.parse(line.slice(6)) as Record<string, number>;
  const mb = (kb: number) => num(kb / 1024);
  const built = (r.built_kb ?? 0) - (r.before_kb ?? 0);
  const trained = (r.trained_kb ?? 0) - (r.before_kb ?? 0);
  const f32 = (rows * (features + 1) * 4) / 2 ** 20;
  return (
    `XGBoost's own floor (\`bench/peer/quantile_floor.py\`, Python XGBoost ${r.xgboost}, same library): a ` +
    `QuantileDMatrix of ${rows.toLocaleString("en-US")} × ${features} built from float32 batches generated ` +
    `on the fly (never all held), then 3 hist rounds, adds ${mb(built)} MB to the process after building and ` +
    `${mb(trained)} MB after training — ${(trained / 1024 / f32).toFixed(2)}× the float32 data size before ` +
    "any host runtime or CSV buffers."
  );
}

/** Runs `train` with RSS sampling and a CPU profile; returns the memory-by-phase table. */
export async function profileTraining(trainBin: string, optMl: string): Promise<string> {
  const dir = join(WORK_DIR, "profiles", "train");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  rmSync(join(optMl, "model"), { recursive: true, force: true });
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, trainBin], {
    env: { ...process.env, SAGEMAKER_BASE_DIR: optMl },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const marks: Phase[] = [];
  let firstRound = false;
  let lastRoundAt = 0;
  const onLine = (line: string) => {
    const t = performance.now() - t0;
    if (/channel train: .*rows/.test(line)) marks.push({ name: "read + parse CSV", end: t });
    if (/^\[\d+\]/.test(line)) {
      if (!firstRound) marks.push({ name: "build DMatrix + round 0 (sketch, histogram index)", end: t });
      firstRound = true;
      lastRoundAt = t;
    }
  };
  for (const s of [child.stdout, child.stderr]) {
    let buf = "";
    s.setEncoding("utf8").on("data", (c: string) => {
      buf += c;
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const l of lines) onLine(l);
    });
  }
  const samples: { t: number; rssMB: number; hwmMB: number; cpuS: number }[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const deadline = performance.now() + 900_000;
  while (!done && performance.now() < deadline) {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const rss = /VmRSS:\s+(\d+) kB/.exec(status);
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (rss && hwm && child.pid !== undefined) {
        samples.push({
          t: performance.now() - t0,
          rssMB: Number(rss[1]) / 1024,
          hwmMB: Number(hwm[1]) / 1024,
          cpuS: treeCpuS(child.pid),
        });
      }
    } catch {
      // exiting
    }
    await sleep(20);
  }
  if (!done) child.kill("SIGKILL");
  const code = await exited;
  if (code !== 0) throw new Error(`profiled train exited with ${code}`);
  const phases: Phase[] = [
    ...marks,
    { name: "rounds 1–99", end: lastRoundAt },
    { name: "save model, exit", end: Infinity },
  ];
  let start = 0;
  const rows = phases.map((p) => {
    const inPhase = samples.filter((s) => s.t >= start && s.t < p.end);
    const row = [
      p.name,
      `${(start / 1000).toFixed(1)}–${Number.isFinite(p.end) ? (p.end / 1000).toFixed(1) : "end"} s`,
      num(Math.max(0, ...inPhase.map((s) => s.rssMB))),
      num(Math.max(0, ...inPhase.map((s) => s.hwmMB))),
      coresUsed(inPhase),
    ];
    start = p.end;
    return row;
  });
  const top = selfTimes(busiestProfile(dir))
    .filter((x) => !x.name.startsWith("(idle)"))
    .slice(0, 6)
    .map((x) => [`\`${x.name}\``, num(x.ms / 1000)]);
  return [
    "Memory of `train` by phase (VmRSS and the kernel's high-water mark VmHWM, sampled every 20 ms " +
      "from /proc; phases from the lines the program prints; this run is under `--cpu-prof`):",
    "",
    table(
      ["phase", "time", "max sampled RSS (MB)", "high-water mark at phase end (MB)", "CPU cores busy"],
      rows,
    ),
    "",
    "Busiest thread's self time (`node --cpu-prof`; `(program)` is native code, i.e. libxgboost):",
    "",
    table(["function", "s"], top),
  ].join("\n");
}
