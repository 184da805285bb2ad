/**
 * `s3://` objects of this S3 for `sagebrew local`'s own jobs, endpoints and transforms, in process
 * (no HTTP, no SDK): the same store the S3 API serves, so that what a script uploads is what a job
 * reads, and what a job writes is what the script downloads.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { pipeline } from "node:stream/promises";
import { checksumOf, newDigest } from "./_checksums.js";
import { noSuchBucket, S3Error } from "./_errors.js";
import type { S3State } from "./_exchange.js";
import { checkKey } from "./_names.js";
import { readMeta } from "./_object-file.js";

/** One object under a prefix: its URI, its key relative to the prefix, its size. */
export interface LocalObject {
  readonly uri: string;
  readonly rel: string;
  readonly size: number;
}

/** What jobs need of S3 (the shape of local/sagemaker's S3 adapter). */
export interface LocalS3Access {
  list(uri: string): Promise<LocalObject[]>;
  download(uri: string, dest: string): Promise<void>;
  upload(file: string, uri: string): Promise<void>;
  read(uri: string): Promise<Buffer>;
  /** Stores `data` whole as one object (shown once complete), with its content type. */
  write(uri: string, data: Uint8Array, options?: { readonly contentType?: string }): Promise<void>;
}

function parse(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/s.exec(uri);
  if (!m) throw new Error(`Cannot read ${uri}: not an s3://bucket/key URI`);
  return { bucket: m[1]!, key: m[2]! };
}

/** An error of this S3 as a job reports it: `NoSuchKey: The specified key does not exist. (s3://b/k)`. */
function described(e: unknown, uri: string): unknown {
  return e instanceof S3Error ? new Error(`${e.code}: ${e.message} (${uri})`, { cause: e }) : e;
}

/** In-process access to the objects of `s`. */
export function localAccess(s: S3State): LocalS3Access {
  const openData = async (uri: string) => {
    const { bucket, key } = parse(uri);
    s.store.head(bucket, key);
    const file = await open(s.store.objectPath(bucket, key), "r");
    try {
      return { file, size: (await readMeta(file)).size };
    } catch (e) {
      await file.close();
      throw e;
    }
  };
  return {
    async list(uri) {
      const { bucket, key } = parse(uri);
      if (!s.store.bucket(bucket)) throw described(noSuchBucket(bucket), uri);
      const out: LocalObject[] = [];
      for (const k of s.store.sortedKeys(bucket)) {
        if (!k.startsWith(key) || k.endsWith("/")) continue;
        const rest = k.slice(key.length).replace(/^\/+/, "");
        out.push({
          uri: `s3://${bucket}/${k}`,
          rel: rest || k.split("/").pop()!,
          size: s.store.head(bucket, k).size,
        });
      }
      return out.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
    },
    async download(uri, dest) {
      try {
        const { file, size } = await openData(uri);
        await mkdir(dirname(dest), { recursive: true });
        if (size === 0) {
          await file.close();
          await pipeline(async function* () {}, createWriteStream(dest));
          return;
        }
        await pipeline(
          file.createReadStream({ start: 0, end: size - 1, autoClose: true }),
          createWriteStream(dest),
        );
      } catch (e) {
        throw described(e, uri);
      }
    },
    async upload(file, uri) {
      const { bucket, key } = parse(uri);
      const tmp = s.store.tempPath();
      try {
        if (!s.store.bucket(bucket)) throw noSuchBucket(bucket);
        checkKey(key);
        const md5 = newDigest("md5");
        let size = 0;
        await pipeline(
          createReadStream(file),
          async function* (source: AsyncIterable<Buffer>) {
            for await (const c of source) {
              md5.update(c);
              size += c.length;
              yield c;
            }
          },
          createWriteStream(tmp),
        );
        await s.store.commit(bucket, tmp, {
          key,
          size,
          etag: md5.bytes().toString("hex"),
          lastModified: Date.now(),
          headers: { "content-type": "binary/octet-stream" },
          metadata: {},
        });
      } catch (e) {
        await rm(tmp, { force: true });
        throw described(e, uri);
      }
    },
    async write(uri, data, options) {
      const { bucket, key } = parse(uri);
      const tmp = s.store.tempPath();
      try {
        if (!s.store.bucket(bucket)) throw noSuchBucket(bucket);
        checkKey(key);
        await writeFile(tmp, data);
        await s.store.commit(bucket, tmp, {
          key,
          size: data.byteLength,
          etag: Buffer.from(checksumOf("md5", data), "base64").toString("hex"),
          lastModified: Date.now(),
          headers: { "content-type": options?.contentType ?? "binary/octet-stream" },
          metadata: {},
        });
      } catch (e) {
        await rm(tmp, { force: true });
        throw described(e, uri);
      }
    },
    async read(uri) {
      try {
        const { file, size } = await openData(uri);
        try {
          const buf = Buffer.alloc(size);
          await file.read(buf, 0, size, 0);
          return buf;
        } finally {
          await file.close();
        }
      } catch (e) {
        throw described(e, uri);
      }
    },
  };
}
