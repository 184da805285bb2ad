/**
 * Deploy: a model (a local directory, an `s3://…/model.tar.gz`, or a training job) behind a
 * SageMaker endpoint. CreateModel, CreateEndpointConfig, then CreateEndpoint — or UpdateEndpoint
 * when the endpoint exists, which is how a new model is rolled out. The wait is bounded and shows
 * the endpoint's container logs; a failure comes back with SageMaker's reason, the last log lines
 * and what to do.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import { SAGEMAKER_LIMITS } from "../api/index.js";
import type { DescribeEndpointOutput } from "../aws/index.js";
import { parseS3Uri } from "../aws/index.js";
import { resolveBucket } from "./bucket.js";
import {
  type AwsClients,
  type LogLine,
  PollClock,
  pollIntervalSeconds,
  type Reporter,
  resourceTags,
  SILENT,
  sleep,
  type WaitOptions,
} from "./context.js";
import { type ImagePusher, resolveImage } from "./image.js";
import { LOG_GROUPS, LogTail, readLateLines } from "./log-tail.js";
import { packModel } from "./model-archive.js";
import { checkInstanceType, checkName, checkNumber, timestampedName } from "./names.js";
import { missingRoleError } from "./settings.js";
import { uploadFile } from "./upload.js";

/** Where the model comes from. */
export type ModelSource =
  | { readonly kind: "directory"; readonly path: string }
  | { readonly kind: "s3"; readonly uri: string }
  | { readonly kind: "training-job"; readonly name: string };

export interface DeployOptions extends WaitOptions {
  /** The endpoint's name (created, or updated when it exists). */
  readonly name: string;
  readonly model: ModelSource;
  /** Image reference, or a local tag to push (default: the training job's image). */
  readonly image?: string;
  /** Execution role ARN (default: the training job's role). */
  readonly role?: string;
  /** Instance type of a real-time endpoint, e.g. `ml.m5.large` (default, unless serverless). */
  readonly instanceType?: string;
  /** Instances behind the endpoint (default 1). */
  readonly instanceCount?: number;
  /** Serverless endpoint memory in MB (1024–6144, steps of 1024) instead of instances. */
  readonly serverlessMemoryMb?: number;
  /** Serverless concurrent invocations (default 5). */
  readonly serverlessMaxConcurrency?: number;
  /** Container environment (e.g. SAGEMAKER_MODEL_SERVER_WORKERS). */
  readonly environment?: Readonly<Record<string, string>>;
  readonly tags?: Readonly<Record<string, string>>;
  /** Bucket for a local model (default `sagemaker-<region>-<account>`). */
  readonly bucket?: string;
  /** Seconds SageMaker gives the container to pass /ping after start (60–3600). */
  readonly startupTimeoutSeconds?: number;
  /** Seconds to wait for InService; 0 returns right after the calls (default 1800). */
  readonly waitSeconds?: number;
  /** Pushes a local image (required when `image` is a local tag). */
  readonly pushImage?: ImagePusher;
  /** Fixed seconds-since-epoch for the archive's entries (default 0). */
  readonly archiveMtime?: number;
}

/** How the deploy ended. */
export interface DeployResult {
  readonly endpoint: string;
  readonly model: string;
  readonly endpointConfig: string;
  readonly modelDataUrl: string;
  readonly image: string;
  readonly action: "created" | "updated";
  /** `InService` when it worked; the endpoint's status otherwise. */
  readonly status: string;
  /** `waited` ran to an end; `timeout` and `interrupted` left the endpoint as it was. */
  readonly outcome: "in-service" | "failed" | "timeout" | "interrupted" | "not-waited";
  readonly failureReason?: string;
  /** What to do after a failure. */
  readonly advice?: string;
  /** The last container log lines seen (after a failure). */
  readonly lastLogLines?: readonly LogLine[];
  /** Configs and models of the previous deployment removed after a successful update. */
  readonly replaced?: { readonly endpointConfig: string; readonly models: readonly string[] };
}

const DEFAULT_WAIT_SECONDS = 1800;
const BUSY = new Set([
  "Creating",
  "Updating",
  "SystemUpdating",
  "RollingBack",
  "Deleting",
  "UpdateRollbackFailed",
]);

/** A container log line saying the model could not be loaded (sagebrew's serve, SageMaker's XGBoost image). */
const MODEL_LOAD_FAILED =
  /model load failed|could not be loaded|Cannot (read|load) model|Unable to load model|cannot be loaded/i;

/**
 * What to do about a failed endpoint, from SageMaker's reason and the container's last log lines
 * (SageMaker's reason for a model that does not load is the same failed health check as for a
 * slow one: the logs tell them apart).
 */
export function deployAdvice(reason: string, endpoint: string, logLines: readonly LogLine[] = []): string {
  if (logLines.some((l) => MODEL_LOAD_FAILED.test(l.message)) || MODEL_LOAD_FAILED.test(reason)) {
    // The line that says why is in the container's log, shown above, and in sagebrew local's reason:
    // it is not quoted a third time.
    return `the model did not load (the container's log says why): check the model file — \`sagebrew serve <dir>\` loads the same model here and says why — and deploy a model that loads; more startup time will not help`;
  }
  if (/exited with code|was killed by|exited|OutOfMemory|killed/i.test(reason)) {
    return `the container stopped while starting: its last log lines say why (\`sagebrew logs ${endpoint}\`); \`sagebrew serve <dir>\` starts the same model here`;
  }
  if (/ping health check|health check/i.test(reason)) {
    return "the container did not answer GET /ping with 200 in time: run `sagebrew doctor <dir> --image <image>` (it starts the image and checks /ping with SageMaker's 2 s budget), and `sagebrew serve <model dir>` to see how long the model takes to load; a slow load needs --startup-timeout";
  }
  if (/exec format|CannotStartContainerError|architecture/i.test(reason)) {
    return "the image does not start on this instance: build it for the instance's architecture (`sagebrew build --instance-type <type>`) and check its entrypoint with `sagebrew doctor`";
  }
  if (/manifest|image|ECR|repository/i.test(reason)) {
    return "SageMaker could not pull the image: push it with `sagebrew push` (Docker v2 schema 2) in this region, and let the role read it (ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:GetAuthorizationToken)";
  }
  if (/model data|ModelDataUrl|s3|download/i.test(reason)) {
    return "SageMaker could not fetch the model: let the execution role read the model.tar.gz (s3:GetObject) and keep it in the endpoint's region";
  }
  if (/capacity|limit|quota/i.test(reason)) {
    return "the account has no room for this instance type: request a higher quota (Service Quotas, Amazon SageMaker) or deploy with another --instance-type";
  }
  return `\`sagebrew logs ${endpoint}\` shows the container's output; fix the cause and deploy again (a Failed endpoint stays until \`sagebrew delete ${endpoint}\`)`;
}

/** Resolves the model data URL, and the image and role a training job implies. */
async function modelData(
  clients: AwsClients,
  options: DeployOptions,
  reporter: Reporter,
): Promise<{ url: string; image?: string; role?: string }> {
  const source = options.model;
  if (source.kind === "s3") {
    parseS3Uri(source.uri);
    return { url: source.uri };
  }
  if (source.kind === "training-job") {
    const job = await clients.sagemaker.describeTrainingJob(source.name);
    if (!job) {
      throw new SagebrewError(
        "SB_USAGE",
        `Cannot deploy ${source.name}: no such local directory or training job (or s3:// URI)`,
      );
    }
    const url = job.ModelArtifacts?.S3ModelArtifacts;
    if (job.TrainingJobStatus !== "Completed" || !url) {
      throw new SagebrewError(
        "SB_USAGE",
        `Cannot deploy training job ${source.name}: it is ${job.TrainingJobStatus ?? "unknown"}${job.FailureReason ? ` (${job.FailureReason})` : ""}, with no model artifact`,
      );
    }
    return {
      url,
      ...(job.AlgorithmSpecification?.TrainingImage
        ? { image: job.AlgorithmSpecification.TrainingImage }
        : {}),
      ...(job.RoleArn ? { role: job.RoleArn } : {}),
    };
  }
  const bucket = await resolveBucket(clients, options.bucket, reporter);
  const work = await mkdtemp(join(tmpdir(), "sagebrew-model-"));
  try {
    const packed = await packModel(source.path, join(work, "model.tar.gz"), {
      ...(options.archiveMtime !== undefined ? { mtime: options.archiveMtime } : {}),
    });
    if (!packed.hasXgboostModel) {
      reporter.info(`note: ${source.path} has no xgboost-model at its root; packing it as it is`);
    }
    // Content-addressed: deploying the same model again uploads nothing.
    const key = `sagebrew/models/${packed.sha256.slice(0, 32)}/model.tar.gz`;
    const outcome = await uploadFile(clients.s3, packed.file, bucket, key, {
      contentType: "application/gzip",
      onProgress: (p) => reporter.progress?.("model.tar.gz", p.sent, p.total),
    });
    const url = `s3://${bucket}/${key}`;
    reporter.info(
      `model.tar.gz (${packed.entries.length} entries, ${packed.size} bytes, sha256 ${packed.sha256.slice(0, 12)}) ${outcome === "skipped" ? "already at" : "uploaded to"} ${url}`,
    );
    return { url };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Checks the sizing against SageMaker's API table (and the limits it documents beyond it) before anything is uploaded. */
function checkSizing(options: DeployOptions): void {
  const memory = options.serverlessMemoryMb;
  if (memory !== undefined) {
    checkNumber("serverless memory (MB)", "ServerlessMemorySizeInMB", memory);
    if (memory % SAGEMAKER_LIMITS.serverlessMemoryStepInMB !== 0) {
      throw new SagebrewError(
        "SB_USAGE",
        `Cannot use serverless memory ${memory} MB: it must be a multiple of ${SAGEMAKER_LIMITS.serverlessMemoryStepInMB}`,
      );
    }
    if (options.serverlessMaxConcurrency !== undefined)
      checkNumber("serverless concurrency", "ServerlessMaxConcurrency", options.serverlessMaxConcurrency);
    if (options.instanceType !== undefined) {
      throw new SagebrewError(
        "SB_USAGE",
        "Cannot deploy with both an instance type and serverless memory: choose one",
      );
    }
  } else if (options.instanceType !== undefined) checkInstanceType("endpoint", options.instanceType);
  checkNumber("instance count", "InitialTaskCount", options.instanceCount ?? 1);
  if (options.startupTimeoutSeconds !== undefined) {
    checkNumber(
      "startup timeout (s)",
      "ProductionVariantContainerStartupHealthCheckTimeoutInSeconds",
      options.startupTimeoutSeconds,
    );
  }
}

/** The previous deployment's config and models, to remove once the new one is InService. */
async function previousDeployment(
  clients: AwsClients,
  existing: DescribeEndpointOutput,
): Promise<{ endpointConfig: string; models: string[] } | undefined> {
  const name = existing.EndpointConfigName;
  if (!name) return undefined;
  const config = await clients.sagemaker.describeEndpointConfig(name);
  const models = (config?.ProductionVariants ?? []).map((v) => v.ModelName).filter((m): m is string => !!m);
  return { endpointConfig: name, models };
}

/**
 * Deploys a model behind an endpoint and waits (bounded) for it to be InService.
 *
 * @throws SagebrewError SB_USAGE for bad options, SB_AWS when a call fails (with the fix).
 * @example
 * const result = await deploy(sdkClients(), {
 *   name: "iris", model: { kind: "directory", path: "local_test/test_dir" },
 *   image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris@sha256:…",
 *   role: "arn:aws:iam::123456789012:role/SageMakerRole", instanceType: "ml.m5.large",
 * });
 */
export async function deploy(
  clients: AwsClients,
  options: DeployOptions,
  reporter: Reporter = SILENT,
): Promise<DeployResult> {
  const endpoint = checkName("endpoint", options.name);
  checkSizing(options);
  const data = await modelData(clients, options, reporter);
  const imageRef = options.image ?? data.image;
  if (!imageRef) {
    throw new SagebrewError(
      "SB_USAGE",
      "Cannot deploy without an image: pass --image (an ECR reference or a local tag)",
    );
  }
  const role = options.role ?? data.role;
  if (!role) throw missingRoleError();
  const image = await resolveImage(
    imageRef,
    options.pushImage ??
      (async () => {
        throw new SagebrewError("SB_USAGE", `Cannot push local image ${imageRef}: no pusher configured`);
      }),
    reporter,
    () => clients.sagemaker.isSagebrewLocal?.() ?? Promise.resolve(false),
  );

  const existing = await clients.sagemaker.describeEndpoint(endpoint);
  if (existing?.EndpointStatus && BUSY.has(existing.EndpointStatus)) {
    throw new SagebrewError(
      "SB_AWS",
      `Cannot deploy to endpoint ${endpoint}: it is ${existing.EndpointStatus}: wait for it to settle (\`sagebrew logs ${endpoint} --follow\`) and deploy again`,
    );
  }
  if (existing?.EndpointStatus === "Failed") {
    throw new SagebrewError(
      "SB_AWS",
      `Cannot update endpoint ${endpoint}: it is Failed (${existing.FailureReason ?? "no reason given"}), and SageMaker updates only working endpoints: \`sagebrew delete ${endpoint} --yes\`, then deploy again`,
    );
  }

  const model = timestampedName(endpoint);
  const tags = resourceTags(options.tags);
  await clients.sagemaker.createModel({
    ModelName: model,
    ExecutionRoleArn: role,
    PrimaryContainer: {
      Image: image,
      ModelDataUrl: data.url,
      ...(options.environment && Object.keys(options.environment).length > 0
        ? { Environment: { ...options.environment } }
        : {}),
    },
    Tags: tags,
  });
  reporter.info(`created model ${model} (${image})`);
  const variant =
    options.serverlessMemoryMb !== undefined
      ? {
          VariantName: "AllTraffic",
          ModelName: model,
          ServerlessConfig: {
            MemorySizeInMB: options.serverlessMemoryMb,
            MaxConcurrency: options.serverlessMaxConcurrency ?? 5,
          },
        }
      : {
          VariantName: "AllTraffic",
          ModelName: model,
          InitialInstanceCount: options.instanceCount ?? 1,
          InstanceType: (options.instanceType ?? "ml.m5.large") as never,
          InitialVariantWeight: 1,
          ...(options.startupTimeoutSeconds !== undefined
            ? { ContainerStartupHealthCheckTimeoutInSeconds: options.startupTimeoutSeconds }
            : {}),
        };
  const endpointConfig = model;
  try {
    await clients.sagemaker.createEndpointConfig({
      EndpointConfigName: endpointConfig,
      ProductionVariants: [variant],
      Tags: tags,
    });
    reporter.info(`created endpoint config ${endpointConfig}`);
    if (existing) {
      await clients.sagemaker.updateEndpoint({ EndpointName: endpoint, EndpointConfigName: endpointConfig });
      reporter.info(`updating endpoint ${endpoint} (was ${existing.EndpointConfigName ?? "?"})`);
    } else {
      await clients.sagemaker.createEndpoint({
        EndpointName: endpoint,
        EndpointConfigName: endpointConfig,
        Tags: tags,
      });
      reporter.info(`creating endpoint ${endpoint}`);
    }
  } catch (e) {
    // Nothing uses what was just made: remove it, so a failed deploy leaves nothing behind.
    await clients.sagemaker.deleteEndpointConfig(endpointConfig).catch(() => {});
    await clients.sagemaker.deleteModel(model).catch(() => {});
    throw e;
  }

  const base = {
    endpoint,
    model,
    endpointConfig,
    modelDataUrl: data.url,
    image,
    action: existing ? ("updated" as const) : ("created" as const),
  };
  const waitSeconds = options.waitSeconds ?? DEFAULT_WAIT_SECONDS;
  if (waitSeconds <= 0) return { ...base, status: existing ? "Updating" : "Creating", outcome: "not-waited" };
  const waited = await waitForEndpoint(clients, endpoint, endpointConfig, {
    waitSeconds,
    ...(options.pollSeconds !== undefined ? { pollSeconds: options.pollSeconds } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    reporter,
  });
  if (waited.outcome !== "in-service") return { ...base, ...waited };
  if (existing) {
    const previous = await previousDeployment(clients, existing);
    if (previous && previous.endpointConfig !== endpointConfig) {
      await clients.sagemaker.deleteEndpointConfig(previous.endpointConfig);
      for (const m of previous.models) if (m !== model) await clients.sagemaker.deleteModel(m);
      reporter.info(
        `removed the previous endpoint config ${previous.endpointConfig} and model ${previous.models.join(", ")}`,
      );
      return { ...base, ...waited, replaced: previous };
    }
  }
  return { ...base, ...waited };
}

/** What waiting for an endpoint ended with. */
export type EndpointWait = Pick<
  DeployResult,
  "status" | "outcome" | "failureReason" | "advice" | "lastLogLines"
>;

/**
 * Polls DescribeEndpoint until the endpoint runs `config` InService, fails, rolls back, or
 * `waitSeconds` pass, showing its container logs meanwhile.
 */
export async function waitForEndpoint(
  clients: AwsClients,
  endpoint: string,
  config: string,
  options: { waitSeconds: number; pollSeconds?: number; signal?: AbortSignal; reporter: Reporter },
): Promise<EndpointWait> {
  const { reporter, signal } = options;
  const { group, prefix } = LOG_GROUPS.endpoint(endpoint);
  const tail = new LogTail(clients.logs, group, prefix, { startTime: Date.now() - 60_000 });
  const recent: LogLine[] = [];
  const deadline = Date.now() + options.waitSeconds * 1000;
  const pollMs = pollIntervalSeconds(options.pollSeconds, 15) * 1000;
  const clock = new PollClock(pollMs / 1000);
  let last = "";
  // Right after UpdateEndpoint the endpoint may still read InService on the old config.
  let moved = false;
  let logsFailed = false;
  const drainLogs = async (): Promise<number> => {
    if (logsFailed) return 0;
    let lines: LogLine[];
    try {
      lines = await tail.poll();
    } catch (e) {
      // Logs are a view on the endpoint, not the endpoint: without them keep waiting.
      logsFailed = true;
      reporter.info(`the endpoint's log lines cannot be shown: ${(e as Error).message}`);
      return 0;
    }
    for (const line of lines) {
      reporter.log?.(line);
      recent.push(line);
      if (recent.length > 20) recent.shift();
    }
    return lines.length;
  };
  let local: boolean | undefined;
  for (;;) {
    const d = await clients.sagemaker.describeEndpoint(endpoint);
    if (local === undefined) {
      // sagebrew local (the first answer tells): a poll is a call on this machine, and an endpoint
      // it reports Failed has every line of its containers in their streams already.
      local = (await clients.sagemaker.isSagebrewLocal?.().catch(() => false)) === true;
      if (local) clock.quicken();
    }
    const status = d?.EndpointStatus ?? "Deleted";
    if (status !== last) {
      reporter.info(`endpoint ${endpoint}: ${status}`);
      last = status;
    }
    await drainLogs();
    if (status !== "InService") moved = true;
    const onNewConfig = d?.EndpointConfigName === config;
    if (status === "InService" && onNewConfig) return { status, outcome: "in-service" };
    const rolledBack = status === "InService" && !onNewConfig && moved;
    if (status === "Failed" || status === "Deleted" || rolledBack || status === "UpdateRollbackFailed") {
      const reason =
        d?.FailureReason ??
        (status === "Deleted" ? "the endpoint was deleted while waiting" : "no reason given");
      // The read above followed the status: against sagebrew local it had the last line; SageMaker's
      // CloudWatch lags behind the status, so there the lines still coming are read.
      await readLateLines(drainLogs, { local, pollSeconds: pollMs / 1000, ...(signal ? { signal } : {}) });
      return {
        status: rolledBack ? "RolledBack" : status,
        outcome: "failed",
        failureReason: reason,
        advice: deployAdvice(reason, endpoint, recent),
        lastLogLines: [...recent],
      };
    }
    if (signal?.aborted) return { status, outcome: "interrupted" };
    if (Date.now() >= deadline) return { status, outcome: "timeout" };
    await sleep(Math.min(clock.next(), Math.max(0, deadline - Date.now())), signal);
  }
}
