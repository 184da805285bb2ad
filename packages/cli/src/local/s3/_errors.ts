/**
 * S3's errors as S3 answers them: a code, its HTTP status, a message, and the `<Error>` XML body
 * (none for HEAD). Statuses come from the generated API table where S3's model declares the error
 * (NoSuchBucket, NoSuchKey, NoSuchUpload, BucketAlreadyOwnedByYou, …), else from S3's documented
 * list of error codes (docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
 */
import { S3 } from "../../api/index.js";

/** The codes S3's model does not declare, with their documented statuses. */
const DOCUMENTED: Readonly<Record<string, number>> = {
  AccessDenied: 403,
  BadDigest: 400,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IllegalLocationConstraintException: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidLocationConstraint: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidURI: 400,
  KeyTooLongError: 400,
  MalformedXML: 400,
  MaxMessageLengthExceeded: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  NotImplemented: 501,
  NotModified: 304,
  PreconditionFailed: 412,
  RequestTimeout: 400,
  SlowDown: 503,
  XAmzContentSHA256Mismatch: 400,
};

/** The HTTP status S3 answers `code` with. */
export function statusOf(code: string): number {
  const shape = Object.hasOwn(S3.shapes, code) ? S3.shapes[code] : undefined;
  if (shape?.type === "structure" && shape.error) return shape.error.status;
  return DOCUMENTED[code] ?? 400;
}

/** An error answered to an S3 client. */
export class S3Error extends Error {
  readonly code: string;
  readonly status: number;
  /** Elements S3 adds to the `<Error>` body (`BucketName`, `Key`, `UploadId`, `ActualObjectSize`, …). */
  readonly fields: Readonly<Record<string, string>>;

  constructor(code: string, message: string, fields: Record<string, string> = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = statusOf(code);
    this.fields = fields;
  }
}

// The errors answered in more than one place, worded as S3 words them.

export const noSuchBucket = (bucket: string) =>
  new S3Error("NoSuchBucket", "The specified bucket does not exist", { BucketName: bucket });

export const noSuchKey = (key: string) =>
  new S3Error("NoSuchKey", "The specified key does not exist.", { Key: key });

export const noSuchUpload = (uploadId: string) =>
  new S3Error(
    "NoSuchUpload",
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    { UploadId: uploadId },
  );

export const notImplemented = (what: string) =>
  new S3Error(
    "NotImplemented",
    `sagebrew local does not implement ${what}: it serves the S3 operations SageMaker scripts and the SDKs' upload and download helpers use (docs/local-sagemaker.md lists them); point AWS_ENDPOINT_URL_S3 at another S3 for the rest`,
  );
