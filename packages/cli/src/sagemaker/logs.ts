/**
 * `sagebrew logs`: the CloudWatch lines of a training job, a transform job or an endpoint, by name —
 * everything so far, or followed until the job ends (an endpoint: until interrupted).
 */
import { SagebrewError } from "@sagebrew/runtime/core";
import { type AwsClients, PollClock, pollIntervalSeconds, type Reporter, SILENT, sleep } from "./context.js";
import { LOG_GROUPS, LogTail } from "./log-tail.js";
import { waitForTrainingJob } from "./training-job.js";
import { waitForTransformJob } from "./transform-job.js";

/** What a name refers to, for its logs. */
export type LogSource =
  | { readonly kind: "training-job"; readonly name: string; readonly status: string }
  | { readonly kind: "transform-job"; readonly name: string; readonly status: string }
  | {
      readonly kind: "endpoint";
      readonly name: string;
      readonly status: string;
      readonly variants: readonly string[];
    };

/**
 * Finds `name` as a training job, a transform job, or an endpoint.
 *
 * @throws SagebrewError SB_USAGE when none has that name.
 */
export async function findLogSource(
  clients: Pick<AwsClients, "sagemaker">,
  name: string,
): Promise<LogSource> {
  const training = await clients.sagemaker.describeTrainingJob(name);
  if (training) return { kind: "training-job", name, status: training.TrainingJobStatus ?? "Unknown" };
  const transform = await clients.sagemaker.describeTransformJob(name);
  if (transform) return { kind: "transform-job", name, status: transform.TransformJobStatus ?? "Unknown" };
  const endpoint = await clients.sagemaker.describeEndpoint(name);
  if (endpoint) {
    const variants = (endpoint.ProductionVariants ?? [])
      .map((v) => v.VariantName)
      .filter((v): v is string => !!v);
    return {
      kind: "endpoint",
      name,
      status: endpoint.EndpointStatus ?? "Unknown",
      variants: variants.length ? variants : ["AllTraffic"],
    };
  }
  throw new SagebrewError(
    "SB_USAGE",
    `Cannot show the logs of ${name}: no training job, transform job or endpoint has that name (\`sagebrew ls\` lists what sagebrew made)`,
  );
}

function tailsOf(clients: Pick<AwsClients, "logs">, source: LogSource, startTime?: number): LogTail[] {
  const opts = startTime !== undefined ? { startTime } : {};
  if (source.kind === "endpoint") {
    return source.variants.map((v) => {
      const { group, prefix } = LOG_GROUPS.endpoint(source.name, v);
      return new LogTail(clients.logs, group, prefix, opts);
    });
  }
  const { group, prefix } =
    source.kind === "training-job"
      ? LOG_GROUPS.trainingJob(source.name)
      : LOG_GROUPS.transformJob(source.name);
  return [new LogTail(clients.logs, group, prefix, opts)];
}

/** Prints every line written so far (from `startTime`, ms since the epoch); resolves to the count. */
export async function printLogs(
  clients: Pick<AwsClients, "logs">,
  source: LogSource,
  reporter: Reporter,
  options: { startTime?: number } = {},
): Promise<number> {
  let count = 0;
  for (const tail of tailsOf(clients, source, options.startTime)) {
    for (;;) {
      const lines = await tail.poll();
      if (lines.length === 0) break;
      for (const l of lines) reporter.log?.(l);
      count += lines.length;
    }
  }
  return count;
}

/**
 * Follows a source: a job until it ends (with its statuses; resolves to its final status), an
 * endpoint until `signal` aborts.
 */
export async function followLogs(
  clients: AwsClients,
  source: LogSource,
  options: { startTime?: number; pollSeconds?: number; signal?: AbortSignal; reporter?: Reporter } = {},
): Promise<string> {
  const reporter = options.reporter ?? SILENT;
  const common = {
    deadline: Number.POSITIVE_INFINITY,
    ...(options.pollSeconds !== undefined ? { pollSeconds: options.pollSeconds } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    reporter,
  };
  if (source.kind === "training-job") return (await waitForTrainingJob(clients, source.name, common)).status;
  if (source.kind === "transform-job")
    return (await waitForTransformJob(clients, source.name, common)).status;
  const tails = tailsOf(clients, source, options.startTime);
  const clock = new PollClock(pollIntervalSeconds(options.pollSeconds, 10));
  while (!options.signal?.aborted) {
    for (const tail of tails) for (const l of await tail.poll()) reporter.log?.(l);
    await sleep(clock.next(), options.signal);
  }
  return (await clients.sagemaker.describeEndpoint(source.name))?.EndpointStatus ?? "Deleted";
}
