/**
 * CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload and ListParts,
 * as S3 answers them (part numbers 1…10,000, parts up to 5 GiB, ListParts paged by
 * part-number-marker and max-parts).
 */
import { rm } from "node:fs/promises";
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from "./_checksums.js";
import { noSuchBucket, notImplemented, S3Error } from "./_errors.js";
import {
  type Exchange,
  headerOf,
  isoDate,
  readSmallBody,
  type S3State,
  sendEmpty,
  sendXml,
} from "./_exchange.js";
import { MAX_PUT_BYTES, receiveBody } from "./_intake.js";
import { algorithmOf, MAX_PARTS, type RequestedPart } from "./_multipart.js";
import { checkKey } from "./_names.js";
import { checksumHeaders, contentHeaders, userMetadata } from "./_object-ops.js";
import { childrenNamed, childText, parseXml, S3_NAMESPACE, type XmlNode, xmlDocument } from "./_xml.js";

/** CompleteMultipartUpload of 10,000 parts with every checksum fits well in this. */
const MAX_COMPLETE_BODY = 8 * 1024 * 1024;

function target(x: Exchange, s: S3State): { bucket: string; key: string } {
  const bucket = x.address.bucket!;
  const key = x.address.key!;
  if (!s.store.bucket(bucket)) throw noSuchBucket(bucket);
  return { bucket, key };
}

function uploadOf(x: Exchange, s: S3State) {
  const { bucket, key } = target(x, s);
  return s.uploads.get(bucket, key, x.address.query.get("uploadId") ?? "");
}

export async function createMultipartUpload(x: Exchange, s: S3State): Promise<void> {
  const { bucket, key } = target(x, s);
  checkKey(key);
  x.req.resume();
  const rawAlgorithm = headerOf(x, "x-amz-checksum-algorithm");
  const checksumAlgorithm = algorithmOf(rawAlgorithm);
  if (rawAlgorithm !== undefined && !checksumAlgorithm) {
    throw new S3Error(
      "InvalidRequest",
      `sagebrew local does not compute the checksum ${rawAlgorithm}: it computes ${CHECKSUM_ALGORITHMS.join(", ").toUpperCase()}`,
    );
  }
  const rawType = headerOf(x, "x-amz-checksum-type")?.toUpperCase();
  if (rawType !== undefined && rawType !== "COMPOSITE" && rawType !== "FULL_OBJECT") {
    throw new S3Error("InvalidRequest", `Value for x-amz-checksum-type header is invalid: ${rawType}`);
  }
  if (rawType === "COMPOSITE" && checksumAlgorithm === "crc64nvme") {
    throw new S3Error(
      "InvalidRequest",
      "The COMPOSITE checksum type cannot be used with the CRC64NVME checksum algorithm.",
    );
  }
  const headers = { "content-type": "binary/octet-stream", ...contentHeaders(x) };
  const info = await s.uploads.create({
    bucket,
    key,
    initiated: Date.now(),
    headers,
    metadata: userMetadata(x),
    ...(checksumAlgorithm ? { checksumAlgorithm } : {}),
    ...(rawType ? { checksumType: rawType as "COMPOSITE" | "FULL_OBJECT" } : {}),
  });
  sendXml(
    x,
    xmlDocument("InitiateMultipartUploadResult", S3_NAMESPACE, [
      ["Bucket", bucket],
      ["Key", key],
      ["UploadId", info.id],
    ]),
    checksumAlgorithm
      ? {
          "x-amz-checksum-algorithm": checksumAlgorithm.toUpperCase(),
          "x-amz-checksum-type":
            info.checksumType ?? (checksumAlgorithm === "crc64nvme" ? "FULL_OBJECT" : "COMPOSITE"),
        }
      : {},
  );
}

/** A part number as S3 accepts it. */
function partNumberOf(raw: string | null): number {
  if (raw === null || !/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PARTS) {
    throw new S3Error(
      "InvalidArgument",
      `Part number must be an integer between 1 and ${MAX_PARTS}, inclusive`,
      {
        ArgumentName: "partNumber",
        ArgumentValue: raw ?? "",
      },
    );
  }
  return Number(raw);
}

export async function uploadPart(x: Exchange, s: S3State): Promise<void> {
  if (headerOf(x, "x-amz-copy-source") !== undefined) throw notImplemented("UploadPartCopy");
  const number = partNumberOf(x.address.query.get("partNumber"));
  const info = uploadOf(x, s);
  const tmp = s.store.tempPath();
  const received = await receiveBody(x.req, tmp, {
    maxBytes: MAX_PUT_BYTES,
    ...(info.checksumAlgorithm ? { computeAlso: info.checksumAlgorithm } : {}),
  });
  if (info.checksumAlgorithm && received.checksum && received.checksum.algorithm !== info.checksumAlgorithm) {
    await rm(tmp, { force: true });
    throw new S3Error(
      "InvalidRequest",
      `Checksum Type mismatch occurred, expected checksum Type: ${info.checksumAlgorithm}, actual checksum Type: ${received.checksum.algorithm}`,
    );
  }
  const part = await s.uploads.putPart(info, number, tmp, received);
  sendEmpty(x, 200, {
    etag: `"${part.etag}"`,
    ...checksumHeaders(
      part.checksum ? { algorithm: part.checksum.algorithm, value: part.checksum.value } : undefined,
    ),
  });
}

/** The parts a CompleteMultipartUpload body names. */
function requestedParts(body: string): RequestedPart[] {
  const doc = parseXml(body);
  if (doc.name !== "CompleteMultipartUpload") {
    throw new S3Error(
      "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our published schema: expected CompleteMultipartUpload.",
    );
  }
  return childrenNamed(doc, "Part").map((p) => {
    const raw = childText(p, "PartNumber")?.trim() ?? "";
    const etag = childText(p, "ETag");
    if (!/^\d{1,5}$/.test(raw) || etag === undefined) {
      throw new S3Error(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema: every Part needs a PartNumber and an ETag.",
      );
    }
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const a of CHECKSUM_ALGORITHMS) {
      const v = childText(p, `Checksum${a.toUpperCase()}`);
      if (v !== undefined) checksums[a] = v.trim();
    }
    return { number: Number(raw), etag, checksums };
  });
}

export async function completeMultipartUpload(x: Exchange, s: S3State): Promise<void> {
  const info = uploadOf(x, s);
  const parts = requestedParts((await readSmallBody(x, MAX_COMPLETE_BODY)).toString("utf8"));
  let full: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  if (headerOf(x, "x-amz-checksum-type")?.toUpperCase() === "FULL_OBJECT") {
    for (const a of CHECKSUM_ALGORITHMS) {
      const v = headerOf(x, `x-amz-checksum-${a}`);
      if (v !== undefined) full = { algorithm: a, value: v.trim() };
    }
  }
  const meta = await s.uploads.complete(info, parts, full);
  const children: XmlNode[] = [
    ["Location", `/${info.bucket}/${encodeURIComponent(info.key).replace(/%2F/g, "/")}`],
    ["Bucket", info.bucket],
    ["Key", info.key],
    ["ETag", `"${meta.etag}"`],
  ];
  if (meta.checksum) {
    children.push(
      [`Checksum${meta.checksum.algorithm.toUpperCase()}`, meta.checksum.value],
      ["ChecksumType", meta.checksum.type],
    );
  }
  sendXml(x, xmlDocument("CompleteMultipartUploadResult", S3_NAMESPACE, children));
}

export async function abortMultipartUpload(x: Exchange, s: S3State): Promise<void> {
  const info = uploadOf(x, s);
  await s.uploads.abort(info);
  sendEmpty(x, 204);
}

export function listParts(x: Exchange, s: S3State): void {
  const info = uploadOf(x, s);
  const q = x.address.query;
  const rawMax = q.get("max-parts");
  const rawMarker = q.get("part-number-marker");
  for (const [name, raw] of [
    ["max-parts", rawMax],
    ["part-number-marker", rawMarker],
  ] as const) {
    if (raw !== null && !/^\d{1,10}$/.test(raw)) {
      throw new S3Error("InvalidArgument", `Provided ${name} not an integer or within integer range`, {
        ArgumentName: name,
        ArgumentValue: raw,
      });
    }
  }
  const max = Math.min(rawMax === null ? 1000 : Number(rawMax), 1000);
  const marker = rawMarker === null ? 0 : Number(rawMarker);
  const after = s.uploads.parts(info).filter((p) => p.number > marker);
  const page = after.slice(0, max);
  const truncated = after.length > page.length;
  const parts: XmlNode[] = page.map((p) => [
    "Part",
    [
      ["PartNumber", p.number],
      ["LastModified", isoDate(p.lastModified)],
      ["ETag", `"${p.etag}"`],
      ["Size", p.size],
      ...(p.checksum
        ? ([[`Checksum${p.checksum.algorithm.toUpperCase()}`, p.checksum.value]] as XmlNode[])
        : []),
    ],
  ]);
  sendXml(
    x,
    xmlDocument("ListPartsResult", S3_NAMESPACE, [
      ["Bucket", info.bucket],
      ["Key", info.key],
      ["UploadId", info.id],
      ["PartNumberMarker", marker],
      ...(page.length ? ([["NextPartNumberMarker", page.at(-1)!.number]] as XmlNode[]) : []),
      ["MaxParts", max],
      ["IsTruncated", truncated],
      ["StorageClass", "STANDARD"],
      ["Owner", [["ID", s.ownerId]]],
      ["Initiator", [["ID", s.ownerId]]],
      ...(info.checksumAlgorithm
        ? ([["ChecksumAlgorithm", info.checksumAlgorithm.toUpperCase()]] as XmlNode[])
        : []),
      ...parts,
    ]),
  );
}
