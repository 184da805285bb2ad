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
import type {
  AsyncInferenceConfig,
  DeployedVariant,
  EndpointConfigDoc,
  EndpointDoc,
  ModelDoc,
} from "../../docs.js";
import { validation } from "../../protocol/index.js";
import type { OpContext } from "../context.js";
import { configNotFound } from "../endpoint-config/index.js";
import { applyEvent } from "../ledger.js";
import { describeOf, type ListRequest, listPage } from "../list.js";
import { modelNotFound } from "../model/index.js";
import { refusal } from "../transition.js";
import { type EndpointEvent, endpointTransition, newEndpoint } from "./machine.js";

export function endpointNotFound(ctx: OpContext, name: string): Error {
  return validation(`Could not find endpoint "${resourceArn(ctx, "endpoint", name)}".`);
}

/**
 * What `configName` deploys, as it is now (frozen into the endpoint): its variants with the models
 * they name, and its `AsyncInferenceConfig`.
 */
export function deploymentOf(
  ctx: OpContext,
  configName: string,
): { variants: DeployedVariant[]; asyncInference?: AsyncInferenceConfig } {
  const config = ctx.store.get<EndpointConfigDoc>("endpoint-config", configName);
  if (!config) throw configNotFound(ctx, configName);
  const variants = config.ProductionVariants.map((variant) => {
    const model = ctx.store.get<ModelDoc>("model", variant.ModelName ?? "");
    if (!model) throw modelNotFound(ctx, variant.ModelName ?? "");
    return { variant, model };
  });
  return {
    variants,
    ...(config.AsyncInferenceConfig ? { asyncInference: config.AsyncInferenceConfig } : {}),
  };
}

export async function createEndpoint(
  ctx: OpContext,
  body: JsonWire<CreateEndpointInput>,
): Promise<JsonWire<CreateEndpointOutput>> {
  const name = body.EndpointName as string;
  const arn = resourceArn(ctx, "endpoint", name);
  const exists = () => validation(`Cannot create already existing endpoint "${arn}".`);
  if (ctx.store.get("endpoint", name)) throw exists();
  const config = body.EndpointConfigName as string;
  const doc = newEndpoint({
    name,
    arn,
    config,
    ...deploymentOf(ctx, config),
    ...(body.Tags ? { tags: body.Tags as EndpointDoc["Tags"] } : {}),
    now: ctx.now(),
  });
  // The name is taken here, atomically: of concurrent creates of one name, one wins.
  if (!(await ctx.store.create("endpoint", doc))) throw exists();
  ctx.endpoints.deploy(doc);
  return { EndpointArn: arn };
}

export function describeEndpoint(ctx: OpContext, body: JsonWire<DescribeEndpointInput>): unknown {
  const name = body.EndpointName as string;
  const doc = ctx.store.get<EndpointDoc>("endpoint", name);
  if (!doc) throw endpointNotFound(ctx, name);
  return describeOf(doc);
}

/** Applies a request's event to an endpoint; the refusal, or a vanished endpoint, is the client's error. */
async function request(ctx: OpContext, name: string, event: EndpointEvent): Promise<EndpointDoc> {
  if (!ctx.store.get("endpoint", name)) throw endpointNotFound(ctx, name);
  const applied = await applyEvent(ctx.store, "endpoint", name, endpointTransition, event, ctx.now);
  if ("doc" in applied) return applied.doc;
  throw ctx.store.get("endpoint", name) ? validation(refusal(applied)) : endpointNotFound(ctx, name);
}

export async function updateEndpoint(
  ctx: OpContext,
  body: JsonWire<UpdateEndpointInput>,
): Promise<JsonWire<UpdateEndpointOutput>> {
  const name = body.EndpointName as string;
  if (!ctx.store.get("endpoint", name)) throw endpointNotFound(ctx, name);
  const config = body.EndpointConfigName as string;
  const updated = await request(ctx, name, {
    type: "update-requested",
    config,
    ...deploymentOf(ctx, config),
  });
  ctx.endpoints.deploy(updated);
  return { EndpointArn: updated.EndpointArn };
}

export async function deleteEndpoint(ctx: OpContext, body: JsonWire<DeleteEndpointInput>): Promise<unknown> {
  const deleting = await request(ctx, body.EndpointName as string, { type: "delete-requested" });
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
