/**
 * Which S3 operation a request is — by method, whether it names a bucket and a key, and its
 * sub-resource query keys — and the one place that answers it or its error. Sub-resources S3 has
 * and this server does not serve (`?acl`, `?tagging`, `?versioning`, …) are NotImplemented, named.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { addressOf } from "./_address.js";
import * as buckets from "./_bucket-ops.js";
import { copyObject } from "./_copy-object.js";
import { notImplemented, S3Error } from "./_errors.js";
import { type Exchange, headerOf, type S3State, sendError } from "./_exchange.js";
import * as multipart from "./_multipart-ops.js";
import * as objects from "./_object-ops.js";

type Handler = (x: Exchange, s: S3State) => void | Promise<void>;

/** Sub-resources of S3 this server does not serve, with the operations they belong to. */
const UNSERVED: Readonly<Record<string, string>> = {
  acl: "ACLs (?acl)",
  tagging: "tagging (?tagging)",
  policy: "bucket policies (?policy)",
  policyStatus: "bucket policies (?policyStatus)",
  cors: "CORS configuration (?cors)",
  lifecycle: "lifecycle configuration (?lifecycle)",
  versioning: "versioning (?versioning)",
  versions: "ListObjectVersions (?versions)",
  website: "website configuration (?website)",
  logging: "server access logging (?logging)",
  notification: "event notifications (?notification)",
  replication: "replication (?replication)",
  encryption: "default encryption configuration (?encryption)",
  ownershipControls: "object ownership (?ownershipControls)",
  publicAccessBlock: "public access blocks (?publicAccessBlock)",
  "object-lock": "object lock (?object-lock)",
  retention: "object retention (?retention)",
  "legal-hold": "legal holds (?legal-hold)",
  restore: "RestoreObject (?restore)",
  select: "SelectObjectContent (?select)",
  torrent: "GetObjectTorrent (?torrent)",
  accelerate: "transfer acceleration (?accelerate)",
  analytics: "analytics configuration (?analytics)",
  inventory: "inventory configuration (?inventory)",
  metrics: "metrics configuration (?metrics)",
  "intelligent-tiering": "Intelligent-Tiering configuration (?intelligent-tiering)",
  requestPayment: "requester pays (?requestPayment)",
  attributes: "GetObjectAttributes (?attributes)",
  session: "CreateSession (?session)",
  renameObject: "RenameObject (?renameObject)",
  metadataTable: "metadata tables (?metadataTable)",
};

/** The handler of a request, by its address and method. */
function route(x: Exchange): Handler {
  const { bucket, key, query } = x.address;
  for (const name of query.keys()) {
    const what = UNSERVED[name];
    if (what) throw notImplemented(what);
  }
  const versionId = query.get("versionId");
  if (versionId !== null && versionId !== "null") throw notImplemented("object versions (?versionId)");
  const method = x.req.method ?? "GET";
  const notAllowed = () =>
    new S3Error(
      "MethodNotAllowed",
      `The specified method is not allowed against this resource: ${method} ${x.address.resource}`,
      {
        Method: method,
        ResourceType: bucket === undefined ? "SERVICE" : key === undefined ? "BUCKET" : "OBJECT",
      },
    );
  if (bucket === undefined) {
    if (method === "GET") return buckets.listBuckets;
    throw notAllowed();
  }
  if (key === undefined) {
    switch (method) {
      case "PUT":
        return buckets.createBucket;
      case "HEAD":
        return buckets.headBucket;
      case "DELETE":
        return buckets.deleteBucket;
      case "GET":
        if (query.has("location")) return buckets.bucketLocation;
        if (query.has("uploads")) throw notImplemented("ListMultipartUploads (?uploads)");
        return buckets.listObjects;
      case "POST":
        if (query.has("delete")) return buckets.deleteObjects;
        throw notImplemented("POST uploads from HTML forms");
    }
    throw notAllowed();
  }
  switch (method) {
    case "PUT":
      if (query.has("uploadId") || query.has("partNumber")) return multipart.uploadPart;
      if (headerOf(x, "x-amz-copy-source") !== undefined) return copyObject;
      return objects.putObject;
    case "GET":
      if (query.has("uploadId")) return multipart.listParts;
      return objects.getObject;
    case "HEAD":
      return objects.getObject;
    case "DELETE":
      if (query.has("uploadId")) return multipart.abortMultipartUpload;
      return objects.deleteObject;
    case "POST":
      if (query.has("uploads")) return multipart.createMultipartUpload;
      if (query.has("uploadId")) return multipart.completeMultipartUpload;
      throw notAllowed();
  }
  throw notAllowed();
}

/**
 * Answers one S3 request: its operation, or its error in S3's XML.
 *
 * @param warn reports a failure that is sagebrew's (answered InternalError).
 */
export function handleS3(
  req: IncomingMessage,
  res: ServerResponse,
  s: S3State,
  context: { region: string; warn: (message: string) => void },
): void {
  const requestId = randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase();
  let x: Exchange = {
    req,
    res,
    address: { query: new URLSearchParams(), resource: req.url ?? "/", virtualHosted: false },
    requestId,
    region: context.region,
  };
  const fail = (e: unknown) => {
    if (e instanceof S3Error) sendError(x, e);
    else {
      context.warn(`S3 request ${requestId} failed: ${(e as Error)?.stack ?? String(e)}`);
      sendError(x, new S3Error("InternalError", "We encountered an internal error. Please try again."));
    }
  };
  try {
    x = { ...x, address: addressOf(req.url ?? "/", req.headers.host) };
    const handler = route(x);
    Promise.resolve(handler(x, s)).catch(fail);
  } catch (e) {
    fail(e);
  }
}
