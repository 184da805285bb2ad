/**
 * Tuning benchmark (issue 20 §3): how good a model each strategy finds for the same budget, and
 * what parallel trials buy on this machine.
 *
 * Quality: two data sets — classification, the first 5,000 rows of the 1M × 28 HIGGS-like bench
 * set (bench/data.ts; 3,000 to train, 2,000 to validate, objective validation:auc), and regression,
 * Friedman's #1 function (10 features, 5 of them noise, σ = 1; 3,000 + 2,000 rows, objective
 * validation:rmse) — tuned over six XGBoost hyperparameters with 50 boosting rounds per training
 * job, by Random, Bayesian and Hyperband (MinResource 2, MaxResource 50), RandomSeed 0–9. Every
 * strategy is the tuning core's `TuningMachine`, exactly as `sagebrew tune` drives it; the
 * training jobs run in-process, one after another, on the runtime's XGBoost binding (the same
 * libxgboost and parameters as the train program, one thread, without a process per trial:
 * thousands of processes would measure start-up, not search). A training job's curve depends only
 * on its hyperparameters (seed 0, one thread), so a curve trained once is replayed when another
 * strategy draws the same point (Random, Hyperband and Bayesian's first draws share a seed's
 * stream); the rounds are counted as trained all the same. Sizes are chosen so that the run ends
 * in reasonable time on 2 shared cores. Reported: the best validation metric after 10, 20 and 40
 * training jobs (median over the seeds), and Hyperband's boosting rounds until it reaches Random's
 * 40-job best, against Random's 40 × 50.
 *
 * Wall time: a 20-job Random tuning job of the real `sagebrew tune` (processes of the train
 * program) on 10,000 + 5,000 rows, 50 rounds per job, two jobs at a time × 1 OpenMP thread, against
 * the same 20 jobs (same seed, so the same hyperparameters) one after another × 2 threads,
 * interleaved.
 * Runnable alone: `node --import tsx bench/run.ts tuning [--runs N] [--seeds N]`.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Booster, DMatrix } from "@sagebrew/runtime";
import { runLocalTuning } from "../packages/cli/src/local-tuning/index.js";
import {
  type ParameterRange,
  parseObjective,
  type Strategy,
  TuningMachine,
  tuningRequest,
  tuningSpec,
} from "../packages/cli/src/tuning/index.js";
import { ensureTrainingData, WORK_DIR } from "./data.js";
import { loadNow } from "./lib/machine.js";
import { fmt, median, pass, ratio, table } from "./lib/stats.js";

export interface TuningBenchOptions {
  /** Seeds per strategy and data set (default 10). */
  seeds: number;
  /** Pairs of wall-time runs (default 2). */
  runs: number;
  log: (s: string) => void;
}

interface DataSet {
  readonly name: string;
  readonly objective: string;
  readonly train: { values: Float32Array; labels: Float32Array; rows: number; cols: number };
  readonly valid: { values: Float32Array; labels: Float32Array; rows: number; cols: number };
  readonly params: Record<string, string>;
}

const ROUNDS = 50;
const CHECKPOINTS = [10, 20, 40] as const;
const HYPERBAND_MAX_JOBS = 200;

/** The search space: six of XGBoost's hyperparameters AWS lists as the ones that matter most. */
const RANGES: ParameterRange[] = [
  { kind: "Continuous", name: "eta", min: 0.01, max: 0.5, scaling: "Logarithmic" },
  { kind: "Integer", name: "max_depth", min: 1, max: 8, scaling: "Auto" },
  { kind: "Continuous", name: "min_child_weight", min: 1, max: 32, scaling: "Logarithmic" },
  { kind: "Continuous", name: "subsample", min: 0.5, max: 1, scaling: "Linear" },
  { kind: "Continuous", name: "colsample_bytree", min: 0.5, max: 1, scaling: "Linear" },
  { kind: "Continuous", name: "lambda", min: 0.01, max: 10, scaling: "Logarithmic" },
];

function split(rows: number[][], labels: number[], from: number, to: number) {
  const cols = rows[0]!.length;
  const values = new Float32Array((to - from) * cols);
  for (let r = from; r < to; r++) values.set(rows[r]!, (r - from) * cols);
  return { values, labels: Float32Array.from(labels.slice(from, to)), rows: to - from, cols };
}

/** The classification set: a prefix of the 1M-row HIGGS-like CSV (label first). */
function higgs(rows: number): { rows: number[][]; labels: number[] } {
  const data = ensureTrainingData(rows);
  const lines = readFileSync(data.path, "utf8").trim().split("\n");
  const out: number[][] = [];
  const labels: number[] = [];
  for (const line of lines) {
    const cells = line.split(",").map(Number);
    labels.push(cells[0]!);
    out.push(cells.slice(1));
  }
  return { rows: out, labels };
}

/** Friedman's #1 regression function on 10 uniform features (5 unused), noise σ = 1, seeded. */
function friedman(rows: number): { rows: number[][]; labels: number[] } {
  let s = 0x2f6e2b1;
  const u = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
  const out: number[][] = [];
  const labels: number[] = [];
  for (let r = 0; r < rows; r++) {
    const x = Array.from({ length: 10 }, u);
    const noise = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    labels.push(
      10 * Math.sin(Math.PI * x[0]! * x[1]!) + 20 * (x[2]! - 0.5) ** 2 + 10 * x[3]! + 5 * x[4]! + noise,
    );
    out.push(x);
  }
  return { rows: out, labels };
}

function dataSets(): DataSet[] {
  const h = higgs(5000);
  const f = friedman(5000);
  return [
    {
      name: "classification (HIGGS-like, 3,000 + 2,000 rows × 28)",
      objective: "validation:auc",
      train: split(h.rows, h.labels, 0, 3000),
      valid: split(h.rows, h.labels, 3000, 5000),
      params: { objective: "binary:logistic", eval_metric: "auc" },
    },
    {
      name: "regression (Friedman #1, 3,000 + 2,000 rows × 10)",
      objective: "validation:rmse",
      train: split(f.rows, f.labels, 0, 3000),
      valid: split(f.rows, f.labels, 3000, 5000),
      params: { objective: "reg:squarederror", eval_metric: "rmse" },
    },
  ];
}

interface RunTrace {
  /** Final objective of each training job, in start order (NaN for none). */
  readonly finals: number[];
  /** Boosting rounds trained by each job. */
  readonly rounds: number[];
}

/** Whole curves already trained, by hyperparameters (a job's curve depends on nothing else). */
type CurveCache = Map<string, number[]>;

/** The validation metric after each round of a job with these hyperparameters, up to `stop`. */
function trainCurve(
  set: DataSet,
  dtrain: DMatrix,
  dvalid: DMatrix,
  hp: Readonly<Record<string, string>>,
  stop: (value: number) => boolean,
): { curve: number[]; whole: boolean } {
  const booster = Booster.create([dtrain, dvalid], {});
  const curve: number[] = [];
  try {
    booster.setParams({ ...set.params, ...hp, tree_method: "hist", nthread: 1, seed: 0, verbosity: 0 });
    for (let round = 0; round < ROUNDS; round++) {
      booster.update(round, dtrain);
      const line = booster.eval(round, [[dvalid, "validation"]]);
      const value = Number(/validation-\w+:([-0-9.eE+]+|nan|inf)/.exec(line)?.[1]);
      curve.push(value);
      if (stop(value)) return { curve, whole: round === ROUNDS - 1 };
    }
  } finally {
    booster.dispose();
  }
  return { curve, whole: true };
}

/** One tuning job of `strategy`, its training jobs in-process one after another. */
function tuneInProcess(
  set: DataSet,
  dtrain: DMatrix,
  dvalid: DMatrix,
  cache: CurveCache,
  strategy: Strategy,
  seed: number,
  maxJobs: number,
  stopWhen?: (best: number, jobs: number) => boolean,
): RunTrace {
  const request = tuningRequest(
    {
      name: `bench-${strategy.toLowerCase()}-${seed}`,
      strategy,
      objective: set.objective,
      ranges: RANGES,
      maxJobs,
      maxParallel: 1,
      randomSeed: seed,
      ...(strategy === "Hyperband" ? { hyperband: { minResource: 2, maxResource: ROUNDS } } : {}),
    },
    { staticHyperParameters: { ...set.params, num_round: String(ROUNDS) } },
  );
  const machine = TuningMachine.create(tuningSpec(request), { seed, now: 0 });
  const maximize = parseObjective(set.objective).type === "Maximize";
  const finals: number[] = [];
  const rounds: number[] = [];
  let best = maximize ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  let clock = 0;
  for (let t = machine.propose(clock); t; t = machine.propose(clock)) {
    const key = JSON.stringify(t.hyperParameters);
    const name = t.name;
    let stopped = false;
    const observe = (value: number) => {
      stopped = machine.observe(name, value) === "stop";
      return stopped;
    };
    const cached = cache.get(key);
    let round = 0;
    if (cached) {
      for (const value of cached) {
        round++;
        if (observe(value)) break;
      }
    } else {
      const trained = trainCurve(set, dtrain, dvalid, t.hyperParameters, observe);
      round = trained.curve.length;
      if (trained.whole) cache.set(key, trained.curve);
    }
    // A job told to stop at its last round has finished it: it ends Completed, as it would.
    if (round === ROUNDS) stopped = false;
    machine.end(t.name, { status: stopped ? "Stopped" : "Completed", now: ++clock });
    const final = machine.trial(t.name)!.final ?? Number.NaN;
    finals.push(final);
    rounds.push(round);
    if (Number.isFinite(final) && (maximize ? final > best : final < best)) best = final;
    if (stopWhen?.(best, finals.length)) break;
  }
  return { finals, rounds };
}

/** The boosting rounds trained until the best so far first reached `target` (and whether it did). */
function roundsToReach(
  trace: RunTrace,
  target: number,
  maximize: boolean,
): { rounds: number; jobs: number; reached: boolean } {
  let rounds = 0;
  let best = maximize ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  for (let i = 0; i < trace.finals.length; i++) {
    rounds += trace.rounds[i]!;
    const f = trace.finals[i]!;
    if (Number.isFinite(f) && (maximize ? f > best : f < best)) best = f;
    if (maximize ? best >= target : best <= target) return { rounds, jobs: i + 1, reached: true };
  }
  return { rounds, jobs: trace.finals.length, reached: false };
}

function bestAfter(trace: RunTrace, jobs: number, maximize: boolean): number {
  const seen = trace.finals.slice(0, jobs).filter(Number.isFinite);
  return maximize ? Math.max(...seen) : Math.min(...seen);
}

async function wallTime(opts: TuningBenchOptions) {
  const dir = join(WORK_DIR, "tuning-wall");
  rmSync(dir, { recursive: true, force: true });
  const h = higgs(15_000);
  const write = (channel: string, from: number, to: number) => {
    mkdirSync(join(dir, "input", "data", channel), { recursive: true });
    const text = h.rows
      .slice(from, to)
      .map((r, i) => `${h.labels[from + i]},${r.join(",")}`)
      .join("\n");
    writeFileSync(join(dir, "input", "data", channel, "data.csv"), `${text}\n`);
  };
  write("train", 0, 10_000);
  write("validation", 10_000, 15_000);
  mkdirSync(join(dir, "input", "config"), { recursive: true });
  writeFileSync(
    join(dir, "input", "config", "hyperparameters.json"),
    JSON.stringify({
      objective: "binary:logistic",
      num_round: "50",
      eval_metric: "auc",
      tree_method: "hist",
    }),
  );
  const cores = availableParallelism();
  const one = async (parallel: number, i: number) => {
    const name = `wall-p${parallel}-${i}`;
    const t0 = performance.now();
    const r = await runLocalTuning({
      dir,
      name,
      objective: "validation:auc",
      strategy: "Random",
      ranges: RANGES,
      maxJobs: 20,
      maxParallel: parallel,
      randomSeed: 3,
      copyBestModel: false,
    });
    const seconds = (performance.now() - t0) / 1000;
    if (r.summary.status !== "Completed") throw new Error(`${name} ended ${r.summary.status}`);
    return {
      seconds,
      threads: r.threadsPerTrial,
      hp: r.trials.map((t) => JSON.stringify(t.hyperParameters)),
    };
  };
  const pairs: { parallel: number; sequential: number; load: string }[] = [];
  let threads = { parallel: 0, sequential: 0 };
  for (let i = 0; i < opts.runs; i++) {
    // Alternate which goes first, so a neighbour's load does not always land on the same side.
    const first = i % 2 === 0 ? 2 : 1;
    const a = await one(first, i);
    const b = await one(3 - first, i);
    const [par, seq] = first === 2 ? [a, b] : [b, a];
    if (JSON.stringify(par.hp) !== JSON.stringify(seq.hp))
      throw new Error("the two jobs ran different trials");
    threads = { parallel: par.threads, sequential: seq.threads };
    pairs.push({ parallel: par.seconds, sequential: seq.seconds, load: loadNow() });
    opts.log(
      `wall time pair ${i + 1}: 2 at a time ${fmt(par.seconds, 1)} s, one after another ${fmt(seq.seconds, 1)} s`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  return { pairs, threads, cores };
}

export async function runTuningBench(
  opts: TuningBenchOptions,
): Promise<{ markdown: string; notes: string[] }> {
  const sets = dataSets();
  const sections: string[] = [];
  const notes: string[] = [];
  const verdicts: string[] = [];
  for (const set of sets) {
    opts.log(`tuning: ${set.name}`);
    const maximize = parseObjective(set.objective).type === "Maximize";
    const dtrain = DMatrix.fromDense(set.train, { labels: set.train.labels });
    const dvalid = DMatrix.fromDense(set.valid, { labels: set.valid.labels });
    try {
      const traces: Record<"Random" | "Bayesian" | "Hyperband", RunTrace[]> = {
        Random: [],
        Bayesian: [],
        Hyperband: [],
      };
      const reach: { rounds: number; jobs: number; reached: boolean }[] = [];
      const cache: CurveCache = new Map();
      for (let seed = 0; seed < opts.seeds; seed++) {
        const t0 = performance.now();
        const random = tuneInProcess(set, dtrain, dvalid, cache, "Random", seed, 40);
        const bayes = tuneInProcess(set, dtrain, dvalid, cache, "Bayesian", seed, 40);
        const target = bestAfter(random, 40, maximize);
        // Hyperband runs at least the 40 jobs the table compares, then on until it reaches Random's
        // 40-job best (or HYPERBAND_MAX_JOBS); the rounds counted are those up to that job.
        const hyper = tuneInProcess(
          set,
          dtrain,
          dvalid,
          cache,
          "Hyperband",
          seed,
          HYPERBAND_MAX_JOBS,
          (best, jobs) => jobs >= 40 && (maximize ? best >= target : best <= target),
        );
        traces.Random.push(random);
        traces.Bayesian.push(bayes);
        traces.Hyperband.push(hyper);
        reach.push(roundsToReach(hyper, target, maximize));
        opts.log(
          `  seed ${seed}: random ${fmt(target, 4)}, bayesian ${fmt(bestAfter(bayes, 40, maximize), 4)}, hyperband ${reach.at(-1)!.reached ? `reached it after ${reach.at(-1)!.jobs} jobs, ${reach.at(-1)!.rounds} rounds` : `not within ${HYPERBAND_MAX_JOBS} jobs`} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
        );
      }
      const rows = (["Random", "Bayesian", "Hyperband"] as const).map((s) => [
        s,
        ...CHECKPOINTS.map((n) => {
          const values = traces[s].filter((t) => t.finals.length >= n).map((t) => bestAfter(t, n, maximize));
          return values.length === traces[s].length
            ? fmt(median(values), 4)
            : `${fmt(median(values), 4)} (${values.length} seeds)`;
        }),
      ]);
      const at20 = (s: "Random" | "Bayesian") => median(traces[s].map((t) => bestAfter(t, 20, maximize)));
      const bayesBeats = maximize ? at20("Bayesian") > at20("Random") : at20("Bayesian") < at20("Random");
      // The medians hide how often: seed by seed (the same seed, so the same first random jobs).
      const wins = (n: number) =>
        traces.Bayesian.filter((t, i) => {
          const [b, r] = [bestAfter(t, n, maximize), bestAfter(traces.Random[i]!, n, maximize)];
          return maximize ? b > r : b < r;
        }).length;
      const randomRounds = 40 * ROUNDS;
      const reachedAll = reach.every((r) => r.reached);
      const hbRounds = median(reach.map((r) => (r.reached ? r.rounds : Number.POSITIVE_INFINITY)));
      const hbRatio = hbRounds / randomRounds;
      sections.push(
        [
          `### ${set.name}, ${set.objective} (${maximize ? "higher" : "lower"} is better)`,
          "",
          `Best ${set.objective} after n training jobs, median over ${opts.seeds} seeds:`,
          "",
          table(["strategy", ...CHECKPOINTS.map((n) => `${n} jobs`)], rows),
          "",
          `- Bayesian against Random at 20 jobs: ${fmt(at20("Bayesian"), 4)} vs ${fmt(at20("Random"), 4)} — ${pass(bayesBeats)}. Seed by seed, Bayesian's best is better than Random's on ${wins(20)} of ${opts.seeds} seeds at 20 jobs and ${wins(40)} of ${opts.seeds} at 40 (the other seeds: equal or worse).`,
          `- Hyperband reaches Random's 40-job best (per seed) after ${fmt(hbRounds, 0)} boosting rounds (median over the seeds, a seed that never reaches it counted as infinite; per seed: ${reach.map((r) => (r.reached ? `${r.rounds} (${r.jobs} jobs)` : "never")).join(", ")}${reachedAll ? "" : `; never = not within ${HYPERBAND_MAX_JOBS} jobs`}), against Random's ${randomRounds}: ${ratio(hbRatio)} the rounds — ${pass(hbRatio < 1)}.`,
        ].join("\n"),
      );
      verdicts.push(
        `${set.objective}: Bayesian > Random at 20 ${pass(bayesBeats)}, Hyperband rounds ${ratio(hbRatio)} ${pass(hbRatio < 1)}`,
      );
    } finally {
      dtrain.dispose();
      dvalid.dispose();
    }
  }
  opts.log("tuning: wall time of a 20-job tuning job");
  const wall = await wallTime(opts);
  const pairRatios = wall.pairs.map((p) => p.parallel / p.sequential);
  sections.push(
    [
      "### Wall time: 20 training jobs, two at a time against one after another",
      "",
      `\`sagebrew tune\` on this machine (${wall.cores} cores), Random, RandomSeed 3 (both jobs run the same 20 training jobs), 10,000 + 5,000 HIGGS-like rows, 50 rounds each, every job a process of the train program:`,
      "",
      table(
        [
          "run",
          `2 at a time × ${wall.threads.parallel} thread(s)`,
          `1 at a time × ${wall.threads.sequential} thread(s)`,
          "ratio",
          "load",
        ],
        wall.pairs.map((p, i) => [
          String(i + 1),
          `${fmt(p.parallel, 1)} s`,
          `${fmt(p.sequential, 1)} s`,
          ratio(p.parallel / p.sequential),
          p.load,
        ]),
      ),
      "",
      `Median ratio ${ratio(median(pairRatios))} of the one-after-another wall time.`,
    ].join("\n"),
  );
  notes.push(
    "Quality runs train in-process through the runtime's XGBoost binding (libxgboost, the parameters the train program sets: tree_method=hist, 50 rounds, seed 0, one thread), one training job after another, so the Bayesian strategy sees every earlier result; a process per job would add start-up, not change the search. A curve trained once is replayed when another strategy draws the same hyperparameters (it depends on nothing else); its rounds count as trained. The strategies are the tuning core's TuningMachine, as `sagebrew tune` drives it.",
    "Random and Hyperband with the same RandomSeed draw the same hyperparameters in the same order: Hyperband's saving is what stopping weak jobs at its brackets' rungs (2, 6 and 18 rounds, η = 3) costs in the best found. Its row in the tables counts every job it started, those it stopped early included.",
    `Verdicts: ${verdicts.join("; ")}.`,
  );
  return { markdown: sections.join("\n\n"), notes };
}
