/** AddTags, ListTags and DeleteTags on the resources `sagebrew local` keeps (at most 50 tags each). */
import type {
  AddTagsInput,
  AddTagsOutput,
  DeleteTagsInput,
  DeleteTagsOutput,
  ListTagsInput,
  ListTagsOutput,
} from "@aws-sdk/client-sagemaker";
import type { JsonWire } from "../../../api/index.js";
import { parseResourceArn, type ResourceKind } from "../arn.js";
import type { Tag, Tagged } from "../docs.js";
import { validation } from "../protocol/index.js";
import type { OpContext } from "./context.js";

const MAX_TAGS = 50;

/** The field holding each kind's own ARN, which names the account it was made in. */
const OWN_ARN: Record<ResourceKind, string> = {
  "training-job": "TrainingJobArn",
  model: "ModelArn",
  "endpoint-config": "EndpointConfigArn",
  endpoint: "EndpointArn",
  "transform-job": "TransformJobArn",
  "hyper-parameter-tuning-job": "HyperParameterTuningJobArn",
};

/**
 * The resource an ARN names. The same name in another account is not it: the ARN's account must
 * be the one the resource was made in (the server's, or an earlier `--account` on this state).
 */
function findTagged(ctx: OpContext, arn: string): { doc: Tagged; kind: ResourceKind } {
  const ref = parseResourceArn(arn);
  const doc = ref ? ctx.store.get<Tagged>(ref.kind, ref.name) : undefined;
  const own = ref && doc ? (doc as unknown as Record<string, unknown>)[OWN_ARN[ref.kind]] : undefined;
  const account = typeof own === "string" ? parseResourceArn(own)?.account : ctx.account;
  if (!ref || !doc || ref.account !== account) throw validation(`Could not find resource "${arn}".`);
  return { doc, kind: ref.kind };
}

/** Changes a resource's tags, in turn with its other changes (a status written meanwhile is kept). */
async function retag(ctx: OpContext, arn: string, change: (tags: Tag[]) => Tag[]): Promise<Tag[]> {
  const { doc, kind } = findTagged(ctx, arn);
  let tags: Tag[] = [];
  const stored = await ctx.store.update<Tagged>(kind, doc.name, (current) => {
    if (!current) return undefined;
    tags = change(current.Tags ?? []);
    return { ...current, Tags: tags };
  });
  if (!stored) throw validation(`Could not find resource "${arn}".`);
  return tags;
}

export async function addTags(
  ctx: OpContext,
  body: JsonWire<AddTagsInput>,
): Promise<JsonWire<AddTagsOutput>> {
  const Tags = await retag(ctx, body.ResourceArn as string, (old) => {
    const tags = new Map(old.map((t) => [t.Key, t.Value]));
    for (const t of body.Tags as Tag[]) tags.set(t.Key, t.Value);
    if (tags.size > MAX_TAGS) {
      throw validation(
        `Cannot add the tags: the resource would have ${tags.size} tags, and at most ${MAX_TAGS} are allowed.`,
      );
    }
    return [...tags].map(([Key, Value]) => ({ Key, Value }));
  });
  return { Tags };
}

export function listTags(ctx: OpContext, body: JsonWire<ListTagsInput>): JsonWire<ListTagsOutput> {
  const { doc } = findTagged(ctx, body.ResourceArn as string);
  const all = doc.Tags ?? [];
  const start = body.NextToken ? Number.parseInt(String(body.NextToken), 10) : 0;
  if (!Number.isInteger(start) || start < 0) throw validation("Invalid pagination token");
  const size = (body.MaxResults as number | undefined) ?? MAX_TAGS;
  const Tags = all.slice(start, start + size);
  return { Tags, ...(start + size < all.length ? { NextToken: String(start + size) } : {}) };
}

export async function deleteTags(
  ctx: OpContext,
  body: JsonWire<DeleteTagsInput>,
): Promise<JsonWire<DeleteTagsOutput>> {
  const drop = new Set(body.TagKeys as string[]);
  await retag(ctx, body.ResourceArn as string, (old) => old.filter((t) => !drop.has(t.Key)));
  return {};
}
