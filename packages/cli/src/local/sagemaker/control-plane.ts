/**
 * The SageMaker control plane (JSON 1.1, `X-Amz-Target: SageMaker.<Operation>`): the operations
 * `sagebrew local` serves, each checked against its request shape before it runs.
 */
import { ApiError } from "./api-error.js";
import type { OpContext } from "./context.js";
import {
  createEndpoint,
  deleteEndpoint,
  describeEndpoint,
  listEndpoints,
  updateEndpoint,
} from "./ops-endpoints.js";
import {
  createEndpointConfig,
  createModel,
  deleteEndpointConfig,
  deleteModel,
  describeEndpointConfig,
  describeModel,
  listEndpointConfigs,
  listModels,
} from "./ops-models.js";
import { addTags, deleteTags, listTags } from "./ops-tags.js";
import { createTrainingJob, describeTrainingJob, listTrainingJobs, stopTrainingJob } from "./ops-training.js";
import {
  createTransformJob,
  describeTransformJob,
  listTransformJobs,
  stopTransformJob,
} from "./ops-transform.js";
import { checkRequest, type Schema, s } from "./schema.js";
import * as shapes from "./shapes.js";

type Handler = (ctx: OpContext, body: Record<string, unknown>) => unknown;

const LIST_ENDPOINT_CONFIGS: Schema = s.struct({
  NextToken: s.str({ max: 8192 }),
  MaxResults: s.int({ min: 1, max: 100 }),
  SortBy: s.str({ enum: ["Name", "CreationTime"] }),
  SortOrder: s.str({ enum: ["Ascending", "Descending"] }),
  NameContains: s.str({ max: 63, pattern: "[a-zA-Z0-9-]+" }),
  CreationTimeBefore: s.time(),
  CreationTimeAfter: s.time(),
});

/** Every operation served, by name: its request shape and what it does. */
export const OPERATIONS: Readonly<Record<string, { schema: Schema; run: Handler }>> = {
  CreateTrainingJob: { schema: shapes.CREATE_TRAINING_JOB, run: createTrainingJob },
  DescribeTrainingJob: { schema: shapes.DESCRIBE_TRAINING_JOB, run: describeTrainingJob },
  StopTrainingJob: { schema: shapes.STOP_TRAINING_JOB, run: stopTrainingJob },
  ListTrainingJobs: { schema: shapes.LIST_TRAINING_JOBS, run: listTrainingJobs },
  CreateModel: { schema: shapes.CREATE_MODEL, run: createModel },
  DescribeModel: { schema: shapes.DESCRIBE_MODEL, run: describeModel },
  DeleteModel: { schema: shapes.DELETE_MODEL, run: deleteModel },
  ListModels: { schema: shapes.LIST_MODELS, run: listModels },
  CreateEndpointConfig: { schema: shapes.CREATE_ENDPOINT_CONFIG, run: createEndpointConfig },
  DescribeEndpointConfig: { schema: shapes.DESCRIBE_ENDPOINT_CONFIG, run: describeEndpointConfig },
  DeleteEndpointConfig: { schema: shapes.DELETE_ENDPOINT_CONFIG, run: deleteEndpointConfig },
  ListEndpointConfigs: { schema: LIST_ENDPOINT_CONFIGS, run: listEndpointConfigs },
  CreateEndpoint: { schema: shapes.CREATE_ENDPOINT, run: createEndpoint },
  DescribeEndpoint: { schema: shapes.DESCRIBE_ENDPOINT, run: describeEndpoint },
  UpdateEndpoint: { schema: shapes.UPDATE_ENDPOINT, run: updateEndpoint },
  DeleteEndpoint: { schema: shapes.DELETE_ENDPOINT, run: deleteEndpoint },
  ListEndpoints: { schema: shapes.LIST_ENDPOINTS, run: listEndpoints },
  CreateTransformJob: { schema: shapes.CREATE_TRANSFORM_JOB, run: createTransformJob },
  DescribeTransformJob: { schema: shapes.DESCRIBE_TRANSFORM_JOB, run: describeTransformJob },
  StopTransformJob: { schema: shapes.STOP_TRANSFORM_JOB, run: stopTransformJob },
  ListTransformJobs: { schema: shapes.LIST_TRANSFORM_JOBS, run: listTransformJobs },
  AddTags: { schema: shapes.ADD_TAGS, run: addTags },
  ListTags: { schema: shapes.LIST_TAGS, run: listTags },
  DeleteTags: { schema: shapes.DELETE_TAGS, run: deleteTags },
};

/** The framework's answer to an operation the service does not have (HTTP 400). */
export function unknownOperation(target: string, served: readonly string[]): ApiError {
  return new ApiError(
    "UnknownOperationException",
    `sagebrew local does not serve ${target || "(no X-Amz-Target)"}; it serves ${served.join(", ")}`,
  );
}

/**
 * Runs one SageMaker operation.
 *
 * @throws ApiError in SageMaker's shapes (the caller encodes it).
 */
export async function runSageMakerOperation(
  operation: string,
  body: unknown,
  ctx: OpContext,
): Promise<unknown> {
  const op = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
  if (!op)
    throw unknownOperation(
      `SageMaker.${operation}`,
      Object.keys(OPERATIONS).map((o) => `SageMaker.${o}`),
    );
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError("SerializationException", "The request body must be a JSON object.");
  }
  checkRequest(op.schema, body);
  return await op.run(ctx, body as Record<string, unknown>);
}
