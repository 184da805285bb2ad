/**
 * One S3 request and its answer: where it is addressed, its request id and region, and the ways
 * an operation answers — an XML document, headers only, a stream, or an S3 error (`<Error>` XML,
 * none for HEAD). Every answer carries `x-amz-request-id` and `x-amz-id-2`, as S3's do.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Address } from "./_address.js";
import { S3Error } from "./_errors.js";
import type { Uploads } from "./_multipart.js";
import type { ObjectStore } from "./_store.js";
import { xmlDocument } from "./_xml.js";

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly address: Address;
  readonly requestId: string;
  /** The region the request was signed for (us-east-1 without a signature). */
  readonly region: string;
}

/** What every operation works on. */
export interface S3State {
  readonly store: ObjectStore;
  readonly uploads: Uploads;
  /** The canonical user id of the owner of every bucket and object (derived from the account). */
  readonly ownerId: string;
}

function baseHeaders(x: Exchange): OutgoingHttpHeaders {
  return { "x-amz-request-id": x.requestId, "x-amz-id-2": Buffer.from(x.requestId).toString("base64") };
}

/** Answers an XML document. */
export function sendXml(x: Exchange, body: string, headers: OutgoingHttpHeaders = {}, status = 200): void {
  x.res.writeHead(status, {
    ...baseHeaders(x),
    "content-type": "application/xml",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  x.res.end(body);
}

/** Answers headers only. */
export function sendEmpty(x: Exchange, status: number, headers: OutgoingHttpHeaders = {}): void {
  x.res.writeHead(status, { ...baseHeaders(x), "content-length": 0, ...headers });
  x.res.end();
}

/** Starts a streamed answer (the caller pipes the body). */
export function startStream(x: Exchange, status: number, headers: OutgoingHttpHeaders): void {
  x.res.writeHead(status, { ...baseHeaders(x), ...headers });
}

/**
 * Answers an S3 error: its status, and its `<Error>` document unless the request is a HEAD. A
 * request whose body was not read whole closes its connection, so that the body's bytes are not read as
 * the next request.
 */
export function sendError(x: Exchange, error: S3Error): void {
  const { res } = x;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const close = x.req.complete ? {} : { connection: "close" };
  if (x.req.method === "HEAD" || error.status === 304) {
    sendEmpty(x, error.status, close);
    return;
  }
  const body = xmlDocument("Error", undefined, [
    ["Code", error.code],
    ["Message", error.message],
    ...Object.entries(error.fields),
    ["Resource", x.address.resource],
    ["RequestId", x.requestId],
  ]);
  sendXml(x, body, close, error.status);
}

/** Reads a small request body whole (XML documents), refusing more than `max` bytes. */
export async function readSmallBody(x: Exchange, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of x.req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > max)
      throw new S3Error("MaxMessageLengthExceeded", `Your request was too big: more than ${max} bytes.`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** A header's value (repeated headers joined), or undefined. */
export function headerOf(x: Exchange, name: string): string | undefined {
  const v = x.req.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

/** An RFC 7231 date (S3's Last-Modified header). */
export const httpDate = (ms: number) => new Date(ms).toUTCString();

/** An ISO 8601 date with milliseconds (S3's XML timestamps). */
export const isoDate = (ms: number) => new Date(ms).toISOString();
