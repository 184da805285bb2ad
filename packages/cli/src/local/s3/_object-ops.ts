import { type FileHandle, open } from "node:fs/promises";
import type { OutgoingHttpHeaders } from "node:http";
import { pipeline } from "node:stream/promises";
import { noSuchBucket, noSuchKey, notImplemented, S3Error } from "./_errors.js";
import { type Exchange, headerOf, httpDate, type S3State, sendEmpty, startStream } from "./_exchange.js";
import { MAX_PUT_BYTES, receiveBody } from "./_intake.js";
import { checkKey } from "./_names.js";
import { type ObjectMeta, readMeta, type StoredChecksum } from "./_object-file.js";

/** The content headers S3 stores with an object and answers on GET and HEAD. */
const CONTENT_HEADERS = [
  "content-type",
  "content-encoding",
  "content-disposition",
  "content-language",
  "cache-control",
  "expires",
];
/** S3's limit on user metadata: 2 KB of names and values. */
const MAX_USER_METADATA = 2048;

/** The content headers of a request, as stored (`aws-chunked` is the transfer's, not the object's). */
export function contentHeaders(x: Exchange): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CONTENT_HEADERS) {
    let v = headerOf(x, name);
    if (name === "content-encoding" && v !== undefined) {
      v = v
        .split(",")
        .map((e) => e.trim())
        .filter((e) => e !== "" && e.toLowerCase() !== "aws-chunked")
        .join(",");
    }
    if (v !== undefined && v !== "") out[name] = v;
  }
  return out;
}

/**
 * The user metadata of a request (`x-amz-meta-*`).
 *
 * @throws S3Error MetadataTooLarge above 2 KB.
 */
export function userMetadata(x: Exchange): Record<string, string> {
  const out: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of Object.entries(x.req.headers)) {
    if (!name.startsWith("x-amz-meta-") || value === undefined) continue;
    const v = Array.isArray(value) ? value.join(",") : value;
    const n = name.slice("x-amz-meta-".length);
    size += Buffer.byteLength(n) + Buffer.byteLength(v);
    out[n] = v;
  }
  if (size > MAX_USER_METADATA) {
    throw new S3Error("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.", {
      Size: String(size),
      MaxSizeAllowed: String(MAX_USER_METADATA),
    });
  }
  return out;
}

/** The `x-amz-checksum-*` answer headers of a checksum. */
export function checksumHeaders(
  c: StoredChecksum | { algorithm: string; value: string } | undefined,
): OutgoingHttpHeaders {
  if (!c) return {};
  return {
    [`x-amz-checksum-${c.algorithm}`]: c.value,
    ...("type" in c ? { "x-amz-checksum-type": c.type } : {}),
  };
}

export function keyOf(x: Exchange): { bucket: string; key: string } {
  return { bucket: x.address.bucket!, key: x.address.key! };
}

/** Conditional writes (If-None-Match: *, If-Match) against the current object. */
function checkWritePreconditions(x: Exchange, s: S3State, bucket: string, key: string): void {
  const noneMatch = headerOf(x, "if-none-match");
  const match = headerOf(x, "if-match");
  if (noneMatch === undefined && match === undefined) return;
  let current: ObjectMeta | undefined;
  try {
    current = s.store.head(bucket, key);
  } catch {
    current = undefined;
  }
  if (
    noneMatch !== undefined &&
    current &&
    (noneMatch.trim() === "*" || etagMatches(noneMatch, current.etag))
  ) {
    throw new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", {
      Condition: "If-None-Match",
    });
  }
  if (match !== undefined) {
    if (!current) throw noSuchKey(key);
    if (!etagMatches(match, current.etag)) {
      throw new S3Error(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        { Condition: "If-Match" },
      );
    }
  }
}

/** PutObject: the body streamed to a temporary file, verified, then published by one rename. */
export async function putObject(x: Exchange, s: S3State): Promise<void> {
  const { bucket, key } = keyOf(x);
  if (!s.store.bucket(bucket)) throw noSuchBucket(bucket);
  checkKey(key);
  const headers = contentHeaders(x);
  headers["content-type"] ??= "binary/octet-stream";
  const metadata = userMetadata(x);
  checkWritePreconditions(x, s, bucket, key);
  const tmp = s.store.tempPath();
  const received = await receiveBody(x.req, tmp, { maxBytes: MAX_PUT_BYTES });
  const meta = await s.store.commit(bucket, tmp, {
    key,
    size: received.size,
    etag: received.md5,
    lastModified: Date.now(),
    headers,
    metadata,
    ...(received.checksum ? { checksum: { ...received.checksum, type: "FULL_OBJECT" as const } } : {}),
  });
  sendEmpty(x, 200, { etag: `"${meta.etag}"`, ...checksumHeaders(meta.checksum) });
}

function etagMatches(list: string, etag: string): boolean {
  return list.split(",").some((t) => {
    const v = t.trim().replace(/^W\//, "");
    return v === "*" || v.replace(/^"|"$/g, "") === etag;
  });
}

/** The one byte range a Range header asks for; undefined for the whole object (S3 ignores what it cannot read). */
export function rangeOf(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes=(\d*)-(\d*)\s*$/.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

/** GET and HEAD's conditional headers: a 412 or 304 error, or nothing. */
function checkReadPreconditions(x: Exchange, meta: ObjectMeta): void {
  const match = headerOf(x, "if-match");
  const noneMatch = headerOf(x, "if-none-match");
  const since = headerOf(x, "if-modified-since");
  const unmodified = headerOf(x, "if-unmodified-since");
  const seconds = Math.floor(meta.lastModified / 1000) * 1000;
  const failed = (condition: string) =>
    new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", {
      Condition: condition,
    });
  if (match !== undefined && !etagMatches(match, meta.etag)) throw failed("If-Match");
  if (match === undefined && unmodified !== undefined && seconds > Date.parse(unmodified))
    throw failed("If-Unmodified-Since");
  if (noneMatch !== undefined && etagMatches(noneMatch, meta.etag))
    throw new S3Error("NotModified", "Not Modified");
  if (noneMatch === undefined && since !== undefined && seconds <= Date.parse(since))
    throw new S3Error("NotModified", "Not Modified");
}

/** The headers GET and HEAD answer for an object. */
function objectHeaders(x: Exchange, meta: ObjectMeta): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = {
    etag: `"${meta.etag}"`,
    "last-modified": httpDate(meta.lastModified),
    "accept-ranges": "bytes",
    ...meta.headers,
  };
  for (const [k, v] of Object.entries(meta.metadata)) h[`x-amz-meta-${k}`] = v;
  if (meta.parts !== undefined) h["x-amz-mp-parts-count"] = meta.parts;
  if (headerOf(x, "x-amz-checksum-mode")?.toUpperCase() === "ENABLED")
    Object.assign(h, checksumHeaders(meta.checksum));
  for (const name of [
    "content-type",
    "content-language",
    "expires",
    "cache-control",
    "content-disposition",
    "content-encoding",
  ]) {
    const v = x.address.query.get(`response-${name}`);
    if (v !== null) h[name] = v;
  }
  return h;
}

/** Opens an object's file and reads its metadata from it (the index may be a rename behind). */
export async function openObject(
  s: S3State,
  bucket: string,
  key: string,
): Promise<{ file: FileHandle; meta: ObjectMeta }> {
  s.store.head(bucket, key);
  let file: FileHandle;
  try {
    file = await open(s.store.objectPath(bucket, key), "r");
  } catch {
    throw noSuchKey(key);
  }
  try {
    const meta = await readMeta(file);
    if (meta.key !== key) throw noSuchKey(key);
    return { file, meta };
  } catch (e) {
    await file.close();
    throw e;
  }
}

/** GetObject and HeadObject. */
export async function getObject(x: Exchange, s: S3State): Promise<void> {
  const { bucket, key } = keyOf(x);
  if (x.address.query.has("partNumber")) throw notImplemented("GetObject of one part (?partNumber)");
  const { file, meta } = await openObject(s, bucket, key);
  let handedOver = false;
  try {
    checkReadPreconditions(x, meta);
    const range = rangeOf(headerOf(x, "range"), meta.size);
    if (range === "unsatisfiable") {
      throw new S3Error("InvalidRange", "The requested range is not satisfiable", {
        RangeRequested: headerOf(x, "range") ?? "",
        ActualObjectSize: String(meta.size),
      });
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? meta.size - 1;
    const headers = {
      ...objectHeaders(x, meta),
      "content-length": end - start + 1,
      ...(range ? { "content-range": `bytes ${start}-${end}/${meta.size}` } : {}),
    };
    if (range) {
      // A part of the object: its whole-object checksum does not describe these bytes.
      for (const k of Object.keys(headers))
        if (k.startsWith("x-amz-checksum-")) delete (headers as Record<string, unknown>)[k];
    }
    startStream(x, range ? 206 : 200, headers);
    if (x.req.method === "HEAD" || end < start) {
      x.res.end();
      return;
    }
    handedOver = true;
    await pipeline(file.createReadStream({ start, end, autoClose: true }), x.res).catch(() =>
      x.res.destroy(),
    );
  } finally {
    if (!handedOver) await file.close();
  }
}

/** DeleteObject: 204 whether or not the key existed, as S3 answers. */
export async function deleteObject(x: Exchange, s: S3State): Promise<void> {
  const { bucket, key } = keyOf(x);
  await s.store.deleteObject(bucket, key);
  sendEmpty(x, 204);
}
