/**
 * The SageMaker control plane (JSON 1.1, `X-Amz-Target: SageMaker.<Operation>`): the operations
 * `sagebrew local` serves, each checked against its input shape in SageMaker's API table before it
 * runs.
 */
import type {
  AddTagsInput,
  CreateEndpointConfigInput,
  CreateEndpointInput,
  CreateHyperParameterTuningJobRequest,
  CreateModelInput,
  CreateTrainingJobRequest,
  CreateTransformJobRequest,
  DeleteEndpointConfigInput,
  DeleteEndpointInput,
  DeleteHyperParameterTuningJobRequest,
  DeleteModelInput,
  DeleteTagsInput,
  DescribeEndpointConfigInput,
  DescribeEndpointInput,
  DescribeHyperParameterTuningJobRequest,
  DescribeModelInput,
  DescribeTrainingJobRequest,
  DescribeTransformJobRequest,
  ListEndpointConfigsInput,
  ListEndpointsInput,
  ListHyperParameterTuningJobsRequest,
  ListModelsInput,
  ListTagsInput,
  ListTrainingJobsForHyperParameterTuningJobRequest,
  ListTrainingJobsRequest,
  ListTransformJobsRequest,
  StopHyperParameterTuningJobRequest,
  StopTrainingJobRequest,
  StopTransformJobRequest,
  UpdateEndpointInput,
} from "@aws-sdk/client-sagemaker";
import {
  type JsonWire,
  SAGEMAKER,
  SAGEMAKER_BOUNDS,
  type ValidateOptions,
  validateInput,
} from "../../../api/index.js";
import { ApiError, serialization, unknownOperation, validation } from "../protocol/index.js";
import { StateWriteError } from "../state/index.js";
import type { OpContext } from "./context.js";
import {
  createEndpoint,
  deleteEndpoint,
  describeEndpoint,
  listEndpoints,
  updateEndpoint,
} from "./endpoint/index.js";
import {
  createEndpointConfig,
  deleteEndpointConfig,
  describeEndpointConfig,
  listEndpointConfigs,
} from "./endpoint-config/index.js";
import { createModel, deleteModel, describeModel, listModels } from "./model/index.js";
import { addTags, deleteTags, listTags } from "./tags.js";
import {
  createTrainingJob,
  describeTrainingJob,
  listTrainingJobs,
  stopTrainingJob,
} from "./training-job/index.js";
import {
  createTransformJob,
  describeTransformJob,
  listTransformJobs,
  stopTransformJob,
} from "./transform-job/index.js";
import {
  createHyperParameterTuningJob,
  deleteHyperParameterTuningJob,
  describeHyperParameterTuningJob,
  listHyperParameterTuningJobs,
  listTrainingJobsForHyperParameterTuningJob,
  stopHyperParameterTuningJob,
} from "./tuning-job/index.js";

/** Each operation served, and the AWS SDK's type of its input. */
interface Inputs {
  CreateTrainingJob: CreateTrainingJobRequest;
  DescribeTrainingJob: DescribeTrainingJobRequest;
  StopTrainingJob: StopTrainingJobRequest;
  ListTrainingJobs: ListTrainingJobsRequest;
  CreateModel: CreateModelInput;
  DescribeModel: DescribeModelInput;
  DeleteModel: DeleteModelInput;
  ListModels: ListModelsInput;
  CreateEndpointConfig: CreateEndpointConfigInput;
  DescribeEndpointConfig: DescribeEndpointConfigInput;
  DeleteEndpointConfig: DeleteEndpointConfigInput;
  ListEndpointConfigs: ListEndpointConfigsInput;
  CreateEndpoint: CreateEndpointInput;
  DescribeEndpoint: DescribeEndpointInput;
  UpdateEndpoint: UpdateEndpointInput;
  DeleteEndpoint: DeleteEndpointInput;
  ListEndpoints: ListEndpointsInput;
  CreateTransformJob: CreateTransformJobRequest;
  DescribeTransformJob: DescribeTransformJobRequest;
  StopTransformJob: StopTransformJobRequest;
  ListTransformJobs: ListTransformJobsRequest;
  CreateHyperParameterTuningJob: CreateHyperParameterTuningJobRequest;
  DescribeHyperParameterTuningJob: DescribeHyperParameterTuningJobRequest;
  ListHyperParameterTuningJobs: ListHyperParameterTuningJobsRequest;
  StopHyperParameterTuningJob: StopHyperParameterTuningJobRequest;
  DeleteHyperParameterTuningJob: DeleteHyperParameterTuningJobRequest;
  ListTrainingJobsForHyperParameterTuningJob: ListTrainingJobsForHyperParameterTuningJobRequest;
  AddTags: AddTagsInput;
  ListTags: ListTagsInput;
  DeleteTags: DeleteTagsInput;
}

/** Every operation served, by name, each handler taking SageMaker's input for it as JSON 1.1 carries it. */
export const OPERATIONS: {
  readonly [O in keyof Inputs]: (ctx: OpContext, body: JsonWire<Inputs[O]>) => unknown;
} = {
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
  CreateHyperParameterTuningJob: createHyperParameterTuningJob,
  DescribeHyperParameterTuningJob: describeHyperParameterTuningJob,
  ListHyperParameterTuningJobs: listHyperParameterTuningJobs,
  StopHyperParameterTuningJob: stopHyperParameterTuningJob,
  DeleteHyperParameterTuningJob: deleteHyperParameterTuningJob,
  ListTrainingJobsForHyperParameterTuningJob: listTrainingJobsForHyperParameterTuningJob,
  AddTags: addTags,
  ListTags: listTags,
  DeleteTags: deleteTags,
};

const fileUri = (value: string) => /^file:\/\/./.test(value);

/**
 * sagebrew's one extension of SageMaker's shapes: data and model URIs may also be `file://` URIs,
 * as the SageMaker Python SDK's local mode takes them (SageMaker itself refuses them). And the
 * limits SageMaker documents beyond its model (a 28-day MaxRuntimeInSeconds, …).
 */
const LOCAL_EXTENSIONS: ValidateOptions = {
  alsoAccept: { S3Uri: fileUri, S3ModelUri: fileUri, Url: fileUri, DestinationS3Uri: fileUri },
  tighten: SAGEMAKER_BOUNDS,
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
  const op = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation as keyof Inputs] : undefined;
  if (!op)
    throw unknownOperation(
      `SageMaker.${operation}`,
      Object.keys(OPERATIONS).map((o) => `SageMaker.${o}`),
    );
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError("SerializationException", "The request body must be a JSON object.");
  }
  checkSageMakerInput(operation, body);
  try {
    // The body has passed the table's checks of the operation's input shape: the shape the SDK's
    // input type, which the handler takes, describes.
    return await (op as (ctx: OpContext, body: unknown) => unknown)(ctx, body);
  } catch (e) {
    // Nothing changed, on disk or in memory: the client hears why, and may try again.
    if (e instanceof StateWriteError) throw new ApiError("InternalFailure", `${e.message}.`, { status: 500 });
    throw e;
  }
}
