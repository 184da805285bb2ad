/** `sagebrew train`: the `train_local.sh` equivalent, no Docker. */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { RoundReport } from "@sagebrew/runtime";
import { SagebrewError } from "@sagebrew/runtime/core";
import { trainProgram } from "../train-program.js";
import { onePositional, parseCommandArgs } from "./_args.js";
import { keyValues } from "./_sagemaker.js";
import {
  refuseSageMakerOptions,
  SAGEMAKER_TRAIN_HELP,
  SAGEMAKER_TRAIN_OPTIONS,
  trainOnSageMakerCommand,
} from "./_train-sagemaker.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew train [dir] [options]

Runs the training program against a local /opt/ml-shaped directory, in-process, without Docker
(the train_local.sh equivalent). <dir> holds input/config/hyperparameters.json and
input/data/<channel>/; the model is written to <dir>/model/, a failure reason to
<dir>/output/failure. The algorithm is the project's own when the package.json of <dir> or a
directory above it declares one ("sagebrew": { "algorithm": "./algorithm.mjs" }), exactly as the
image's train reads it; else --algorithm or $SAGEBREW_ALGORITHM; else the built-in XGBoost.

Arguments:
  dir              the /opt/ml-shaped directory (default: ./local_test/test_dir if it exists, else .)

Options:
  --plain              print one line per round even on a terminal (default: live display on a TTY,
                       then a text view of the curve; the pictures go to <dir>/output/data/*.svg);
                       with --instance-type: the job's lines uncoloured, no upload bar
  --algorithm <module> a training algorithm module (sets SAGEBREW_ALGORITHM)
  --hyperparameter <k=v> add or override a hyperparameter of input/config/hyperparameters.json for
                       this run (repeatable; the file is not changed)
  --instance-count <n> without --instance-type: train on n hosts here (default 1), as n processes of
                       the train program on loopback. Each host gets its own /opt/ml under
                       <dir>/.sagebrew/hosts/algo-<i> with a resourceconfig.json naming algo-1..n and
                       its share of each channel (ShardedByS3Key: the files, sorted, dealt round-robin;
                       FullyReplicated: all of them); XGBoost trains on its own collective across them,
                       the model lands in <dir>/model, and each output line starts with its host's name
  -h, --help           show this help

${SAGEMAKER_TRAIN_HELP}

Exit codes: 0 trained, 1 bad input or configuration, 2 algorithm or platform fault (or the
command line is wrong: an unknown option, a directory without input/config), 143 stopped by a
signal (Ctrl-C stops after the current round). On SageMaker: 0 Completed, 1 Failed, Stopped or
still running when the wait ended, 130 interrupted.

Examples:
  sagebrew train examples/iris-xgboost/local_test/test_dir
  sagebrew train examples/iris-xgboost/local_test/test_dir --instance-count 2
  sagebrew train examples/iris-xgboost/local_test/test_dir --instance-type ml.m5.xlarge \
    --image iris-xgboost:dev --role arn:aws:iam::123456789012:role/SageMakerRole --download
`;

function bar(done: number, total: number, width: number): string {
  const filled = Math.round((done / Math.max(total, 1)) * width);
  return `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
}

function shortMetrics(r: RoundReport): string {
  return r.metrics.map((m) => `${m.set}-${m.metric} ${Number(m.value.toPrecision(5))}`).join("  ");
}

/** Resolves the /opt/ml-shaped directory argument. */
export function resolveMlDir(arg: string | undefined, cwd: string): string {
  if (arg) return resolve(cwd, arg);
  const local = resolve(cwd, "local_test", "test_dir");
  return existsSync(local) ? local : cwd;
}

function instanceCount(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new SagebrewError("SB_USAGE", `--instance-count ${v} is not an integer from 1 to 64`);
  return n;
}

/** `--instance-count n`: n local hosts, each line of output prefixed with its host. */
async function trainOnHosts(
  root: string,
  count: number,
  algorithm: string | undefined,
  hyperparameters: Record<string, string>,
  io: CommandIo,
): Promise<number> {
  const { runLocalHosts } = await import("../local/hosts/index.js");
  const controller = new AbortController();
  const onSignal = () => {
    if (!controller.signal.aborted) io.stderr.write("\nstopping every host after the current round…\n");
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  io.stderr.write(`training in ${root} on ${count} hosts\n`);
  try {
    const result = await runLocalHosts({
      dir: root,
      count,
      command: trainProgram(),
      hyperparameters,
      ...(algorithm !== undefined ? { env: { SAGEBREW_ALGORITHM: resolve(io.cwd, algorithm) } } : {}),
      signal: controller.signal,
      onLine: (host, stream, line) =>
        (stream === "stdout" ? io.stdout : io.stderr).write(`[${host}] ${line}\n`),
    });
    if (result.exitCode === 0) io.stderr.write(`model in ${result.modelDir}\n`);
    else {
      for (const h of result.hosts)
        if (h.exitCode !== 0)
          io.stderr.write(
            `${h.host} failed (exit ${h.exitCode ?? h.signal}): ${h.failure ?? "no failure file"}\n`,
          );
      io.stderr.write(`(written to ${resolve(root, "output", "failure")})\n`);
    }
    return result.exitCode;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export const trainCommand: Command = {
  name: "train",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommandArgs(
      argv,
      { plain: { type: "boolean" }, algorithm: { type: "string" }, ...SAGEMAKER_TRAIN_OPTIONS },
      HELP,
    );
    const root = resolveMlDir(onePositional(parsed.positionals, "directory"), io.cwd);
    if (!existsSync(root)) throw new SagebrewError("SB_USAGE", `directory ${root} does not exist`);
    // One command, two places, as the Python SDK's instance_type: ml.* means a SageMaker job.
    if (parsed.values["instance-type"] !== undefined) {
      if (parsed.values.algorithm !== undefined) {
        throw new SagebrewError(
          "SB_USAGE",
          "--algorithm is for local runs: on SageMaker the image's train runs its own",
        );
      }
      return trainOnSageMakerCommand(root, parsed.values, io);
    }
    refuseSageMakerOptions(parsed.values);
    if (!existsSync(join(root, "input", "config"))) {
      throw new SagebrewError(
        "SB_USAGE",
        `Cannot train in ${root}: it has no input/config/ (a training directory is shaped like /opt/ml: input/config/hyperparameters.json and input/data/<channel>/; sagebrew init writes one)`,
      );
    }
    const count = instanceCount(parsed.values["instance-count"]);
    const hyperparameters = keyValues("hyperparameter", parsed.values.hyperparameter);
    if (count > 1) return trainOnHosts(root, count, parsed.values.algorithm, hyperparameters, io);
    const live = Boolean(io.stdout.isTTY) && !parsed.values.plain;
    const controller = new AbortController();
    const onSignal = () => {
      if (!controller.signal.aborted) io.stderr.write("\nstopping after the current round…\n");
      controller.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    io.stderr.write(`training in ${root}\n`);
    const started = performance.now();
    let drawn = false;
    try {
      // The runtime (XGBoost, training) is loaded by the commands that run it, not at CLI start.
      const { curveText, findProject, runTrain, summaryLines } = await import("@sagebrew/runtime");
      const env: Record<string, string | undefined> = { ...io.env };
      if (parsed.values.algorithm !== undefined)
        env.SAGEBREW_ALGORITHM = resolve(io.cwd, parsed.values.algorithm);
      const project = (await findProject(root)) ?? (await findProject(io.cwd));
      const outcome = await runTrain({
        root,
        env,
        hyperparameters,
        ...(project ? { project } : {}),
        signal: controller.signal,
        reporter: {
          info: (m) => io.stderr.write(`${drawn ? "\n" : ""}${m}\n`),
          warn: (m) => io.stderr.write(`${drawn ? "\n" : ""}warning: ${m}\n`),
          round: (r) => {
            if (!live) {
              io.stdout.write(`${r.line}\n`);
              return;
            }
            const secs = ((performance.now() - started) / 1000).toFixed(1);
            const text = `round ${r.round + 1}/${r.totalRounds} ${bar(r.round + 1, r.totalRounds, 20)} ${shortMetrics(r)}  ${secs} s`;
            const width = (io.stdout as { columns?: number }).columns ?? 100;
            io.stdout.write(`\r\x1b[2K${text.slice(0, Math.max(20, width - 1))}`);
            drawn = true;
          },
        },
      });
      if (drawn) io.stdout.write("\n");
      if (outcome.summary) for (const line of summaryLines(outcome.summary)) io.stdout.write(`${line}\n`);
      if (live && outcome.summary && outcome.summary.history.length > 1) {
        // The curve at a glance; the pictures named above hold it whole.
        const width = Math.max(10, Math.min(40, ((io.stdout as { columns?: number }).columns ?? 100) - 60));
        io.stdout.write(`\n${curveText(outcome.summary.history, outcome.summary.best, width).join("\n")}\n`);
      }
      if (outcome.error) {
        const where = outcome.failureNotWritten ?? `written to ${resolve(root, "output", "failure")}`;
        io.stderr.write(`training failed: ${outcome.error.message}\n(${where})\n`);
      }
      return outcome.exitCode;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};
