/**
 * ListBuckets, CreateBucket (with S3's location-constraint rules), HeadBucket, DeleteBucket,
 * GetBucketLocation, ListObjectsV2 and ListObjects (Prefix, Delimiter, MaxKeys, StartAfter/Marker,
 * ContinuationToken, EncodingType=url) and DeleteObjects, as S3 answers them.
 */
import { checksumOf, isChecksumAlgorithm } from "./_checksums.js";
import { noSuchBucket, S3Error } from "./_errors.js";
import {
  type Exchange,
  headerOf,
  isoDate,
  readSmallBody,
  type S3State,
  sendEmpty,
  sendXml,
} from "./_exchange.js";
import { compareKeys, decodeToken, listPage } from "./_listing.js";
import { checkBucketName } from "./_names.js";
import { childrenNamed, childText, parseXml, S3_NAMESPACE, type XmlNode, xmlDocument } from "./_xml.js";

/** The largest XML body read (DeleteObjects of 1000 keys of 1 KB, escaped, fits). */
const MAX_XML_BODY = 2 * 1024 * 1024;

const bucketOf = (x: Exchange) => x.address.bucket!;

function existing(x: Exchange, s: S3State): string {
  const name = bucketOf(x);
  if (!s.store.bucket(name)) throw noSuchBucket(name);
  return name;
}

export function listBuckets(x: Exchange, s: S3State): void {
  const prefix = x.address.query.get("prefix") ?? "";
  const buckets: XmlNode[] = s.store
    .listBuckets()
    .filter((b) => b.name.startsWith(prefix))
    .map((b) => [
      "Bucket",
      [
        ["Name", b.name],
        ["CreationDate", isoDate(b.created)],
        ["BucketRegion", b.region],
      ],
    ]);
  sendXml(
    x,
    xmlDocument("ListAllMyBucketsResult", S3_NAMESPACE, [
      ["Owner", [["ID", s.ownerId]]],
      ["Buckets", buckets],
      ...(prefix ? ([["Prefix", prefix]] as XmlNode[]) : []),
    ]),
  );
}

/** The region a CreateBucket makes its bucket in, checked as S3 checks the location constraint. */
function bucketRegion(x: Exchange, constraint: string | undefined): string {
  const signed = x.req.headers.authorization !== undefined || x.address.query.has("X-Amz-Credential");
  if (!signed) return constraint || "us-east-1";
  if (x.region === "us-east-1") {
    if (constraint === "us-east-1") {
      throw new S3Error("InvalidLocationConstraint", "The specified location-constraint is not valid", {
        LocationConstraint: constraint,
      });
    }
    return constraint || "us-east-1";
  }
  if (!constraint) {
    throw new S3Error(
      "IllegalLocationConstraintException",
      `The unspecified location constraint is incompatible for the region specific endpoint this request was sent to (${x.region}): pass CreateBucketConfiguration={"LocationConstraint": "${x.region}"}.`,
    );
  }
  if (constraint !== x.region) {
    throw new S3Error(
      "IllegalLocationConstraintException",
      `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to (${x.region}).`,
    );
  }
  return constraint;
}

export async function createBucket(x: Exchange, s: S3State): Promise<void> {
  const name = bucketOf(x);
  checkBucketName(name);
  const body = (await readSmallBody(x, MAX_XML_BODY)).toString("utf8");
  let constraint: string | undefined;
  if (body.trim() !== "") {
    const doc = parseXml(body);
    if (doc.name !== "CreateBucketConfiguration") {
      throw new S3Error(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema: expected CreateBucketConfiguration.",
      );
    }
    constraint = childText(doc, "LocationConstraint")?.trim() || undefined;
  }
  const region = bucketRegion(x, constraint);
  const created = await s.store.createBucket(name, region);
  if (!created && x.region !== "us-east-1") {
    throw new S3Error(
      "BucketAlreadyOwnedByYou",
      "Your previous request to create the named bucket succeeded and you already own it.",
      { BucketName: name },
    );
  }
  // us-east-1 answers 200 to its owner re-creating a bucket (S3's legacy behaviour there).
  sendEmpty(x, 200, { location: `/${name}` });
}

export function headBucket(x: Exchange, s: S3State): void {
  const name = existing(x, s);
  sendEmpty(x, 200, { "x-amz-bucket-region": s.store.bucket(name)!.region });
}

export async function deleteBucket(x: Exchange, s: S3State): Promise<void> {
  const name = existing(x, s);
  await s.store.deleteBucket(name);
  s.uploads.forgetBucket(name);
  sendEmpty(x, 204);
}

export function bucketLocation(x: Exchange, s: S3State): void {
  const region = s.store.bucket(existing(x, s))!.region;
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="${S3_NAMESPACE}">${region === "us-east-1" ? "" : region}</LocationConstraint>`;
  sendXml(x, body);
}

/** `max-keys` as S3 reads it (default 1000). */
function maxKeysOf(x: Exchange): number {
  const raw = x.address.query.get("max-keys");
  if (raw === null) return 1000;
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > 2 ** 31 - 1) {
    throw new S3Error("InvalidArgument", "Provided max-keys not an integer or within integer range", {
      ArgumentName: "max-keys",
      ArgumentValue: raw,
    });
  }
  return Number(raw);
}

/** A value as the listing writes it: URL-encoded (keeping `/`) with `encoding-type=url`. */
function encoder(x: Exchange): (v: string) => string {
  const type = x.address.query.get("encoding-type");
  if (type === null) return (v) => v;
  if (type !== "url") {
    throw new S3Error("InvalidArgument", "Invalid Encoding Method specified in Request", {
      ArgumentName: "encoding-type",
      ArgumentValue: type,
    });
  }
  return (v) => encodeURIComponent(v).replace(/%2F/g, "/");
}

/** ListObjectsV2 (`?list-type=2`) and ListObjects (v1, `Marker`). */
export function listObjects(x: Exchange, s: S3State): void {
  const name = existing(x, s);
  const q = x.address.query;
  const v2 = q.get("list-type") === "2";
  const prefix = q.get("prefix") ?? "";
  const delimiter = q.get("delimiter") ?? "";
  const maxKeys = maxKeysOf(x);
  const enc = encoder(x);
  const token = v2 ? q.get("continuation-token") : null;
  let resume = token !== null ? decodeToken(token) : undefined;
  if (token !== null && !resume) {
    throw new S3Error("InvalidArgument", "The continuation token provided is incorrect", {
      ArgumentName: "continuation-token",
    });
  }
  const marker = v2 ? null : q.get("marker");
  if (marker) resume = { after: marker, prefix: delimiter !== "" && marker.endsWith(delimiter) };
  const startAfter = v2 ? (q.get("start-after") ?? undefined) : undefined;
  const page = listPage(s.store.sortedKeys(name), {
    prefix,
    delimiter,
    maxKeys,
    ...(startAfter !== undefined ? { startAfter } : {}),
    ...(resume ? { resume } : {}),
  });
  const owner = v2 ? q.get("fetch-owner") === "true" : true;
  const contents: XmlNode[] = page.keys.map((key) => {
    const meta = s.store.head(name, key);
    return [
      "Contents",
      [
        ["Key", enc(key)],
        ["LastModified", isoDate(meta.lastModified)],
        ["ETag", `"${meta.etag}"`],
        ...(meta.checksum
          ? ([
              ["ChecksumAlgorithm", meta.checksum.algorithm.toUpperCase()],
              ["ChecksumType", meta.checksum.type],
            ] as XmlNode[])
          : []),
        ["Size", meta.size],
        ["StorageClass", "STANDARD"],
        ...(owner ? ([["Owner", [["ID", s.ownerId]]]] as XmlNode[]) : []),
      ],
    ];
  });
  const prefixes: XmlNode[] = page.commonPrefixes.map((p) => ["CommonPrefixes", [["Prefix", enc(p)]]]);
  const lastEntry = page.isTruncated
    ? [...page.keys, ...page.commonPrefixes].sort(compareKeys).at(-1)
    : undefined;
  const children: XmlNode[] = [
    ["Name", name],
    ["Prefix", enc(prefix)],
    ...(v2 ? ([] as XmlNode[]) : ([["Marker", enc(marker ?? "")]] as XmlNode[])),
    ...(delimiter ? ([["Delimiter", enc(delimiter)]] as XmlNode[]) : []),
    ["MaxKeys", maxKeys],
    ...(q.has("encoding-type") ? ([["EncodingType", "url"]] as XmlNode[]) : []),
    ...(v2 ? ([["KeyCount", page.keys.length + page.commonPrefixes.length]] as XmlNode[]) : []),
    ["IsTruncated", page.isTruncated],
    ...(v2 && token !== null ? ([["ContinuationToken", token]] as XmlNode[]) : []),
    ...(v2 && page.nextToken ? ([["NextContinuationToken", page.nextToken]] as XmlNode[]) : []),
    ...(v2 && startAfter !== undefined ? ([["StartAfter", enc(startAfter)]] as XmlNode[]) : []),
    ...(!v2 && delimiter && lastEntry !== undefined ? ([["NextMarker", enc(lastEntry)]] as XmlNode[]) : []),
    ...contents,
    ...prefixes,
  ];
  sendXml(x, xmlDocument("ListBucketResult", S3_NAMESPACE, children));
}

/** Verifies a small body against Content-MD5 or an x-amz-checksum-* header; DeleteObjects needs one. */
function verifySmallBody(x: Exchange, body: Buffer): void {
  const md5 = headerOf(x, "content-md5");
  const checksums = Object.keys(x.req.headers).filter(
    (h) => h.startsWith("x-amz-checksum-") && isChecksumAlgorithm(h.slice(15)),
  );
  if (md5 === undefined && checksums.length === 0) {
    throw new S3Error(
      "InvalidRequest",
      "Missing required header for this request: Content-MD5 (or an x-amz-checksum-* header)",
    );
  }
  if (md5 !== undefined && checksumOf("md5", body) !== md5.trim()) {
    throw new S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.");
  }
  for (const h of checksums) {
    const algorithm = h.slice(15);
    if (isChecksumAlgorithm(algorithm) && checksumOf(algorithm, body) !== headerOf(x, h)?.trim()) {
      throw new S3Error(
        "BadDigest",
        `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
      );
    }
  }
}

export async function deleteObjects(x: Exchange, s: S3State): Promise<void> {
  const name = existing(x, s);
  const body = await readSmallBody(x, MAX_XML_BODY);
  verifySmallBody(x, body);
  const doc = parseXml(body.toString("utf8"));
  const malformed = (why: string) =>
    new S3Error(
      "MalformedXML",
      `The XML you provided was not well-formed or did not validate against our published schema: ${why}.`,
    );
  if (doc.name !== "Delete") throw malformed("expected Delete");
  const objects = childrenNamed(doc, "Object");
  if (objects.length === 0) throw malformed("name at least one Object");
  if (objects.length > 1000) throw malformed("name at most 1000 objects");
  const quiet = childText(doc, "Quiet")?.trim() === "true";
  const deleted: XmlNode[] = [];
  const errors: XmlNode[] = [];
  for (const o of objects) {
    const key = childText(o, "Key");
    if (key === undefined || key === "") throw malformed("every Object needs a Key");
    try {
      await s.store.deleteObject(name, key);
      if (!quiet) deleted.push(["Deleted", [["Key", key]]]);
    } catch (e) {
      errors.push([
        "Error",
        [
          ["Key", key],
          ["Code", e instanceof S3Error ? e.code : "InternalError"],
          ["Message", (e as Error).message],
        ],
      ]);
    }
  }
  sendXml(x, xmlDocument("DeleteResult", S3_NAMESPACE, [...deleted, ...errors]));
}
