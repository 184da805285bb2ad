/** Models: Create, Describe, Delete and List. */
import type {
  CreateModelInput,
  CreateModelOutput,
  DeleteModelInput,
  DescribeModelInput,
  ListModelsInput,
} from "@aws-sdk/client-sagemaker";
import type { JsonWire } from "../../../../api/index.js";
import { resourceArn } from "../../arn.js";
import { type ContainerDefinition, containerOf, type ModelDoc } from "../../docs.js";
import { validation } from "../../protocol/index.js";
import { listWithin, TIMED_OUT } from "../../storage/index.js";
import type { OpContext } from "../context.js";
import { describeOf, type ListRequest, listPage } from "../list.js";

/** SageMaker's sentence for a model that does not exist. */
export function modelNotFound(ctx: OpContext, name: string): Error {
  return validation(`Could not find model "${resourceArn(ctx, "model", name)}".`);
}

/** Environment entries of one container: at most 32 KB of keys and values together. */
const MAX_ENVIRONMENT_BYTES = 32 * 1024;

function checkContainer(container: ContainerDefinition): void {
  if (!container.Image) throw validation("The container definition must give an Image.");
  const env = Object.entries(container.Environment ?? {});
  const bytes = env.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (bytes > MAX_ENVIRONMENT_BYTES) {
    throw validation(
      `The Environment of the container takes ${bytes} bytes; keys and values together must not exceed ${MAX_ENVIRONMENT_BYTES}.`,
    );
  }
  const source = container.ModelDataSource?.S3DataSource;
  if (container.ModelDataUrl && source) {
    throw validation("Give either ModelDataUrl or ModelDataSource, not both.");
  }
  if (source?.CompressionType === "Gzip" && source.S3DataType !== "S3Object") {
    throw validation("ModelDataSource with CompressionType Gzip must have S3DataType S3Object.");
  }
  if (container.Mode === "MultiModel" && !container.ModelDataUrl) {
    throw validation("A MultiModel container needs ModelDataUrl: the S3 prefix its models are loaded from.");
  }
}

/** SageMaker checks at creation that the model data can be read. */
async function checkModelData(
  ctx: OpContext,
  container: ContainerDefinition,
  role: string | undefined,
): Promise<void> {
  const url = container.ModelDataUrl ?? container.ModelDataSource?.S3DataSource.S3Uri;
  if (!url) return;
  let found = 0;
  try {
    const listed = await listWithin(ctx.storage, url, undefined, ctx.storageCheckMs);
    // Storage that does not answer in time is the endpoint's to meet (it fails saying so).
    if (listed === TIMED_OUT) return;
    found = listed.length;
  } catch {
    found = 0;
  }
  if (found === 0 && container.Mode !== "MultiModel") {
    throw validation(
      `Could not access model data at ${url}. Please ensure that the role "${role ?? ""}" exists and that its trust relationship policy allows the action "sts:AssumeRole" for the service principal "sagemaker.amazonaws.com". Also ensure that the role has "s3:GetObject" permissions and that the object is located in ${ctx.region}.`,
    );
  }
}

export async function createModel(
  ctx: OpContext,
  body: JsonWire<CreateModelInput>,
): Promise<JsonWire<CreateModelOutput>> {
  const name = body.ModelName as string;
  const arn = resourceArn(ctx, "model", name);
  const containers = body.Containers as ContainerDefinition[] | undefined;
  const primary = body.PrimaryContainer as ContainerDefinition | undefined;
  if (!primary && !containers?.length) throw validation("A model needs a PrimaryContainer or Containers.");
  if (primary && containers?.length)
    throw validation("Give either PrimaryContainer or Containers, not both.");
  if (containers && containers.length > 1) {
    throw validation(
      `Cannot create model ${name}: sagebrew local serves one container per model, and Containers lists ${containers.length} (inference pipelines run on SageMaker only)`,
    );
  }
  const exists = () => validation(`Cannot create already existing model "${arn}".`);
  if (ctx.store.get("model", name)) throw exists();
  const container = containerOf({
    ...(primary ? { PrimaryContainer: primary } : {}),
    ...(containers ? { Containers: containers } : {}),
  });
  checkContainer(container);
  try {
    await ctx.planImage(container.Image!);
  } catch (e) {
    throw validation((e as Error).message);
  }
  await checkModelData(ctx, container, body.ExecutionRoleArn as string | undefined);
  const { Tags, ...rest } = body;
  const doc: ModelDoc = {
    name,
    ...(rest as Partial<ModelDoc>),
    ModelName: name,
    ModelArn: arn,
    CreationTime: ctx.now(),
    ...(Tags ? { Tags: Tags as ModelDoc["Tags"] } : {}),
  };
  // The name is taken here, atomically: of concurrent creates of one name, one wins.
  if (!(await ctx.store.create("model", doc))) throw exists();
  return { ModelArn: arn };
}

export function describeModel(ctx: OpContext, body: JsonWire<DescribeModelInput>): unknown {
  const name = body.ModelName as string;
  const doc = ctx.store.get<ModelDoc>("model", name);
  if (!doc) throw modelNotFound(ctx, name);
  return describeOf(doc);
}

export async function deleteModel(ctx: OpContext, body: JsonWire<DeleteModelInput>): Promise<unknown> {
  const name = body.ModelName as string;
  if (!(await ctx.store.delete("model", name))) throw modelNotFound(ctx, name);
  return {};
}

export function listModels(ctx: OpContext, body: JsonWire<ListModelsInput>): unknown {
  const page = listPage(ctx.store.list<ModelDoc>("model"), body as ListRequest, {
    nameKey: "ModelName",
    defaultOrder: "Descending",
  });
  return {
    Models: page.items.map((m) => ({
      ModelName: m.ModelName,
      ModelArn: m.ModelArn,
      CreationTime: m.CreationTime,
    })),
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}
