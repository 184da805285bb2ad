import assert from "node:assert/strict";
import { test } from "node:test";
import { awsError, isNotFound } from "./errors.js";

const call = { action: "sagemaker:CreateModel", resource: "iris-1", doing: "create model iris-1" };
const err = (name: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name, ...extra });

test("awsError() turns each kind of AWS failure into one sentence with the fix", () => {
  const cases: [unknown, RegExp][] = [
    [
      err(
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: sagemaker:CreateModel on resource: arn:aws:sagemaker:eu-west-1:123456789012:model/iris-1 because no identity-based policy allows the sagemaker:CreateModel action",
      ),
      /^Cannot create model iris-1: access denied to sagemaker:CreateModel on arn:aws:sagemaker:eu-west-1:123456789012:model\/iris-1 for arn:aws:iam::123456789012:user\/dev: allow sagemaker:CreateModel on arn:aws:sagemaker:eu-west-1:123456789012:model\/iris-1 in the IAM policy/,
    ],
    [
      err("AccessDenied", "Access Denied"),
      /access denied to sagemaker:CreateModel on iris-1: allow sagemaker:CreateModel on iris-1/,
    ],
    [
      err(
        "AccessDeniedException",
        "User: arn:aws:sts::1:assumed-role/x/y is not authorized to perform: iam:PassRole on resource: arn:aws:iam::1:role/R",
      ),
      /access denied to iam:PassRole on arn:aws:iam::1:role\/R .*--role must be passable/,
    ],
    [
      err(
        "ResourceLimitExceeded",
        "The account-level service limit 'ml.p3.2xlarge for training job usage' is 0 Instances, with current utilization of 0 Instances and a request delta of 1 Instances.",
      ),
      /: request a higher value for the quota "ml\.p3\.2xlarge for training job usage" in the Service Quotas console/,
    ],
    [
      err(
        "ValidationException",
        "1 validation error detected: Value 'x y' at 'modelName' failed to satisfy constraint",
      ),
      /^Cannot create model iris-1: ValidationException: 1 validation error detected: Value 'x y' at 'modelName' failed to satisfy constraint$/,
    ],
    [
      err("ExpiredTokenException", "The security token included in the request is expired"),
      /credentials have expired \(ExpiredTokenException\): refresh them \(`aws sso login`/,
    ],
    [
      err("CredentialsProviderError", "Could not load credentials from any providers"),
      /no AWS credentials were found .*: set AWS_PROFILE/,
    ],
    [
      err("UnrecognizedClientException", "The security token included in the request is invalid."),
      /AWS rejected the credentials/,
    ],
    [err("Error", "Region is missing"), /no AWS region is set: set AWS_REGION/],
    [err("ThrottlingException", "Rate exceeded"), /throttled the request after retries/],
    [
      Object.assign(new Error("connect"), { name: "Error", cause: { code: "ECONNREFUSED" } }),
      /the AWS endpoint could not be reached \(ECONNREFUSED\): check the network, or AWS_ENDPOINT_URL/,
    ],
    [
      err("InternalFailure", "We encountered an internal error", {
        $fault: "server",
        $metadata: { httpStatusCode: 500 },
      }),
      /the sagemaker API answered CreateModel with HTTP 500 \(InternalFailure: We encountered an internal error\)/,
    ],
  ];
  for (const [e, want] of cases) {
    const out = awsError(call, e);
    assert.equal(out.code, "SB_AWS");
    assert.match(out.message, want);
    assert.ok(!out.message.includes("\n"), "one sentence, one line");
  }
});

test("isNotFound() recognises an error by its type, never by its message", () => {
  assert.equal(isNotFound(err("ResourceNotFound", "Requested resource not found.")), true);
  assert.equal(isNotFound(err("ResourceNotFoundException", "The specified log group does not exist.")), true);
  assert.equal(isNotFound(err("NoSuchKey", "The specified key does not exist.")), true);
  assert.equal(isNotFound(err("NotFound", "")), true);
  // A ValidationException is not "not found", whatever it says: sdkSageMaker() knows when it is.
  assert.equal(isNotFound(err("ValidationException", "Could not find endpoint 'x'.")), false);
  assert.equal(isNotFound(err("AccessDeniedException", "not found")), false);
});

test("awsError() tells access denied, expired and rejected credentials apart by the error's type", () => {
  const call = { action: "sagemaker:CreateModel", resource: "iris", doing: "create model iris" };
  assert.match(
    awsError(
      call,
      err(
        "AccessDeniedException",
        "User: arn:aws:iam::1:user/u is not authorized to perform: sagemaker:CreateModel on resource: arn:x",
      ),
    ).message,
    /access denied to sagemaker:CreateModel on arn:x for arn:aws:iam::1:user\/u/,
  );
  assert.match(
    awsError(call, err("ExpiredTokenException", "The security token included in the request is expired"))
      .message,
    /the AWS credentials have expired/,
  );
  // A message alone does not make an error what it says.
  assert.match(
    awsError(call, err("ValidationException", "token expired; not authorized to perform: x:y")).message,
    /^Cannot create model iris: ValidationException: /,
  );
});

test("awsError() says an endpoint that connected and never answered did not answer in time", () => {
  const timeout = Object.assign(
    new Error("@smithy/node-http-handler - the request socket timed out after 1000 ms of inactivity"),
    { name: "TimeoutError" },
  );
  assert.equal(
    awsError({ action: "s3:ListBucket", resource: "s3://b/p", doing: "list s3://b/p" }, timeout).message,
    "Cannot list s3://b/p: the AWS endpoint did not answer in time (@smithy/node-http-handler - the request socket timed out after 1000 ms of inactivity): check the network, or AWS_ENDPOINT_URL if you set one",
  );
});
