/**
 * Local files to S3 for training channels, models and transform inputs: a file whose bytes are
 * already there is not sent again, and a channel prefix ends up holding exactly the local files.
 *
 * "Already there" is decided without downloading: S3's ETag of a single-part upload is the MD5 of
 * the bytes, and of a multipart upload the MD5 of the parts' MD5s with `-<parts>`; uploads here use
 * one known part size, so the ETag can be predicted from the local file. Buckets whose ETags are not
 * MD5s (SSE-KMS) fall back to the sha256 that every upload stores in its metadata.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { PART_SIZE, type S3Api } from "../aws/index.js";

/** Metadata key holding the sha256 of an uploaded file. */
export const SHA256_METADATA = "sagebrew-sha256";

/** A local file's size, sha256, and the ETag S3 gives it when uploaded with `PART_SIZE` parts. */
export interface FileDigest {
  readonly size: number;
  readonly sha256: string;
  readonly etag: string;
}

/** Reads `file` once for its sha256 and its predicted S3 ETag. */
export async function digestForS3(file: string): Promise<FileDigest> {
  const sha = createHash("sha256");
  const partMd5s: Buffer[] = [];
  let part = createHash("md5");
  let inPart = 0;
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    let buf = chunk as Buffer;
    sha.update(buf);
    size += buf.length;
    while (buf.length > 0) {
      const take = Math.min(buf.length, PART_SIZE - inPart);
      part.update(buf.subarray(0, take));
      inPart += take;
      buf = buf.subarray(take);
      if (inPart === PART_SIZE) {
        partMd5s.push(part.digest());
        part = createHash("md5");
        inPart = 0;
      }
    }
  }
  if (inPart > 0 || partMd5s.length === 0) partMd5s.push(part.digest());
  // lib-storage sends one PutObject when the body fits in one part.
  const etag =
    size <= PART_SIZE
      ? partMd5s[0]!.toString("hex")
      : `${createHash("md5").update(Buffer.concat(partMd5s)).digest("hex")}-${partMd5s.length}`;
  return { size, sha256: sha.digest("hex"), etag };
}

/** Progress of a set of uploads, in bytes. */
export type UploadProgress = (event: {
  file: string;
  sent: number;
  total: number;
  skipped?: boolean;
}) => void;

/** What one sync did. */
export interface SyncResult {
  readonly uploaded: number;
  readonly skipped: number;
  readonly removed: number;
  /** Bytes sent. */
  readonly bytes: number;
  /** Bytes of every local file. */
  readonly totalBytes: number;
}

async function sameRemote(
  s3: S3Api,
  bucket: string,
  key: string,
  local: FileDigest,
  listed?: { size: number; etag: string },
): Promise<boolean> {
  if (listed) {
    if (listed.size !== local.size) return false;
    if (listed.etag === local.etag) return true;
  }
  const head = await s3.head(bucket, key);
  if (!head || head.size !== local.size) return false;
  return head.etag === local.etag || head.metadata[SHA256_METADATA] === local.sha256;
}

/**
 * Uploads `file` to `s3://bucket/key` unless the same bytes are there.
 *
 * @returns `uploaded` or `skipped`.
 */
export async function uploadFile(
  s3: S3Api,
  file: string,
  bucket: string,
  key: string,
  options: { onProgress?: UploadProgress; contentType?: string; digest?: FileDigest } = {},
): Promise<"uploaded" | "skipped"> {
  const digest = options.digest ?? (await digestForS3(file));
  const report = options.onProgress;
  if (await sameRemote(s3, bucket, key, digest)) {
    report?.({ file, sent: digest.size, total: digest.size, skipped: true });
    return "skipped";
  }
  await s3.upload(bucket, key, createReadStream(file), {
    size: digest.size,
    metadata: { [SHA256_METADATA]: digest.sha256 },
    ...(options.contentType ? { contentType: options.contentType } : {}),
    ...(report ? { onProgress: (sent: number) => report({ file, sent, total: digest.size }) } : {}),
  });
  report?.({ file, sent: digest.size, total: digest.size });
  return "uploaded";
}

/** Every regular file below `dir` (relative, `/`-separated, sorted); dot-files are skipped. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      if (entry.name.startsWith(".")) continue;
      const path = join(d, entry.name);
      const info = entry.isSymbolicLink() ? await stat(path) : entry;
      if (info.isDirectory()) await walk(path);
      else if (info.isFile()) out.push(relative(dir, path).split(sep).join("/"));
    }
  }
  await walk(dir);
  return out.sort();
}

/**
 * Makes `s3://bucket/prefix` hold exactly the files of `dir`: sends new and changed files, skips
 * unchanged ones, and removes objects under the prefix that no longer exist locally (so a job never
 * trains on a file deleted since the last upload). `prefix` must end with `/` and belong to sagebrew.
 */
export async function syncDirectory(
  s3: S3Api,
  dir: string,
  bucket: string,
  prefix: string,
  options: { onProgress?: UploadProgress } = {},
): Promise<SyncResult> {
  const files = await listFiles(dir);
  const remote = new Map((await s3.list(bucket, prefix)).map((o) => [o.key, o]));
  let uploaded = 0;
  let skipped = 0;
  let bytes = 0;
  let totalBytes = 0;
  for (const rel of files) {
    const path = join(dir, ...rel.split("/"));
    const key = prefix + rel;
    const digest = await digestForS3(path);
    totalBytes += digest.size;
    const listed = remote.get(key);
    remote.delete(key);
    if (listed && (await sameRemote(s3, bucket, key, digest, listed))) {
      skipped++;
      options.onProgress?.({ file: rel, sent: digest.size, total: digest.size, skipped: true });
      continue;
    }
    const report = options.onProgress;
    await s3.upload(bucket, key, createReadStream(path), {
      size: digest.size,
      metadata: { [SHA256_METADATA]: digest.sha256 },
      ...(report ? { onProgress: (sent: number) => report({ file: rel, sent, total: digest.size }) } : {}),
    });
    report?.({ file: rel, sent: digest.size, total: digest.size });
    uploaded++;
    bytes += digest.size;
  }
  const stale = [...remote.keys()];
  if (stale.length > 0) await s3.deleteObjects(bucket, stale);
  return { uploaded, skipped, removed: stale.length, bytes, totalBytes };
}
