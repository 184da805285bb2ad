/** CreateEndpoint, DescribeEndpoint, UpdateEndpoint, DeleteEndpoint and ListEndpoints. */
import type {
  CreateEndpointInput,
  CreateEndpointOutput,
  DeleteEndpointInput,
  DescribeEndpointInput,
  ListEndpointsInput,
  UpdateEndpointInput,
  UpdateEndpointOutput,
} from "@aws-sdk/client-sagemaker";
import type { JsonWire } from "../../../../api/index.js";
import { resourceArn } from "../../arn.js";
import type { DeployedVariant, EndpointConfigDoc, EndpointDoc, ModelDoc } from "../../docs.js";
import { validation } from "../../protocol/index.js";
import type { OpContext } from "../context.js";
import { configNotFound } from "../endpoint-config/index.js";
import { describeOf, type ListRequest, listPage } from "../list.js";
import { modelNotFound } from "../model/index.js";

export function endpointNotFound(ctx: OpContext, name: string): Error {
  return validation(`Could not find endpoint "${resourceArn(ctx.region, "endpoint", name)}".`);
}

/** The variants of `configName` with the models they name, as they are now (frozen into the endpoint). */
export function variantsOf(ctx: OpContext, configName: string): DeployedVariant[] {
  const config = ctx.store.get<EndpointConfigDoc>("endpoint-config", configName);
  if (!config) throw configNotFound(ctx, configName);
  return config.ProductionVariants.map((variant) => {
    const model = ctx.store.get<ModelDoc>("model", variant.ModelName ?? "");
    if (!model) throw modelNotFound(ctx, variant.ModelName ?? "");
    return { variant, model };
  });
}

export async function createEndpoint(
  ctx: OpContext,
  body: JsonWire<CreateEndpointInput>,
): Promise<JsonWire<CreateEndpointOutput>> {
  const name = body.EndpointName as string;
  const arn = resourceArn(ctx.region, "endpoint", name);
  if (ctx.store.get("endpoint", name)) throw validation(`Cannot create already existing endpoint "${arn}".`);
  const configName = body.EndpointConfigName as string;
  const deployed = variantsOf(ctx, configName);
  const now = ctx.now();
  const doc: EndpointDoc = {
    name,
    EndpointName: name,
    EndpointArn: arn,
    EndpointConfigName: configName,
    EndpointStatus: "Creating",
    CreationTime: now,
    LastModifiedTime: now,
    ...(body.Tags ? { Tags: body.Tags as EndpointDoc["Tags"] } : {}),
    _pending: { generation: 1, config: configName, variants: deployed },
  };
  await ctx.store.put("endpoint", doc);
  ctx.endpoints.deploy(doc);
  return { EndpointArn: arn };
}

export function describeEndpoint(ctx: OpContext, body: JsonWire<DescribeEndpointInput>): unknown {
  const name = body.EndpointName as string;
  const doc = ctx.store.get<EndpointDoc>("endpoint", name);
  if (!doc) throw endpointNotFound(ctx, name);
  return describeOf(doc);
}

export async function updateEndpoint(
  ctx: OpContext,
  body: JsonWire<UpdateEndpointInput>,
): Promise<JsonWire<UpdateEndpointOutput>> {
  const name = body.EndpointName as string;
  const doc = ctx.store.get<EndpointDoc>("endpoint", name);
  if (!doc) throw endpointNotFound(ctx, name);
  if (doc.EndpointStatus === "Failed")
    throw validation(`Cannot update failed endpoint "${doc.EndpointArn}".`);
  if (doc.EndpointStatus !== "InService")
    throw validation(`Cannot update in-progress endpoint "${doc.EndpointArn}".`);
  const configName = body.EndpointConfigName as string;
  const deployed = variantsOf(ctx, configName);
  const updated: EndpointDoc = {
    ...doc,
    EndpointStatus: "Updating",
    LastModifiedTime: ctx.now(),
    _pending: { generation: (doc._live?.generation ?? 0) + 1, config: configName, variants: deployed },
  };
  delete updated.FailureReason;
  await ctx.store.put("endpoint", updated);
  ctx.endpoints.deploy(updated);
  return { EndpointArn: doc.EndpointArn };
}

export async function deleteEndpoint(ctx: OpContext, body: JsonWire<DeleteEndpointInput>): Promise<unknown> {
  const name = body.EndpointName as string;
  const doc = ctx.store.get<EndpointDoc>("endpoint", name);
  if (!doc) throw endpointNotFound(ctx, name);
  const deleting: EndpointDoc = { ...doc, EndpointStatus: "Deleting", LastModifiedTime: ctx.now() };
  await ctx.store.put("endpoint", deleting);
  ctx.endpoints.remove(deleting);
  return {};
}

export function listEndpoints(ctx: OpContext, body: JsonWire<ListEndpointsInput>): unknown {
  const page = listPage(ctx.store.list<EndpointDoc>("endpoint"), body as ListRequest, {
    nameKey: "EndpointName",
    statusKey: "EndpointStatus",
    defaultOrder: "Descending",
  });
  return {
    Endpoints: page.items.map((e) => ({
      EndpointName: e.EndpointName,
      EndpointArn: e.EndpointArn,
      CreationTime: e.CreationTime,
      LastModifiedTime: e.LastModifiedTime,
      EndpointStatus: e.EndpointStatus,
    })),
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}
