/**
 * ARNs and the account and region they carry. SageMaker writes resource names lower-cased into
 * ARNs (`arn:aws:sagemaker:us-east-1:123456789012:endpoint/my-endpoint`); the region is the one
 * the request was signed for (the credential scope of its `Authorization` header), the account the
 * one `sagebrew local --account` names (STS GetCallerIdentity answers the same).
 */

export const DEFAULT_REGION = "us-east-1";

/** Where an ARN points: the region of the request and the server's account. */
export interface ArnScope {
  readonly region: string;
  readonly account: string;
}

/** The kinds of SageMaker resources `sagebrew local` keeps, as they appear in ARNs. */
export type ResourceKind =
  | "training-job"
  | "model"
  | "endpoint-config"
  | "endpoint"
  | "transform-job"
  | "hyper-parameter-tuning-job";

export const RESOURCE_KINDS: readonly ResourceKind[] = [
  "training-job",
  "model",
  "endpoint-config",
  "endpoint",
  "transform-job",
  "hyper-parameter-tuning-job",
];

/** The ARN of a SageMaker resource. */
export function resourceArn(scope: ArnScope, kind: ResourceKind, name: string): string {
  return `arn:aws:sagemaker:${scope.region}:${scope.account}:${kind}/${name.toLowerCase()}`;
}

/** The account, kind and (lower-case) name an ARN names, or undefined when it names none of ours. */
export function parseResourceArn(
  arn: string,
): { account: string; kind: ResourceKind; name: string } | undefined {
  const m = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:(\d{12}):([a-z-]+)\/(.+)$/.exec(arn);
  if (!m) return undefined;
  const kind = m[2] as ResourceKind;
  return RESOURCE_KINDS.includes(kind) ? { account: m[1]!, kind, name: m[3]!.toLowerCase() } : undefined;
}

/** The ARN of a CloudWatch Logs stream. */
export function logStreamArn(scope: ArnScope, group: string, stream: string): string {
  return `${logGroupArn(scope, group)}:log-stream:${stream}`;
}

/** The ARN of a CloudWatch Logs group (without the `:*` DescribeLogGroups appends). */
export function logGroupArn(scope: ArnScope, group: string): string {
  return `arn:aws:logs:${scope.region}:${scope.account}:log-group:${group}`;
}

/**
 * The region a SigV4 `Authorization` header was signed for
 * (`AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/sagemaker/aws4_request, …`).
 */
export function regionOf(authorization: string | undefined): string {
  if (!authorization) return DEFAULT_REGION;
  const m = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//.exec(authorization);
  return m ? m[1]! : DEFAULT_REGION;
}
