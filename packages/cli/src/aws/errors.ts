/**
 * Every AWS failure becomes one sentence that says what was being done, what AWS answered and what
 * to do about it: AccessDenied names the action and the resource, ResourceLimitExceeded names the
 * quota, ValidationException is quoted verbatim, an expired token says how to refresh it.
 */
import { SagebrewError } from "@sagebrew/runtime/core";

/** What was being attempted when a call failed. */
export interface AwsCall {
  /** IAM action, e.g. `sagemaker:CreateModel`. */
  readonly action: string;
  /** The resource the call was about (a name, an ARN or an s3:// URI). */
  readonly resource?: string;
  /** What was being done, for the start of the sentence: `create model iris-1`. */
  readonly doing: string;
}

interface SdkErrorLike {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
}

const DOCS = "docs/sagemaker.md";

function statusOf(e: SdkErrorLike): number | undefined {
  return e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
}

function nameOf(e: SdkErrorLike): string {
  return e.name ?? e.Code ?? e.code ?? "Error";
}

/**
 * The error type AWS answered (`ValidationException`, `ResourceNotFound`, `NoSuchKey`, …), as the SDK
 * names the error: what the CLI recognises an answer by, never its message.
 */
export function errorType(e: unknown): string {
  return nameOf((e ?? {}) as SdkErrorLike);
}

/** Types of errors that mean access to the action or resource was denied. */
const DENIED = /^(AccessDenied|AccessDeniedException|UnauthorizedOperation|NotAuthorized)$/;
/** Types of errors that mean the credentials expired. */
const EXPIRED = /^(ExpiredToken|ExpiredTokenException|RequestExpired|TokenRefreshRequired)$/;
/** Types of errors that mean the credentials are wrong. */
const REJECTED =
  /^(InvalidClientTokenId|UnrecognizedClientException|InvalidSignatureException|SignatureDoesNotMatch|InvalidAccessKeyId|IncompleteSignature)$/;

function accessDenied(call: AwsCall, message: string): string {
  // AWS's own wording: "User: arn:… is not authorized to perform: sagemaker:CreateModel on resource: arn:…"
  const m = /not authorized to perform:? ([\w-]+:[\w*]+)(?: on resource:? (\S+?))?(?:[ .]|$)/i.exec(message);
  const action = m?.[1] ?? call.action;
  const resource = m?.[2] ?? call.resource ?? "*";
  const principal = /User: (\S+)/.exec(message)?.[1];
  const who = principal ? ` for ${principal}` : "";
  const passRole = action === "iam:PassRole" ? " (the role given with --role must be passable)" : "";
  return `access denied to ${action} on ${resource}${who}: allow ${action} on ${resource} in the IAM policy of these credentials${passRole} (${DOCS} lists the minimal policy per command)`;
}

function quotaName(message: string): string | undefined {
  return /'([^']+)'/.exec(message)?.[1] ?? /"([^"]+)"/.exec(message)?.[1];
}

function networkCode(e: unknown): string | undefined {
  let cur = e as { code?: string; cause?: unknown; errors?: unknown[] } | undefined;
  for (let i = 0; i < 4 && cur; i++) {
    if (typeof cur.code === "string" && /^E[A-Z]+/.test(cur.code)) return cur.code;
    cur = (cur.cause ?? cur.errors?.[0]) as typeof cur;
  }
  return undefined;
}

/** The reason and the fix, after `Cannot <doing>: `. */
function explain(call: AwsCall, e: unknown): string {
  const err = (e ?? {}) as SdkErrorLike;
  const name = nameOf(err);
  // One sentence: the SDK appends hints on further lines (e.g. after a deserialization error).
  const message = (err.message ?? String(e)).trim().split("\n")[0]!.trim();
  if (DENIED.test(name)) {
    return accessDenied(call, message);
  }
  if (name === "ResourceLimitExceeded" || name === "LimitExceededException") {
    const quota = quotaName(message);
    return `${message.replace(/\.$/, "")}: request a higher value${quota ? ` for the quota "${quota}"` : ""} in the Service Quotas console (Amazon SageMaker), or use another instance type or fewer instances`;
  }
  if (name === "ValidationException" || name === "ValidationError" || name === "InvalidParameterException") {
    return `${name}: ${message}`;
  }
  if (EXPIRED.test(name)) {
    return `the AWS credentials have expired (${name}): refresh them (\`aws sso login\` for an SSO profile, or new temporary keys in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN) and run the command again`;
  }
  if (REJECTED.test(name)) {
    return `AWS rejected the credentials (${name}: ${message}): check AWS_PROFILE or the access keys in use (\`aws sts get-caller-identity\` should print your account)`;
  }
  if (name === "CredentialsProviderError") {
    return `no AWS credentials were found (${message}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run \`aws configure\``;
  }
  // The SDK's own configuration error, which carries no type of its own.
  if (/Region is missing/i.test(message)) {
    return "no AWS region is set: set AWS_REGION (or AWS_DEFAULT_REGION), a region in the profile, or pass --region";
  }
  if (/Throttl|TooManyRequests|SlowDown/i.test(name)) {
    return `AWS throttled the request after retries (${name}): wait a minute and run the command again`;
  }
  if (name === "NoSuchBucket") {
    return `the S3 bucket does not exist (${message}): create it, or pass --bucket with one that exists`;
  }
  if (name === "TimeoutError") {
    return `the AWS endpoint did not answer in time (${message}): check the network, or AWS_ENDPOINT_URL if you set one`;
  }
  const net = networkCode(e);
  if (net) {
    return `the AWS endpoint could not be reached (${net}): check the network, or AWS_ENDPOINT_URL if you set one`;
  }
  const status = statusOf(err);
  if (status !== undefined && status >= 500) {
    const operation = call.action.split(":")[1] ?? call.action;
    const detail =
      err.$fault === undefined || /Deserialization|not valid JSON|Unexpected token/i.test(message);
    return `the ${call.action.split(":")[0]} API answered ${operation} with HTTP ${status}${detail ? " and no AWS error code" : ` (${name}: ${message})`}: the service failed (or an emulator does not implement ${operation}); run the command again later`;
  }
  return `${name}: ${message}`;
}

/**
 * Wraps an AWS SDK error into one `SB_AWS` sentence with the fix.
 *
 * @example throw awsError({ action: "sagemaker:CreateModel", resource: "iris", doing: "create model iris" }, e);
 */
export function awsError(call: AwsCall, e: unknown): SagebrewError {
  if (e instanceof SagebrewError) return e;
  return new SagebrewError("SB_AWS", `Cannot ${call.doing}: ${explain(call, e)}`, { cause: e });
}

/** Types of errors that say the named resource does not exist. */
const NOT_FOUND = new Set([
  "ResourceNotFound",
  "ResourceNotFoundException",
  "NotFound",
  "NoSuchKey",
  "NoSuchBucket",
  "NoSuchUpload",
]);

/**
 * True when `e`'s type says the named resource does not exist. (SageMaker answers a Describe of a
 * missing model, endpoint or job with ValidationException: `sdkSageMaker()` knows that of its
 * Describe calls, whose names it checked first.)
 */
export function isNotFound(e: unknown): boolean {
  return NOT_FOUND.has(errorType(e));
}

/** True when `e` is an HTTP 5xx answer (after the SDK's retries). */
export function isServerError(e: unknown): boolean {
  const status = statusOf((e ?? {}) as SdkErrorLike);
  return status !== undefined && status >= 500;
}
