/** CreateTrainingJob, DescribeTrainingJob, StopTrainingJob and ListTrainingJobs. */
import type {
  CreateTrainingJobRequest,
  CreateTrainingJobResponse,
  DescribeTrainingJobRequest,
  ListTrainingJobsRequest,
  StopTrainingJobRequest,
} from "@aws-sdk/client-sagemaker";
import type { JsonWire } from "../../../../api/index.js";
import { SAGEMAKER_LIMITS } from "../../../../api/index.js";
import { resourceArn } from "../../arn.js";
import type { Channel, ImagePlan, TrainingJobDoc } from "../../docs.js";
import { resourceInUse, resourceLimitExceeded, validation } from "../../protocol/index.js";
import { joinUri, listWithin, TIMED_OUT } from "../../storage/index.js";
import type { OpContext } from "../context.js";
import { applyEvent } from "../ledger.js";
import { describeOf, type ListRequest, listPage } from "../list.js";
import { refusal } from "../transition.js";
import { newTrainingJob, trainingJobTransition } from "./machine.js";

/** What SageMaker says when a training job name is unknown. */
const NOT_FOUND = "Requested resource not found.";

/** The default `MaxRuntimeInSeconds` (one day). */
export const DEFAULT_MAX_RUNTIME = 86_400;

function findJob(ctx: OpContext, name: string): TrainingJobDoc {
  const job = ctx.store.get<TrainingJobDoc>("training-job", name);
  if (!job) throw validation(NOT_FOUND);
  return job;
}

/** Checks SageMaker makes beyond the shape: image, channels, resources, stopping condition. */
function checkSemantics(body: JsonWire<CreateTrainingJobRequest>): void {
  const algo = body.AlgorithmSpecification as TrainingJobDoc["AlgorithmSpecification"] | undefined;
  if (!algo) {
    throw validation(
      "1 validation error detected: Value null at 'algorithmSpecification' failed to satisfy constraint: Member must not be null",
    );
  }
  if (!algo.TrainingImage && !algo.AlgorithmName) {
    throw validation("AlgorithmSpecification must name a TrainingImage or an AlgorithmName.");
  }
  if (!algo.TrainingImage) {
    throw validation(
      `Cannot run algorithm ${algo.AlgorithmName} locally: sagebrew local runs training images; give AlgorithmSpecification.TrainingImage`,
    );
  }
  const rc = body.ResourceConfig as TrainingJobDoc["ResourceConfig"] | undefined;
  if (!rc) {
    throw validation(
      "1 validation error detected: Value null at 'resourceConfig' failed to satisfy constraint: Member must not be null",
    );
  }
  if (rc.InstanceType === undefined || rc.InstanceCount === undefined) {
    throw validation("ResourceConfig must give InstanceType and InstanceCount.");
  }
  if (rc.InstanceCount < SAGEMAKER_LIMITS.minTrainingInstanceCount) {
    throw validation(
      `1 validation error detected: Value '${rc.InstanceCount}' at 'resourceConfig.instanceCount' failed to satisfy constraint: Member must have value greater than or equal to ${SAGEMAKER_LIMITS.minTrainingInstanceCount}`,
    );
  }
  const channels = (body.InputDataConfig as Channel[] | undefined) ?? [];
  const seen = new Set<string>();
  for (const c of channels) {
    if (seen.has(c.ChannelName))
      throw validation(`Channel names must be unique: ${c.ChannelName} appears twice.`);
    seen.add(c.ChannelName);
    if (!c.DataSource.S3DataSource) {
      throw validation(
        `Cannot read channel ${c.ChannelName}: sagebrew local reads S3DataSource channels (s3:// or file://)`,
      );
    }
  }
  const sc = body.StoppingCondition as TrainingJobDoc["StoppingCondition"] | undefined;
  if (sc?.MaxWaitTimeInSeconds !== undefined) {
    if (body.EnableManagedSpotTraining !== true) {
      throw validation(
        "MaxWaitTimeInSeconds can be set only for managed spot training (EnableManagedSpotTraining).",
      );
    }
    if (sc.MaxWaitTimeInSeconds < (sc.MaxRuntimeInSeconds ?? DEFAULT_MAX_RUNTIME)) {
      throw validation("MaxWaitTimeInSeconds must be greater than or equal to MaxRuntimeInSeconds.");
    }
  }
}

/** SageMaker checks at creation that every channel's prefix holds objects. */
async function checkChannelData(ctx: OpContext, body: JsonWire<CreateTrainingJobRequest>): Promise<void> {
  for (const c of (body.InputDataConfig as Channel[] | undefined) ?? []) {
    const src = c.DataSource.S3DataSource!;
    let listed: Awaited<ReturnType<typeof listWithin>>;
    try {
      listed = await listWithin(ctx.storage, src.S3Uri, src.S3DataType, ctx.storageCheckMs);
    } catch (e) {
      throw validation(`Cannot read channel ${c.ChannelName} from ${src.S3Uri}: ${(e as Error).message}`);
    }
    // Storage that does not answer in time is the job's to meet (it fails saying so), not the request's.
    if (listed === TIMED_OUT) continue;
    if (listed.length === 0) {
      const bucket = /^s3:\/\/([^/]+)/.exec(src.S3Uri)?.[1];
      throw validation(
        bucket
          ? `No S3 objects found under S3 URL "${src.S3Uri}" given in input data source. Please ensure that the bucket exists in the selected region (${ctx.region}), that objects exist under that S3 prefix, and that the role "${String(body.RoleArn)}" has "s3:ListBucket" permissions on bucket "${bucket}".`
          : `No files found under "${src.S3Uri}" given in input data source.`,
      );
    }
  }
}

/**
 * The checks SageMaker makes of a training job before it exists (beyond its shape): image,
 * channels and their data, resources. Resolves to how the image runs here.
 *
 * @throws ApiError ValidationException or ResourceLimitExceeded saying what is wrong.
 */
export async function checkTrainingJob(
  ctx: OpContext,
  body: JsonWire<CreateTrainingJobRequest>,
): Promise<ImagePlan> {
  checkSemantics(body);
  const rc = body.ResourceConfig as Required<
    Pick<TrainingJobDoc["ResourceConfig"], "InstanceType" | "InstanceCount">
  >;
  if (rc.InstanceCount > ctx.maxInstances) {
    throw resourceLimitExceeded(
      `The account-level service limit '${rc.InstanceType} for training job usage' is ${ctx.maxInstances} Instances, with current utilization of 0 Instances and a request delta of ${rc.InstanceCount} Instances. sagebrew local runs every instance on this machine (raise the limit with SAGEBREW_LOCAL_MAX_INSTANCES).`,
    );
  }
  const image = (body.AlgorithmSpecification as { TrainingImage: string }).TrainingImage;
  let plan: ImagePlan;
  try {
    plan = await ctx.planImage(image);
  } catch (e) {
    throw validation((e as Error).message);
  }
  await checkChannelData(ctx, body);
  return plan;
}

/** Where a job's model goes (`ModelArtifacts.S3ModelArtifacts`); uncompressed output is a prefix. */
export function modelArtifactsOf(output: TrainingJobDoc["OutputDataConfig"], name: string): string {
  return output.CompressionType === "NONE"
    ? `${joinUri(output.S3OutputPath, name, "output", "model")}/`
    : joinUri(output.S3OutputPath, name, "output", "model.tar.gz");
}

export async function createTrainingJob(
  ctx: OpContext,
  body: JsonWire<CreateTrainingJobRequest>,
): Promise<JsonWire<CreateTrainingJobResponse>> {
  checkSemantics(body);
  const name = body.TrainingJobName as string;
  const arn = resourceArn(ctx, "training-job", name);
  const inUse = () =>
    resourceInUse(
      `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${arn})`,
    );
  if (ctx.store.get("training-job", name)) throw inUse();
  const plan = await checkTrainingJob(ctx, body);
  const { TrainingJobName: _n, Tags, ...request } = body;
  const output = body.OutputDataConfig as TrainingJobDoc["OutputDataConfig"];
  const doc = newTrainingJob({
    name,
    arn,
    request,
    ...(Tags ? { tags: Tags as TrainingJobDoc["Tags"] } : {}),
    modelArtifacts: modelArtifactsOf(output, name),
    runner: plan.runner,
    maxRuntimeSeconds: DEFAULT_MAX_RUNTIME,
    now: ctx.now(),
  });
  // The name is taken here, atomically: of concurrent creates of one name, one wins.
  if (!(await ctx.store.create("training-job", doc))) throw inUse();
  ctx.training.start(doc);
  return { TrainingJobArn: arn };
}

export function describeTrainingJob(ctx: OpContext, body: JsonWire<DescribeTrainingJobRequest>): unknown {
  return describeOf(findJob(ctx, body.TrainingJobName as string));
}

export async function stopTrainingJob(
  ctx: OpContext,
  body: JsonWire<StopTrainingJobRequest>,
): Promise<unknown> {
  const name = findJob(ctx, body.TrainingJobName as string).name;
  const applied = await applyEvent(
    ctx.store,
    "training-job",
    name,
    trainingJobTransition,
    { type: "stop-requested", by: "StopTrainingJob" },
    ctx.now,
  );
  if (!("doc" in applied))
    throw ctx.store.get("training-job", name) ? validation(refusal(applied)) : validation(NOT_FOUND);
  ctx.training.stop(applied.doc);
  return {};
}

export function listTrainingJobs(ctx: OpContext, body: JsonWire<ListTrainingJobsRequest>): unknown {
  const page = listPage(ctx.store.list<TrainingJobDoc>("training-job"), body as ListRequest, {
    nameKey: "TrainingJobName",
    statusKey: "TrainingJobStatus",
    defaultOrder: "Ascending",
  });
  return {
    TrainingJobSummaries: page.items.map((j) => ({
      TrainingJobName: j.TrainingJobName,
      TrainingJobArn: j.TrainingJobArn,
      CreationTime: j.CreationTime,
      ...(j.TrainingEndTime !== undefined ? { TrainingEndTime: j.TrainingEndTime } : {}),
      LastModifiedTime: j.LastModifiedTime,
      TrainingJobStatus: j.TrainingJobStatus,
      SecondaryStatus: j.SecondaryStatus,
    })),
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}
