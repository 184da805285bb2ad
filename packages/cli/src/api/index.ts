/**
 * SageMaker's, SageMaker Runtime's, CloudWatch Logs', S3's and STS's APIs as sagebrew uses them,
 * defined once: the tables generated from AWS's own service models (`*.gen.ts`, by
 * scripts/gen-aws-api.ts from vendor/botocore/), and the one validator that checks a request
 * against them in the services' own words. `sagebrew local` validates what it serves with them;
 * the CLI checks names, counts and instance types with them before it calls AWS.
 */
export { COMMON_ERRORS } from "./common-errors.js";
export { SAGEMAKER_BOUNDS, SAGEMAKER_LIMITS } from "./limits.js";
export { LOGS } from "./logs.gen.js";
export {
  type ErrorTraits,
  type MemberRef,
  type MemberTraits,
  type Operation,
  type ServiceApi,
  type Shape,
  shapeName,
  shapeOf,
} from "./model.js";
export { javaPatternToRegExp } from "./pattern.js";
export { S3 } from "./s3.gen.js";
export { SAGEMAKER } from "./sagemaker.gen.js";
export { SAGEMAKER_RUNTIME } from "./sagemaker-runtime.gen.js";
export { STS } from "./sts.gen.js";
export { type Invalid, type ValidateOptions, validateInput, violations } from "./validate.js";
export type { JsonWire } from "./wire.js";
