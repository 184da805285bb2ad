/** Endpoint configs: Create, Describe, Delete and List. */
import type {
  CreateEndpointConfigInput,
  CreateEndpointConfigOutput,
  DeleteEndpointConfigInput,
  DescribeEndpointConfigInput,
  ListEndpointConfigsInput,
} from "@aws-sdk/client-sagemaker";
import type { JsonWire } from "../../../../api/index.js";
import { resourceArn } from "../../arn.js";
import type { AsyncInferenceConfig, EndpointConfigDoc, ProductionVariant } from "../../docs.js";
import { validation } from "../../protocol/index.js";
import type { OpContext } from "../context.js";
import { describeOf, type ListRequest, listPage } from "../list.js";
import { checkEndpointConfig } from "./_checks.js";

/** SageMaker's sentence for an endpoint config that does not exist. */
export function configNotFound(ctx: OpContext, name: string): Error {
  return validation(`Could not find endpoint configuration "${resourceArn(ctx, "endpoint-config", name)}".`);
}

export async function createEndpointConfig(
  ctx: OpContext,
  body: JsonWire<CreateEndpointConfigInput>,
): Promise<JsonWire<CreateEndpointConfigOutput>> {
  const name = body.EndpointConfigName as string;
  const arn = resourceArn(ctx, "endpoint-config", name);
  const exists = () => validation(`Cannot create already existing endpoint configuration "${arn}".`);
  if (ctx.store.get("endpoint-config", name)) throw exists();
  const variants = body.ProductionVariants as ProductionVariant[];
  checkEndpointConfig(ctx, {
    ProductionVariants: variants,
    ...(body.AsyncInferenceConfig
      ? { AsyncInferenceConfig: body.AsyncInferenceConfig as AsyncInferenceConfig }
      : {}),
    ...(body.DataCaptureConfig ? { DataCaptureConfig: body.DataCaptureConfig } : {}),
  });
  const { Tags, ...rest } = body;
  const doc: EndpointConfigDoc = {
    name,
    ...(rest as Partial<EndpointConfigDoc>),
    EndpointConfigName: name,
    EndpointConfigArn: arn,
    ProductionVariants: variants.map((v) => ({ InitialVariantWeight: 1, ...v })),
    CreationTime: ctx.now(),
    ...(Tags ? { Tags: Tags as EndpointConfigDoc["Tags"] } : {}),
  };
  // The name is taken here, atomically: of concurrent creates of one name, one wins.
  if (!(await ctx.store.create("endpoint-config", doc))) throw exists();
  return { EndpointConfigArn: arn };
}

export function describeEndpointConfig(ctx: OpContext, body: JsonWire<DescribeEndpointConfigInput>): unknown {
  const name = body.EndpointConfigName as string;
  const doc = ctx.store.get<EndpointConfigDoc>("endpoint-config", name);
  if (!doc) throw configNotFound(ctx, name);
  return describeOf(doc);
}

export async function deleteEndpointConfig(
  ctx: OpContext,
  body: JsonWire<DeleteEndpointConfigInput>,
): Promise<unknown> {
  const name = body.EndpointConfigName as string;
  if (!(await ctx.store.delete("endpoint-config", name))) throw configNotFound(ctx, name);
  return {};
}

export function listEndpointConfigs(ctx: OpContext, body: JsonWire<ListEndpointConfigsInput>): unknown {
  const page = listPage(ctx.store.list<EndpointConfigDoc>("endpoint-config"), body as ListRequest, {
    nameKey: "EndpointConfigName",
    defaultOrder: "Descending",
  });
  return {
    EndpointConfigs: page.items.map((c) => ({
      EndpointConfigName: c.EndpointConfigName,
      EndpointConfigArn: c.EndpointConfigArn,
      CreationTime: c.CreationTime,
    })),
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}
