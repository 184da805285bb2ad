/**
 * AWS adapters used by the CLI (never by the runtime): each a narrow interface with a real
 * implementation over the AWS SDK for JavaScript v3, loaded on the first call.
 */
export type { AwsOptions } from "./_sdk.js";
export { type AccountApi, sdkAccount } from "./account.js";
export {
  type EcrApi,
  type EcrClientLike,
  type EcrTarget,
  ecrApiFromClient,
  parseEcrHost,
  prepareEcrPush,
  sdkEcr,
} from "./ecr.js";
export { type AwsCall, awsError, isNotFound, isServerError } from "./errors.js";
export { type LogEvent, type LogsApi, logsApiFromClient, sdkLogs } from "./logs.js";
export {
  type EndpointRuntimeApi,
  type InvokeOptions,
  type InvokeResult,
  runtimeApiFromClient,
  sdkRuntime,
} from "./runtime.js";
export {
  PART_SIZE,
  parseS3Uri,
  type S3Api,
  type S3ObjectInfo,
  s3ApiFromClient,
  sdkS3,
  type UploadOptions,
} from "./s3.js";
export type {
  CreateEndpointConfigInput,
  CreateEndpointInput,
  CreateHyperParameterTuningJobRequest,
  CreateModelInput,
  CreateTrainingJobRequest,
  CreateTransformJobRequest,
  DescribeEndpointConfigOutput,
  DescribeEndpointOutput,
  DescribeHyperParameterTuningJobResponse,
  DescribeModelOutput,
  DescribeTrainingJobResponse,
  DescribeTransformJobResponse,
  HyperParameterTrainingJobSummary,
  UpdateEndpointInput,
} from "./sagemaker.js";
export {
  type ResourceKind,
  type ResourceSummary,
  type SageMakerApi,
  type SageMakerClientLike,
  sageMakerApiFromClient,
  sdkSageMaker,
} from "./sagemaker.js";
export { FAIL, type OutputOf, type SdkClient, type SdkCommand, send } from "./send.js";
