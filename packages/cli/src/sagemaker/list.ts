/** `sagebrew ls`: the training jobs, models, endpoints and transform jobs that carry sagebrew's tag. */
import type { ResourceKind, ResourceSummary } from "../aws/index.js";
import { type AwsClients, CREATED_BY_TAG } from "./context.js";

export type { ResourceSummary };

const KINDS = [
  "endpoint",
  "training-job",
  "transform-job",
  "model",
] as const satisfies readonly ResourceKind[];

/** Runs `fn` over `items`, `limit` at a time, keeping order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * The newest resources of each kind (at most `max` per kind looked at) that sagebrew created,
 * endpoints first: what may still cost money comes first.
 *
 * @example for (const r of await listResources(sdkClients())) console.log(r.kind, r.name, r.status);
 */
export async function listResources(
  clients: Pick<AwsClients, "sagemaker">,
  options: { max?: number } = {},
): Promise<ResourceSummary[]> {
  const max = options.max ?? 50;
  const out: ResourceSummary[] = [];
  for (const kind of KINDS) {
    const all = await clients.sagemaker.list(kind, max);
    const tagged = await mapLimited(
      all,
      4,
      async (r) => CREATED_BY_TAG in (await clients.sagemaker.listTags(r.arn)),
    );
    out.push(...all.filter((_, i) => tagged[i]));
  }
  return out;
}

/** Endpoint statuses with its instances running (SageMaker bills their hours). */
const RUNNING = new Set(["InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"]);

/**
 * The endpoints among `rows` that cost money while they run: up, with a variant on instances. A
 * serverless endpoint bills per invocation, not while idle; a Failed or Deleting one runs nothing.
 *
 * @example const names = await billingEndpoints(clients, await listResources(clients));
 */
export async function billingEndpoints(
  clients: Pick<AwsClients, "sagemaker">,
  rows: readonly ResourceSummary[],
): Promise<string[]> {
  const live = rows.filter((r) => r.kind === "endpoint" && RUNNING.has(r.status ?? ""));
  const onInstances = await mapLimited(live, 4, async (r) => {
    const variants = (await clients.sagemaker.describeEndpoint(r.name))?.ProductionVariants ?? [];
    // Variants not described (an emulator, a race with a delete): instances are the usual case.
    return variants.length === 0 || variants.some((v) => v.CurrentServerlessConfig === undefined);
  });
  return live.filter((_, i) => onInstances[i]).map((r) => r.name);
}
