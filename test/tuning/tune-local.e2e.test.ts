/**
 * `sagebrew tune` on this machine, end to end: real training jobs (processes of the runtime's
 * `train` program on the real libxgboost) over the iris tuning directory, driven by the tuning
 * core. What SageMaker's rules promise is asserted from what the jobs left on disk: each job's
 * hyperparameters.json, the state, the summary, the best model copied to DIR/model, the pictures.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DOMParser } from "@xmldom/xmldom";
import { runLocalTuning } from "../../packages/cli/src/local-tuning/index.js";
import { main } from "../../packages/cli/src/main.js";
import type { TuningState } from "../../packages/cli/src/tuning/index.js";
import { captureIo } from "../kit/capture-io.js";
import { REPO } from "../kit/ml-dir.js";

const TUNE_DIR = join(REPO, "examples", "iris-xgboost", "local_test", "tune_dir");
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-tune-"));
});
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function copyDir(name: string): Promise<string> {
  const dir = join(work, name);
  await cp(TUNE_DIR, dir, { recursive: true });
  return dir;
}

async function tune(dir: string, args: string[]) {
  const c = captureIo({ cwd: work });
  const code = await main(["tune", dir, "--plain", ...args], c.io);
  return { code, ...c.text() };
}

function stateOf(dir: string, name: string): TuningState {
  return JSON.parse(
    readFileSync(join(dir, ".sagebrew", "tuning", name, "state.json"), "utf8"),
  ) as TuningState;
}

function svg(path: string): void {
  const errors: string[] = [];
  const doc = new DOMParser({ onError: (level, m) => level !== "warning" && errors.push(m) }).parseFromString(
    readFileSync(path, "utf8"),
    "image/svg+xml",
  );
  assert.deepEqual(errors, [], path);
  assert.equal(doc.documentElement?.tagName, "svg");
}

test("sagebrew tune runs every training job with its hyperparameters, never more at once than allowed, and copies the best model", async () => {
  const dir = await copyDir("random");
  const r = await tune(dir, [
    "--name",
    "iris-random",
    "--objective",
    "validation:mlogloss",
    "--strategy",
    "random",
    "--range",
    "eta=0.05:0.5:log",
    "--range",
    "max_depth=1:5",
    "--max-jobs",
    "6",
    "--max-parallel",
    "2",
    "--seed",
    "11",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /tuning job iris-random: Random, 6 training jobs, 2 at a time × \d+ threads?, minimising validation:mlogloss \(seed 11\)/,
  );
  const state = stateOf(dir, "iris-random");
  assert.equal(state.status, "Completed");
  assert.equal(state.trials.length, 6);
  // At no instant did more than two jobs run: count the overlaps of their [created, ended] spans.
  for (const t of state.trials) {
    const overlapping = state.trials.filter((o) => o.createdAt <= t.createdAt && o.endedAt! > t.createdAt);
    assert.ok(overlapping.length <= 2, `${overlapping.length} jobs ran when ${t.name} started`);
  }
  for (const t of state.trials) {
    assert.equal(t.status, "Completed");
    const hp = JSON.parse(
      await readFile(
        join(
          dir,
          ".sagebrew",
          "tuning",
          "iris-random",
          "trials",
          t.name,
          "input",
          "config",
          "hyperparameters.json",
        ),
        "utf8",
      ),
    );
    assert.deepEqual(hp, {
      objective: "multi:softprob",
      num_class: "3",
      num_round: "30",
      eval_metric: "mlogloss",
      ...t.hyperParameters,
      _tuning_objective_metric: "validation:mlogloss",
    });
    assert.equal(t.curve.length, 30, "one objective value per round");
    const trialDir = join(dir, ".sagebrew", "tuning", "iris-random", "trials", t.name);
    assert.ok(
      !existsSync(join(trialDir, ".sagebrew", "hosts", "algo-1", "input", "data")),
      "no copy of the data is kept",
    );
    assert.equal(t.final, t.curve.at(-1));
    const log = await readFile(
      join(dir, ".sagebrew", "tuning", "iris-random", "trials", t.name, "train.log"),
      "utf8",
    );
    assert.match(
      log,
      new RegExp(
        `\\[29\\]\\ttrain-mlogloss:[0-9.]+\\tvalidation-mlogloss:${String(t.final).replace(".", "\\.")}`,
      ),
    );
  }
  const summary = JSON.parse(
    await readFile(join(dir, ".sagebrew", "tuning", "iris-random", "summary.json"), "utf8"),
  );
  const best = Math.min(...state.trials.map((t) => t.final!));
  assert.equal(summary.best.final, best);
  assert.deepEqual(summary.objectiveStatusCounters, { Succeeded: 6, Pending: 0, Failed: 0 });
  const bestDir = join(dir, ".sagebrew", "tuning", "iris-random", "trials", summary.best.name);
  assert.deepEqual(
    readFileSync(join(dir, "model", "xgboost-model")),
    readFileSync(join(bestDir, "model", "xgboost-model")),
    "DIR/model holds the best job's model",
  );
  svg(join(dir, ".sagebrew", "tuning", "iris-random", "objective.svg"));
  svg(join(dir, ".sagebrew", "tuning", "iris-random", "parallel-coordinates.svg"));
  const board = readFileSync(
    join(dir, ".sagebrew", "tuning", "iris-random", "leaderboard.txt"),
    "utf8",
  ).split("\n");
  assert.match(board[1]!, new RegExp(`^\\*  ${summary.best.name}  Completed`));
  assert.match(r.stdout, /tuning job iris-random: Completed — 6 completed, 0 stopped, 0 failed/);
  assert.match(r.stdout, new RegExp(`best: ${summary.best.name}`));
});

test("sagebrew tune --strategy grid runs every combination exactly once", async () => {
  const dir = await copyDir("grid");
  const r = await tune(dir, [
    "--name",
    "iris-grid",
    "--objective",
    "validation:merror",
    "--strategy",
    "grid",
    "--range",
    "max_depth=1,2,4",
    "--range",
    "eta=0.1,0.3",
    "--max-parallel",
    "2",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const state = stateOf(dir, "iris-grid");
  const combos = state.trials.map((t) => `${t.hyperParameters.max_depth}/${t.hyperParameters.eta}`).sort();
  assert.deepEqual(combos, ["1/0.1", "1/0.3", "2/0.1", "2/0.3", "4/0.1", "4/0.3"]);
});

test("on a terminal the leaderboard is redrawn in place while the jobs run, each board replacing the last", async () => {
  const dir = await copyDir("terminal");
  const c = captureIo({ cwd: work, terminal: true });
  const code = await main(
    [
      "tune",
      dir,
      "--name",
      "iris-live",
      "--objective",
      "validation:merror",
      "--strategy",
      "grid",
      "--range",
      "max_depth=1,3",
    ],
    c.io,
  );
  const { stdout, stderr } = c.text();
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stdout, /started:/, "no event lines on a terminal");
  const end = stdout.indexOf("\ntuning job iris-live: Completed");
  assert.ok(end > 0, stdout);
  // The live part: boards, each after the first preceded by "to the row's start, cursor up <the last
  // board's lines>, clear to the end", then the final leaderboard and the summary.
  const live = stdout.slice(0, stdout.lastIndexOf("\n\n   training job", end) + 1);
  const ESC = String.fromCharCode(27);
  const boards = live.split(new RegExp(`\r${ESC}\\[(\\d+)A${ESC}\\[J`));
  assert.ok(boards.length >= 1 && boards[0]!.startsWith("   training job"), JSON.stringify(live));
  for (let i = 1; i < boards.length; i += 2) {
    const previous = boards[i - 1]!.replace(/\n$/, "").split("\n").length;
    assert.equal(Number(boards[i]), previous, "moves up exactly over the board it replaces");
  }
  const last = boards.at(-1)!.trimEnd().split("\n");
  assert.match(last[0]!, /^ {3}training job\s+status\s+validation:merror\s+max_depth$/);
  for (const line of last.slice(1)) assert.match(line, /^[* ] {2}iris-live-00[12]-[0-9a-f]{8}\s+\w+/);
});

test("early stopping Auto stops training jobs before their last round", async () => {
  const dir = await copyDir("early");
  const r = await tune(dir, [
    "--name",
    "iris-early",
    "--objective",
    "validation:mlogloss",
    "--strategy",
    "random",
    "--early-stopping",
    "auto",
    "--range",
    "eta=0.01:0.5:log",
    "--max-jobs",
    "8",
    "--seed",
    "5",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const state = stateOf(dir, "iris-early");
  const stopped = state.trials.filter((t) => t.stopCause === "EarlyStopping");
  assert.ok(
    stopped.length >= 1,
    `a trial was stopped: ${state.trials.map((t) => `${t.status}:${t.curve.length}`)}`,
  );
  for (const t of stopped) {
    assert.equal(t.status, "Stopped");
    assert.ok(t.curve.length < 30, `${t.name} stopped after ${t.curve.length} of 30 rounds`);
  }
  assert.match(r.stdout, /Stopped: [0-9.]+; best so far/);
});

test("Hyperband stops weak training jobs at their rungs of num_round", async () => {
  const dir = await copyDir("hyperband");
  const r = await tune(dir, [
    "--name",
    "iris-hb",
    "--objective",
    "validation:mlogloss",
    "--strategy",
    "hyperband",
    "--range",
    "eta=0.01:0.5:log",
    "--range",
    "max_depth=1:5",
    "--min-resource",
    "3",
    "--max-jobs",
    "8",
    "--max-parallel",
    "2",
    "--seed",
    "2",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const state = stateOf(dir, "iris-hb");
  assert.deepEqual(state.spec.hyperband, { minResource: 3, maxResource: 30 }, "MaxResource is num_round");
  const stopped = state.trials.filter((t) => t.stopCause === "Hyperband");
  assert.ok(stopped.length >= 1, `${state.trials.map((t) => `${t.status}:${t.curve.length}`)}`);
  const rounds = state.trials.reduce((n, t) => n + t.curve.length, 0);
  assert.ok(rounds < 8 * 30, `fewer rounds than every job to the end: ${rounds}`);
});

test("aborting the tuning job stops every running training job; the job ends Stopped", async () => {
  const dir = await copyDir("abort");
  const controller = new AbortController();
  const result = await runLocalTuning({
    dir,
    name: "iris-abort",
    objective: "validation:mlogloss",
    strategy: "Random",
    ranges: [{ kind: "Continuous", name: "eta", min: 0.01, max: 0.5, scaling: "Logarithmic" }],
    hyperparameters: { num_round: "2000" },
    maxJobs: 10,
    maxParallel: 2,
    seed: 1,
    signal: controller.signal,
    events: {
      objective: (t, epoch) => {
        if (t.index === 2 && epoch === 5) controller.abort();
      },
    },
  });
  assert.equal(result.summary.status, "Stopped");
  assert.equal(result.trials.length, 2, "nothing starts after the stop");
  for (const t of result.trials) assert.equal(t.status, "Stopped");
  const state = stateOf(dir, "iris-abort");
  assert.equal(state.status, "Stopped");
  assert.ok(state.trials.every((t) => t.curve.length < 2000));
});

test("a warm start reads its parent tuning job's trials; bad input is refused with a sentence", async () => {
  const dir = await copyDir("warm");
  const first = await tune(dir, [
    "--name",
    "parent",
    "--objective",
    "validation:mlogloss",
    "--strategy",
    "random",
    "--range",
    "eta=0.05:0.5:log",
    "--max-jobs",
    "4",
    "--seed",
    "1",
  ]);
  assert.equal(first.code, 0, first.stderr);
  const child = await tune(dir, [
    "--name",
    "child",
    "--objective",
    "validation:mlogloss",
    "--warm-start",
    "parent",
    "--range",
    "eta=0.05:0.5:log",
    "--max-jobs",
    "2",
    "--seed",
    "1",
  ]);
  assert.equal(child.code, 0, child.stderr);
  const state = stateOf(dir, "child");
  assert.equal(state.parents.length, 4);
  assert.deepEqual(state.spec.warmStart, { type: "IdenticalDataAndAlgorithm", parents: ["parent"] });

  // A job SageMaker would refuse exits 1; a command used wrongly, 2.
  const refused: [string[], RegExp, number?][] = [
    [
      ["--objective", "validation:auc:max", "--range", "eta=0:1", "--name", "child"],
      /tuning job child: .* already exists/,
    ],
    [
      ["--objective", "validation:mlogloss", "--range", "eta=0:1:log"],
      /eta on a Logarithmic scale: it works only for ranges above 0/,
    ],
    [
      ["--objective", "validation:mlogloss", "--range", "eta=0.1:0.3", "--strategy", "grid"],
      /Grid takes categorical ranges only/,
    ],
    [
      ["--objective", "validation:mlogloss", "--range", "eta=0.1:0.3", "--strategy", "simplex"],
      /--strategy simplex is not one of/,
      2,
    ],
    [
      ["--objective", "validation:mlogloss", "--range", "eta=0.1:0.3", "--warm-start", "nope"],
      /Cannot warm start from nope: no tuning job of that name/,
    ],
    [["--objective", "my-metric", "--range", "eta=0.1:0.3"], /say which way is better/],
    [["--range", "eta=0.1:0.3"], /--objective is required/, 2],
  ];
  for (const [args, message, exit = 1] of refused) {
    const r = await tune(dir, args);
    assert.equal(r.code, exit, args.join(" "));
    assert.match(r.stderr, message, args.join(" "));
  }
  const noValidation = await copyDir("novalid");
  await rm(join(noValidation, "input", "data", "validation"), { recursive: true });
  const r = await tune(noValidation, ["--objective", "validation:mlogloss", "--range", "eta=0.1:0.3"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Cannot tune on validation:mlogloss: .* has no validation channel/);
  assert.ok(!existsSync(join(noValidation, ".sagebrew")), "nothing written for a refused job");
  assert.deepEqual(await readdir(join(dir, ".sagebrew", "tuning")).then((n) => n.sort()), [
    "child",
    "parent",
  ]);
});
