/**
 * Batch transform on SageMaker with the options of the local `sagebrew transform`: the input (a
 * local file or folder, synced to S3, or an s3:// prefix), CreateTransformJob, a bounded wait with
 * every instance's log lines, and the `.out` files brought back on request.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, stat } from "node:fs/promises";
import { basename, dirname, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { SagebrewError } from "@sagebrew/runtime/core";
import { SAGEMAKER_LIMITS } from "../api/index.js";
import {
  type CreateTransformJobRequest,
  type DescribeTransformJobResponse,
  parseS3Uri,
} from "../aws/index.js";
import { resolveBucket } from "./bucket.js";
import {
  type AwsClients,
  type LogLine,
  pollIntervalSeconds,
  type Reporter,
  resourceTags,
  SILENT,
  type WaitOptions,
} from "./context.js";
import { waitForJob } from "./job-wait.js";
import { LOG_GROUPS, LogTail } from "./log-tail.js";
import { checkInstanceType, checkName, checkNumber, timestampedName, toNameBase } from "./names.js";
import { syncDirectory, uploadFile } from "./upload.js";

export interface TransformJobOptions extends WaitOptions {
  /** A local file or directory (uploaded), or an `s3://` prefix. */
  readonly input: string;
  /** The SageMaker model to run (made by `deploy`, or any). */
  readonly modelName: string;
  readonly instanceType: string;
  readonly instanceCount?: number;
  readonly contentType?: string;
  readonly accept?: string;
  readonly splitType?: "None" | "Line" | "RecordIO" | "TFRecord";
  readonly batchStrategy?: "SingleRecord" | "MultiRecord";
  readonly maxPayloadMb?: number;
  readonly maxConcurrentTransforms?: number;
  readonly assembleWith?: "None" | "Line";
  readonly joinSource?: "None" | "Input";
  readonly inputFilter?: string;
  readonly outputFilter?: string;
  /** Where the `.out` files go (default s3://<bucket>/sagebrew/transform/<job>/). */
  readonly outputS3Uri?: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly tags?: Readonly<Record<string, string>>;
  readonly jobName?: string;
  readonly bucket?: string;
  /** Seconds to wait for the job to end; 0 returns once it is created (default 7200). */
  readonly waitSeconds?: number;
  /** Local directory that receives the `.out` files when the job completes. */
  readonly downloadTo?: string;
}

export interface TransformJobResult {
  readonly jobName: string;
  readonly status: string;
  readonly outcome: "completed" | "failed" | "stopped" | "timeout" | "interrupted" | "not-waited";
  readonly failureReason?: string;
  readonly outputS3Uri: string;
  /** Files written by `downloadTo`, relative to it. */
  readonly downloaded?: readonly string[];
  readonly lastLogLines: readonly LogLine[];
}

const DEFAULT_WAIT_SECONDS = 7200;

async function uploadInput(
  clients: AwsClients,
  input: string,
  bucket: string,
  base: string,
  reporter: Reporter,
): Promise<string> {
  const path = resolve(input);
  const info = await stat(path).catch(() => undefined);
  if (!info)
    throw new SagebrewError(
      "SB_USAGE",
      `Cannot transform ${input}: no such file or directory (nor an s3:// URI)`,
    );
  const id = createHash("sha256").update(path).digest("hex").slice(0, 8);
  const prefix = `sagebrew/transform-inputs/${base}-${id}/`;
  if (info.isDirectory()) {
    const r = await syncDirectory(clients.s3, path, bucket, prefix, {
      onProgress: (p) => reporter.progress?.(p.file, p.sent, p.total),
    });
    if (r.uploaded + r.skipped === 0)
      throw new SagebrewError("SB_USAGE", `Cannot transform ${input}: the directory holds no files`);
    reporter.info(
      `input: ${r.uploaded} file(s) uploaded, ${r.skipped} unchanged${r.removed ? `, ${r.removed} removed` : ""} → s3://${bucket}/${prefix}`,
    );
  } else {
    // One file: its own prefix holds it alone, so the job reads nothing else.
    const stale = (await clients.s3.list(bucket, prefix))
      .map((o) => o.key)
      .filter((k) => k !== prefix + basename(path));
    if (stale.length) await clients.s3.deleteObjects(bucket, stale);
    const outcome = await uploadFile(clients.s3, path, bucket, prefix + basename(path), {
      onProgress: (p) => reporter.progress?.(basename(path), p.sent, p.total),
    });
    reporter.info(
      `input: ${basename(path)} ${outcome === "skipped" ? "unchanged at" : "uploaded to"} s3://${bucket}/${prefix}`,
    );
  }
  return `s3://${bucket}/${prefix}`;
}

/** The CreateTransformJob request. */
export function transformRequest(input: {
  jobName: string;
  inputS3Uri: string;
  outputS3Uri: string;
  options: TransformJobOptions;
}): CreateTransformJobRequest {
  const o = input.options;
  const dataProcessing =
    o.inputFilter || o.outputFilter || (o.joinSource && o.joinSource !== "None")
      ? {
          DataProcessing: {
            ...(o.inputFilter ? { InputFilter: o.inputFilter } : {}),
            ...(o.outputFilter ? { OutputFilter: o.outputFilter } : {}),
            ...(o.joinSource ? { JoinSource: o.joinSource } : {}),
          },
        }
      : {};
  return {
    TransformJobName: input.jobName,
    ModelName: o.modelName,
    TransformInput: {
      DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: input.inputS3Uri } },
      ContentType: o.contentType ?? "text/csv",
      SplitType: o.splitType ?? "None",
      CompressionType: "None",
    },
    TransformOutput: {
      S3OutputPath: input.outputS3Uri,
      ...(o.accept ? { Accept: o.accept } : {}),
      AssembleWith: o.assembleWith ?? "None",
    },
    TransformResources: { InstanceType: o.instanceType as never, InstanceCount: o.instanceCount ?? 1 },
    ...(o.maxConcurrentTransforms !== undefined
      ? { MaxConcurrentTransforms: o.maxConcurrentTransforms }
      : {}),
    ...(o.maxPayloadMb !== undefined ? { MaxPayloadInMB: o.maxPayloadMb } : {}),
    ...(o.batchStrategy ? { BatchStrategy: o.batchStrategy } : {}),
    ...(o.environment && Object.keys(o.environment).length > 0 ? { Environment: { ...o.environment } } : {}),
    ...dataProcessing,
    Tags: resourceTags(o.tags),
  };
}

/** Downloads every object under an S3 prefix into `dir`, keeping the relative paths. */
export async function downloadPrefix(
  clients: Pick<AwsClients, "s3">,
  s3Uri: string,
  dir: string,
  reporter: Reporter,
): Promise<string[]> {
  const { bucket, key: prefix } = parseS3Uri(s3Uri.endsWith("/") ? s3Uri : `${s3Uri}/`);
  const root = resolve(dir);
  const written: string[] = [];
  for (const o of await clients.s3.list(bucket, prefix)) {
    const rel = o.key.slice(prefix.length);
    const target = resolve(root, rel);
    if (!rel || rel.endsWith("/") || !target.startsWith(root + sep)) continue; // never outside `dir`
    await mkdir(dirname(target), { recursive: true });
    const { body } = await clients.s3.download(bucket, o.key);
    const part = `${target}.part`;
    await pipeline(body, createWriteStream(part));
    await rename(part, target);
    written.push(rel);
    reporter.progress?.(rel, o.size, o.size);
  }
  reporter.info(`downloaded ${written.length} file(s) from ${s3Uri} into ${root}`);
  return written;
}

function result(
  d: DescribeTransformJobResponse | undefined,
  jobName: string,
  outputS3Uri: string,
  lastLogLines: LogLine[],
): Omit<TransformJobResult, "outcome"> {
  return {
    jobName,
    status: d?.TransformJobStatus ?? "Unknown",
    ...(d?.FailureReason ? { failureReason: d.FailureReason } : {}),
    outputS3Uri,
    lastLogLines,
  };
}

/**
 * Runs a batch transform job on SageMaker and waits for it.
 *
 * @throws SagebrewError SB_USAGE for bad options or an unknown model, SB_AWS when a call fails.
 * @example const job = await runTransformJob(sdkClients(), { input: "batch-in/", modelName: "iris-20260101-…", instanceType: "ml.m5.large", splitType: "Line" });
 */
export async function runTransformJob(
  clients: AwsClients,
  options: TransformJobOptions,
  reporter: Reporter = SILENT,
): Promise<TransformJobResult> {
  checkInstanceType("transform", options.instanceType);
  checkNumber("instance count", "TransformInstanceCount", options.instanceCount ?? 1);
  if (options.maxPayloadMb !== undefined)
    checkNumber("max payload (MB)", "MaxPayloadInMB", options.maxPayloadMb, {
      max: SAGEMAKER_LIMITS.maxPayloadInMB,
    });
  if (options.maxConcurrentTransforms !== undefined)
    checkNumber("max concurrent transforms", "MaxConcurrentTransforms", options.maxConcurrentTransforms);
  if (
    (options.maxPayloadMb ?? 0) * (options.maxConcurrentTransforms ?? 0) >
    SAGEMAKER_LIMITS.maxPayloadInMB
  ) {
    throw new SagebrewError(
      "SB_USAGE",
      `MaxConcurrentTransforms × MaxPayloadInMB must not exceed ${SAGEMAKER_LIMITS.maxPayloadInMB}`,
    );
  }
  if (!(await clients.sagemaker.describeModel(options.modelName))) {
    throw new SagebrewError(
      "SB_USAGE",
      `Cannot transform with model ${options.modelName}: no such SageMaker model (\`sagebrew ls\` lists the models sagebrew made; \`sagebrew deploy\` makes one)`,
    );
  }
  const base = toNameBase(
    options.input.startsWith("s3://") ? options.modelName : basename(resolve(options.input)),
  );
  const jobName = checkName("transform job", options.jobName ?? timestampedName(base));
  const needsBucket = !options.input.startsWith("s3://") || !options.outputS3Uri;
  const bucket = needsBucket ? await resolveBucket(clients, options.bucket, reporter) : undefined;
  let inputS3Uri: string;
  if (options.input.startsWith("s3://")) {
    parseS3Uri(options.input); // a malformed URI fails here, before a job is created
    inputS3Uri = options.input;
  } else {
    inputS3Uri = await uploadInput(clients, options.input, bucket!, base, reporter);
  }
  const outputS3Uri = options.outputS3Uri ?? `s3://${bucket}/sagebrew/transform/${jobName}/`;
  parseS3Uri(outputS3Uri);
  await clients.sagemaker.createTransformJob(transformRequest({ jobName, inputS3Uri, outputS3Uri, options }));
  reporter.info(
    `created transform job ${jobName} (${options.instanceCount ?? 1} × ${options.instanceType}, model ${options.modelName})`,
  );
  const waitSeconds = options.waitSeconds ?? DEFAULT_WAIT_SECONDS;
  if (waitSeconds <= 0)
    return { ...result(undefined, jobName, outputS3Uri, []), status: "InProgress", outcome: "not-waited" };
  return waitForTransformJob(clients, jobName, {
    deadline: Date.now() + waitSeconds * 1000,
    ...(options.pollSeconds !== undefined ? { pollSeconds: options.pollSeconds } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.downloadTo ? { downloadTo: options.downloadTo } : {}),
    reporter,
  });
}

/** Waits for a transform job with its instances' logs; downloads the output on request. */
export async function waitForTransformJob(
  clients: AwsClients,
  jobName: string,
  options: {
    deadline: number;
    pollSeconds?: number;
    signal?: AbortSignal;
    downloadTo?: string;
    reporter: Reporter;
    /** Show only log lines from this time on (milliseconds since the epoch); default all. */
    logsFrom?: number;
  },
): Promise<TransformJobResult> {
  const { group, prefix } = LOG_GROUPS.transformJob(jobName);
  let last: DescribeTransformJobResponse | undefined;
  const waited = await waitForJob({
    what: "transform job",
    name: jobName,
    describe: async () => {
      last = await clients.sagemaker.describeTransformJob(jobName);
      if (!last)
        throw new SagebrewError("SB_AWS", `Cannot follow transform job ${jobName}: it does not exist`);
      return { status: last.TransformJobStatus ?? "Unknown" };
    },
    logs: {
      tail: new LogTail(
        clients.logs,
        group,
        prefix,
        options.logsFrom !== undefined ? { startTime: options.logsFrom } : {},
      ),
    },
    sagebrewLocal: () => clients.sagemaker.isSagebrewLocal?.() ?? Promise.resolve(false),
    deadline: options.deadline,
    pollSeconds: pollIntervalSeconds(options.pollSeconds, 10),
    ...(options.signal ? { signal: options.signal } : {}),
    reporter: options.reporter,
  });
  const outputS3Uri = last?.TransformOutput?.S3OutputPath ?? "";
  const r = result(last, jobName, outputS3Uri, waited.lastLines);
  if (waited.end === "timeout") return { ...r, outcome: "timeout" };
  if (waited.end === "interrupted") return { ...r, outcome: "interrupted" };
  const outcome = r.status === "Completed" ? "completed" : r.status === "Stopped" ? "stopped" : "failed";
  if (outcome === "completed" && options.downloadTo) {
    const downloaded = await downloadPrefix(clients, outputS3Uri, options.downloadTo, options.reporter);
    return { ...r, outcome, downloaded };
  }
  return { ...r, outcome };
}
