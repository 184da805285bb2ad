/**
 * Training on SageMaker from the same /opt/ml-shaped directory as `sagebrew train`: local channels
 * are synced to S3 (unchanged files are not sent again), the image is pushed and pinned when it is
 * a local tag, CreateTrainingJob gets string hyperparameters, MetricDefinitions, spot, checkpoints,
 * limits, environment, tags and sharding; then the job is waited for with its secondary statuses
 * and every host's log lines, bounded by its own limits; at the end come the final status,
 * FailureReason verbatim, billable time, final metrics, the artifact, and optionally the model
 * unpacked into the directory's `model/`.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { SagebrewError } from "@sagebrew/runtime/core";
import { SAGEMAKER_LIMITS } from "../api/index.js";
import { type CreateTrainingJobRequest, type DescribeTrainingJobResponse, parseS3Uri } from "../aws/index.js";
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
import { type ImagePusher, resolveImage } from "./image.js";
import { waitForJob } from "./job-wait.js";
import { LOG_GROUPS, LogTail } from "./log-tail.js";
import { unpackModel } from "./model-archive.js";
import { checkInstanceType, checkName, checkNumber, timestampedName, toNameBase } from "./names.js";
import { missingRoleError } from "./settings.js";
import {
  type ChannelSpec,
  jobMetricDefinitions,
  readDirectoryJob,
  toHyperParameters,
} from "./training-request.js";
import { syncDirectory } from "./upload.js";

export interface TrainingJobOptions extends WaitOptions {
  /** The /opt/ml-shaped directory (hyperparameters, input data config, channel folders). */
  readonly dir?: string;
  /** Channels already in S3, by name (they replace a local folder of the same name). */
  readonly s3Channels?: Readonly<Record<string, string>>;
  /** Hyperparameters added to (or replacing) those of the directory. */
  readonly hyperparameters?: Readonly<Record<string, unknown>>;
  /** Image reference, or a local tag to push first. */
  readonly image: string;
  readonly role?: string;
  /** `ml.m5.xlarge`, … */
  readonly instanceType: string;
  readonly instanceCount?: number;
  /** Storage per instance, GB (default 30). */
  readonly volumeSizeGb?: number;
  /** Longest the job may train, seconds (default 86,400: one day). */
  readonly maxRuntimeSeconds?: number;
  /** Managed spot training. */
  readonly spot?: boolean;
  /** Spot: longest wait for capacity plus training, seconds (default twice the max runtime). */
  readonly maxWaitSeconds?: number;
  /** Where checkpoints go (default with spot: s3://<bucket>/sagebrew/<job>/checkpoints/). */
  readonly checkpointS3Uri?: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly tags?: Readonly<Record<string, string>>;
  /** Channels whose files are split across the instances (ShardedByS3Key). */
  readonly shardedChannels?: readonly string[];
  /** The job's name (default `<base>-<timestamp>`). */
  readonly jobName?: string;
  /** Prefix of the default job name (default: the directory's name). */
  readonly baseJobName?: string;
  readonly bucket?: string;
  /** Where the model artifact goes (default s3://<bucket>/sagebrew/<base>/output). */
  readonly outputS3Uri?: string;
  /** Algorithm input mode for channels that declare none (default File). */
  readonly inputMode?: "File" | "Pipe" | "FastFile";
  /** Wait for the job to end (default true). */
  readonly wait?: boolean;
  /** Directory whose `model/` receives the trained model (default: none). */
  readonly downloadTo?: string;
  readonly pushImage?: ImagePusher;
}

/** How the job ended (or how waiting for it did). */
export interface TrainingJobResult {
  readonly jobName: string;
  readonly status: string;
  readonly outcome: "completed" | "failed" | "stopped" | "timeout" | "interrupted" | "not-waited";
  readonly failureReason?: string;
  readonly secondaryStatus?: string;
  readonly instanceCount: number;
  readonly billableSeconds?: number;
  readonly trainingSeconds?: number;
  readonly spot: boolean;
  readonly metrics: readonly { readonly name: string; readonly value: number }[];
  readonly modelArtifact?: string;
  /** Where the model was unpacked with `downloadTo`. */
  readonly downloadedTo?: string;
  readonly lastLogLines: readonly LogLine[];
}

const DEFAULTS = { instanceCount: 1, volumeSizeGb: 30, maxRuntimeSeconds: 86_400 } as const;
/** Time a job may spend starting instances, downloading and uploading, beyond its limits. */
const START_AND_UPLOAD_SECONDS = 3600;

/** Checks the sizing against SageMaker's API table (and the limits it documents beyond it) before anything is uploaded. */
function checkSizing(o: TrainingJobOptions): void {
  checkInstanceType("training", o.instanceType);
  checkNumber("instance count", "TrainingInstanceCount", o.instanceCount ?? DEFAULTS.instanceCount, {
    min: SAGEMAKER_LIMITS.minTrainingInstanceCount,
  });
  checkNumber("volume size (GB)", "OptionalVolumeSizeInGB", o.volumeSizeGb ?? DEFAULTS.volumeSizeGb);
  const run = checkNumber(
    "max runtime (s)",
    "MaxRuntimeInSeconds",
    o.maxRuntimeSeconds ?? DEFAULTS.maxRuntimeSeconds,
    {
      max: SAGEMAKER_LIMITS.maxRuntimeInSeconds,
    },
  );
  if (o.maxWaitSeconds !== undefined) {
    if (!o.spot)
      throw new SagebrewError("SB_USAGE", "Cannot use a max wait without spot training: add --spot");
    checkNumber("max wait (s)", "MaxWaitTimeInSeconds", o.maxWaitSeconds, {
      max: SAGEMAKER_LIMITS.maxRuntimeInSeconds,
    });
    if (o.maxWaitSeconds < run) {
      throw new SagebrewError(
        "SB_USAGE",
        `Cannot use max wait ${o.maxWaitSeconds} s: it must be at least the max runtime (${run} s)`,
      );
    }
  }
}

/** The S3 prefix of a local channel: stable per directory, so an unchanged file is never sent twice. */
function inputPrefix(dir: string, base: string, channel: string): string {
  const id = createHash("sha256").update(resolve(dir)).digest("hex").slice(0, 8);
  return `sagebrew/inputs/${base}-${id}/${channel}/`;
}

async function uploadChannels(
  clients: AwsClients,
  dir: string,
  base: string,
  bucket: string,
  channels: readonly ChannelSpec[],
  reporter: Reporter,
): Promise<Map<string, string>> {
  const uris = new Map<string, string>();
  for (const c of channels) {
    if (!c.local) continue;
    const prefix = inputPrefix(dir, base, c.name);
    const r = await syncDirectory(clients.s3, c.local, bucket, prefix, {
      onProgress: (p) => reporter.progress?.(`${c.name}/${p.file}`, p.sent, p.total),
    });
    if (r.uploaded + r.skipped === 0) {
      throw new SagebrewError(
        "SB_CHANNEL_EMPTY",
        `Cannot train: channel ${c.name} (${c.local}) holds no files`,
      );
    }
    reporter.info(
      `channel ${c.name}: ${r.uploaded} file(s) uploaded (${r.bytes} bytes), ${r.skipped} unchanged${r.removed ? `, ${r.removed} removed` : ""} → s3://${bucket}/${prefix}`,
    );
    uris.set(c.name, `s3://${bucket}/${prefix}`);
  }
  return uris;
}

/** The CreateTrainingJob request (exported for tests and for `--dry-run`-style inspection). */
export function trainingRequest(input: {
  jobName: string;
  image: string;
  role: string;
  hyperparameters: Record<string, string>;
  channels: readonly (ChannelSpec & { s3Uri: string })[];
  outputS3Uri: string;
  options: TrainingJobOptions;
  checkpointS3Uri?: string;
}): CreateTrainingJobRequest {
  const o = input.options;
  const maxRun = o.maxRuntimeSeconds ?? DEFAULTS.maxRuntimeSeconds;
  const sharded = new Set(o.shardedChannels ?? []);
  return {
    TrainingJobName: input.jobName,
    RoleArn: input.role,
    AlgorithmSpecification: {
      TrainingImage: input.image,
      TrainingInputMode: o.inputMode ?? "File",
      MetricDefinitions: jobMetricDefinitions(
        input.hyperparameters,
        input.channels.map((c) => c.name),
      ),
      EnableSageMakerMetricsTimeSeries: true,
    },
    HyperParameters: input.hyperparameters,
    InputDataConfig: input.channels.map((c) => ({
      ChannelName: c.name,
      DataSource: {
        S3DataSource: {
          S3DataType: "S3Prefix",
          S3Uri: c.s3Uri,
          S3DataDistributionType: sharded.has(c.name) ? "ShardedByS3Key" : c.distribution,
        },
      },
      ...(c.contentType ? { ContentType: c.contentType } : {}),
      ...(c.compression ? { CompressionType: c.compression } : {}),
      ...(c.recordWrapper ? { RecordWrapperType: c.recordWrapper } : {}),
      ...(c.inputMode ? { InputMode: c.inputMode } : {}),
    })),
    OutputDataConfig: { S3OutputPath: input.outputS3Uri },
    ResourceConfig: {
      InstanceType: o.instanceType as never,
      InstanceCount: o.instanceCount ?? DEFAULTS.instanceCount,
      VolumeSizeInGB: o.volumeSizeGb ?? DEFAULTS.volumeSizeGb,
    },
    StoppingCondition: {
      MaxRuntimeInSeconds: maxRun,
      ...(o.spot
        ? {
            MaxWaitTimeInSeconds:
              o.maxWaitSeconds ?? Math.min(2 * maxRun, SAGEMAKER_LIMITS.maxRuntimeInSeconds),
          }
        : {}),
    },
    ...(o.spot ? { EnableManagedSpotTraining: true } : {}),
    ...(input.checkpointS3Uri
      ? { CheckpointConfig: { S3Uri: input.checkpointS3Uri, LocalPath: "/opt/ml/checkpoints" } }
      : {}),
    ...(o.environment && Object.keys(o.environment).length > 0 ? { Environment: { ...o.environment } } : {}),
    Tags: resourceTags(o.tags),
  };
}

/** What the finished job's description says, as a result. */
export function trainingResult(
  job: DescribeTrainingJobResponse | undefined,
  name: string,
  spot: boolean,
  lastLogLines: LogLine[],
): Omit<TrainingJobResult, "outcome"> {
  return {
    jobName: name,
    status: job?.TrainingJobStatus ?? "Unknown",
    ...(job?.FailureReason ? { failureReason: job.FailureReason } : {}),
    ...(job?.SecondaryStatus ? { secondaryStatus: job.SecondaryStatus } : {}),
    instanceCount: job?.ResourceConfig?.InstanceCount ?? 1,
    ...(job?.BillableTimeInSeconds !== undefined ? { billableSeconds: job.BillableTimeInSeconds } : {}),
    ...(job?.TrainingTimeInSeconds !== undefined ? { trainingSeconds: job.TrainingTimeInSeconds } : {}),
    spot,
    metrics: (job?.FinalMetricDataList ?? []).map((m) => ({
      name: m.MetricName ?? "?",
      value: m.Value ?? Number.NaN,
    })),
    ...(job?.ModelArtifacts?.S3ModelArtifacts ? { modelArtifact: job.ModelArtifacts.S3ModelArtifacts } : {}),
    lastLogLines,
  };
}

/**
 * Downloads a `model.tar.gz` from S3 and unpacks it into `<dir>/model`, replacing what was there
 * only once the whole archive is unpacked.
 */
export async function downloadModel(
  clients: Pick<AwsClients, "s3">,
  artifact: string,
  dir: string,
  reporter: Reporter,
): Promise<string> {
  const { bucket, key } = parseS3Uri(artifact);
  const work = await mkdtemp(join(tmpdir(), "sagebrew-download-"));
  try {
    const archive = join(work, "model.tar.gz");
    const { body, size } = await clients.s3.download(bucket, key);
    let received = 0;
    body.on("data", (chunk: Buffer) => {
      received += chunk.length;
      reporter.progress?.("model.tar.gz", received, size);
    });
    await pipeline(body, createWriteStream(archive));
    const staged = join(resolve(dir), `.model-download-${process.pid}`);
    await rm(staged, { recursive: true, force: true });
    const files = await unpackModel(archive, staged).catch(async (e) => {
      await rm(staged, { recursive: true, force: true });
      throw e;
    });
    const target = join(resolve(dir), "model");
    await rm(target, { recursive: true, force: true });
    await rename(staged, target);
    reporter.info(`model unpacked into ${target} (${files.join(", ")})`);
    return target;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The CreateTrainingJob request of a job, ready to send: options checked, the directory read, its
 * local channels synced to S3, the bucket resolved and a local image pushed and pinned. What
 * `trainOnSageMaker` sends, and what a tuning job's training job definition is made of.
 *
 * @throws SagebrewError SB_USAGE for bad options, SB_CONFIG_INVALID for an unreadable directory,
 *   SB_AWS when a call fails.
 */
export async function prepareTrainingJob(
  clients: AwsClients,
  options: TrainingJobOptions,
  reporter: Reporter,
): Promise<CreateTrainingJobRequest> {
  checkSizing(options);
  if (!options.role) throw missingRoleError();
  const dir = options.dir ? resolve(options.dir) : undefined;
  const fromDir = dir ? await readDirectoryJob(dir) : { hyperparameters: {}, channels: [] };
  const hyperparameters = { ...fromDir.hyperparameters, ...toHyperParameters(options.hyperparameters ?? {}) };
  toHyperParameters(hyperparameters);
  const s3Channels = Object.entries(options.s3Channels ?? {});
  for (const [name, uri] of s3Channels) {
    checkChannelName(name);
    parseS3Uri(uri);
  }
  const local = fromDir.channels.filter((c) => !(options.s3Channels && c.name in options.s3Channels));
  const all: ChannelSpec[] = [
    ...local,
    ...s3Channels.map(([name, s3Uri]) => {
      const declared = fromDir.channels.find((c) => c.name === name);
      return {
        ...(declared ?? { distribution: "FullyReplicated" as const }),
        name,
        s3Uri,
        local: undefined,
      } as ChannelSpec;
    }),
  ];
  if (all.length === 0) {
    throw new SagebrewError(
      "SB_CHANNEL_MISSING",
      `Cannot train: no channels: put data in ${dir ? join(dir, "input", "data", "<channel>") : "<dir>/input/data/<channel>"}/ or pass --channel <name>=s3://…`,
    );
  }
  if (all.length > 20)
    throw new SagebrewError(
      "SB_USAGE",
      `Cannot train with ${all.length} channels: SageMaker takes at most 20`,
    );
  for (const s of options.shardedChannels ?? []) {
    if (!all.some((c) => c.name === s))
      throw new SagebrewError("SB_USAGE", `Cannot shard channel ${s}: the job has no such channel`);
  }

  const base = toNameBase(options.baseJobName ?? (dir ? basename(dir) : "sagebrew"));
  const jobName = checkName("training job", options.jobName ?? timestampedName(base));
  const needsBucket = local.length > 0 || !options.outputS3Uri || (options.spot && !options.checkpointS3Uri);
  const bucket = needsBucket ? await resolveBucket(clients, options.bucket, reporter) : undefined;
  const image = await resolveImage(
    options.image,
    options.pushImage ??
      (async () => {
        throw new SagebrewError("SB_USAGE", `Cannot push local image ${options.image}: no pusher configured`);
      }),
    reporter,
    () => clients.sagemaker.isSagebrewLocal?.() ?? Promise.resolve(false),
  );
  const uploaded =
    dir && bucket
      ? await uploadChannels(clients, dir, base, bucket, local, reporter)
      : new Map<string, string>();
  const channels = all.map((c) => ({ ...c, s3Uri: c.s3Uri ?? uploaded.get(c.name)! }));
  const outputS3Uri = options.outputS3Uri ?? `s3://${bucket}/sagebrew/${base}/output`;
  const checkpointS3Uri =
    options.checkpointS3Uri ??
    (options.spot ? `s3://${bucket}/sagebrew/${base}/checkpoints/${jobName}/` : undefined);
  return trainingRequest({
    jobName,
    image,
    role: options.role,
    hyperparameters,
    channels,
    outputS3Uri,
    options,
    ...(checkpointS3Uri ? { checkpointS3Uri } : {}),
  });
}

/**
 * Runs a training job on SageMaker and (by default) waits for it.
 *
 * @throws SagebrewError SB_USAGE for bad options, SB_CONFIG_INVALID for an unreadable directory,
 *   SB_AWS when a call fails.
 * @example
 * const job = await trainOnSageMaker(sdkClients(), {
 *   dir: "local_test/test_dir", image: "iris-xgboost:dev", instanceType: "ml.m5.xlarge",
 *   role: "arn:aws:iam::123456789012:role/SageMakerRole", pushImage,
 * });
 */
export async function trainOnSageMaker(
  clients: AwsClients,
  options: TrainingJobOptions,
  reporter: Reporter = SILENT,
): Promise<TrainingJobResult> {
  const request = await prepareTrainingJob(clients, options, reporter);
  const jobName = request.TrainingJobName!;
  await clients.sagemaker.createTrainingJob(request);
  reporter.info(
    `created training job ${jobName} (${request.ResourceConfig?.InstanceCount} × ${options.instanceType}${options.spot ? ", spot" : ""}, ${request.AlgorithmSpecification?.MetricDefinitions?.length ?? 0} metric definitions)`,
  );
  const spot = options.spot === true;
  if (options.wait === false) {
    return {
      ...trainingResult(undefined, jobName, spot, []),
      status: "InProgress",
      outcome: "not-waited",
      instanceCount: options.instanceCount ?? 1,
    };
  }
  const limit =
    (request.StoppingCondition?.MaxWaitTimeInSeconds ?? request.StoppingCondition?.MaxRuntimeInSeconds ?? 0) +
    START_AND_UPLOAD_SECONDS;
  return waitForTrainingJob(clients, jobName, {
    deadline: Date.now() + limit * 1000,
    ...(options.pollSeconds !== undefined ? { pollSeconds: options.pollSeconds } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.downloadTo ? { downloadTo: options.downloadTo } : {}),
    reporter,
  });
}

function checkChannelName(name: string): void {
  if (!/^[A-Za-z0-9.\-_]{1,64}$/.test(name)) {
    throw new SagebrewError(
      "SB_USAGE",
      `Cannot use channel name ${JSON.stringify(name)}: letters, digits, . - _ (at most 64)`,
    );
  }
}

/**
 * Waits for a training job with its statuses and logs (also for `sagebrew logs JOB --follow`), then
 * reports how it ended and optionally downloads the model.
 */
export async function waitForTrainingJob(
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
): Promise<TrainingJobResult> {
  const { group, prefix } = LOG_GROUPS.trainingJob(jobName);
  let last: DescribeTrainingJobResponse | undefined;
  const waited = await waitForJob({
    what: "training job",
    name: jobName,
    describe: async () => {
      last = await clients.sagemaker.describeTrainingJob(jobName);
      if (!last)
        throw new SagebrewError("SB_AWS", `Cannot follow training job ${jobName}: it does not exist`);
      return {
        status: last.TrainingJobStatus ?? "Unknown",
        ...(last.SecondaryStatusTransitions ? { transitions: last.SecondaryStatusTransitions } : {}),
      };
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
  const spot = last?.EnableManagedSpotTraining === true;
  const result = trainingResult(last, jobName, spot, waited.lastLines);
  if (waited.end === "timeout") return { ...result, outcome: "timeout" };
  if (waited.end === "interrupted") return { ...result, outcome: "interrupted" };
  const outcome =
    result.status === "Completed" ? "completed" : result.status === "Stopped" ? "stopped" : "failed";
  if (outcome === "completed" && options.downloadTo && result.modelArtifact) {
    const downloadedTo = await downloadModel(
      clients,
      result.modelArtifact,
      options.downloadTo,
      options.reporter,
    );
    return { ...result, outcome, downloadedTo };
  }
  return { ...result, outcome };
}
