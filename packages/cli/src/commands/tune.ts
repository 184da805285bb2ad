/** `sagebrew tune`: a hyperparameter tuning job, on this machine or on SageMaker. */
import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import type { LocalTuningResult, TuningEvents } from "../local-tuning/index.js";
import { onePositional, parseCommandArgs } from "./_args.js";
import { liveBoard } from "./_live-board.js";
import { keyValues, withInterrupt } from "./_sagemaker.js";
import {
  metricFlags,
  TUNE_HELP,
  TUNE_OPTIONS,
  tuningOptionsFrom,
  xgboostDeclarations,
} from "./_tune-options.js";
import {
  refuseSageMakerTuneOptions,
  SAGEMAKER_TUNE_HELP,
  SAGEMAKER_TUNE_OPTIONS,
  tuneOnSageMakerCommand,
} from "./_tune-sagemaker.js";
import { resolveMlDir } from "./train.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew tune [dir] --range <spec>… --objective <metric> [options]

Runs a hyperparameter tuning job as SageMaker runs one (CreateHyperParameterTuningJob's rules and
strategies) over the /opt/ml-shaped directory \`sagebrew train\` takes: each training job is a run of
the train program on this machine with the tuned hyperparameters, static ones from
input/config/hyperparameters.json, and _tuning_objective_metric, as SageMaker passes it; the
objective is read from each job's evaluation lines. Trials that run at once share the cores: each
gets OMP_NUM_THREADS = cores / --max-parallel (at least 1). Results go to
<dir>/.sagebrew/tuning/<name>/ (the request, the state, summary.json, leaderboard.txt,
objective.svg, parallel-coordinates.svg, and trials/<training job>/ with each job's tree and
train.log), and the best job's model to <dir>/model.

Arguments:
  dir                        the /opt/ml-shaped directory (default: ./local_test/test_dir if it exists, else .)

Options:
${TUNE_HELP}
  --algorithm <module>       a training algorithm module (as sagebrew train --algorithm)
  --threads <n>              OpenMP threads per training job (default: cores / --max-parallel)
  --plain                    print one line per event even on a terminal, here or on SageMaker
                             (default: a live leaderboard)
  -h, --help                 show this help

${SAGEMAKER_TUNE_HELP}

Exit codes: 0 the tuning job completed with a best training job, 1 a job SageMaker would refuse, or
no training job succeeded, 2 wrong usage, 130 stopped (here, Ctrl-C stops every running training job
after its current round).

Examples:
  sagebrew tune examples/iris-xgboost/local_test/tune_dir --objective validation:mlogloss \\
    --range eta=0.05:0.5:log --range max_depth=2:6 --max-jobs 12 --max-parallel 2
  sagebrew tune examples/iris-xgboost/local_test/tune_dir --objective validation:merror \\
    --strategy grid --range max_depth=2,3,4 --range eta=0.1,0.3
  sagebrew tune examples/iris-xgboost/local_test/tune_dir --objective validation:mlogloss \\
    --range eta=0.05:0.5:log --range max_depth=2:6 --max-jobs 20 --max-parallel 4 \\
    --instance-type ml.m5.xlarge --image iris-xgboost:dev \\
    --role arn:aws:iam::123456789012:role/SageMakerRole --download --deploy iris
`;

function short(v: number | undefined): string {
  return v === undefined ? "-" : String(Number(v.toPrecision(6)));
}

function hp(values: Readonly<Record<string, string>>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

/** The end of the run: the leaderboard, the best job, where things are. */
function printResult(io: CommandIo, r: LocalTuningResult): number {
  const s = r.summary;
  const c = s.trainingJobStatusCounters;
  io.stdout.write(`\n${r.leaderboard.join("\n")}\n\n`);
  io.stdout.write(
    `tuning job ${r.name}: ${s.status}${s.endReason ? ` (${s.endReason})` : ""} — ${c.Completed} completed, ${c.Stopped} stopped, ${c.NonRetryableError} failed, in ${r.seconds.toFixed(1)} s\n`,
  );
  if (s.failureReason) io.stderr.write(`  FailureReason: ${s.failureReason}\n`);
  if (s.best) {
    io.stdout.write(`  best: ${s.best.name}  ${short(s.best.final)}  ${hp(s.best.hyperParameters)}\n`);
  }
  if (r.modelDir) {
    const dir = resolve(r.modelDir, "..");
    const shown = relative(io.cwd, dir);
    const arg = shown === "" ? "." : shown.startsWith("..") ? dir : shown;
    io.stdout.write(`  its model: ${r.modelDir} (\`sagebrew serve ${arg}\` serves it)\n`);
  }
  io.stdout.write(
    `  results: ${r.resultsDir} (${r.pictures.map((p) => relative(r.resultsDir, p)).join(", ")})\n`,
  );
  if (s.status === "Stopped") return 130;
  return s.status === "Completed" && s.best ? 0 : 1;
}

/**
 * Shows the job while it runs: a leaderboard redrawn in place on a terminal (the status lines
 * printed above it), else one line per event.
 */
function progress(io: CommandIo, live: boolean): TuningEvents & { finish(): void } {
  const board = live ? liveBoard(io.stdout) : undefined;
  let pending: NodeJS.Timeout | undefined;
  let leaderboard: () => string[] = () => [];
  let total = 0;
  const redraw = () => {
    pending = undefined;
    board?.draw(leaderboard());
  };
  const later = () => {
    pending ??= setTimeout(redraw, 150);
  };
  return {
    info(line) {
      const write = () => io.stderr.write(`${line}\n`);
      if (board) board.above(write);
      else write();
    },
    jobStarted(job) {
      leaderboard = job.leaderboard;
      total = job.spec.maxJobs;
    },
    trialStarted(t) {
      if (board) later();
      else io.stdout.write(`training job ${t.index}/${total} ${t.name} started: ${hp(t.hyperParameters)}\n`);
    },
    objective() {
      if (board) later();
    },
    trialEnded(t, best) {
      if (board) later();
      else
        io.stdout.write(
          `training job ${t.name} ${t.status}${t.final !== undefined ? `: ${short(t.final)}` : ""}${t.failureReason ? ` (${t.failureReason})` : ""}; best so far ${short(best?.final)}\n`,
        );
    },
    finish() {
      if (pending) {
        clearTimeout(pending);
        redraw();
      }
      board?.close();
    },
  };
}

async function tuneHere(root: string, values: Record<string, unknown>, io: CommandIo): Promise<number> {
  const v = values as Parameters<typeof tuningOptionsFrom>[0] & {
    algorithm?: string;
    threads?: string;
    plain?: boolean;
  };
  if (!existsSync(root)) throw new SagebrewError("SB_USAGE", `directory ${root} does not exist`);
  const options = await tuningOptionsFrom(v, v.algorithm ? undefined : await xgboostDeclarations());
  const threads = v.threads === undefined ? undefined : Number(v.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 1024))
    throw new SagebrewError("SB_USAGE", `--threads ${v.threads} is not a whole number from 1 to 1024`);
  const metrics = metricFlags(v.metric);
  const { runLocalTuning } = await import("../local-tuning/index.js");
  const show = progress(io, Boolean(io.stdout.isTTY) && !v.plain);
  const result = await withInterrupt((signal) =>
    runLocalTuning({
      ...options,
      dir: root,
      hyperparameters: keyValues("hyperparameter", v.hyperparameter),
      ...(metrics ? { metricDefinitions: metrics } : {}),
      ...(v.algorithm ? { algorithm: resolve(io.cwd, v.algorithm) } : {}),
      ...(threads !== undefined ? { threadsPerTrial: threads } : {}),
      signal,
      events: show,
    }).finally(() => show.finish()),
  );
  return printResult(io, result);
}

export const tuneCommand: Command = {
  name: "tune",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommandArgs(
      argv,
      {
        ...TUNE_OPTIONS,
        algorithm: { type: "string" },
        threads: { type: "string" },
        plain: { type: "boolean" },
        ...SAGEMAKER_TUNE_OPTIONS,
      },
      HELP,
    );
    const root = resolveMlDir(onePositional(parsed.positionals, "directory"), io.cwd);
    const v = parsed.values;
    // One command, two places, as the Python SDK's instance_type: ml.* means a SageMaker tuning job.
    if (v["instance-type"] !== undefined) {
      for (const flag of ["algorithm", "threads"] as const) {
        if (v[flag] !== undefined)
          throw new SagebrewError(
            "SB_USAGE",
            `--${flag} is for tuning here: on SageMaker the image's train runs its own`,
          );
      }
      if (!existsSync(root)) throw new SagebrewError("SB_USAGE", `directory ${root} does not exist`);
      const tuning = await tuningOptionsFrom(v, await xgboostDeclarations());
      const metric = metricFlags(v.metric);
      return tuneOnSageMakerCommand(
        root,
        tuning,
        { ...v, ...(metric ? { metric } : { metric: undefined }) },
        io,
      );
    }
    refuseSageMakerTuneOptions(v);
    return tuneHere(root, v, io);
  },
};
