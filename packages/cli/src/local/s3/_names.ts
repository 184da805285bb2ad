/**
 * S3's naming rules: bucket names (general purpose buckets,
 * docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html) and key lengths.
 */
import { S3Error } from "./_errors.js";

/** S3's longest key: 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/** What makes `name` unfit as a bucket name, or undefined when it is one. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return "it must be 3 to 63 characters long";
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return "it may hold only lower-case letters, digits, dots and hyphens, and must begin and end with a letter or digit";
  }
  if (name.includes("..")) return "it must not hold two adjacent dots";
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) return "it must not be formatted as an IP address";
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name))
    return "it must not begin with xn--, sthree- or amzn-s3-demo-";
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) {
    return "it must not end with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3";
  }
  return undefined;
}

/**
 * Checks a bucket name for CreateBucket.
 *
 * @throws S3Error InvalidBucketName naming the rule broken.
 */
export function checkBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem)
    throw new S3Error("InvalidBucketName", `The specified bucket is not valid: ${problem}.`, {
      BucketName: name,
    });
}

/**
 * Checks an object key.
 *
 * @throws S3Error KeyTooLongError above 1024 bytes, InvalidArgument when empty.
 */
export function checkKey(key: string): void {
  if (key === "") throw new S3Error("InvalidArgument", "An object key must not be empty.");
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) {
    throw new S3Error("KeyTooLongError", "Your key is too long", {
      Size: String(Buffer.byteLength(key, "utf8")),
      MaxSizeAllowed: String(MAX_KEY_BYTES),
    });
  }
}
