/**
 * `sagebrew transform INPUT --model-name NAME --instance-type ml.*`: the local transform's options,
 * run as a SageMaker batch transform job. The SageMaker code loads only here.
 */
import { resolve } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import { compileJsonPath, parseBatchStrategy, parseSplitType } from "../local/transform/index.js";
import type { TransformJobResult } from "../sagemaker/index.js";
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
import type { CommandIo } from "./types.js";

/** parseArgs options that only the SageMaker run takes. */
export const SAGEMAKER_TRANSFORM_OPTIONS = {
  "model-name": { type: "string" },
  "instance-type": { type: "string" },
  "instance-count": { type: "string" },
  download: { type: "string" },
  env: { type: "string", multiple: true },
  tag: { type: "string", multiple: true },
  "job-name": { type: "string" },
  bucket: { type: "string" },
  wait: { type: "string" },
  ...AWS_OPTIONS,
} as const;

export const SAGEMAKER_TRANSFORM_HELP = `On SageMaker (with --model-name and --instance-type ml.*): a batch transform job with the same
options. <input> is a local file or directory (uploaded to s3://<bucket>/sagebrew/transform-inputs/…,
unchanged files skipped) or an s3:// prefix; the job is waited for with every instance's log lines.
  --model-name <name>        the SageMaker model to run (\`sagebrew deploy\` makes one; \`sagebrew ls\` lists them)
  --instance-type <type>     instance type, e.g. ml.m5.large
  --instance-count <n>       instances (default: 1)
  --output <s3://…>          where the .out files go (default: s3://<bucket>/sagebrew/transform/<job>/)
  --download <dir>           when the job completes, bring the .out files back into <dir>
  --env <KEY=VALUE>          container environment (repeatable)
  --tag <KEY=VALUE>          tag for the job (repeatable)
  --job-name <name>          job name (default: <input name>-<timestamp>)
  --bucket <name>            bucket for the input and output (default: $SAGEBREW_BUCKET, "aws.bucket"
                             in sagebrew.json, else sagemaker-<region>-<account>, created when missing)
  --wait <minutes>           how long to wait for the job; 0 returns at once (default: 120)
${AWS_HELP}`;

type Values = Partial<Record<string, string | string[] | boolean | undefined>>;

const str = (v: Values, k: string) => v[k] as string | undefined;

function printResult(io: CommandIo, r: TransformJobResult, waitMinutes: number): number {
  switch (r.outcome) {
    case "not-waited":
      io.stdout.write(
        `transform job ${r.jobName} created; follow it with: sagebrew logs ${r.jobName} --follow\n`,
      );
      return 0;
    case "timeout":
      io.stderr.write(
        `transform job ${r.jobName} is still ${r.status} after ${waitMinutes} min: it keeps running; follow it with \`sagebrew logs ${r.jobName} --follow\`, stop it with \`sagebrew delete ${r.jobName}\`\n`,
      );
      return 1;
    case "completed":
      io.stdout.write(
        `transform job ${r.jobName}: Completed\n  output: ${r.outputS3Uri}\n${r.downloaded ? `  downloaded: ${r.downloaded.join(", ")}\n` : ""}`,
      );
      return 0;
    default:
      // The instances' log lines were shown as they came (cliReporter): they are not repeated here.
      io.stderr.write(
        `transform job ${r.jobName}: ${r.status}${r.failureReason ? `\n  FailureReason: ${r.failureReason}` : ""}\n`,
      );
      return r.outcome === "interrupted" ? 130 : 1;
  }
}

/** Runs the transform job for `input`. */
export async function transformOnSageMakerCommand(input: string, v: Values, io: CommandIo): Promise<number> {
  const modelName = str(v, "model-name");
  if (!modelName) throw new SagebrewError("SB_USAGE", "--model-name is required to transform on SageMaker");
  if (str(v, "model") !== undefined)
    throw new SagebrewError("SB_USAGE", "--model is a local directory: on SageMaker give --model-name");
  if (v.serve !== undefined)
    throw new SagebrewError("SB_USAGE", "--serve runs locally: SageMaker runs the model's image");
  const output = str(v, "output");
  if (output !== undefined && !output.startsWith("s3://")) {
    throw new SagebrewError(
      "SB_USAGE",
      `--output ${output}: on SageMaker it is an s3:// location (use --download <dir> for a local copy)`,
    );
  }
  const splitType = parseSplitType(str(v, "split-type") ?? "None");
  const batch = str(v, "batch-strategy");
  const assembleWith = str(v, "assemble-with") ?? "None";
  if (assembleWith !== "None" && assembleWith !== "Line")
    throw new SagebrewError("SB_USAGE", `--assemble-with ${assembleWith} is not None or Line`);
  const joinSource = str(v, "join-source") ?? "None";
  if (joinSource !== "None" && joinSource !== "Input")
    throw new SagebrewError("SB_USAGE", `--join-source ${joinSource} is not None or Input`);
  for (const f of ["input-filter", "output-filter"]) {
    const expr = str(v, f);
    if (expr !== undefined) compileJsonPath(expr); // the same JSONPath subset SageMaker takes
  }
  const maxPayloadMb = wholeFlag("max-payload-mb", str(v, "max-payload-mb"));
  const maxConcurrent = wholeFlag("max-concurrent-transforms", str(v, "max-concurrent-transforms"));
  const instanceCount = wholeFlag("instance-count", str(v, "instance-count"));
  const waitMinutes = intFlag("wait", str(v, "wait"), 0, 7 * 24 * 60) ?? 120;
  const environment = containerEnvironment(v.env as string[] | undefined, io, "serve");

  const [{ readProjectConfig, SETTINGS_ENV }, { runTransformJob }, { sdkClients }] = await Promise.all([
    import("../sagemaker/settings.js"),
    import("../sagemaker/transform-job.js"),
    import("../sagemaker/context.js"),
  ]);
  const { config } = await readProjectConfig(io.cwd);
  const clients = sdkClients(
    awsOptionsFrom({ region: str(v, "region"), profile: str(v, "profile") }, config),
  );
  const bucket = str(v, "bucket") ?? io.env[SETTINGS_ENV.bucket] ?? config.bucket;
  const download = str(v, "download");
  let result = await withInterrupt((signal) =>
    runTransformJob(
      clients,
      {
        input: input.startsWith("s3://") ? input : resolve(io.cwd, input),
        modelName,
        instanceType: str(v, "instance-type")!,
        ...(instanceCount !== undefined ? { instanceCount } : {}),
        contentType: str(v, "content-type") ?? "text/csv",
        ...(str(v, "accept") ? { accept: str(v, "accept")! } : {}),
        splitType,
        ...(batch ? { batchStrategy: parseBatchStrategy(batch) } : {}),
        ...(maxPayloadMb !== undefined ? { maxPayloadMb } : {}),
        ...(maxConcurrent !== undefined ? { maxConcurrentTransforms: maxConcurrent } : {}),
        assembleWith,
        joinSource,
        ...(str(v, "input-filter") ? { inputFilter: str(v, "input-filter")! } : {}),
        ...(str(v, "output-filter") ? { outputFilter: str(v, "output-filter")! } : {}),
        ...(output ? { outputS3Uri: output } : {}),
        environment,
        tags: keyValues("tag", v.tag as string[] | undefined),
        ...(str(v, "job-name") ? { jobName: str(v, "job-name")! } : {}),
        ...(bucket ? { bucket } : {}),
        waitSeconds: waitMinutes * 60,
        ...(download ? { downloadTo: resolve(io.cwd, download) } : {}),
        signal,
        ...pollSeconds(io.env),
      },
      cliReporter(io),
    ),
  );
  if (result.outcome === "interrupted") {
    const answer = canAsk(io)
      ? await ask(
          io,
          `\ntransform job ${result.jobName} is ${result.status}: [s]top it or [l]eave it running? [l] `,
          "l",
        )
      : "l";
    if (answer === "s") {
      await clients.sagemaker.stopTransformJob(result.jobName);
      io.stderr.write(`stopping transform job ${result.jobName}; waiting for Stopped\n`);
      const { waitForTransformJob } = await import("../sagemaker/transform-job.js");
      const stopped = await withInterrupt((signal) =>
        waitForTransformJob(clients, result.jobName, {
          deadline: Date.now() + 10 * 60_000,
          logsFrom: Date.now(),
          signal,
          reporter: cliReporter(io),
          ...pollSeconds(io.env),
        }),
      );
      result = stopped.outcome === "interrupted" ? result : stopped;
    } else {
      io.stderr.write(
        `left transform job ${result.jobName} running: \`sagebrew logs ${result.jobName} --follow\` follows it\n`,
      );
    }
  }
  return printResult(io, result, waitMinutes);
}
