/**
 * Serving realistic models (issue 22): for each model of bench/models.ts, sagebrew `serve` against
 * the same `serve` with libxgboost alone (`SAGEBREW_XGBOOST_JS=off`), the classic nginx + gunicorn +
 * Flask + pandas stack, a bare Node server and optionally a baseline checkout's `serve`, side by
 * side in one run, with the floors measured beside them: libxgboost's own single-thread prediction
 * of each body through sagebrew's binding (bench/floor.ts) and through Python's `inplace_predict`
 * (bench/peer/inplace_floor.py).
 *  - cold start: launch to the first 200 on /ping, and resident memory 2 s later (idle);
 *  - the first seconds: a server started fresh, driven by wrk the moment /ping says 200;
 *  - the steady state: every server up, warmed, then driven in turn, runs interleaved;
 * bodies of 1, 100 and 1,000 rows, c = 1 and 16; req/s, rows/s per core (rows per second of the
 * server's own CPU time), p50, p99, CPU per request, and which walker served (from serve's log).
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BENCH_DIR, WORK_DIR } from "./data.js";
import { loadNow, PYTHON } from "./lib/machine.js";
import { freePort, httpCall, runTimed, sleep, waitFor200 } from "./lib/proc.js";
import { runWrk, type WrkResult } from "./lib/wrk.js";
import { type BenchModel, BODY_ROWS, ensureModel, MODELS } from "./models.js";
import {
  baselineStack,
  nativeStack,
  type Running,
  STACKS,
  type Stack,
  type StackKey,
  stackCpuS,
  stackRssMB,
  stop,
} from "./serving-stacks.js";

export interface ServingModelsOptions {
  runs: number;
  coldRuns: number;
  durationS: number;
  /** Seconds of the first-seconds window. */
  firstS: number;
  stacks: readonly StackKey[];
  models: readonly string[];
  baseline?: { dir: string; label: string };
  log: (s: string) => void;
}

export const CONCURRENCY = [1, 16] as const;

/** wrk's figures plus the server's own CPU per request and the walker that served. */
export type Cell = WrkResult & { cpuUsPerReq: number; walker: string };

export interface Floors {
  /** µs of CPU per call by body rows: libxgboost through the binding, Python's inplace_predict, warm JS. */
  binding: Map<number, number>;
  python: Map<number, number>;
  js: Map<number, number>;
  xgboostPy: string;
}

export interface ModelResults {
  model: BenchModel;
  stacks: readonly Stack[];
  floors: Floors;
  /** Per stack: launch → /ping 200 (ms), RSS once settled (MB), ready → walkers in place (ms, from the log). */
  cold: Map<StackKey, { ms: number[]; rssMB: number[]; walkersMs: number[] }>;
  /** `${stack}/${rows}/${c}` → cells (first seconds: one per fresh server; steady: one per run). */
  first: Map<string, Cell[]>;
  steady: Map<string, Cell[]>;
  rssAfterMB: Map<StackKey, number>;
  /** libxgboost's CPU per call through the binding, measured in each steady run before its cells. */
  interleavedFloor: Map<number, number[]>;
  answers: string[];
  loads: string[];
}

export const cellKey = (stack: StackKey, rows: number, c: number) => `${stack}/${rows}/${c}`;

/** libxgboost through the binding alone (no Python, no JavaScript walker): µs of CPU per call. */
async function bindingFloor(m: BenchModel, rows: number): Promise<number> {
  const run = await runTimed(
    process.execPath,
    ["--import", "tsx", join(BENCH_DIR, "floor.ts"), m.modelFile, m.bodies.get(rows)!, "--no-js"],
    { timeoutS: 600 },
  );
  const l = (run.stdout + run.stderr).split("\n").find((x) => x.startsWith("BENCH "));
  if (!l) throw new Error(`bench/floor.ts printed no BENCH line: ${run.stderr.slice(-2000)}`);
  const r = JSON.parse(l.slice(6)) as { bodies: Record<string, { native: { cpuUs: number } }> };
  return r.bodies[String(rows)]!.native.cpuUs;
}

async function floors(m: BenchModel): Promise<Floors> {
  const bodies = BODY_ROWS.map((r) => m.bodies.get(r)!);
  const node = await runTimed(
    process.execPath,
    ["--import", "tsx", join(BENCH_DIR, "floor.ts"), m.modelFile, ...bodies],
    {
      timeoutS: 600,
    },
  );
  const py = await runTimed(PYTHON, [join(BENCH_DIR, "peer", "inplace_floor.py"), m.modelFile, ...bodies], {
    timeoutS: 600,
  });
  const line = (out: string, what: string) => {
    const l = out.split("\n").find((x) => x.startsWith("BENCH "));
    if (!l) throw new Error(`${what} printed no BENCH line: ${out.slice(-2000)}`);
    return JSON.parse(l.slice(6)) as { xgboost?: string; bodies: Record<string, Record<string, unknown>> };
  };
  const n = line(node.stdout + node.stderr, "bench/floor.ts");
  const p = line(py.stdout + py.stderr, "bench/peer/inplace_floor.py");
  const f: Floors = { binding: new Map(), python: new Map(), js: new Map(), xgboostPy: p.xgboost ?? "?" };
  for (const [rows, v] of Object.entries(n.bodies)) {
    f.binding.set(Number(rows), (v.native as { cpuUs: number }).cpuUs);
    if (v.js) f.js.set(Number(rows), (v.js as { cpuUs: number }).cpuUs);
  }
  for (const [rows, v] of Object.entries(p.bodies)) f.python.set(Number(rows), v.cpu_us as number);
  return f;
}

/**
 * Which walker a `serve` log says served `rows`-row bodies: the explicit choice of this issue's
 * servers (`xgboost walkers` lines), else the older lines (`xgboost prediction path` / `speed`).
 */
export function walkerFromLog(log: string, rows: number, trees: number): string {
  const lines = log
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
  const chosen = lines.filter((l) => l.msg === "xgboost walkers").at(-1);
  if (chosen && Array.isArray(chosen.bySize)) {
    const sizes = chosen.bySize as { upToRows: number | null; walker: string }[];
    return sizes.find((s) => s.upToRows === null || rows <= s.upToRows)?.walker ?? "?";
  }
  const path = lines.find((l) => l.msg === "xgboost prediction path");
  if (!path) return lines.length ? "libxgboost" : "?";
  if (path.path !== "javascript") return "libxgboost";
  const max = path.jsMaxRows;
  const pool = rows * trees > 32_768 ? " (pool)" : "";
  if (max === "any" || (typeof max === "number" && rows <= max)) return `JavaScript${pool}`;
  const speed = lines.find((l) => l.msg === "xgboost prediction speed");
  return speed?.largeRequests === "javascript" ? `JavaScript${pool}` : `libxgboost${pool}`;
}

/** From `model loaded and warmed` to the last `xgboost walkers` line of a serve log, in ms. */
export function walkersAfterMs(log: string): number | undefined {
  const at = (msg: string) =>
    log
      .split("\n")
      .filter((l) => l.includes(`"msg":"${msg}"`))
      .map((l) => Date.parse(/"time":"([^"]+)"/.exec(l)?.[1] ?? ""))
      .filter(Number.isFinite);
  const ready = at("model loaded and warmed")[0];
  const walkers = at("xgboost walkers").at(-1);
  return ready === undefined || walkers === undefined ? undefined : walkers - ready;
}

async function drive(
  run: Running,
  body: string,
  c: number,
  durationS: number,
  walker: () => string,
): Promise<Cell> {
  const cpu0 = stackCpuS(run);
  const w = await runWrk({ port: run.port, bodyFile: body, connections: c, durationS });
  const cpuUsPerReq = w.requests > 0 ? ((stackCpuS(run) - cpu0) / w.requests) * 1e6 : Number.NaN;
  // No answer within the window: its latencies are the window's length at least.
  const none =
    w.requests > 0 ? {} : { p50Ms: durationS * 1000, p90Ms: durationS * 1000, p99Ms: durationS * 1000 };
  return { ...w, ...none, cpuUsPerReq, walker: walker() };
}

function logOf(dir: string, key: StackKey): () => string {
  const file = join(dir, `${key === "sagebrew" ? "sagebrew" : key}.log`);
  return () => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return "";
    }
  };
}

export async function runServingModels(o: ServingModelsOptions): Promise<ModelResults[]> {
  const out: ModelResults[] = [];
  const recipes = MODELS.filter((r) => o.models.length === 0 || o.models.includes(r.name));
  for (const recipe of recipes) {
    const model = await ensureModel(recipe, o.log);
    const logRoot = join(WORK_DIR, "serving-models", recipe.name);
    rmSync(logRoot, { recursive: true, force: true });
    mkdirSync(logRoot, { recursive: true });
    let logSeq = 0;
    const logDir = () => {
      const d = join(logRoot, String(logSeq++));
      mkdirSync(d);
      return d;
    };
    const base = STACKS.filter((s) => o.stacks.includes(s.key));
    const stacks: Stack[] = [...base.slice(0, 1), ...(o.stacks.includes("native") ? [nativeStack] : [])];
    if (o.baseline) stacks.push(baselineStack(o.baseline.dir, o.baseline.label));
    stacks.push(...base.slice(1));
    const walkerOf = (key: StackKey, dir: string, rows: number) =>
      key === "sagebrew" || key === "baseline" || key === "native"
        ? () => walkerFromLog(logOf(dir, key)(), rows, recipe.trees)
        : () => (key === "classic" ? "libxgboost (Python)" : "none");

    o.log(`${recipe.name}: floors`);
    const fl = await floors(model);
    const res: ModelResults = {
      model,
      stacks,
      floors: fl,
      cold: new Map(),
      first: new Map(),
      steady: new Map(),
      rssAfterMB: new Map(),
      interleavedFloor: new Map(),
      answers: [],
      loads: [loadNow()],
    };

    // Cold start and idle memory, interleaved.
    for (let r = 0; r < o.coldRuns; r++) {
      for (const s of stacks) {
        const port = await freePort();
        const dir = logDir();
        const run = s.start(port, model.optMl, dir);
        try {
          const ms = await waitFor200(port, "/ping", {
            since: run.startedAt,
            timeoutS: 120,
            bg: run.processes[0],
          });
          // Memory once settled and idle: for sagebrew once its walkers are in place, then some more.
          const log = logOf(dir, s.key);
          // (Not when they wait for libxgboost's time, "xgboost walkers wait": idle, they never come.)
          for (
            let waited = 0;
            s.key === "sagebrew" &&
            !log().includes('"xgboost walkers"') &&
            !log().includes('"xgboost walkers wait"') &&
            waited < 30_000;
            waited += 100
          )
            await sleep(100);
          // 30 s for the sagebrew servers: V8 shrinks a thread's heap grown at start-up after some
          // 20 s of idleness (measured on the iris model), and the target compares them.
          await sleep(s.key === "classic" || s.key === "bare" ? 2_000 : 30_000);
          const rss = stackRssMB(run);
          const walkersMs = walkersAfterMs(log());
          const c = res.cold.get(s.key) ?? { ms: [], rssMB: [], walkersMs: [] };
          c.ms.push(ms);
          c.rssMB.push(rss);
          if (walkersMs !== undefined) c.walkersMs.push(walkersMs);
          res.cold.set(s.key, c);
          o.log(`${recipe.name} cold ${s.key} #${r + 1}: ${ms.toFixed(0)} ms, ${rss.toFixed(0)} MB`);
        } finally {
          await stop(run);
        }
      }
    }

    // The first seconds: a fresh server per cell, driven the moment /ping says 200.
    for (const rows of BODY_ROWS) {
      for (const c of CONCURRENCY) {
        for (const s of stacks) {
          const port = await freePort();
          const dir = logDir();
          const run = s.start(port, model.optMl, dir);
          try {
            await waitFor200(port, "/ping", { since: run.startedAt, timeoutS: 120, bg: run.processes[0] });
            const cell = await drive(run, model.bodies.get(rows)!, c, o.firstS, walkerOf(s.key, dir, rows));
            const k = cellKey(s.key, rows, c);
            res.first.set(k, [...(res.first.get(k) ?? []), cell]);
            o.log(
              `${recipe.name} first ${o.firstS} s ${rows} rows c=${c} ${s.key}: ${cell.rps.toFixed(0)} req/s p50 ${cell.p50Ms.toFixed(2)} ms cpu ${cell.cpuUsPerReq.toFixed(0)} µs/req ${cell.walker}`,
            );
          } finally {
            await stop(run);
          }
        }
      }
    }

    // The steady state: all up at once, answers checked, warmed, then driven in turn.
    const running: { run: Running; dir: string }[] = [];
    try {
      for (const s of stacks) {
        const port = await freePort();
        const dir = logDir();
        const run = s.start(port, model.optMl, dir);
        running.push({ run, dir });
        await waitFor200(port, "/ping", { since: run.startedAt, timeoutS: 120, bg: run.processes[0] });
      }
      const one = readFileSync(model.bodies.get(1)!, "utf8");
      for (const { run } of running) {
        if (run.key === "bare") continue;
        const a = await httpCall(run.port, "/invocations", {
          method: "POST",
          body: one,
          headers: { "content-type": "text/csv", accept: "text/csv" },
        });
        if (a.status !== 200) throw new Error(`${run.key} answered ${a.status} to 1 row: ${a.body}`);
        res.answers.push(`${run.key} answers the 1-row body with \`${a.body.trim().slice(0, 120)}\`.`);
      }
      for (const { run } of running)
        for (const rows of BODY_ROWS)
          await runWrk({ port: run.port, bodyFile: model.bodies.get(rows)!, connections: 16, durationS: 3 });
      // The steady state has the walkers in place: a large model's come once libxgboost has earned
      // them, so the sagebrew servers are driven until their log says so (at most a minute more).
      for (const { run, dir } of running) {
        if (run.key !== "sagebrew" && run.key !== "baseline" && run.key !== "native") continue;
        const log = logOf(dir, run.key);
        for (
          let i = 0;
          i < 20 && log().includes('"xgboost walkers wait"') && !log().includes('"xgboost walkers"');
          i++
        )
          await runWrk({ port: run.port, bodyFile: model.bodies.get(1000)!, connections: 16, durationS: 3 });
      }
      for (let r = 0; r < o.runs; r++) {
        for (const rows of BODY_ROWS) {
          // The floor measured here, between the cells it is compared with, under the same load.
          const floor = await bindingFloor(model, rows);
          res.interleavedFloor.set(rows, [...(res.interleavedFloor.get(rows) ?? []), floor]);
          for (const c of CONCURRENCY) {
            const order = r % 2 === 0 ? running : [...running].reverse();
            for (const { run, dir } of order) {
              const cell = await drive(
                run,
                model.bodies.get(rows)!,
                c,
                o.durationS,
                walkerOf(run.key, dir, rows),
              );
              const k = cellKey(run.key, rows, c);
              res.steady.set(k, [...(res.steady.get(k) ?? []), cell]);
              o.log(
                `${recipe.name} run ${r + 1} ${rows} rows c=${c} ${run.key}: ${cell.rps.toFixed(0)} req/s p50 ${cell.p50Ms.toFixed(2)} ms p99 ${cell.p99Ms.toFixed(2)} cpu ${cell.cpuUsPerReq.toFixed(0)} µs/req ${cell.walker} (load ${loadNow()})`,
              );
            }
          }
        }
        res.loads.push(loadNow());
      }
      for (const { run } of running) res.rssAfterMB.set(run.key, stackRssMB(run));
    } finally {
      for (const { run } of running) await stop(run);
    }
    // The floors again, after the load runs: the less disturbed of the two is kept.
    const again = await floors(model);
    for (const k of ["binding", "python", "js"] as const)
      for (const [rows, v] of again[k]) fl[k].set(rows, Math.min(v, fl[k].get(rows) ?? v));
    out.push(res);
  }
  return out;
}
