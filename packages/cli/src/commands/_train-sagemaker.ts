/**
 * `sagebrew train DIR --instance-type ml.*`: the same directory, trained by a SageMaker training
 * job. The options, the run and the final report; the SageMaker code loads only here.
 */
import { SagebrewError } from "@sagebrew/runtime/core";
import type { TrainingJobResult } from "../sagemaker/index.js";
import {
  AWS_HELP,
  ask,
  awsOptionsFrom,
  canAsk,
  cliReporter,
  containerEnvironment,
  keyValues,
  pollSeconds,
  TRAINING_JOB_OPTIONS,
  wholeFlag,
  withInterrupt,
} from "./_sagemaker.js";
import type { CommandIo } from "./types.js";

/** parseArgs options of the SageMaker run (all optional for a local run, where they are refused). */
export const SAGEMAKER_TRAIN_OPTIONS = {
  ...TRAINING_JOB_OPTIONS,
  hyperparameter: { type: "string", multiple: true },
  spot: { type: "boolean" },
  "max-wait": { type: "string" },
  "checkpoint-s3": { type: "string" },
  "job-name": { type: "string" },
} as const;

/** The help section for them. */
export const SAGEMAKER_TRAIN_HELP = `On SageMaker (with --instance-type ml.*): a training job from the same directory. Local channels
(input/data/<channel>/) are synced to s3://<bucket>/sagebrew/inputs/… with a progress bar (unchanged
files are not sent again); hyperparameters.json is sent as strings; MetricDefinitions are generated
from the evaluation lines; a local image tag is pushed to ECR and pinned by digest. While it runs:
secondary statuses and every host's CloudWatch lines, merged in time order, bounded by the job's own
limits. Ctrl-C asks whether to stop the job or leave it running (without a terminal it is left).
  --instance-type <type>     SageMaker instance type, e.g. ml.m5.xlarge (runs the job on SageMaker)
  --instance-count <n>       instances (default: 1)
  --image <image>            ECR image reference, or a local tag (pushed first, pinned by digest)
  --role <arn>               execution role (default: $SAGEBREW_ROLE_ARN, else "aws.role" in sagebrew.json)
  --bucket <name>            bucket for inputs and outputs (default: $SAGEBREW_BUCKET, "aws.bucket" in
                             sagebrew.json, else sagemaker-<region>-<account>, created when missing)
  --channel <name=s3://…>    a channel already in S3 (repeatable; replaces a local folder of that name)
  --hyperparameter <k=v>     add or override a hyperparameter (repeatable; also without --instance-type)
  --max-run <s>              longest training time (default: 86400)
  --spot                     managed spot training (checkpoints to S3 so an interruption resumes)
  --max-wait <s>             spot: longest wait for capacity plus training (default: 2 × --max-run)
  --checkpoint-s3 <uri>      checkpoint location (default with --spot: s3://<bucket>/sagebrew/<dir>/checkpoints/<job>/)
  --volume-size <gb>         storage per instance (default: 30)
  --env <KEY=VALUE>          container environment (repeatable)
  --tag <KEY=VALUE>          tag for the job (repeatable)
  --shard <channel>          split that channel's files across instances (ShardedByS3Key; repeatable)
  --input-mode <mode>        File, Pipe or FastFile for channels that declare none (default: File)
  --job-name <name>          job name (default: <dir name>-<timestamp>)
  --output-s3 <uri>          where the model artifact goes (default: s3://<bucket>/sagebrew/<dir>/output)
  --no-wait                  return once the job is created (follow it with \`sagebrew logs <job> --follow\`)
  --download                 when it completes, unpack the model into <dir>/model (for \`sagebrew serve\`)
${AWS_HELP}`;

type Values = {
  [K in keyof typeof SAGEMAKER_TRAIN_OPTIONS]?: (typeof SAGEMAKER_TRAIN_OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof SAGEMAKER_TRAIN_OPTIONS)[K] extends { type: "boolean" }
      ? boolean
      : string;
};

/** Options that only make sense on SageMaker, given without --instance-type: a usage error. */
export function refuseSageMakerOptions(values: Values): void {
  const given = (Object.keys(SAGEMAKER_TRAIN_OPTIONS) as (keyof Values)[]).filter(
    (k) => values[k] !== undefined && k !== "instance-count" && k !== "hyperparameter",
  );
  if (given.length > 0) {
    throw new SagebrewError(
      "SB_USAGE",
      `--${given[0]} trains on SageMaker: add --instance-type ml.<type> (e.g. ml.m5.xlarge), or leave it out to train here`,
    );
  }
}

function printResult(io: CommandIo, r: TrainingJobResult): number {
  if (r.outcome === "not-waited") {
    io.stdout.write(
      `training job ${r.jobName} created; follow it with: sagebrew logs ${r.jobName} --follow\n`,
    );
    return 0;
  }
  if (r.outcome === "timeout") {
    io.stderr.write(
      `training job ${r.jobName} is still ${r.status} past its own limits plus an hour of start-up: it keeps running; follow it with \`sagebrew logs ${r.jobName} --follow\`, stop it with \`sagebrew delete ${r.jobName}\`\n`,
    );
    return 1;
  }
  const lines = [
    `training job ${r.jobName}: ${r.status}${r.secondaryStatus && r.secondaryStatus !== r.status ? ` (${r.secondaryStatus})` : ""}`,
  ];
  if (r.failureReason) lines.push(`  FailureReason: ${r.failureReason}`);
  if (r.billableSeconds !== undefined) {
    const total = r.billableSeconds * r.instanceCount;
    let text = `  billable: ${total} instance-seconds (${r.billableSeconds} s × ${r.instanceCount} instance${r.instanceCount > 1 ? "s" : ""})`;
    if (r.spot && r.trainingSeconds) {
      text += `, spot saved ${Math.round((1 - r.billableSeconds / r.trainingSeconds) * 100)}% of ${r.trainingSeconds} s`;
    }
    lines.push(text);
  }
  for (const m of r.metrics) lines.push(`  ${m.name} = ${m.value}`);
  // A failed or stopped job's ModelArtifacts names where a model would have gone, not one.
  if (r.modelArtifact && r.outcome === "completed") lines.push(`  model: ${r.modelArtifact}`);
  if (r.downloadedTo)
    lines.push(
      `  unpacked into ${r.downloadedTo}: \`sagebrew serve ${r.downloadedTo.replace(/\/model$/, "")}\` runs it`,
    );
  if (r.outcome === "completed" && r.modelArtifact && !r.downloadedTo) {
    lines.push(`  deploy it: sagebrew deploy ${r.jobName} --name <endpoint>`);
  }
  // The job's log lines were shown as they came (cliReporter): they are not repeated here.
  (r.outcome === "completed" ? io.stdout : io.stderr).write(`${lines.join("\n")}\n`);
  return r.outcome === "completed" ? 0 : r.outcome === "interrupted" ? 130 : 1;
}

/** Runs the training job for `root`; with `values.plain` (--plain), lines only, on a terminal too. */
export async function trainOnSageMakerCommand(
  root: string,
  values: Values & { plain?: boolean },
  io: CommandIo,
): Promise<number> {
  if (!values.image)
    throw new SagebrewError(
      "SB_USAGE",
      "--image is required to train on SageMaker (an ECR reference or a local tag)",
    );
  const instanceCount = wholeFlag("instance-count", values["instance-count"]);
  const maxRun = wholeFlag("max-run", values["max-run"]);
  const maxWait = wholeFlag("max-wait", values["max-wait"]);
  const volume = wholeFlag("volume-size", values["volume-size"]);
  const inputMode = values["input-mode"];
  if (inputMode !== undefined && !["File", "Pipe", "FastFile"].includes(inputMode)) {
    throw new SagebrewError("SB_USAGE", `--input-mode ${inputMode} is not File, Pipe or FastFile`);
  }
  const environment = containerEnvironment(values.env, io, "train");
  const [
    { readProjectConfig, SETTINGS_ENV, resolveRole },
    { trainOnSageMaker },
    { sdkClients },
    { pushWithSagebrew },
  ] = await Promise.all([
    import("../sagemaker/settings.js"),
    import("../sagemaker/training-job.js"),
    import("../sagemaker/context.js"),
    import("./_push-image.js"),
  ]);
  const { config } = await readProjectConfig(io.cwd);
  const aws = awsOptionsFrom(values, config);
  const role = resolveRole(values.role, io.env, config);
  const bucket = values.bucket ?? io.env[SETTINGS_ENV.bucket] ?? config.bucket;
  const clients = sdkClients(aws);
  const reporter = cliReporter(io, { plain: values.plain === true });
  let result = await withInterrupt((signal) =>
    trainOnSageMaker(
      clients,
      {
        dir: root,
        image: values.image!,
        role,
        instanceType: values["instance-type"]!,
        ...(instanceCount !== undefined ? { instanceCount } : {}),
        s3Channels: keyValues("channel", values.channel),
        hyperparameters: keyValues("hyperparameter", values.hyperparameter),
        ...(values.spot ? { spot: true } : {}),
        ...(maxRun !== undefined ? { maxRuntimeSeconds: maxRun } : {}),
        ...(maxWait !== undefined ? { maxWaitSeconds: maxWait } : {}),
        ...(values["checkpoint-s3"] ? { checkpointS3Uri: values["checkpoint-s3"] } : {}),
        ...(volume !== undefined ? { volumeSizeGb: volume } : {}),
        environment,
        tags: keyValues("tag", values.tag),
        ...(values.shard ? { shardedChannels: values.shard } : {}),
        ...(values["job-name"] ? { jobName: values["job-name"] } : {}),
        ...(values["output-s3"] ? { outputS3Uri: values["output-s3"] } : {}),
        ...(inputMode ? { inputMode: inputMode as "File" | "Pipe" | "FastFile" } : {}),
        ...(bucket ? { bucket } : {}),
        ...(values["no-wait"] ? { wait: false } : {}),
        ...(values.download ? { downloadTo: root } : {}),
        pushImage: pushWithSagebrew(aws, io.env, io.cwd),
        signal,
        ...pollSeconds(io.env),
      },
      reporter,
    ),
  );
  if (result.outcome === "interrupted") {
    const answer = canAsk(io)
      ? await ask(
          io,
          `\ntraining job ${result.jobName} is ${result.status}: [s]top it or [l]eave it running? [l] `,
          "l",
        )
      : "l";
    if (answer === "s") {
      await clients.sagemaker.stopTrainingJob(result.jobName);
      io.stderr.write(
        `stopping training job ${result.jobName} (its checkpoints and any output stay in S3); waiting for Stopped\n`,
      );
      // Until it is Stopped (SageMaker gives the container up to 2 minutes), with its last lines;
      // a second Ctrl-C leaves it stopping.
      const { waitForTrainingJob } = await import("../sagemaker/training-job.js");
      const stopped = await withInterrupt((signal) =>
        waitForTrainingJob(clients, result.jobName, {
          deadline: Date.now() + 10 * 60_000,
          logsFrom: Date.now(),
          signal,
          reporter,
          ...pollSeconds(io.env),
        }),
      );
      result = stopped.outcome === "interrupted" ? result : stopped;
    } else {
      io.stderr.write(
        `left training job ${result.jobName} running: \`sagebrew logs ${result.jobName} --follow\` follows it, \`sagebrew delete ${result.jobName}\` stops it\n`,
      );
    }
  }
  return printResult(io, result);
}
