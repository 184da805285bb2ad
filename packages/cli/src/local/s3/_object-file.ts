/**
 * One stored object (or one uploaded part) is one file: its bytes, then its metadata as JSON, then
 * an 8-byte footer (the JSON's length, big-endian, and the magic `SBS3`). Bytes and metadata
 * travel together, so a single rename of a finished temporary file publishes both at once: a
 * reader, or the next start after a `kill -9`, sees the old object or the new one, never new bytes
 * under old metadata. The metadata is written after the bytes because the ETag and checksums are
 * only known once the body has streamed through.
 */
import { appendFile, type FileHandle, open } from "node:fs/promises";
import type { ChecksumAlgorithm } from "./_checksums.js";

const MAGIC = "SBS3";
const FOOTER = 8;
/** Metadata larger than this is not ours (S3's user metadata is at most 2 KB; keys 1 KB). */
const MAX_META = 1024 * 1024;

/** An additional checksum of an object or part, as S3 reports it. */
export interface StoredChecksum {
  readonly algorithm: ChecksumAlgorithm;
  /** Base64; a composite (multipart) one ends in `-<parts>`. */
  readonly value: string;
  readonly type: "FULL_OBJECT" | "COMPOSITE";
}

/** What S3 keeps about an object besides its bytes. */
export interface ObjectMeta {
  readonly key: string;
  readonly size: number;
  /** The ETag without quotes: MD5 hex, or for a multipart object MD5 of the parts' MD5s + `-N`. */
  readonly etag: string;
  /** Milliseconds since the epoch. */
  readonly lastModified: number;
  /** Content-Type, Content-Encoding, Content-Disposition, Content-Language, Cache-Control, Expires. */
  readonly headers: Readonly<Record<string, string>>;
  /** User metadata (`x-amz-meta-<name>`, names in lower case). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly checksum?: StoredChecksum;
  /** The number of parts of a multipart object. */
  readonly parts?: number;
}

/** Appends `meta` and the footer to a file holding exactly `meta.size` bytes. */
export async function appendMeta(path: string, meta: ObjectMeta): Promise<void> {
  const json = Buffer.from(JSON.stringify(meta), "utf8");
  const footer = Buffer.alloc(FOOTER);
  footer.writeUInt32BE(json.length, 0);
  footer.write(MAGIC, 4, "latin1");
  await appendFile(path, Buffer.concat([json, footer]));
}

/**
 * The metadata of an open object file.
 *
 * @throws Error when the file is not an object file this server wrote (no footer, bad JSON, sizes
 *   that do not add up).
 */
export async function readMeta(file: FileHandle): Promise<ObjectMeta> {
  const { size } = await file.stat();
  if (size < FOOTER) throw new Error("too short for an object file");
  const footer = Buffer.alloc(FOOTER);
  await file.read(footer, 0, FOOTER, size - FOOTER);
  if (footer.toString("latin1", 4) !== MAGIC) throw new Error("no object footer");
  const length = footer.readUInt32BE(0);
  if (length > MAX_META || length > size - FOOTER) throw new Error("a metadata length past the file");
  const json = Buffer.alloc(length);
  await file.read(json, 0, length, size - FOOTER - length);
  const meta = JSON.parse(json.toString("utf8")) as ObjectMeta;
  if (typeof meta?.key !== "string" || meta.size !== size - FOOTER - length) {
    throw new Error("metadata that does not match the file");
  }
  return meta;
}

/** The metadata of the object file at `path`. */
export async function readMetaAt(path: string): Promise<ObjectMeta> {
  const file = await open(path, "r");
  try {
    return await readMeta(file);
  } finally {
    await file.close();
  }
}
