/**
 * The SageMaker control plane (JSON 1.1, `X-Amz-Target: SageMaker.<Operation>`): the operations
 * `sagebrew local` serves, each checked against its input shape in SageMaker's API table before it
 * runs.
 */
import { SAGEMAKER, type ValidateOptions, validateInput } from "../../api/index.js";
import { ApiError, serialization, validation } from "./api-error.js";
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

type Handler = (ctx: OpContext, body: Record<string, unknown>) => unknown;

/** Every operation served, by name (its input shape is SageMaker's, in the API table). */
export const OPERATIONS: Readonly<Record<string, Handler>> = {
  CreateTrainingJob: createTrainingJob,
  DescribeTrainingJob: describeTrainingJob,
  StopTrainingJob: stopTrainingJob,
  ListTrainingJobs: listTrainingJobs,
  CreateModel: createModel,
  DescribeModel: describeModel,
  DeleteModel: deleteModel,
  ListModels: listModels,
  CreateEndpointConfig: createEndpointConfig,
  DescribeEndpointConfig: describeEndpointConfig,
  DeleteEndpointConfig: deleteEndpointConfig,
  ListEndpointConfigs: listEndpointConfigs,
  CreateEndpoint: createEndpoint,
  DescribeEndpoint: describeEndpoint,
  UpdateEndpoint: updateEndpoint,
  DeleteEndpoint: deleteEndpoint,
  ListEndpoints: listEndpoints,
  CreateTransformJob: createTransformJob,
  DescribeTransformJob: describeTransformJob,
  StopTransformJob: stopTransformJob,
  ListTransformJobs: listTransformJobs,
  AddTags: addTags,
  ListTags: listTags,
  DeleteTags: deleteTags,
};

const fileUri = (value: string) => /^file:\/\/./.test(value);

/**
 * sagebrew's one extension of SageMaker's shapes: data and model URIs may also be `file://` URIs,
 * as the SageMaker Python SDK's local mode takes them (SageMaker itself refuses them).
 */
const LOCAL_EXTENSIONS: ValidateOptions = {
  alsoAccept: { S3Uri: fileUri, S3ModelUri: fileUri, Url: fileUri },
};

/**
 * Checks a request body against the operation's input shape, as SageMaker does before anything runs.
 *
 * @throws ApiError `SerializationException` for a member of the wrong JSON type, `ValidationException`
 *   listing every violated constraint.
 * @example checkSageMakerInput("CreateModel", { ModelName: "iris" });
 */
export function checkSageMakerInput(operation: string, body: unknown): void {
  const invalid = validateInput(SAGEMAKER, operation, body, LOCAL_EXTENSIONS);
  if (invalid)
    throw invalid.kind === "serialization" ? serialization(invalid.message) : validation(invalid.message);
}

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
  checkSageMakerInput(operation, body);
  return await op(ctx, body as Record<string, unknown>);
}
