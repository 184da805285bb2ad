/**
 * sagebrew on SageMaker, as a typed API: what the Python SDK's Estimator, Model and Predictor do,
 * for TypeScript. Every function takes `aws` (region, profile), or ready `clients` (adapters over
 * the AWS SDK v3 by default), and an optional `reporter` for progress; the SDK loads on first use.
 *
 * @example
 * import { deploy, invokeEndpoint, deleteEndpoint } from "sagebrew";
 * const d = await deploy({
 *   name: "iris", model: { kind: "directory", path: "local_test/test_dir" },
 *   image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris@sha256:…",
 *   role: "arn:aws:iam::123456789012:role/SageMakerRole", instanceType: "ml.m5.large",
 *   aws: { region: "eu-west-1" },
 * });
 * const answer = await invokeEndpoint("iris", Buffer.from("5.1,3.5,1.4,0.2\n"), { contentType: "text/csv" });
 * console.log(Buffer.from(answer.body).toString()); // setosa
 * await deleteEndpoint("iris");
 */
import { type AwsClients, type AwsOptions, type Reporter, SILENT, sdkClients } from "./context.js";
import { type DeployOptions, type DeployResult, deploy as deployFlow } from "./deploy.js";
import {
  deleteEndpoint as deleteEndpointFlow,
  type InvokeOptions,
  type InvokeResult,
  invokeEndpoint as invokeFlow,
} from "./endpoint.js";
import { listResources as listFlow, type ResourceSummary } from "./list.js";
import { findLogSource, followLogs, printLogs } from "./logs.js";
import {
  type TrainingJobOptions,
  type TrainingJobResult,
  trainOnSageMaker as trainFlow,
  waitForTrainingJob,
} from "./training-job.js";
import {
  type TransformJobOptions,
  type TransformJobResult,
  runTransformJob as transformFlow,
} from "./transform-job.js";
import {
  type TuningJobOptions,
  type TuningJobResult,
  type TuningJobView,
  tuneOnSageMaker as tuneFlow,
  tuningJobView,
} from "./tuning-job.js";

export type { AccountApi, EndpointRuntimeApi, LogEvent, LogsApi, S3Api, SageMakerApi } from "../aws/index.js";
export {
  type AwsClients,
  type AwsOptions,
  CREATED_BY_TAG,
  type LogLine,
  type Reporter,
  sdkClients,
} from "./context.js";
export type { DeployOptions, DeployResult, ModelSource } from "./deploy.js";
export {
  type DeletePlan,
  deleteResources,
  describePlan,
  type InvokeOptions,
  type InvokeResult,
  planDelete,
} from "./endpoint.js";
export type { ImagePusher } from "./image.js";
export type { ResourceSummary } from "./list.js";
export { LOG_GROUPS, LogTail } from "./log-tail.js";
export type { LogSource } from "./logs.js";
export { modelDirectory, type PackedModel, packModel, unpackModel } from "./model-archive.js";
export type { TrainingJobOptions, TrainingJobResult } from "./training-job.js";
export type { TransformJobOptions, TransformJobResult } from "./transform-job.js";
export type { TuningJobOptions, TuningJobResult, TuningJobView, TuningTrial } from "./tuning-job.js";

/** How an API call reaches AWS and reports progress. */
export interface SageMakerCallOptions {
  /** Region and profile (default: the standard chain). */
  readonly aws?: AwsOptions;
  /** Adapters to use instead of the SDK ones (tests, or a shared client). */
  readonly clients?: Partial<AwsClients>;
  /** Progress and container logs (default: silent). */
  readonly reporter?: Reporter;
}

function clientsOf(options: SageMakerCallOptions): AwsClients {
  return { ...sdkClients(options.aws), ...options.clients };
}

/**
 * Runs a SageMaker training job from an /opt/ml-shaped directory (local channels synced to S3) or
 * from S3 channels, and waits for it with its statuses and logs (unless `wait: false`). A local
 * image tag needs `pushImage`.
 *
 * @throws SagebrewError SB_USAGE for bad options, SB_AWS for a failed call.
 */
export function trainOnSageMaker(
  options: TrainingJobOptions & SageMakerCallOptions,
): Promise<TrainingJobResult> {
  return trainFlow(clientsOf(options), options, options.reporter ?? SILENT);
}

/**
 * Follows a training job (statuses and every host's log lines) until it ends or `deadlineSeconds`
 * pass, and optionally unpacks its model into `<downloadTo>/model`.
 */
export function followTrainingJob(
  jobName: string,
  options: SageMakerCallOptions & {
    deadlineSeconds?: number;
    pollSeconds?: number;
    signal?: AbortSignal;
    downloadTo?: string;
  } = {},
): Promise<TrainingJobResult> {
  return waitForTrainingJob(clientsOf(options), jobName, {
    deadline: Date.now() + (options.deadlineSeconds ?? 86_400) * 1000,
    ...(options.pollSeconds !== undefined ? { pollSeconds: options.pollSeconds } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.downloadTo ? { downloadTo: options.downloadTo } : {}),
    reporter: options.reporter ?? SILENT,
  });
}

/**
 * Deploys a model (local directory, `s3://…/model.tar.gz`, or training job) behind an endpoint,
 * creating it or rolling the new model out to it, and waits (bounded) for InService.
 *
 * @throws SagebrewError SB_USAGE for bad options, SB_AWS for a failed call (one sentence with the fix).
 */
export function deploy(options: DeployOptions & SageMakerCallOptions): Promise<DeployResult> {
  return deployFlow(clientsOf(options), options, options.reporter ?? SILENT);
}

/**
 * Sends one payload to an endpoint. A ModelError (424) resolves with the container's own status and
 * message in `modelError`.
 *
 * @throws SagebrewError SB_USAGE over 6 MiB or when no endpoint has that name, SB_AWS for a failed
 *   call (an endpoint that is not InService says its status and FailureReason).
 */
export function invokeEndpoint(
  endpoint: string,
  body: Uint8Array,
  options: InvokeOptions & SageMakerCallOptions = {},
): Promise<InvokeResult> {
  return invokeFlow(clientsOf(options), endpoint, body, options);
}

/**
 * Deletes an endpoint with its endpoint config and model; resolves to what was deleted.
 *
 * @throws SagebrewError SB_USAGE when no endpoint has that name.
 */
export function deleteEndpoint(endpoint: string, options: SageMakerCallOptions = {}): Promise<string[]> {
  return deleteEndpointFlow(clientsOf(options), endpoint, options.reporter ?? SILENT);
}

/** The training jobs, models, endpoints and transform jobs that carry sagebrew's tag, newest first. */
export function listResources(
  options: SageMakerCallOptions & { max?: number } = {},
): Promise<ResourceSummary[]> {
  return listFlow(clientsOf(options), options);
}

/**
 * Runs a SageMaker batch transform job on a model (local input uploaded, or an s3:// prefix) and
 * waits for it; `downloadTo` brings the `.out` files back.
 *
 * @throws SagebrewError SB_USAGE for bad options or an unknown model, SB_AWS for a failed call.
 */
export function runTransformJob(
  options: TransformJobOptions & SageMakerCallOptions,
): Promise<TransformJobResult> {
  return transformFlow(clientsOf(options), options, options.reporter ?? SILENT);
}

/**
 * Sends the CloudWatch lines of a training job, transform job or endpoint to `reporter.log`, merged
 * in time order; with `follow`, until the job ends (an endpoint: until `signal` aborts). Resolves to
 * the job's or endpoint's status.
 *
 * @throws SagebrewError SB_USAGE when no job or endpoint has that name.
 */
export async function streamLogs(
  name: string,
  options: SageMakerCallOptions & {
    follow?: boolean;
    sinceMinutes?: number;
    signal?: AbortSignal;
    pollSeconds?: number;
  } = {},
): Promise<string> {
  const clients = clientsOf(options);
  const reporter = options.reporter ?? SILENT;
  const source = await findLogSource(clients, name);
  const startTime =
    options.sinceMinutes !== undefined ? Date.now() - options.sinceMinutes * 60_000 : undefined;
  if (!options.follow) {
    await printLogs(clients, source, reporter, startTime !== undefined ? { startTime } : {});
    return source.status;
  }
  return followLogs(clients, source, {
    ...(startTime !== undefined ? { startTime } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.pollSeconds !== undefined ? { pollSeconds: options.pollSeconds } : {}),
    reporter,
  });
}

/**
 * Runs a hyperparameter tuning job on SageMaker from an /opt/ml-shaped directory (its training job
 * definition is the one `trainOnSageMaker` would send: channels synced to S3, a local image pushed
 * and pinned) and follows it to its end (unless `wait: false`); `onUpdate` receives the leaderboard
 * at every poll, `downloadTo` receives the best model with the summary and pictures.
 *
 * @throws SagebrewError SB_TUNING for a job SageMaker would refuse (the rule named), SB_USAGE for
 *   bad options, SB_AWS for a failed call.
 * @example
 * import { tuneOnSageMaker } from "sagebrew";
 * const r = await tuneOnSageMaker({
 *   dir: "local_test/tune_dir",
 *   image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris@sha256:…",
 *   role: "arn:aws:iam::123456789012:role/SageMakerRole",
 *   instanceType: "ml.m5.xlarge",
 *   objective: "validation:mlogloss",
 *   ranges: [{ kind: "Continuous", name: "eta", min: 0.05, max: 0.5, scaling: "Logarithmic" }],
 *   maxJobs: 20,
 *   maxParallel: 4,
 *   aws: { region: "eu-west-1" },
 * });
 * console.log(r.view.best?.name, r.bestModelArtifact);
 */
export function tuneOnSageMaker(options: TuningJobOptions & SageMakerCallOptions): Promise<TuningJobResult> {
  return tuneFlow(clientsOf(options), options, options.reporter ?? SILENT);
}

/**
 * A tuning job as DescribeHyperParameterTuningJob and the list of its training jobs show it: its
 * status, counters, best training job and every training job with its hyperparameters and final
 * objective; undefined when no tuning job has that name.
 *
 * @throws SagebrewError SB_AWS for a failed call.
 * @example
 * import { describeTuningJob } from "sagebrew";
 * const job = await describeTuningJob("iris-tune-260301-102030", { aws: { region: "eu-west-1" } });
 * console.log(job?.status, job?.best?.final, job?.trials.length);
 */
export async function describeTuningJob(
  name: string,
  options: SageMakerCallOptions = {},
): Promise<TuningJobView | undefined> {
  const clients = clientsOf(options);
  const d = await clients.sagemaker.describeHyperParameterTuningJob(name);
  if (!d) return undefined;
  return tuningJobView(d, await clients.sagemaker.listTrainingJobsForHyperParameterTuningJob(name));
}
