/** `sagebrew deploy`: a model behind a SageMaker endpoint, created or updated, waited for with its logs. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import type { DeployResult, ModelSource } from "../sagemaker/index.js";
import { parseCommandArgs } from "./_args.js";
import {
  AWS_HELP,
  AWS_OPTIONS,
  ask,
  awsOptionsFrom,
  canAsk,
  cliReporter,
  containerEnvironment,
  intFlag,
  keyValues,
  pollSeconds,
  wholeFlag,
  withInterrupt,
} from "./_sagemaker.js";
import type { Command, CommandIo } from "./types.js";

const HELP = `Usage: sagebrew deploy <model> --name <endpoint> [options]

Puts a model behind a SageMaker real-time (or serverless) endpoint: CreateModel, CreateEndpointConfig,
then CreateEndpoint — or UpdateEndpoint when <endpoint> exists, which rolls the new model out (the
previous config and model are removed once the new one is InService). Waits for InService while
printing the endpoint's CloudWatch log lines (each once); on failure then prints SageMaker's
FailureReason and what to do. An endpoint on instances costs money while it exists (a
serverless one per invocation): \`sagebrew delete\`.

<model> is one of:
  a local model directory   holding xgboost-model (or an /opt/ml-shaped dir holding model/): packed
                            into a reproducible model.tar.gz with the files at its root and uploaded
                            to s3://<bucket>/sagebrew/models/<sha256>/ (skipped when already there)
  s3://…/model.tar.gz       used as it is
  a training job name       its model artifact, and by default its image and role

Options:
  --name <endpoint>            endpoint name (required)
  --image <image>              ECR image reference, or a local tag (pushed first, pinned by digest)
                               (default: the training job's image)
  --role <arn>                 execution role (default: $SAGEBREW_ROLE_ARN, else "aws.role" in
                               sagebrew.json, else the training job's role)
  --instance-type <type>       instance type (default: ml.m5.large)
  --instance-count <n>         instances (default: 1)
  --serverless-memory <mb>     a serverless endpoint with this memory (1024–6144) instead of instances
  --serverless-concurrency <n> serverless concurrent invocations (default: 5)
  --startup-timeout <s>        seconds the container has to pass /ping after start (60–3600)
  --env <KEY=VALUE>            container environment, e.g. SAGEMAKER_MODEL_SERVER_WORKERS=2 (repeatable)
  --tag <KEY=VALUE>            tag for the model, config and endpoint (repeatable)
  --bucket <name>              S3 bucket for a local model (default: $SAGEBREW_BUCKET, "aws.bucket"
                               in sagebrew.json, else sagemaker-<region>-<account>, created if missing)
  --wait <minutes>             how long to wait for InService; 0 returns at once (default: 30)
${AWS_HELP}
  -h, --help                   show this help

Ctrl-C while waiting asks whether to leave the endpoint or delete it (without a terminal it is left).
Exit codes: 0 InService (or not waited for), 1 failed or still not InService, 130 interrupted,
2 the command line is wrong (an unknown option, a missing argument, or a name nothing has).

Example:
  sagebrew deploy examples/iris-xgboost/local_test/test_dir --name iris --image iris-xgboost:dev \\
    --role arn:aws:iam::123456789012:role/SageMakerRole --instance-type ml.m5.large
  sagebrew deploy s3://my-bucket/iris/model.tar.gz --name iris --image 1234….dkr.ecr.eu-west-1.amazonaws.com/iris@sha256:…
`;

const OPTIONS = {
  name: { type: "string" },
  image: { type: "string" },
  role: { type: "string" },
  "instance-type": { type: "string" },
  "instance-count": { type: "string" },
  "serverless-memory": { type: "string" },
  "serverless-concurrency": { type: "string" },
  "startup-timeout": { type: "string" },
  env: { type: "string", multiple: true },
  tag: { type: "string", multiple: true },
  bucket: { type: "string" },
  wait: { type: "string" },
  ...AWS_OPTIONS,
} as const;

/** A local directory, an s3:// URI, or else a training job name (`isJobName`: SageMaker's rule for one). */
export function modelSource(arg: string, cwd: string, isJobName: (text: string) => boolean): ModelSource {
  if (arg.startsWith("s3://")) return { kind: "s3", uri: arg };
  const path = resolve(cwd, arg);
  if (existsSync(path)) return { kind: "directory", path };
  // What cannot be a training job's name was meant as a path.
  if (!isJobName(arg)) {
    throw new SagebrewError(
      "SB_USAGE",
      `Cannot deploy ${arg}: no such directory (nor an s3:// URI or a training job name)`,
    );
  }
  return { kind: "training-job", name: arg };
}

/** Prints how a deploy ended; resolves to the exit code (also for `sagebrew tune --deploy`). */
export function printOutcome(
  io: CommandIo,
  r: DeployResult,
  waitMinutes: number,
  serverless: boolean,
): number {
  switch (r.outcome) {
    case "in-service":
      io.stdout.write(
        `endpoint ${r.endpoint} is InService (${r.action}; model ${r.model}, ${r.modelDataUrl})\n` +
          `  call it:   sagebrew predict payload.csv --endpoint ${r.endpoint}\n` +
          (serverless
            ? `  serverless: it is billed per invocation, not while idle; remove it with: sagebrew delete ${r.endpoint}\n`
            : `  it costs money while it exists; remove it with: sagebrew delete ${r.endpoint}\n`),
      );
      return 0;
    case "not-waited":
      io.stdout.write(
        `endpoint ${r.endpoint} is ${r.status} (model ${r.model}); follow it with: sagebrew logs ${r.endpoint} --follow\n`,
      );
      return 0;
    case "failed":
      io.stderr.write(`endpoint ${r.endpoint} ${r.status}: ${r.failureReason ?? "no reason given"}\n`);
      // The container's log lines were shown as they came (cliReporter): they are not repeated here.
      if (!r.lastLogLines?.length) {
        io.stderr.write(
          "the container wrote no log lines (CloudWatch group /aws/sagemaker/Endpoints/" + r.endpoint + ")\n",
        );
      }
      io.stderr.write(`what to do: ${r.advice}\n`);
      return 1;
    case "timeout":
      io.stderr.write(
        `endpoint ${r.endpoint} is still ${r.status} after ${waitMinutes} min; it keeps going${serverless ? "" : " (and costs money once running)"}: follow it with \`sagebrew logs ${r.endpoint} --follow\`, or remove it with \`sagebrew delete ${r.endpoint}\`\n`,
      );
      return 1;
    case "interrupted":
      return 130;
  }
}

export const deployCommand: Command = {
  name: "deploy",
  help: HELP,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    const { values: v, positionals } = parseCommandArgs(argv, OPTIONS, HELP);
    if (positionals.length !== 1) {
      throw new SagebrewError(
        "SB_USAGE",
        `expected one model (directory, s3:// URI or training job), got ${positionals.length}`,
      );
    }
    if (!v.name) throw new SagebrewError("SB_USAGE", "--name <endpoint> is required");
    const waitMinutes = intFlag("wait", v.wait, 0, 24 * 60) ?? 30;
    const instanceCount = wholeFlag("instance-count", v["instance-count"]);
    const memory = wholeFlag("serverless-memory", v["serverless-memory"]);
    const concurrency = wholeFlag("serverless-concurrency", v["serverless-concurrency"]);
    const startup = wholeFlag("startup-timeout", v["startup-timeout"]);
    const environment = containerEnvironment(v.env, io, "serve");
    const tags = keyValues("tag", v.tag);

    const [
      { readProjectConfig, SETTINGS_ENV, checkRoleArn },
      api,
      { pushWithSagebrew },
      { deleteResources, planDelete },
      { isName },
    ] = await Promise.all([
      import("../sagemaker/settings.js"),
      import("../sagemaker/deploy.js"),
      import("./_push-image.js"),
      import("../sagemaker/endpoint.js"),
      import("../sagemaker/names.js"),
    ]);
    const source = modelSource(positionals[0]!, io.cwd, (text) => isName("training job", text));
    const { sdkClients } = await import("../sagemaker/context.js");
    const { config } = await readProjectConfig(io.cwd);
    const aws = awsOptionsFrom(v, config);
    const role = v.role ?? io.env[SETTINGS_ENV.role] ?? config.role;
    if (role !== undefined) checkRoleArn(role);
    const bucket = v.bucket ?? io.env[SETTINGS_ENV.bucket] ?? config.bucket;
    const clients = sdkClients(aws);
    const reporter = cliReporter(io);
    const result = await withInterrupt((signal) =>
      api.deploy(
        clients,
        {
          name: v.name!,
          model: source,
          ...(v.image ? { image: v.image } : {}),
          ...(role ? { role } : {}),
          ...(v["instance-type"] ? { instanceType: v["instance-type"] } : {}),
          ...(instanceCount !== undefined ? { instanceCount } : {}),
          ...(memory !== undefined ? { serverlessMemoryMb: memory } : {}),
          ...(concurrency !== undefined ? { serverlessMaxConcurrency: concurrency } : {}),
          ...(startup !== undefined ? { startupTimeoutSeconds: startup } : {}),
          environment,
          tags,
          ...(bucket ? { bucket } : {}),
          waitSeconds: waitMinutes * 60,
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
            `\nendpoint ${result.endpoint} is ${result.status}: [l]eave it running or [d]elete it? [l] `,
            "l",
          )
        : "l";
      if (answer === "d") {
        await deleteResources(clients, await planDelete(clients, result.endpoint), reporter);
      } else {
        io.stderr.write(
          `left endpoint ${result.endpoint} ${result.status}${memory === undefined ? "; it costs money once InService" : ""}: \`sagebrew delete ${result.endpoint}\` removes it\n`,
        );
      }
    }
    return printOutcome(io, result, waitMinutes, memory !== undefined);
  },
};
