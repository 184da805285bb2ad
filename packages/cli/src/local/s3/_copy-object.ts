/** CopyObject: a new object from another's bytes, with its metadata copied or replaced. */
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { newDigest } from "./_checksums.js";
import { noSuchBucket, notImplemented, S3Error } from "./_errors.js";
import { type Exchange, headerOf, isoDate, type S3State, sendXml } from "./_exchange.js";
import { MAX_PUT_BYTES } from "./_intake.js";
import { algorithmOf } from "./_multipart.js";
import { checkKey } from "./_names.js";
import type { StoredChecksum } from "./_object-file.js";
import { contentHeaders, keyOf, openObject, userMetadata } from "./_object-ops.js";
import { S3_NAMESPACE, xmlDocument } from "./_xml.js";

/** The bucket and key `x-amz-copy-source` names (`[/]bucket/key[?versionId=…]`, URL-encoded). */
export function copySourceOf(value: string): { bucket: string; key: string } {
  const bad = () =>
    new S3Error(
      "InvalidArgument",
      "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.",
      { ArgumentName: "x-amz-copy-source" },
    );
  const q = value.indexOf("?");
  let path = q === -1 ? value : value.slice(0, q);
  if (q !== -1 && !/^versionId=(null)?$/.test(value.slice(q + 1))) {
    throw notImplemented("object versions (x-amz-copy-source with a versionId)");
  }
  try {
    path = decodeURIComponent(path);
  } catch {
    throw bad();
  }
  path = path.replace(/^\//, "");
  const slash = path.indexOf("/");
  if (slash <= 0 || slash === path.length - 1) throw bad();
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}

/** CopyObject: the source's bytes streamed into a new object (metadata copied or replaced). */
export async function copyObject(x: Exchange, s: S3State): Promise<void> {
  const { bucket, key } = keyOf(x);
  if (!s.store.bucket(bucket)) throw noSuchBucket(bucket);
  checkKey(key);
  x.req.resume();
  const source = copySourceOf(headerOf(x, "x-amz-copy-source")!);
  if (!s.store.bucket(source.bucket)) throw noSuchBucket(source.bucket);
  const directive = (headerOf(x, "x-amz-metadata-directive") ?? "COPY").toUpperCase();
  if (directive !== "COPY" && directive !== "REPLACE") {
    throw new S3Error("InvalidArgument", "Unknown metadata directive.", {
      ArgumentName: "x-amz-metadata-directive",
      ArgumentValue: directive,
    });
  }
  const algorithm = algorithmOf(headerOf(x, "x-amz-checksum-algorithm"));
  if (source.bucket === bucket && source.key === key && directive === "COPY" && !algorithm) {
    throw new S3Error(
      "InvalidRequest",
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const { file, meta: src } = await openObject(s, source.bucket, source.key);
  const tmp = s.store.tempPath();
  let md5hex: string;
  let checksum: StoredChecksum | undefined;
  try {
    if (src.size > MAX_PUT_BYTES) {
      throw new S3Error(
        "InvalidRequest",
        `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_PUT_BYTES}`,
      );
    }
    const keep = algorithm ?? src.checksum?.algorithm;
    const md5 = newDigest("md5");
    const extra = keep ? newDigest(keep) : undefined;
    const out = createWriteStream(tmp);
    const read =
      src.size === 0
        ? []
        : (file.createReadStream({ start: 0, end: src.size - 1, autoClose: false }) as AsyncIterable<Buffer>);
    await pipeline(async function* () {
      for await (const c of read) {
        md5.update(c);
        extra?.update(c);
        yield c;
      }
    }, out);
    md5hex = md5.bytes().toString("hex");
    if (keep && extra)
      checksum = { algorithm: keep, value: extra.bytes().toString("base64"), type: "FULL_OBJECT" };
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    await file.close();
  }
  const replace = directive === "REPLACE";
  const headers = replace ? { "content-type": "binary/octet-stream", ...contentHeaders(x) } : src.headers;
  const meta = await s.store.commit(bucket, tmp, {
    key,
    size: src.size,
    etag: md5hex,
    lastModified: Date.now(),
    headers,
    metadata: replace ? userMetadata(x) : src.metadata,
    ...(checksum ? { checksum } : {}),
  });
  const result: [string, string][] = [
    ["ETag", `"${meta.etag}"`],
    ["LastModified", isoDate(meta.lastModified)],
  ];
  if (checksum) result.push([`Checksum${checksum.algorithm.toUpperCase()}`, checksum.value]);
  sendXml(x, xmlDocument("CopyObjectResult", S3_NAMESPACE, result));
}
