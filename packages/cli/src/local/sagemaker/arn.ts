/**
 * ARNs and the account and region they carry. SageMaker writes resource names lower-cased into
 * ARNs (`arn:aws:sagemaker:us-east-1:123456789012:endpoint/my-endpoint`); the region is the one
 * the request was signed for (the credential scope of its `Authorization` header).
 */

/** The account every local resource belongs to (the one moto uses too). */
export const LOCAL_ACCOUNT = "123456789012";
export const DEFAULT_REGION = "us-east-1";

/** The kinds of SageMaker resources `sagebrew local` keeps, as they appear in ARNs. */
export type ResourceKind = "training-job" | "model" | "endpoint-config" | "endpoint" | "transform-job";

export const RESOURCE_KINDS: readonly ResourceKind[] = [
  "training-job",
  "model",
  "endpoint-config",
  "endpoint",
  "transform-job",
];

/** The ARN of a SageMaker resource. */
export function resourceArn(region: string, kind: ResourceKind, name: string): string {
  return `arn:aws:sagemaker:${region}:${LOCAL_ACCOUNT}:${kind}/${name.toLowerCase()}`;
}

/** The kind and (lower-case) name an ARN names, or undefined when it names none of ours. */
export function parseResourceArn(arn: string): { kind: ResourceKind; name: string } | undefined {
  const m = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:\d{12}:([a-z-]+)\/(.+)$/.exec(arn);
  if (!m) return undefined;
  const kind = m[1] as ResourceKind;
  return RESOURCE_KINDS.includes(kind) ? { kind, name: m[2]!.toLowerCase() } : undefined;
}

/** The ARN of a CloudWatch Logs stream. */
export function logStreamArn(region: string, group: string, stream: string): string {
  return `arn:aws:logs:${region}:${LOCAL_ACCOUNT}:log-group:${group}:log-stream:${stream}`;
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
