/**
 * Multi-host training benchmark (issue 13 §4): the 1,000,000 × 28 HIGGS-like CSV trained by
 * 2 hosts × 1 thread (`sagebrew train --instance-count 2`'s launcher, ShardedByS3Key over the file
 * cut in two halves) against 1 host × 2 threads (the `train` program on the whole file) — as it
 * runs by default, and with OMP_WAIT_POLICY=passive as the launcher gives its hosts — side by side
 * in one run on the same cores, in rotating order. 100 rounds, tree_method=hist, max_depth=6,
 * binary:logistic; every contender evaluates the training set every round.
 *
 * Measured per host: wall time, launch to round 0, time per round (rounds 1–99, from the times the
 * round lines arrive), peak RSS and CPU time (`/usr/bin/time -v`), and the collective's share: the
 * time each host spends inside XGBoost's collective calls (allreduce, broadcast, allgather),
 * recorded by an LD_PRELOAD shim around libxgboost 1.7's rabit engine (bench/lib/collective-timer.c,
 * compiled here with gcc) — waiting for the other host included, which is what the collective costs
 * a round. Runnable alone: `node --import tsx bench/run.ts multi-host [--runs N]`.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { runLocalHosts } from "../packages/cli/src/local/hosts/index.js";
import { BENCH_DIR, DATA_DIR, ensureTrainingData, REPO_DIR, type TrainingData, WORK_DIR } from "./data.js";
import { loadNow } from "./lib/machine.js";
import { fmt, mb, median, ratio, table, withRange } from "./lib/stats.js";
import { hyperparameters } from "./training.js";

export interface MultiHostBenchOptions {
  runs: number;
  log: (s: string) => void;
}

const TRAIN = join(REPO_DIR, "packages", "runtime", "bin", "train");
const ROUNDS = 100;
const HOSTS = ["algo-1", "algo-2"] as const;

interface HostSample {
  /** Launch of the job to round 0's evaluation line, seconds. */
  firstRoundS: number;
  /** Mean time per round over rounds 1–99 (from the round lines' arrival), seconds. */
  perRoundS: number;
  peakRssBytes: number;
  cpuS: number;
  /** Inside collective calls during rounds 1–99, per round, seconds (multi-host only). */
  collectivePerRoundS: number;
  collectiveCallsPerRound: number;
  collectiveBytesPerRound: number;
  /** Inside collective calls before round 0 was evaluated (the quantile sketch, set-up), seconds. */
  collectiveBeforeS: number;
  lastLine: string;
}

interface Sample {
  wallS: number;
  hosts: HostSample[];
}

/** The CSV cut in two at a line boundary (each host's S3 object under ShardedByS3Key). */
function ensureHalves(data: TrainingData, log: (s: string) => void): string[] {
  const paths = [0, 1].map((i) => join(DATA_DIR, `higgs-like-part-${i}-of-2.csv`));
  if (paths.every((p) => existsSync(p)) && paths.reduce((n, p) => n + statSync(p).size, 0) === data.bytes)
    return paths;
  log(`cutting ${data.path} in two halves`);
  const all = readFileSync(data.path);
  let at = -1;
  for (let r = 0; r < data.rows / 2; r++) at = all.indexOf(10, at + 1);
  const parts = [all.subarray(0, at + 1), all.subarray(at + 1)];
  parts.forEach((part, i) => {
    const fd = openSync(`${paths[i]}.tmp`, "w");
    writeSync(fd, part);
    closeSync(fd);
    renameSync(`${paths[i]}.tmp`, paths[i]!);
  });
  return paths;
}

function jobDir(name: string, files: readonly string[], nthread: number, sharded: boolean): string {
  const root = join(WORK_DIR, "multi-host", name);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, "input", "config"), { recursive: true });
  mkdirSync(join(root, "input", "data", "train"), { recursive: true });
  writeFileSync(
    join(root, "input", "config", "hyperparameters.json"),
    JSON.stringify(hyperparameters(nthread)),
  );
  writeFileSync(
    join(root, "input", "config", "inputdataconfig.json"),
    JSON.stringify({
      train: {
        ContentType: "text/csv",
        TrainingInputMode: "File",
        S3DistributionType: sharded ? "ShardedByS3Key" : "FullyReplicated",
        RecordWrapperType: "None",
      },
    }),
  );
  for (const [i, f] of files.entries()) linkSync(f, join(root, "input", "data", "train", `part-${i}.csv`));
  return root;
}

/** Peak RSS and CPU seconds from a `/usr/bin/time -v -o` report. */
function timeReport(path: string): { peakRssBytes: number; cpuS: number } {
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const n = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
  return {
    peakRssBytes: n(/Maximum resident set size \(kbytes\): (\d+)/) * 1024,
    cpuS: n(/User time \(seconds\): ([\d.]+)/) + n(/System time \(seconds\): ([\d.]+)/),
  };
}

interface Call {
  op: string;
  startNs: bigint;
  durNs: number;
  bytes: number;
}

function collectiveLog(path: string): Call[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [op, start, dur, bytes] = l.split("\t");
      return { op: op!, startNs: BigInt(start!), durNs: Number(dur), bytes: Number(bytes) };
    });
}

/** Arrival times (process.hrtime, CLOCK_MONOTONIC as the shim's) of round 0's and the last round's lines. */
class RoundClock {
  first?: bigint;
  last?: bigint;
  lastLine = "";
  line(text: string): void {
    const m = /^\[(\d+)\]\t(.*)$/.exec(text);
    if (!m) return;
    const now = process.hrtime.bigint();
    if (m[1] === "0") this.first = now;
    if (Number(m[1]) === ROUNDS - 1) {
      this.last = now;
      this.lastLine = m[2]!.trim();
    }
  }
}

function hostSample(
  launch: bigint,
  clock: RoundClock,
  time: { peakRssBytes: number; cpuS: number },
  calls: Call[],
): HostSample {
  const s = (ns: bigint | number) => Number(ns) / 1e9;
  const { first, last } = clock;
  if (first === undefined || last === undefined)
    throw new Error("a host printed no round 0 or last round line");
  const during = calls.filter((c) => c.startNs >= first && c.startNs <= last);
  const rounds = ROUNDS - 1;
  return {
    firstRoundS: s(first - launch),
    perRoundS: s(last - first) / rounds,
    ...time,
    collectivePerRoundS: calls.length ? s(during.reduce((n, c) => n + c.durNs, 0)) / rounds : Number.NaN,
    collectiveCallsPerRound: calls.length ? during.length / rounds : Number.NaN,
    collectiveBytesPerRound: calls.length ? during.reduce((n, c) => n + c.bytes, 0) / rounds : Number.NaN,
    collectiveBeforeS: calls.length
      ? s(calls.filter((c) => c.startNs < first).reduce((n, c) => n + c.durNs, 0))
      : Number.NaN,
    lastLine: clock.lastLine,
  };
}

function failure(out: string[]): Error {
  return new Error(`training failed:\n${out.slice(-30).join("\n")}`);
}

/** 1 host × 2 threads: the `train` program on the whole file, OpenMP's wait policy as given. */
async function runSingle(dir: string, passive: boolean): Promise<Sample> {
  rmSync(join(dir, "model"), { recursive: true, force: true });
  rmSync(join(dir, "output"), { recursive: true, force: true });
  const report = join(WORK_DIR, "multi-host", "single-time.txt");
  const clock = new RoundClock();
  const out: string[] = [];
  const launch = process.hrtime.bigint();
  const code = await new Promise<number | null>((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, SAGEMAKER_BASE_DIR: dir };
    if (passive) env.OMP_WAIT_POLICY = "passive";
    else delete env.OMP_WAIT_POLICY;
    const child = spawn("/usr/bin/time", ["-v", "-o", report, process.execPath, TRAIN], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [child.stdout, child.stderr]) {
      let rest = "";
      stream.setEncoding("utf8").on("data", (c: string) => {
        const lines = (rest + c).split("\n");
        rest = lines.pop()!;
        for (const l of lines) {
          clock.line(l);
          out.push(l);
        }
      });
    }
    child.on("error", reject);
    child.on("close", resolve);
  });
  const wallS = Number(process.hrtime.bigint() - launch) / 1e9;
  if (code !== 0) throw failure(out);
  return { wallS, hosts: [hostSample(launch, clock, timeReport(report), [])] };
}

/** 2 hosts × 1 thread through the launcher of `sagebrew train --instance-count 2`. */
async function runMulti(dir: string, shim: string | undefined): Promise<Sample> {
  rmSync(join(dir, "model"), { recursive: true, force: true });
  rmSync(join(dir, "output"), { recursive: true, force: true });
  const clocks = new Map(HOSTS.map((h) => [h, new RoundClock()]));
  const out: string[] = [];
  // Each host under /usr/bin/time, its report and collective log in its own /opt/ml.
  const script =
    'exec /usr/bin/time -v -o "$SAGEMAKER_BASE_DIR/time.txt" env ' +
    (shim ? `LD_PRELOAD='${shim}' SAGEBREW_BENCH_COLLECTIVE_LOG="$SAGEMAKER_BASE_DIR/collective.tsv" ` : "") +
    `'${process.execPath}' '${TRAIN}'`;
  const launch = process.hrtime.bigint();
  const result = await runLocalHosts({
    dir,
    count: HOSTS.length,
    command: ["/bin/sh", "-c", script],
    env: { OMP_WAIT_POLICY: "passive" },
    onLine: (host, _stream, line) => {
      clocks.get(host as (typeof HOSTS)[number])?.line(line);
      out.push(`[${host}] ${line}`);
    },
  });
  const wallS = Number(process.hrtime.bigint() - launch) / 1e9;
  if (result.exitCode !== 0) throw failure(out);
  const base = join(dir, ".sagebrew", "hosts");
  return {
    wallS,
    hosts: HOSTS.map((h) =>
      hostSample(
        launch,
        clocks.get(h)!,
        timeReport(join(base, h, "time.txt")),
        collectiveLog(join(base, h, "collective.tsv")),
      ),
    ),
  };
}

/** Compiles the collective timer; undefined (with the reason logged) when it cannot. */
function buildShim(log: (s: string) => void): string | undefined {
  const so = join(WORK_DIR, "multi-host", "collective-timer.so");
  const r = spawnSync(
    "gcc",
    ["-O2", "-shared", "-fPIC", "-o", so, join(BENCH_DIR, "lib", "collective-timer.c"), "-ldl", "-lpthread"],
    { encoding: "utf8" },
  );
  if (r.status !== 0) {
    log(
      `cannot build the collective timer (gcc: ${r.error?.message ?? r.stderr.trim()}); no collective figures`,
    );
    return undefined;
  }
  return so;
}

export async function runMultiHostBench(
  o: MultiHostBenchOptions,
): Promise<{ markdown: string; notes: string[] }> {
  const data = ensureTrainingData(undefined, o.log);
  const halves = ensureHalves(data, o.log);
  mkdirSync(join(WORK_DIR, "multi-host"), { recursive: true });
  const shim = buildShim(o.log);
  const single = jobDir("single", [data.path], 2, false);
  const multi = jobDir("multi", halves, 1, true);
  // Both from the page cache.
  for (const f of [data.path, ...halves]) readFileSync(f);
  const one: Sample[] = [];
  const onePassive: Sample[] = [];
  const two: Sample[] = [];
  const loads: string[] = [loadNow()];
  const kinds = ["two", "one", "onePassive"] as const;
  const label = {
    one: "1 host × 2 threads",
    onePassive: "1 host × 2 threads, passive OpenMP",
    two: "2 hosts × 1 thread",
  };
  for (let r = 0; r < o.runs; r++) {
    const order = kinds.map((_, i) => kinds[(i + r) % kinds.length]!);
    for (const which of order) {
      const s =
        which === "two" ? await runMulti(multi, shim) : await runSingle(single, which === "onePassive");
      ({ one, onePassive, two })[which].push(s);
      o.log(
        `run ${r + 1} ${label[which]}: ${s.wallS.toFixed(2)} s, ` +
          s.hosts
            .map(
              (h, i) =>
                `host ${i + 1}: ${(h.perRoundS * 1000).toFixed(1)} ms/round, collective ${fmt(h.collectivePerRoundS * 1000, 1)} ms/round, peak RSS ${mb(h.peakRssBytes)}`,
            )
            .join("; ") +
          ` (load avg ${loadNow()})`,
      );
    }
    loads.push(loadNow());
  }

  const ms = (x: number) => fmt(x * 1000, 1);
  const sec = (x: number) => fmt(x, 2);
  const pct = (x: number) => `${fmt(x * 100, 0)} %`;
  const col = (xs: Sample[], host: number, f: (h: HostSample) => number, show: (x: number) => string) =>
    withRange(
      xs.map((s) => f(s.hosts[host]!)),
      show,
    );
  const both = (f: (h: HostSample) => number, show: (x: number) => string) =>
    `${col(two, 0, f, show)} / ${col(two, 1, f, show)}`;
  /** The 2-host median (of the larger host's figure) over a 1-host median, for each 1-host contender. */
  const vs = (f: (h: HostSample) => number) => {
    const t = median(two.map((s) => Math.max(f(s.hosts[0]!), f(s.hosts[1]!))));
    return [one, onePassive].map((xs) => ratio(t / median(xs.map((s) => f(s.hosts[0]!)))));
  };
  const singles = (f: (h: HostSample) => number, show: (x: number) => string) => [
    col(one, 0, f, show),
    col(onePassive, 0, f, show),
  ];
  const wall = (s: Sample) => s.wallS;
  const sumRss = (s: Sample) => s.hosts.reduce((n, h) => n + h.peakRssBytes, 0);
  const share = (h: HostSample) => h.collectivePerRoundS / h.perRoundS;
  const none = ["none", "none"];
  const rows = [
    [
      "total, launch to exit of every host (s)",
      withRange(one.map(wall), sec),
      withRange(onePassive.map(wall), sec),
      withRange(two.map(wall), sec),
      ...[one, onePassive].map((xs) => ratio(median(two.map(wall)) / median(xs.map(wall)))),
    ],
    [
      "launch → round 0 evaluated (s)",
      ...singles((h) => h.firstRoundS, sec),
      both((h) => h.firstRoundS, sec),
      ...vs((h) => h.firstRoundS),
    ],
    [
      "time per round, rounds 1–99 (ms)",
      ...singles((h) => h.perRoundS, ms),
      both((h) => h.perRoundS, ms),
      ...vs((h) => h.perRoundS),
    ],
    ["… inside collective calls (ms per round)", ...none, both((h) => h.collectivePerRoundS, ms), "", ""],
    ["… the collective's share of a round", ...none, both(share, pct), "", ""],
    [
      "collective calls per round",
      ...none,
      both(
        (h) => h.collectiveCallsPerRound,
        (x) => fmt(x, 1),
      ),
      "",
      "",
    ],
    [
      "bytes reduced per round, per host",
      ...none,
      both(
        (h) => h.collectiveBytesPerRound,
        (x) => `${fmt(x / 1e3, 0)} kB`,
      ),
      "",
      "",
    ],
    [
      "inside collective calls before round 0 (quantile sketch, set-up) (s)",
      ...none,
      both((h) => h.collectiveBeforeS, sec),
      "",
      "",
    ],
    [
      "peak RSS per host",
      ...singles((h) => h.peakRssBytes, mb),
      both((h) => h.peakRssBytes, mb),
      ...vs((h) => h.peakRssBytes),
    ],
    [
      "peak RSS, all hosts together",
      withRange(one.map(sumRss), mb),
      withRange(onePassive.map(sumRss), mb),
      withRange(two.map(sumRss), mb),
      ...[one, onePassive].map((xs) => ratio(median(two.map(sumRss)) / median(xs.map(sumRss)))),
    ],
    ["CPU time per host, user + sys (s)", ...singles((h) => h.cpuS, sec), both((h) => h.cpuS, sec), "", ""],
    [
      "last eval line",
      one[0]!.hosts[0]!.lastLine,
      onePassive[0]!.hosts[0]!.lastLine,
      two[0]!.hosts[0]!.lastLine,
      "",
      "",
    ],
  ];
  const loadValues = loads.map((l) => Number(l.split(" ")[0]));
  const markdown = [
    `Data: ${data.rows.toLocaleString("en-US")} rows × ${data.features} features + label (\`bench/data/higgs-like.csv\`, generated by \`bench/data.ts\`, fixed seed); the 2 hosts get it as two objects of ${(data.rows / 2).toLocaleString("en-US")} rows under \`ShardedByS3Key\` (the first and second half of the file). Hyperparameters \`${JSON.stringify(hyperparameters(1)).replace('"nthread":"1"', '"nthread":"2" (1 host) or "1" (each of 2 hosts)')}\`; every host evaluates the training set every round (on 2 hosts, over both hosts' rows). Medians of ${o.runs} runs of each, in rotating order, (min–max) in brackets; where the 2-host column has two figures they are algo-1 / algo-2, and its ratios take the larger; "passive" is the 1-host run with \`OMP_WAIT_POLICY=passive\`, as the 2 hosts run.`,
    "",
    table(
      [
        "",
        "1 host × 2 threads",
        "1 host × 2 threads, passive OpenMP",
        "2 hosts × 1 thread (algo-1 / algo-2)",
        "2 hosts vs 1 host",
        "2 hosts vs 1 host, passive",
      ],
      rows,
    ),
  ].join("\n");
  const notes = [
    "1 host: `node packages/runtime/bin/train` with `SAGEMAKER_BASE_DIR` on an /opt/ml-shaped dir, OpenMP as it comes (threads spin a while at each barrier before sleeping) and with `OMP_WAIT_POLICY=passive` (they sleep at once); on a machine whose cores other programs also use, a spinning thread waits for a partner that is not running. 2 hosts: `runLocalHosts` from `packages/cli/src/local/hosts` (what `sagebrew train DIR --instance-count 2` runs): two processes of the same program on loopback, `OMP_WAIT_POLICY=passive`, XGBoost 1.7's ring with sagebrew's tracker. Each process under `/usr/bin/time -v` (peak RSS, CPU time).",
    "Collective time: `bench/lib/collective-timer.c`, preloaded into each host, records every call of libxgboost's rabit engine (allreduce, broadcast, allgather: XGBoost's histogram, split and sketch reductions and sagebrew's own per-round metric and stop reductions) with CLOCK_MONOTONIC; a round's share is the time inside those calls between the arrival of round 0's and round 99's evaluation lines, over that span. It includes waiting for the other host to arrive at the same call, so it measures what the ring costs each round, not the network alone.",
    "Run on this machine as `npm run build && flock /tmp/sagebrew-bench.lock node --import tsx bench/run.ts multi-host --runs 3 --no-build` (the lock keeps benchmarks from running at the same time; other work still runs).",
    "The models differ in the last digits of the loss (see the last eval line): on 2 hosts XGBoost merges the quantile sketch from each host's half, so the histogram bins are not exactly the 1-host bins.",
    `Noise: the machine is shared with other engineers' builds and tests while this runs (1-minute load average between ${Math.min(...loadValues).toFixed(1)} and ${Math.max(...loadValues).toFixed(1)} on 2 cores during the runs), and the 2 hosts share its 2 cores with each other: time figures move with the load; ratios within one run are the comparison.`,
  ];
  return { markdown, notes };
}
