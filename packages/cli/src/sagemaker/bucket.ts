/** The S3 bucket for uploads and outputs: `--bucket`, else SageMaker's own default, created when missing. */
import { SagebrewError } from "@sagebrew/runtime/core";
import type { AwsClients, Reporter } from "./context.js";

/** SageMaker's default bucket name for a region and an account (the Python SDK's convention). */
export function defaultBucketName(region: string, account: string): string {
  return `sagemaker-${region}-${account}`;
}

/**
 * The bucket to use: `explicit` when given (it must exist), else `sagemaker-<region>-<account>`,
 * created when missing.
 *
 * @throws SagebrewError SB_AWS when the bucket is missing (explicit) or not usable.
 */
export async function resolveBucket(
  clients: Pick<AwsClients, "s3" | "account">,
  explicit: string | undefined,
  reporter: Reporter,
): Promise<string> {
  if (explicit) {
    const status = await clients.s3.bucketStatus(explicit);
    if (status === "missing") {
      throw new SagebrewError(
        "SB_AWS",
        `Cannot use bucket ${explicit}: it does not exist: create it, or leave out --bucket to use SageMaker's default bucket`,
      );
    }
    if (status === "forbidden") {
      throw new SagebrewError(
        "SB_AWS",
        `Cannot use bucket ${explicit}: access denied (it belongs to another account, or s3:ListBucket is not allowed): pass --bucket with a bucket these credentials may use`,
      );
    }
    return explicit;
  }
  const region = await clients.account.region();
  const bucket = defaultBucketName(region, await clients.account.account());
  const status = await clients.s3.bucketStatus(bucket);
  if (status === "forbidden") {
    throw new SagebrewError(
      "SB_AWS",
      `Cannot use the default bucket ${bucket}: access denied (s3:ListBucket on it is not allowed): allow it, or pass --bucket`,
    );
  }
  if (status === "missing") {
    await clients.s3.createBucket(bucket, region);
    reporter.info(`created bucket s3://${bucket}`);
  }
  return bucket;
}
