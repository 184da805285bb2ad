/**
 * Which AWS service a request is for, read as AWS reads it: the service and region of its SigV4
 * credential scope (`Authorization: … Credential=<key>/<date>/<region>/<service>/aws4_request`, or
 * a presigned URL's `X-Amz-Credential`), else its `X-Amz-Target` prefix, else a virtual-hosted
 * bucket (`Host: <bucket>.localhost`); an unsigned request with neither is S3's when it looks like
 * S3 (any method on a path) and STS's when it is a Query form POST to `/`. Pure.
 */
import type { IncomingHttpHeaders } from "node:http";

/** What is known of a request's service. */
export interface Recognised {
  /** The signing name (`s3`, `sts`, `sagemaker`, `logs`, `iam`, `ecr`, …), or undefined when unknown. */
  readonly service: string | undefined;
  /** The region of its scope (us-east-1 without one). */
  readonly region: string;
  /** The wire protocol its client speaks, as far as the request shows it. */
  readonly protocol: "json" | "query" | "rest-json" | "rest-xml" | "cbor";
}

const SCOPE = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/;

/** `X-Amz-Target` prefixes of JSON services, to name the service of an unsigned call. */
const TARGET_SERVICES: Readonly<Record<string, string>> = {
  SageMaker: "sagemaker",
  Logs_20140328: "logs",
  AmazonEC2ContainerRegistry_V20150921: "ecr",
  AWSCognitoIdentityService: "cognito-identity",
  DynamoDB_20120810: "dynamodb",
  TrentService: "kms",
  secretsmanager: "secretsmanager",
  AmazonSSM: "ssm",
  AWSEvents: "events",
  AWSStepFunctions: "states",
  AWSGlue: "glue",
  AmazonAthena: "athena",
  Kinesis_20131202: "kinesis",
  AmazonSQS: "sqs",
  AnyScaleFrontendService: "application-autoscaling",
};

/** Signing names whose REST APIs speak XML (every other REST API speaks JSON). */
const REST_XML = new Set(["s3", "cloudfront", "route53"]);

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * Recognises the service of a request from its method, URL and headers.
 *
 * @param virtualBucket the bucket its Host names virtual-hosted style, if any.
 * @example recognise("POST", "/", { authorization: "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/iam/aws4_request, …" }).service === "iam"
 */
export function recognise(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  virtualBucket: string | undefined,
): Recognised {
  let scope = SCOPE.exec(first(headers.authorization) ?? "");
  if (!scope && url.includes("X-Amz-Credential=")) {
    const q = new URLSearchParams(url.slice(url.indexOf("?") + 1));
    scope = SCOPE.exec(`Credential=${q.get("X-Amz-Credential") ?? ""}`);
  }
  const target = first(headers["x-amz-target"]);
  const contentType = (first(headers["content-type"]) ?? "").toLowerCase();
  const rpc: Recognised["protocol"] | undefined =
    first(headers["smithy-protocol"]) === "rpc-v2-cbor"
      ? "cbor"
      : target !== undefined
        ? "json"
        : contentType.startsWith("application/x-www-form-urlencoded")
          ? "query"
          : undefined;
  const region = scope?.[1] ?? "us-east-1";
  let service = scope?.[2];
  if (service === undefined && target !== undefined) {
    const prefix = target.slice(0, Math.max(0, target.indexOf(".")));
    service = Object.hasOwn(TARGET_SERVICES, prefix) ? TARGET_SERVICES[prefix] : undefined;
  }
  if (service === undefined && virtualBucket !== undefined && target === undefined) service = "s3";
  if (service === undefined && target === undefined) {
    const path = url.split("?")[0] ?? "/";
    if (rpc === "query" && method === "POST" && path === "/") service = "sts";
    else if (path !== "/" || method === "GET") service = "s3";
  }
  const rest =
    !contentType.includes("json") && service !== undefined && REST_XML.has(service)
      ? "rest-xml"
      : "rest-json";
  return { service, region, protocol: rpc ?? rest };
}
