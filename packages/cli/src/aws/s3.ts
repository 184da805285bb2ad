/**
 * The S3 operations sagebrew uses (bucket check and creation, listing, uploads with progress,
 * downloads, deletes) as one narrow interface with a real implementation over `@aws-sdk/client-s3`
 * and `@aws-sdk/lib-storage` (multipart above one part).
 */
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { SagebrewError } from "@sagebrew/runtime/core";
import { type AwsOptions, clientConfig, deferred, loadS3, loadS3Upload } from "./_sdk.js";
import { awsError, isNotFound } from "./errors.js";
import { FAIL, send } from "./send.js";

/** Multipart part size: also what `etagOf()` in sagemaker/upload.ts assumes to predict ETags. */
export const PART_SIZE = 8 * 1024 * 1024;

/** One object of a listing. */
export interface S3ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** The ETag without quotes. */
  readonly etag: string;
}

export interface UploadOptions {
  /** Bytes of the body (for progress and the single/multipart choice). */
  readonly size: number;
  readonly contentType?: string;
  /** User metadata (`x-amz-meta-*`). */
  readonly metadata?: Record<string, string>;
  /** Called with the bytes sent so far. */
  readonly onProgress?: (loaded: number) => void;
}

/** The S3 operations the commands compose; `sdkS3()` implements it over the SDK. */
export interface S3Api {
  /** `exists`, `missing`, or `forbidden` (it exists, owned by someone else or not readable). */
  bucketStatus(bucket: string): Promise<"exists" | "missing" | "forbidden">;
  createBucket(bucket: string, region: string): Promise<void>;
  /** Every object under `prefix`. */
  list(bucket: string, prefix: string): Promise<S3ObjectInfo[]>;
  /** An object's size, ETag and user metadata; `undefined` when it does not exist. */
  head(
    bucket: string,
    key: string,
  ): Promise<{ size: number; etag: string; metadata: Record<string, string> } | undefined>;
  /** Uploads a body (multipart above `PART_SIZE`, parts aborted on failure). */
  upload(bucket: string, key: string, body: Readable | Uint8Array, options: UploadOptions): Promise<void>;
  /** An object's bytes as a stream, and its size. */
  download(bucket: string, key: string): Promise<{ body: Readable; size: number }>;
  /** Deletes objects (up to 1000 per call, batched here). */
  deleteObjects(bucket: string, keys: readonly string[]): Promise<void>;
}

type Sdk = typeof import("@aws-sdk/client-s3");
type UploadSdk = typeof import("@aws-sdk/lib-storage");

const uri = (bucket: string, key = "") => `s3://${bucket}/${key}`;
const unquote = (etag: string | undefined) => (etag ?? "").replace(/^"|"$/g, "");

/** Adapts an `S3Client` to `S3Api`. */
export function s3ApiFromClient(client: S3Client, sdk: Sdk, storage: UploadSdk): S3Api {
  const statusOf = (e: unknown) =>
    (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return {
    async bucketStatus(bucket) {
      return await send(
        client,
        new sdk.HeadBucketCommand({ Bucket: bucket }),
        { action: "s3:ListBucket", resource: uri(bucket), doing: `check bucket ${bucket}` },
        (e) => (isNotFound(e) || statusOf(e) === 404 ? "missing" : statusOf(e) === 403 ? "forbidden" : FAIL),
      ).then((out) => (typeof out === "string" ? out : "exists"));
    },
    async createBucket(bucket, region) {
      await send(
        client,
        new sdk.CreateBucketCommand({
          Bucket: bucket,
          // us-east-1 is the one region that takes no location constraint.
          ...(region === "us-east-1"
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
        }),
        { action: "s3:CreateBucket", resource: uri(bucket), doing: `create bucket ${bucket}` },
        (e) => {
          const name = (e as { name?: string }).name;
          if (name === "BucketAlreadyOwnedByYou") return undefined;
          if (name === "BucketAlreadyExists") {
            throw new SagebrewError(
              "SB_AWS",
              `Cannot create bucket ${bucket}: the name is taken by another account: pass --bucket with a bucket you own`,
              { cause: e },
            );
          }
          return FAIL;
        },
      );
    },
    async list(bucket, prefix) {
      const out: S3ObjectInfo[] = [];
      const call = {
        action: "s3:ListBucket",
        resource: uri(bucket, prefix),
        doing: `list ${uri(bucket, prefix)}`,
      };
      let token: string | undefined;
      do {
        const page = await send(
          client,
          new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
          call,
        );
        for (const o of page.Contents ?? []) {
          if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0, etag: unquote(o.ETag) });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out;
    },
    async head(bucket, key) {
      const out = await send(
        client,
        new sdk.HeadObjectCommand({ Bucket: bucket, Key: key }),
        { action: "s3:GetObject", resource: uri(bucket, key), doing: `read ${uri(bucket, key)}` },
        (e) => (isNotFound(e) || statusOf(e) === 404 ? undefined : FAIL),
      );
      return out && { size: out.ContentLength ?? 0, etag: unquote(out.ETag), metadata: out.Metadata ?? {} };
    },
    async upload(bucket, key, body, options) {
      const upload = new storage.Upload({
        client,
        params: {
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentLength: options.size,
          ...(options.contentType ? { ContentType: options.contentType } : {}),
          ...(options.metadata ? { Metadata: options.metadata } : {}),
        },
        partSize: PART_SIZE,
        queueSize: 4,
        leavePartsOnError: false,
      });
      if (options.onProgress) {
        const report = options.onProgress;
        upload.on("httpUploadProgress", (p) => report(p.loaded ?? 0));
      }
      try {
        await upload.done();
      } catch (e) {
        throw awsError(
          { action: "s3:PutObject", resource: uri(bucket, key), doing: `upload ${uri(bucket, key)}` },
          e,
        );
      }
    },
    async download(bucket, key) {
      const out = await send(client, new sdk.GetObjectCommand({ Bucket: bucket, Key: key }), {
        action: "s3:GetObject",
        resource: uri(bucket, key),
        doing: `download ${uri(bucket, key)}`,
      });
      return { body: out.Body as Readable, size: out.ContentLength ?? 0 };
    },
    async deleteObjects(bucket, keys) {
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        const call = {
          action: "s3:DeleteObject",
          resource: uri(bucket, batch[0]),
          doing: `delete objects in ${uri(bucket)}`,
        };
        const out = await send(
          client,
          new sdk.DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
          call,
        );
        const failed = out.Errors?.[0];
        if (failed)
          throw awsError(call, Object.assign(new Error(failed.Message ?? "failed"), { name: failed.Code }));
      }
    },
  };
}

/** An `S3Api` over a real `S3Client` (credentials, region and endpoint from the standard chain). */
export function sdkS3(options: AwsOptions = {}): S3Api {
  let api: Promise<S3Api> | undefined;
  return deferred(() => {
    api ??= Promise.all([loadS3(), loadS3Upload()]).then(([sdk, storage]) =>
      s3ApiFromClient(new sdk.S3Client(clientConfig(options)), sdk, storage),
    );
    return api;
  });
}

/** Splits `s3://bucket/key` into its parts. */
export function parseS3Uri(value: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(value);
  if (!m || !m[1]) {
    throw new SagebrewError("SB_USAGE", `Cannot use ${value} as an S3 location: expected s3://bucket/key`);
  }
  return { bucket: m[1], key: m[2] ?? "" };
}
