/**
 * Receives a PutObject or UploadPart body into a temporary file, streamed (never held whole in
 * memory), and verifies it as S3 does: its length against Content-Length or, for `aws-chunked`,
 * `x-amz-decoded-content-length`; Content-MD5; the one additional checksum the request carries in
 * an `x-amz-checksum-*` header or announces in `x-amz-trailer`; and a hex `x-amz-content-sha256`.
 * Any failure leaves no file behind.
 */
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import {
  type ChecksumAlgorithm,
  type Digest,
  digestLength,
  isChecksumAlgorithm,
  newDigest,
} from "./_checksums.js";
import { AwsChunkedDecoder, ChunkedError } from "./_chunked.js";
import { S3Error } from "./_errors.js";

/** S3's largest single PUT (and part): 5 GiB. */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;

/** A body received and verified. */
export interface Received {
  readonly size: number;
  /** MD5 of the bytes, hex (the ETag of a single PUT or a part). */
  readonly md5: string;
  /** The additional checksum given or asked for (computed here), verified. */
  readonly checksum?: { readonly algorithm: ChecksumAlgorithm; readonly value: string };
}

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v.join(",") : v;
};

const upper = (a: ChecksumAlgorithm) => a.toUpperCase();

/** The checksum the request asks for: its algorithm, and its value when a header gives it. */
function checksumWanted(
  h: IncomingHttpHeaders,
  chunked: boolean,
  fallback: ChecksumAlgorithm | undefined,
): { algorithm: ChecksumAlgorithm; value?: string; trailer: boolean } | undefined {
  const given = Object.keys(h).filter(
    (k) =>
      k.startsWith("x-amz-checksum-") &&
      k !== "x-amz-checksum-type" &&
      k !== "x-amz-checksum-algorithm" &&
      k !== "x-amz-checksum-mode",
  );
  const trailer = header(h, "x-amz-trailer")?.trim().toLowerCase();
  if (given.length + (trailer ? 1 : 0) > 1) {
    throw new S3Error(
      "InvalidRequest",
      "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
    );
  }
  const sdk = header(h, "x-amz-sdk-checksum-algorithm")?.toLowerCase();
  if (trailer) {
    const name = trailer.replace(/^x-amz-checksum-/, "");
    if (!trailer.startsWith("x-amz-checksum-") || !isChecksumAlgorithm(name)) {
      throw new S3Error(
        "InvalidRequest",
        `The value specified in the x-amz-trailer header is not supported: ${trailer}`,
      );
    }
    if (!chunked) {
      throw new S3Error(
        "InvalidRequest",
        "x-amz-trailer is only accepted with an aws-chunked body (Content-Encoding: aws-chunked)",
      );
    }
    return { algorithm: name, trailer: true };
  }
  if (given.length === 1) {
    const name = given[0]!.slice("x-amz-checksum-".length);
    if (!isChecksumAlgorithm(name)) {
      throw new S3Error(
        "InvalidRequest",
        `sagebrew local does not compute the checksum ${given[0]}: it computes CRC32, CRC32C, CRC64NVME, SHA1 and SHA256`,
      );
    }
    const value = header(h, given[0]!)!.trim();
    if (Buffer.from(value, "base64").length !== digestLength(name) || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
      throw new S3Error("InvalidRequest", `Value for ${given[0]} header is invalid.`);
    }
    return { algorithm: name, value, trailer: false };
  }
  if (sdk !== undefined) {
    if (!isChecksumAlgorithm(sdk)) {
      throw new S3Error(
        "InvalidRequest",
        `sagebrew local does not compute the checksum ${sdk.toUpperCase()}: it computes CRC32, CRC32C, CRC64NVME, SHA1 and SHA256`,
      );
    }
    return { algorithm: sdk, trailer: false };
  }
  return fallback ? { algorithm: fallback, trailer: false } : undefined;
}

/** The declared length of the object's bytes. */
function declaredLength(h: IncomingHttpHeaders, chunked: boolean, max: number): number {
  const raw = chunked ? header(h, "x-amz-decoded-content-length") : header(h, "content-length");
  if (raw === undefined) {
    throw new S3Error(
      "MissingContentLength",
      chunked
        ? "You must provide the x-amz-decoded-content-length HTTP header with an aws-chunked body."
        : "You must provide the Content-Length HTTP header.",
    );
  }
  if (!/^\d{1,16}$/.test(raw.trim()))
    throw new S3Error("InvalidArgument", `The length ${JSON.stringify(raw)} is not a number of bytes.`);
  const n = Number(raw.trim());
  if (n > max) {
    throw new S3Error(
      "EntityTooLarge",
      `Your proposed upload exceeds the maximum allowed size: ${n} bytes is more than ${max}.`,
      {
        ProposedSize: String(n),
        MaxSizeAllowed: String(max),
      },
    );
  }
  return n;
}

/**
 * Streams `req`'s body into `file` (created), verifies it, and returns what S3 records.
 *
 * @param options.computeAlso an algorithm to compute when the request names none (a multipart
 *   upload's), so that every part has one.
 * @throws S3Error (MissingContentLength, EntityTooLarge, IncompleteBody, BadDigest, InvalidDigest,
 *   InvalidRequest, XAmzContentSHA256Mismatch, MalformedTrailerError); the file is then removed.
 */
export async function receiveBody(
  req: IncomingMessage,
  file: string,
  options: { maxBytes?: number; computeAlso?: ChecksumAlgorithm } = {},
): Promise<Received> {
  const h = req.headers;
  const sha = header(h, "x-amz-content-sha256");
  const encodings = (header(h, "content-encoding") ?? "").split(",").map((e) => e.trim().toLowerCase());
  const chunked = encodings.includes("aws-chunked") || sha?.startsWith("STREAMING-") === true;
  const length = declaredLength(h, chunked, options.maxBytes ?? MAX_PUT_BYTES);
  const wanted = checksumWanted(h, chunked, options.computeAlso);
  const md5Header = header(h, "content-md5");
  if (md5Header !== undefined && Buffer.from(md5Header, "base64").length !== 16) {
    throw new S3Error("InvalidDigest", "The Content-MD5 you specified was invalid.");
  }
  const md5 = newDigest("md5");
  const extra: Digest | undefined = wanted ? newDigest(wanted.algorithm) : undefined;
  const signed =
    !chunked && sha !== undefined && /^[0-9a-f]{64}$/.test(sha) ? newDigest("sha256") : undefined;
  const decoder = chunked ? new AwsChunkedDecoder() : undefined;
  const out = createWriteStream(file);
  const outDone = new Promise<void>((resolve, reject) => {
    out.once("close", resolve);
    out.once("error", reject);
  });
  let size = 0;
  try {
    const take = async (piece: Uint8Array) => {
      size += piece.length;
      if (size > length) {
        throw new S3Error("IncompleteBody", "The request body is longer than its declared length.");
      }
      md5.update(piece);
      extra?.update(piece);
      signed?.update(piece);
      if (!out.write(piece))
        await Promise.race([new Promise<void>((r) => out.once("drain", () => r())), outDone]);
    };
    try {
      for await (const raw of req as AsyncIterable<Buffer>) {
        if (decoder) for (const piece of decoder.push(raw)) await take(piece);
        else await take(raw);
      }
      decoder?.end();
    } catch (e) {
      if (e instanceof ChunkedError) {
        throw new S3Error(
          e.incomplete ? "IncompleteBody" : "InvalidRequest",
          `The aws-chunked body is malformed: ${e.message}`,
        );
      }
      if (e instanceof S3Error) throw e;
      throw new S3Error("IncompleteBody", "The request body ended before it was complete.");
    }
    if (size !== length) {
      throw new S3Error(
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
      );
    }
    const md5Bytes = md5.bytes();
    if (md5Header !== undefined && !md5Bytes.equals(Buffer.from(md5Header, "base64"))) {
      throw new S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.");
    }
    if (signed && signed.bytes().toString("hex") !== sha) {
      throw new S3Error(
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    }
    let checksum: Received["checksum"];
    if (wanted && extra) {
      const computed = extra.bytes().toString("base64");
      const expected = wanted.trailer
        ? decoder?.trailers.get(`x-amz-checksum-${wanted.algorithm}`)
        : wanted.value;
      if (wanted.trailer && expected === undefined) {
        throw new S3Error(
          "MalformedTrailerError",
          `The request announced the trailer x-amz-checksum-${wanted.algorithm} but its body did not carry it.`,
        );
      }
      if (expected !== undefined && expected !== computed) {
        throw new S3Error(
          "BadDigest",
          `The ${upper(wanted.algorithm)} you specified did not match the calculated checksum.`,
        );
      }
      checksum = { algorithm: wanted.algorithm, value: computed };
    }
    out.end();
    await outDone;
    return { size, md5: md5Bytes.toString("hex"), ...(checksum ? { checksum } : {}) };
  } catch (e) {
    out.destroy();
    await outDone.catch(() => undefined);
    await rm(file, { force: true });
    throw e;
  }
}
