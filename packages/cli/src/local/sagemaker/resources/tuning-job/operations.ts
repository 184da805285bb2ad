/**
 * CreateHyperParameterTuningJob, DescribeHyperParameterTuningJob, ListHyperParameterTuningJobs,
 * StopHyperParameterTuningJob, DeleteHyperParameterTuningJob and
 * ListTrainingJobsForHyperParameterTuningJob. The request is checked by the tuning core against
 * SageMaker's rules (strategies, ranges, limits) and its training job definition as CreateTrainingJob
 * checks a job (image, channels and their data, resources), before anything is written.
 */
import { availableParallelism } from "node:os";
import type {
  CreateHyperParameterTuningJobRequest,
  CreateHyperParameterTuningJobResponse,
  CreateTrainingJobRequest,
  DeleteHyperParameterTuningJobRequest,
  DescribeHyperParameterTuningJobRequest,
  ListHyperParameterTuningJobsRequest,
  ListTrainingJobsForHyperParameterTuningJobRequest,
  StopHyperParameterTuningJobRequest,
} from "@aws-sdk/client-sagemaker";
import { SagebrewError } from "@sagebrew/runtime/core";
import type { JsonWire } from "../../../../api/index.js";
import {
  type ParentTrial,
  type TuningJobRequest,
  TuningMachine,
  type TuningSpec,
  tuningSpec,
} from "../../../../tuning/index.js";
import { resourceArn } from "../../arn.js";
import type { TrainingJobDoc, TuningJobDoc } from "../../docs.js";
import { resourceInUse, resourceNotFound, validation } from "../../protocol/index.js";
import type { OpContext } from "../context.js";
import { applyEvent } from "../ledger.js";
import { type ListRequest, listPage } from "../list.js";
import { checkTrainingJob } from "../training-job/index.js";
import { refusal } from "../transition.js";
import { newTuningJob, tuningJobEnded, tuningJobTransition } from "./machine.js";
import { definitionOf, describeTuningJobDoc, trialRequest, trialsOf, tuningJobSummary } from "./trials.js";

const KIND = "hyper-parameter-tuning-job";

function notFound(name: string) {
  return resourceNotFound(`Amazon SageMaker can't find a tuning job with name ${name}`);
}

function findJob(ctx: OpContext, name: string): TuningJobDoc {
  const job = ctx.store.get<TuningJobDoc>(KIND, name);
  if (!job) throw notFound(name);
  return job;
}

/** OpenMP threads per trial: this machine's cores shared among the trials that run at once. */
export function threadsPerTrial(cores: number, spec: Pick<TuningSpec, "maxParallel" | "maxJobs">): number {
  return Math.max(1, Math.floor(cores / Math.max(1, Math.min(spec.maxParallel, spec.maxJobs))));
}

/** The trials of warm-start parents that reported the objective (the parents must have ended). */
function parentTrials(ctx: OpContext, spec: TuningSpec): ParentTrial[] {
  const out: ParentTrial[] = [];
  for (const name of spec.warmStart?.parents ?? []) {
    const parent = ctx.store.get<TuningJobDoc>(KIND, name);
    if (!parent) throw notFound(name);
    if (!tuningJobEnded(parent.HyperParameterTuningJobStatus))
      throw validation(
        `Cannot warm start from tuning job ${name}: it is ${parent.HyperParameterTuningJobStatus}; a parent must have ended (Completed, Stopped or Failed)`,
      );
    if (parent._state.spec.objective.metricName !== spec.objective.metricName)
      throw validation(
        `Cannot warm start from tuning job ${name}: it tuned ${parent._state.spec.objective.metricName}, this job tunes ${spec.objective.metricName}; the objective must be the same`,
      );
    for (const t of new TuningMachine(parent._state).trials()) {
      if (t.objectiveStatus !== "Succeeded" || t.final === undefined) continue;
      out.push({
        tuningJob: parent.HyperParameterTuningJobName,
        trainingJob: t.name,
        hyperParameters: { ...parent._state.spec.staticHyperParameters, ...t.hyperParameters },
        final: t.final,
      });
    }
  }
  return out;
}

export async function createHyperParameterTuningJob(
  ctx: OpContext,
  body: JsonWire<CreateHyperParameterTuningJobRequest>,
): Promise<JsonWire<CreateHyperParameterTuningJobResponse>> {
  const name = body.HyperParameterTuningJobName as string;
  const arn = resourceArn(ctx, KIND, name);
  const inUse = () =>
    resourceInUse(
      `Hyperparameter tuning job names must be unique within an AWS account and region, and a tuning job with this name already exists (${arn})`,
    );
  if (ctx.store.get(KIND, name)) throw inUse();
  let spec: TuningSpec;
  try {
    spec = tuningSpec(body as TuningJobRequest);
  } catch (e) {
    if (e instanceof SagebrewError) throw validation(e.message);
    throw e;
  }
  const definition = definitionOf(
    body as Pick<TuningJobDoc, "TrainingJobDefinition" | "TrainingJobDefinitions">,
  );
  if (!definition.ResourceConfig)
    throw validation(
      "Cannot run the training jobs: sagebrew local needs TrainingJobDefinition.ResourceConfig (HyperParameterTuningResourceConfig is not served)",
    );
  // Each trial is checked as CreateTrainingJob checks a job: the first one's request stands for all.
  const plan = await checkTrainingJob(ctx, {
    TrainingJobName: `${name}-001-00000000`,
    ...trialRequest(definition, spec.staticHyperParameters),
  } as JsonWire<CreateTrainingJobRequest>);
  const set = spec.objective.metricName.split(":")[0];
  const channels = (definition.InputDataConfig ?? []).map((c) => c.ChannelName);
  const own = (definition.AlgorithmSpecification.MetricDefinitions ?? []).some(
    (d) => d.Name === spec.objective.metricName,
  );
  if (!own && set === "validation" && !channels.includes("validation"))
    throw validation(
      `Cannot tune on ${spec.objective.metricName}: the training job definition has no validation channel, so no training job would print it`,
    );
  const parents = parentTrials(ctx, spec);
  const now = ctx.now();
  const state = TuningMachine.create(spec, {
    seed: Math.floor(Math.random() * 2 ** 31),
    now: now * 1000,
    parents,
  }).state;
  const { HyperParameterTuningJobName: _n, Tags, ...request } = body;
  const doc = newTuningJob({
    name,
    arn,
    request,
    ...(Tags ? { tags: Tags as TuningJobDoc["Tags"] } : {}),
    state,
    runner: plan.runner,
    threads: threadsPerTrial(availableParallelism(), spec),
    now,
  });
  if (!(await ctx.store.create(KIND, doc))) throw inUse();
  ctx.tuning.start(doc);
  return { HyperParameterTuningJobArn: arn };
}

const trainingJobOf = (ctx: OpContext) => (name: string) =>
  ctx.store.get<TrainingJobDoc>("training-job", name);

export function describeHyperParameterTuningJob(
  ctx: OpContext,
  body: JsonWire<DescribeHyperParameterTuningJobRequest>,
): unknown {
  const doc = findJob(ctx, body.HyperParameterTuningJobName as string);
  return describeTuningJobDoc(doc, trainingJobOf(ctx), ctx.now());
}

export function listHyperParameterTuningJobs(
  ctx: OpContext,
  body: JsonWire<ListHyperParameterTuningJobsRequest>,
): unknown {
  const page = listPage(
    ctx.store.list<TuningJobDoc>(KIND),
    { ...(body as ListRequest), SortBy: (body.SortBy as string | undefined) ?? "Name" },
    {
      nameKey: "HyperParameterTuningJobName",
      statusKey: "HyperParameterTuningJobStatus",
      defaultOrder: "Ascending",
    },
  );
  return {
    HyperParameterTuningJobSummaries: page.items.map(tuningJobSummary),
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}

export async function stopHyperParameterTuningJob(
  ctx: OpContext,
  body: JsonWire<StopHyperParameterTuningJobRequest>,
): Promise<unknown> {
  const doc = findJob(ctx, body.HyperParameterTuningJobName as string);
  if (doc.HyperParameterTuningJobStatus !== "InProgress")
    throw validation(
      `The request was rejected because the tuning job is in status ${doc.HyperParameterTuningJobStatus}.`,
    );
  await ctx.tuning.stop(doc);
  return {};
}

export async function deleteHyperParameterTuningJob(
  ctx: OpContext,
  body: JsonWire<DeleteHyperParameterTuningJobRequest>,
): Promise<unknown> {
  const name = findJob(ctx, body.HyperParameterTuningJobName as string).name;
  const event = (type: "delete-requested" | "deleted") =>
    applyEvent(ctx.store, KIND, name, tuningJobTransition, { type }, ctx.now);
  const applied = await event("delete-requested");
  if (!("doc" in applied)) throw validation(refusal(applied));
  // Only the tuning job goes: its training jobs, their models and logs stay (as on SageMaker).
  await event("deleted");
  return {};
}

/** A trial's row with what listing reads: its name, status and creation time at the top. */
type Row = { name: string; [key: string]: unknown };

export function listTrainingJobsForHyperParameterTuningJob(
  ctx: OpContext,
  body: JsonWire<ListTrainingJobsForHyperParameterTuningJobRequest>,
): unknown {
  const doc = findJob(ctx, body.HyperParameterTuningJobName as string);
  const by = (body.SortBy as string | undefined) ?? "Name";
  let rows: Row[] = trialsOf(doc, trainingJobOf(ctx)).map(({ row }) => ({
    ...row,
    name: row.TrainingJobName as string,
  }));
  // Sorted by the objective, the jobs without one are not listed (ListTrainingJobsForHyperParameterTuningJob, SortBy).
  if (by === "FinalObjectiveMetricValue")
    rows = rows.filter((r) => r.FinalHyperParameterTuningJobObjectiveMetric !== undefined);
  const page = listPage(
    rows,
    {
      ...(body.NextToken ? { NextToken: body.NextToken as string } : {}),
      ...(body.MaxResults !== undefined ? { MaxResults: body.MaxResults as number } : {}),
      ...(body.StatusEquals ? { StatusEquals: body.StatusEquals as string } : {}),
      ...(body.SortOrder ? { SortOrder: body.SortOrder as "Ascending" | "Descending" } : {}),
      SortBy: by,
    },
    {
      nameKey: "TrainingJobName",
      statusKey: "TrainingJobStatus",
      defaultOrder: "Ascending",
      sortKeys: {
        FinalObjectiveMetricValue: (r) =>
          (r.FinalHyperParameterTuningJobObjectiveMetric as { Value: number }).Value,
      },
    },
  );
  return {
    TrainingJobSummaries: page.items.map(({ name: _n, ...row }) => row),
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}
