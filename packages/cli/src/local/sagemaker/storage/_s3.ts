/**
 * `s3://` objects through `@aws-sdk/client-s3`, loaded only when a job names an `s3://` URI. The
 * endpoint is `AWS_ENDPOINT_URL_S3` when set (path-style addressing, checksums only when an
 * operation requires them: S3-compatible servers such as moto's do not all accept the SDK's
 * default ones); otherwise AWS itself, with the SDK's usual credentials.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { send } from "../../../aws/index.js";
import type { S3Access, S3Limits, StoredObject } from "./_objects.js";

function parse(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`Cannot read ${uri}: not an s3://bucket/key URI`);
  return { bucket: m[1]!, key: m[2]! };
}

/**
 * The S3 client `sagebrew local` uses, configured from `env`: every request bounded (a connection
 * within `connectMs`, an answer within `idleMs`, and no more than `idleMs` without a byte while a
 * body streams), and tried `attempts` times in all (the SDK's standard retries with backoff), so
 * that an S3 that never answers fails the job that needs it, never hangs it.
 */
export function createS3Access(env: NodeJS.ProcessEnv, limits: S3Limits): S3Access {
  const endpoint = env.AWS_ENDPOINT_URL_S3;
  const client = new S3Client({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    // The environment sagebrew local was given, not only this process's: its credentials when it has them.
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      connectionTimeout: limits.connectMs,
      requestTimeout: limits.idleMs,
      throwOnRequestTimeout: true,
      socketTimeout: limits.idleMs,
    },
    maxAttempts: limits.attempts,
  });
  return {
    async list(uri) {
      const { bucket, key } = parse(uri);
      const out: StoredObject[] = [];
      let token: string | undefined;
      do {
        const page = await send(
          client,
          new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }),
          { action: "s3:ListBucket", resource: uri, doing: `list ${uri}` },
        );
        for (const o of page.Contents ?? []) {
          if (!o.Key || o.Key.endsWith("/")) continue;
          const rest = o.Key.slice(key.length).replace(/^\/+/, "");
          out.push({
            uri: `s3://${bucket}/${o.Key}`,
            rel: rest || o.Key.split("/").pop()!,
            size: o.Size ?? 0,
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
    },
    async download(uri, dest) {
      const { bucket, key } = parse(uri);
      const r = await send(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        action: "s3:GetObject",
        resource: uri,
        doing: `download ${uri}`,
      });
      await mkdir(dirname(dest), { recursive: true });
      await pipeline(r.Body as Readable, createWriteStream(dest));
    },
    async upload(file, uri) {
      const { bucket, key } = parse(uri);
      const { size } = await stat(file);
      await send(
        client,
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: size }),
        { action: "s3:PutObject", resource: uri, doing: `upload ${uri}` },
      );
    },
    async write(uri, data, options) {
      const { bucket, key } = parse(uri);
      await send(
        client,
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: data,
          ContentLength: data.byteLength,
          ...(options?.contentType ? { ContentType: options.contentType } : {}),
        }),
        { action: "s3:PutObject", resource: uri, doing: `write ${uri}` },
      );
    },
    async read(uri) {
      const { bucket, key } = parse(uri);
      const r = await send(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        action: "s3:GetObject",
        resource: uri,
        doing: `read ${uri}`,
      });
      return Buffer.from(
        await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
    },
  };
}
