/**
 * `sagebrew local`'s S3: the S3 API SageMaker scripts, the AWS CLI and the SDKs' upload and
 * download helpers use — buckets, objects (Range, conditional requests, CopyObject), listings
 * (ListObjectsV2 and v1), DeleteObjects, multipart uploads — on path-style and virtual-hosted
 * (`bucket.localhost`) addresses, with `aws-chunked` bodies and their trailing checksums verified,
 * ETags as S3 computes them and S3's XML errors; objects under a directory, keyed by hash, each
 * published by one rename. Jobs reach the same objects in process (`access`).
 *
 * @example
 * const s3 = await openLocalS3({ dir: "/state/s3", account: "123456789012", warn: console.error });
 * server.on("request", (req, res) => s3.handle(req, res, { region: "us-east-1" }));
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type LocalS3Access, localAccess } from "./_access.js";
import type { S3State } from "./_exchange.js";
import { Uploads } from "./_multipart.js";
import { handleS3 } from "./_router.js";
import { ObjectStore } from "./_store.js";

export type { LocalObject, LocalS3Access } from "./_access.js";

/**
 * The operations of S3's API table served (the docs' table is made from it). ListObjects (v1) and
 * GetBucketLocation are answered too, outside the table.
 */
export const S3_OPERATIONS = [
  "ListBuckets",
  "CreateBucket",
  "HeadBucket",
  "DeleteBucket",
  "PutObject",
  "GetObject",
  "HeadObject",
  "DeleteObject",
  "DeleteObjects",
  "ListObjectsV2",
  "CopyObject",
  "CreateMultipartUpload",
  "UploadPart",
  "CompleteMultipartUpload",
  "AbortMultipartUpload",
  "ListParts",
] as const;
export { virtualHostBucket } from "./_address.js";

export interface LocalS3Options {
  /** The directory of the buckets and objects (created when missing). */
  readonly dir: string;
  /** The account that owns every bucket (its canonical id is derived from it). */
  readonly account: string;
  /** Reports files left out at start and sagebrew's own failures. */
  readonly warn: (message: string) => void;
}

/** A running local S3. */
export interface LocalS3 {
  /** Answers one S3 request (signed for `region`, which CreateBucket checks its location against). */
  handle(req: IncomingMessage, res: ServerResponse, context: { region: string }): void;
  /** The objects, in process, for jobs. */
  readonly access: LocalS3Access;
}

/**
 * Opens the S3 under `options.dir`, reading its buckets, objects and uploads in progress.
 *
 * @throws Error when the directory cannot be created or read.
 */
export async function openLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const store = await ObjectStore.open(options.dir, options.warn);
  const uploads = await Uploads.open(store, options.warn);
  const state: S3State = {
    store,
    uploads,
    ownerId: createHash("sha256").update(`sagebrew-local:${options.account}`).digest("hex"),
  };
  return {
    handle(req, res, context) {
      handleS3(req, res, state, { region: context.region, warn: options.warn });
    },
    access: localAccess(state),
  };
}
