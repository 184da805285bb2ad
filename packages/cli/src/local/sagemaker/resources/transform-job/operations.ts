/** CreateTransformJob, DescribeTransformJob, StopTransformJob and ListTransformJobs. */
import type {
  CreateTransformJobRequest,
  CreateTransformJobResponse,
  DescribeTransformJobRequest,
  ListTransformJobsRequest,
  StopTransformJobRequest,
} from "@aws-sdk/client-sagemaker";
import type { JsonWire } from "../../../../api/index.js";
import { resourceArn } from "../../arn.js";
import { containerOf, type ModelDoc, type TransformJobDoc } from "../../docs.js";
import { resourceInUse, validation } from "../../protocol/index.js";
import { listWithin, TIMED_OUT } from "../../storage/index.js";
import type { OpContext } from "../context.js";
import { applyEvent } from "../ledger.js";
import { describeOf, type ListRequest, listPage } from "../list.js";
import { modelNotFound } from "../model/index.js";
import { refusal } from "../transition.js";
import { newTransformJob, transformJobTransition } from "./machine.js";

function findJob(ctx: OpContext, name: string): TransformJobDoc {
  const job = ctx.store.get<TransformJobDoc>("transform-job", name);
  if (!job) throw validation(`Could not find requested job with name ${name}`);
  return job;
}

function checkSemantics(body: JsonWire<CreateTransformJobRequest>): void {
  const mb = body.MaxPayloadInMB as number | undefined;
  const concurrency = body.MaxConcurrentTransforms as number | undefined;
  if (mb !== undefined && mb > 100) throw validation("MaxPayloadInMB must not be greater than 100.");
  if (mb === 0) {
    throw validation(
      "MaxPayloadInMB 0 (streaming with chunked encoding) is not supported by sagebrew local.",
    );
  }
  if ((mb ?? 6) * (concurrency || 1) > 100) {
    throw validation("MaxConcurrentTransforms multiplied by MaxPayloadInMB must not exceed 100 MB.");
  }
  const input = body.TransformInput as TransformJobDoc["TransformInput"];
  const split = input.SplitType ?? "None";
  if (body.BatchStrategy === "MultiRecord" && split === "None") {
    throw validation("BatchStrategy MultiRecord needs a SplitType other than None.");
  }
  if (split === "TFRecord") throw validation("SplitType TFRecord is not supported by sagebrew local.");
  if (input.CompressionType === "Gzip")
    throw validation("CompressionType Gzip is not supported by sagebrew local.");
  const dp = body.DataProcessing as TransformJobDoc["DataProcessing"] | undefined;
  if (dp && (dp.InputFilter || dp.OutputFilter || dp.JoinSource === "Input") && split !== "Line") {
    throw validation("InputFilter, OutputFilter and JoinSource=Input need SplitType Line.");
  }
}

/**
 * Transform jobs run `serve` on sagebrew's runtime (the local batch transform): refuse a model
 * whose image must run in the engine (its code is in the image), rather than run other code.
 */
async function checkRunsOnRuntime(ctx: OpContext, job: string, model: ModelDoc): Promise<void> {
  const image = containerOf(model).Image ?? "";
  let plan: Awaited<ReturnType<OpContext["planImage"]>>;
  try {
    plan = await ctx.planImage(image);
  } catch (e) {
    throw validation((e as Error).message);
  }
  if (plan.runner !== "runtime") {
    throw validation(
      `Cannot run transform job ${job} on image ${image}: sagebrew local runs transform jobs on sagebrew's runtime only (SageMaker's built-in XGBoost images, and images sagebrew built from a project without its own algorithm or handler), and this image runs in the container engine; deploy it to an endpoint instead`,
    );
  }
}

export async function createTransformJob(
  ctx: OpContext,
  body: JsonWire<CreateTransformJobRequest>,
): Promise<JsonWire<CreateTransformJobResponse>> {
  const name = body.TransformJobName as string;
  const arn = resourceArn(ctx, "transform-job", name);
  checkSemantics(body);
  const inUse = () =>
    resourceInUse(
      `Transform job names must be unique within an AWS account and region, and a transform job with this name already exists (${arn})`,
    );
  if (ctx.store.get("transform-job", name)) throw inUse();
  const model = ctx.store.get<ModelDoc>("model", body.ModelName as string);
  if (!model) throw modelNotFound(ctx, body.ModelName as string);
  await checkRunsOnRuntime(ctx, name, model);
  const input = body.TransformInput as TransformJobDoc["TransformInput"];
  const source = input.DataSource.S3DataSource;
  let listed: Awaited<ReturnType<typeof listWithin>>;
  try {
    listed = await listWithin(ctx.storage, source.S3Uri, source.S3DataType, ctx.storageCheckMs);
  } catch (e) {
    throw validation(`Cannot read the transform input ${source.S3Uri}: ${(e as Error).message}`);
  }
  // Storage that does not answer in time is the job's to meet (it fails saying so), not the request's.
  if (listed !== TIMED_OUT && listed.length === 0) {
    throw validation(`No S3 objects found under S3 URL "${source.S3Uri}" given in input data source.`);
  }
  const { Tags, ...request } = body;
  const doc = newTransformJob({
    name,
    arn,
    request,
    ...(Tags ? { tags: Tags as TransformJobDoc["Tags"] } : {}),
    model,
    now: ctx.now(),
  });
  // The name is taken here, atomically: of concurrent creates of one name, one wins.
  if (!(await ctx.store.create("transform-job", doc))) throw inUse();
  ctx.transforms.start(doc);
  return { TransformJobArn: arn };
}

export function describeTransformJob(ctx: OpContext, body: JsonWire<DescribeTransformJobRequest>): unknown {
  return describeOf(findJob(ctx, body.TransformJobName as string));
}

export async function stopTransformJob(
  ctx: OpContext,
  body: JsonWire<StopTransformJobRequest>,
): Promise<unknown> {
  const name = findJob(ctx, body.TransformJobName as string).name;
  const applied = await applyEvent(
    ctx.store,
    "transform-job",
    name,
    transformJobTransition,
    { type: "stop-requested" },
    ctx.now,
  );
  if (!("doc" in applied)) {
    throw ctx.store.get("transform-job", name)
      ? validation(refusal(applied))
      : validation(`Could not find requested job with name ${name}`);
  }
  ctx.transforms.stop(applied.doc);
  return {};
}

export function listTransformJobs(ctx: OpContext, body: JsonWire<ListTransformJobsRequest>): unknown {
  const page = listPage(ctx.store.list<TransformJobDoc>("transform-job"), body as ListRequest, {
    nameKey: "TransformJobName",
    statusKey: "TransformJobStatus",
    defaultOrder: "Descending",
  });
  return {
    TransformJobSummaries: page.items.map((j) => ({
      TransformJobName: j.TransformJobName,
      TransformJobArn: j.TransformJobArn,
      CreationTime: j.CreationTime,
      ...(j.TransformEndTime !== undefined ? { TransformEndTime: j.TransformEndTime } : {}),
      LastModifiedTime: j.LastModifiedTime,
      TransformJobStatus: j.TransformJobStatus,
      ...(j.FailureReason ? { FailureReason: j.FailureReason } : {}),
    })),
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}
