/**
 * `sagebrew tune DIR --instance-type ml.*`: the same tuning job as a SageMaker tuning job, followed
 * as a leaderboard to its end, then its best training job (and with --deploy, an endpoint of it).
 */
import { SagebrewError } from "@sagebrew/runtime/core";
import type { TuningJobResult, TuningJobView } from "../sagemaker/index.js";
import type { TuningOptions } from "../tuning/index.js";
import { leaderboardLines, type Objective, parseObjective } from "../tuning/index.js";
import { type LiveBoard, liveBoard, reportAbove } from "./_live-board.js";
import {
  AWS_HELP,
  ask,
  awsOptionsFrom,
  canAsk,
  cliReporter,
  containerEnvironment,
  intFlag,
  keyValues,
  pollSeconds,
  TRAINING_JOB_OPTIONS,
  withInterrupt,
} from "./_sagemaker.js";
import type { CommandIo } from "./types.js";

/** parseArgs options of a tuning job on SageMaker (all optional here, refused without --instance-type). */
export const SAGEMAKER_TUNE_OPTIONS = {
  ...TRAINING_JOB_OPTIONS,
  deploy: { type: "string" },
  "deploy-instance-type": { type: "string" },
} as const;

export const SAGEMAKER_TUNE_HELP = `On SageMaker (with --instance-type ml.*): a SageMaker tuning job over the same directory. Its
training job definition is what \`sagebrew train --instance-type\` sends (local channels synced to
s3://<bucket>/sagebrew/inputs/…, a local image tag pushed to ECR and pinned by digest, the role,
MetricDefinitions from the evaluation lines with the objective first); the request is checked
against SageMaker's tuning rules before anything is uploaded. While it runs: its training jobs as a
leaderboard (job, status, objective, hyperparameters) redrawn under the status lines on a terminal,
else (or with --plain) a line per training job as it appears or changes status; then the best
training job. Ctrl-C asks whether to stop the tuning job or leave it running (without a terminal it
is left).
  --instance-type <type>     SageMaker instance type of each training job, e.g. ml.m5.xlarge
  --instance-count <n>       instances per training job (default: 1)
  --image <image>            ECR image reference, or a local tag (pushed first, pinned by digest)
  --role <arn>               execution role (default: $SAGEBREW_ROLE_ARN, else "aws.role" in sagebrew.json)
  --bucket <name>            bucket for inputs and outputs (default: $SAGEBREW_BUCKET, "aws.bucket" in
                             sagebrew.json, else sagemaker-<region>-<account>, created when missing)
  --channel <name=s3://…>    a channel already in S3 (repeatable; replaces a local folder of that name)
  --max-run <s>              longest each training job may run (default: 86400)
  --volume-size <gb>         storage per instance (default: 30)
  --env <KEY=VALUE>          container environment (repeatable)
  --tag <KEY=VALUE>          tag for the tuning job and its training jobs (repeatable)
  --shard <channel>          split that channel's files across instances (ShardedByS3Key; repeatable)
  --input-mode <mode>        File, Pipe or FastFile for channels that declare none (default: File)
  --output-s3 <uri>          where the models go (default: s3://<bucket>/sagebrew/<name>/output)
  --no-wait                  return once the tuning job is created
  --download                 when it completes, unpack the best model into <dir>/model, and write the
                             summary and pictures under <dir>/.sagebrew/tuning/<name>/
  --deploy <endpoint>        when it completes, deploy the best training job's model to this endpoint
  --deploy-instance-type <t> the endpoint's instance type (default: ml.m5.large)
${AWS_HELP}`;

type Values = {
  [K in keyof typeof SAGEMAKER_TUNE_OPTIONS]?: (typeof SAGEMAKER_TUNE_OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof SAGEMAKER_TUNE_OPTIONS)[K] extends { type: "boolean" }
      ? boolean
      : string;
};

/** SageMaker-only options given without --instance-type: a usage error. */
export function refuseSageMakerTuneOptions(values: Values): void {
  const given = (Object.keys(SAGEMAKER_TUNE_OPTIONS) as (keyof Values)[]).filter(
    (k) => values[k] !== undefined,
  );
  if (given.length > 0) {
    throw new SagebrewError(
      "SB_USAGE",
      `--${given[0]} tunes on SageMaker: add --instance-type ml.<type> (e.g. ml.m5.xlarge), or leave it out to tune here`,
    );
  }
}

function short(v: number | undefined): string {
  return v === undefined ? "-" : String(Number(v.toPrecision(6)));
}

function counters(view: TuningJobView): string {
  const c = view.trainingJobStatusCounters;
  // A training job that failed for an internal reason is run again by the tuning job (RetryableError).
  const retried = c.RetryableError ? `, ${c.RetryableError} failed internally (run again)` : "";
  return `${c.Completed ?? 0} completed, ${c.InProgress ?? 0} in progress, ${c.Stopped ?? 0} stopped, ${c.NonRetryableError ?? 0} failed${retried}`;
}

/**
 * Shows the job at each poll: its leaderboard redrawn on `board` (a terminal's), else a line for
 * each training job that appeared or changed status.
 */
function follower(
  io: CommandIo,
  objective: Objective,
  names: readonly string[],
  board: LiveBoard | undefined,
) {
  const seen = new Map<string, string>();
  return (view: TuningJobView) => {
    if (board) {
      board.draw([
        `tuning job ${view.name}: ${view.status} — ${counters(view)}`,
        ...leaderboardLines(view.trials, objective, names, { limit: 15 }),
      ]);
      return;
    }
    for (const t of view.trials) {
      if (seen.get(t.name) === t.status) continue;
      const hp = Object.entries(t.hyperParameters)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ");
      io.stdout.write(
        `training job ${t.name} ${t.status}${t.final !== undefined ? `: ${short(t.final)}` : ""}${t.failureReason ? ` (${t.failureReason})` : ""}  ${hp}\n`,
      );
      seen.set(t.name, t.status);
    }
  };
}

function printResult(
  io: CommandIo,
  r: TuningJobResult,
  objective: Objective,
  names: readonly string[],
): number {
  const v = r.view;
  if (r.outcome === "not-waited") {
    io.stdout.write(
      `tuning job ${r.name} created; \`sagebrew tune --describe\` is not needed: sagebrew ls and the console follow it\n`,
    );
    return 0;
  }
  if (v.trials.length > 0)
    io.stdout.write(`\n${leaderboardLines(v.trials, objective, names).join("\n")}\n\n`);
  io.stdout.write(`tuning job ${r.name}: ${v.status} — ${counters(v)}\n`);
  if (v.failureReason) io.stderr.write(`  FailureReason: ${v.failureReason}\n`);
  if (v.best) {
    const hp = Object.entries(v.best.hyperParameters)
      .map(([k, x]) => `${k}=${x}`)
      .join(" ");
    io.stdout.write(`  best: ${v.best.name}  ${objective.metricName} ${short(v.best.final)}  ${hp}\n`);
  }
  if (r.bestModelArtifact) io.stdout.write(`  its model: ${r.bestModelArtifact}\n`);
  if (r.downloadedTo) io.stdout.write(`  unpacked into ${r.downloadedTo}; results: ${r.resultsDir}\n`);
  if (r.outcome === "timeout") {
    io.stderr.write(`tuning job ${r.name} is still ${v.status} past its own limits: it keeps running\n`);
    return 1;
  }
  return r.outcome === "completed" && v.best ? 0 : r.outcome === "interrupted" ? 130 : 1;
}

/** Runs the tuning job of `root` on SageMaker. */
export async function tuneOnSageMakerCommand(
  root: string,
  tuning: TuningOptions,
  values: Values & {
    hyperparameter?: string[];
    metric?: { Name: string; Regex: string }[];
    plain?: boolean;
  },
  io: CommandIo,
): Promise<number> {
  if (!values.image)
    throw new SagebrewError(
      "SB_USAGE",
      "--image is required to tune on SageMaker (an ECR reference or a local tag)",
    );
  const instanceCount = intFlag("instance-count", values["instance-count"], 1, 100);
  const maxRun = intFlag("max-run", values["max-run"], 1, 2_419_200);
  const volume = intFlag("volume-size", values["volume-size"], 1, 16_384);
  const inputMode = values["input-mode"];
  if (inputMode !== undefined && !["File", "Pipe", "FastFile"].includes(inputMode))
    throw new SagebrewError("SB_USAGE", `--input-mode ${inputMode} is not File, Pipe or FastFile`);
  if (values["deploy-instance-type"] && !values.deploy)
    throw new SagebrewError("SB_USAGE", "--deploy-instance-type needs --deploy <endpoint>");
  const environment = containerEnvironment(values.env, io, "train");
  const [{ readProjectConfig, SETTINGS_ENV, resolveRole }, api, { sdkClients }, { pushWithSagebrew }] =
    await Promise.all([
      import("../sagemaker/settings.js"),
      import("../sagemaker/tuning-job.js"),
      import("../sagemaker/context.js"),
      import("./_push-image.js"),
    ]);
  const { config } = await readProjectConfig(io.cwd);
  const aws = awsOptionsFrom(values, config);
  const role = resolveRole(values.role, io.env, config);
  const bucket = values.bucket ?? io.env[SETTINGS_ENV.bucket] ?? config.bucket;
  const clients = sdkClients(aws);
  const plain = values.plain === true;
  const reporter = cliReporter(io, { plain });
  // On a terminal the leaderboard is redrawn in place: what else is printed meanwhile goes above it.
  const board = io.stdout.isTTY === true && !plain ? liveBoard(io.stdout) : undefined;
  const objective =
    typeof tuning.objective === "string" ? parseObjective(tuning.objective) : tuning.objective;
  const names = tuning.ranges.map((r) => r.name);
  const result = await withInterrupt((signal) =>
    api.tuneOnSageMaker(
      clients,
      {
        ...tuning,
        dir: root,
        image: values.image!,
        role,
        instanceType: values["instance-type"]!,
        ...(instanceCount !== undefined ? { instanceCount } : {}),
        s3Channels: keyValues("channel", values.channel),
        hyperparameters: keyValues("hyperparameter", values.hyperparameter),
        ...(values.metric ? { metricDefinitions: values.metric } : {}),
        ...(maxRun !== undefined ? { maxRuntimeSeconds: maxRun } : {}),
        ...(volume !== undefined ? { volumeSizeGb: volume } : {}),
        environment,
        tags: keyValues("tag", values.tag),
        ...(values.shard ? { shardedChannels: values.shard } : {}),
        ...(values["output-s3"] ? { outputS3Uri: values["output-s3"] } : {}),
        ...(inputMode ? { inputMode: inputMode as "File" | "Pipe" | "FastFile" } : {}),
        ...(bucket ? { bucket } : {}),
        ...(values["no-wait"] ? { wait: false } : {}),
        ...(values.download ? { downloadTo: root } : {}),
        pushImage: pushWithSagebrew(aws, io.env, io.cwd),
        signal,
        onUpdate: follower(io, objective, names, board),
        ...pollSeconds(io.env),
      },
      board ? reportAbove(reporter, board) : reporter,
    ),
  );
  board?.close();
  if (result.outcome === "interrupted") {
    const answer = canAsk(io)
      ? await ask(
          io,
          `\ntuning job ${result.name} is ${result.view.status}: [s]top it or [l]eave it running? [l] `,
          "l",
        )
      : "l";
    if (answer === "s") {
      await clients.sagemaker.stopHyperParameterTuningJob(result.name);
      io.stderr.write(`stopping tuning job ${result.name} and its training jobs\n`);
    } else {
      io.stderr.write(`left tuning job ${result.name} running\n`);
    }
  }
  const code = printResult(io, result, objective, names);
  if (code !== 0 || !values.deploy || !result.view.best) return code;
  const [{ deploy }, { printOutcome }] = await Promise.all([
    import("../sagemaker/deploy.js"),
    import("./deploy.js"),
  ]);
  const deployed = await withInterrupt((signal) =>
    deploy(
      clients,
      {
        name: values.deploy!,
        model: { kind: "training-job", name: result.view.best!.name },
        ...(values["deploy-instance-type"] ? { instanceType: values["deploy-instance-type"] } : {}),
        signal,
        ...pollSeconds(io.env),
      },
      reporter,
    ),
  );
  return printOutcome(io, deployed, 30, false);
}
