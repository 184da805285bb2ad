/**
 * Multipart uploads as S3 keeps them: an upload per id under its bucket
 * (`uploads/<id>/upload.json`, and `part-<n>` object files, one per part, replaced by a new upload
 * of the same number), completed by concatenating the parts named — in ascending order, each
 * matching its ETag, each but the last at least 5 MiB — into one object whose ETag is the MD5 of the
 * parts' MD5s followed by `-<count>`. Upload ids are random and checked before they name a directory.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ChecksumAlgorithm, isChecksumAlgorithm, newDigest } from "./_checksums.js";
import { noSuchUpload, S3Error } from "./_errors.js";
import type { Received } from "./_intake.js";
import { appendMeta, type ObjectMeta, readMetaAt, type StoredChecksum } from "./_object-file.js";
import type { ObjectStore } from "./_store.js";

/** S3's limits: part numbers 1…10,000; every part but the last at least 5 MiB. */
export const MAX_PARTS = 10_000;
export const MIN_PART_BYTES = 5 * 1024 ** 2;
/** S3's largest object: 5 TiB. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 4;

const UPLOAD_ID = /^[A-Za-z0-9_-]{32}$/;

export interface UploadInfo {
  readonly id: string;
  readonly bucket: string;
  readonly key: string;
  /** Milliseconds since the epoch. */
  readonly initiated: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  readonly checksumType?: "FULL_OBJECT" | "COMPOSITE";
}

export interface PartInfo {
  readonly number: number;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: number;
  readonly checksum?: StoredChecksum;
}

interface Upload {
  readonly info: UploadInfo;
  readonly parts: Map<number, PartInfo>;
  completing: boolean;
}

/** A part named in CompleteMultipartUpload. */
export interface RequestedPart {
  readonly number: number;
  readonly etag: string;
  /** Checksums given for it, by algorithm. */
  readonly checksums: Readonly<Partial<Record<ChecksumAlgorithm, string>>>;
}

const unquote = (etag: string) => etag.trim().replace(/^"|"$/g, "");

/** The multipart uploads of a store. */
export class Uploads {
  readonly #store: ObjectStore;
  readonly #uploads = new Map<string, Upload>();

  private constructor(store: ObjectStore) {
    this.#store = store;
  }

  /** Reads the uploads in progress of every bucket; an unreadable one is reported and left out. */
  static async open(store: ObjectStore, warn: (message: string) => void): Promise<Uploads> {
    const uploads = new Uploads(store);
    for (const { name } of store.listBuckets()) {
      const dir = join(store.bucketDir(name), "uploads");
      for (const id of await readdir(dir).catch(() => [] as string[])) {
        try {
          if (!UPLOAD_ID.test(id)) throw new Error("not an upload id");
          const info = JSON.parse(await readFile(join(dir, id, "upload.json"), "utf8")) as UploadInfo;
          if (info.id !== id || info.bucket !== name) throw new Error("its record names another upload");
          const upload: Upload = { info, parts: new Map(), completing: false };
          for (const file of await readdir(join(dir, id))) {
            const m = /^part-(\d+)$/.exec(file);
            if (!m) continue;
            const meta = await readMetaAt(join(dir, id, file));
            upload.parts.set(Number(m[1]), partOf(Number(m[1]), meta));
          }
          uploads.#uploads.set(id, upload);
        } catch (e) {
          warn(`S3: ignoring the multipart upload ${join(dir, id)}: ${(e as Error).message}`);
        }
      }
    }
    return uploads;
  }

  #dir(info: UploadInfo): string {
    return join(this.#store.bucketDir(info.bucket), "uploads", info.id);
  }

  /** Starts an upload. */
  async create(info: Omit<UploadInfo, "id">): Promise<UploadInfo> {
    const id = randomBytes(24).toString("base64url");
    const full: UploadInfo = { ...info, id };
    const tmp = this.#store.tempPath();
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, "upload.json"), JSON.stringify(full));
    await rename(tmp, this.#dir(full));
    this.#uploads.set(id, { info: full, parts: new Map(), completing: false });
    return full;
  }

  /**
   * The upload `id` of `bucket`/`key`.
   *
   * @throws S3Error NoSuchUpload (also for another key's upload, as S3 answers).
   */
  get(bucket: string, key: string, id: string): UploadInfo {
    const u = UPLOAD_ID.test(id) ? this.#uploads.get(id) : undefined;
    if (!u || u.completing || u.info.bucket !== bucket || u.info.key !== key) throw noSuchUpload(id);
    return u.info;
  }

  /** Publishes a received part (`file` holds its bytes), replacing any part of that number. */
  async putPart(info: UploadInfo, number: number, file: string, received: Received): Promise<PartInfo> {
    const part: PartInfo = {
      number,
      size: received.size,
      etag: received.md5,
      lastModified: Date.now(),
      ...(received.checksum ? { checksum: { ...received.checksum, type: "FULL_OBJECT" as const } } : {}),
    };
    const meta: ObjectMeta = {
      key: `part-${number}`,
      size: part.size,
      etag: part.etag,
      lastModified: part.lastModified,
      headers: {},
      metadata: {},
      ...(part.checksum ? { checksum: part.checksum } : {}),
    };
    try {
      await appendMeta(file, meta);
      const u = this.#uploads.get(info.id);
      if (!u || u.completing) throw noSuchUpload(info.id);
      await rename(file, join(this.#dir(info), `part-${number}`));
      u.parts.set(number, part);
      return part;
    } catch (e) {
      await rm(file, { force: true });
      throw e;
    }
  }

  /** The parts uploaded so far, by number. */
  parts(info: UploadInfo): PartInfo[] {
    return [...(this.#uploads.get(info.id)?.parts.values() ?? [])].sort((a, b) => a.number - b.number);
  }

  /** The uploads in progress of a bucket (to answer whether it has any). */
  inBucket(bucket: string): UploadInfo[] {
    return [...this.#uploads.values()].filter((u) => u.info.bucket === bucket).map((u) => u.info);
  }

  /** Forgets the uploads of a deleted bucket (their files went with it). */
  forgetBucket(bucket: string): void {
    for (const [id, u] of this.#uploads) if (u.info.bucket === bucket) this.#uploads.delete(id);
  }

  /** Aborts an upload: its parts are deleted. */
  async abort(info: UploadInfo): Promise<void> {
    this.#uploads.delete(info.id);
    const tmp = this.#store.tempPath();
    await rename(this.#dir(info), tmp).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  }

  /**
   * Completes an upload with the parts named: one object, published as any other.
   *
   * @param fullChecksum a whole-object checksum the request gave (x-amz-checksum-<alg> with
   *   x-amz-checksum-type FULL_OBJECT), verified against the bytes.
   * @throws S3Error MalformedXML (no part), InvalidPartOrder, InvalidPart, EntityTooSmall,
   *   EntityTooLarge, BadDigest.
   */
  async complete(
    info: UploadInfo,
    requested: readonly RequestedPart[],
    fullChecksum?: { algorithm: ChecksumAlgorithm; value: string },
  ): Promise<ObjectMeta> {
    const u = this.#uploads.get(info.id);
    if (!u || u.completing) throw noSuchUpload(info.id);
    const chosen = checkParts(u, requested);
    const algorithm = fullChecksum?.algorithm ?? info.checksumAlgorithm;
    const type = fullChecksum
      ? "FULL_OBJECT"
      : (info.checksumType ?? (algorithm === "crc64nvme" ? "FULL_OBJECT" : "COMPOSITE"));
    u.completing = true;
    const tmp = this.#store.tempPath();
    try {
      const whole = algorithm && type === "FULL_OBJECT" ? newDigest(algorithm) : undefined;
      const size = await concatenate(
        chosen.map((p) => ({ path: join(this.#dir(info), `part-${p.number}`), size: p.size })),
        tmp,
        whole,
      );
      const wholeValue = whole?.bytes().toString("base64");
      if (fullChecksum && wholeValue !== fullChecksum.value) {
        throw new S3Error(
          "BadDigest",
          `The ${fullChecksum.algorithm.toUpperCase()} you specified for the whole object did not match the calculated checksum.`,
        );
      }
      const md5s = newDigest("md5");
      for (const p of chosen) md5s.update(Buffer.from(p.etag, "hex"));
      const checksum = objectChecksum(algorithm, type, chosen, wholeValue);
      const meta: ObjectMeta = {
        key: info.key,
        size,
        etag: `${md5s.bytes().toString("hex")}-${chosen.length}`,
        lastModified: Date.now(),
        headers: info.headers,
        metadata: info.metadata,
        parts: chosen.length,
        ...(checksum ? { checksum } : {}),
      };
      const published = await this.#store.commit(info.bucket, tmp, meta);
      this.#uploads.delete(info.id);
      const gone = this.#store.tempPath();
      await rename(this.#dir(info), gone).catch(() => undefined);
      await rm(gone, { recursive: true, force: true });
      return published;
    } catch (e) {
      u.completing = false;
      await rm(tmp, { force: true });
      throw e;
    }
  }
}

function partOf(number: number, meta: ObjectMeta): PartInfo {
  return {
    number,
    size: meta.size,
    etag: meta.etag,
    lastModified: meta.lastModified,
    ...(meta.checksum ? { checksum: meta.checksum } : {}),
  };
}

/** The parts named, checked as S3 checks them. */
function checkParts(u: Upload, requested: readonly RequestedPart[]): PartInfo[] {
  if (requested.length === 0) {
    throw new S3Error(
      "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our published schema: name at least one part.",
    );
  }
  const chosen: PartInfo[] = [];
  let previous = 0;
  for (const r of requested) {
    if (r.number <= previous) {
      throw new S3Error(
        "InvalidPartOrder",
        "The list of parts was not in ascending order. The parts list must be specified in order of the part number.",
        { UploadId: u.info.id },
      );
    }
    previous = r.number;
    const part = u.parts.get(r.number);
    const invalid = () =>
      new S3Error(
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        {
          UploadId: u.info.id,
          PartNumber: String(r.number),
          ETag: r.etag,
        },
      );
    if (!part || unquote(r.etag) !== part.etag) throw invalid();
    for (const [algorithm, value] of Object.entries(r.checksums)) {
      if (value !== undefined && (part.checksum?.algorithm !== algorithm || part.checksum.value !== value))
        throw invalid();
    }
    chosen.push(part);
  }
  for (const p of chosen.slice(0, -1)) {
    if (p.size < MIN_PART_BYTES) {
      throw new S3Error(
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed object size.",
        {
          ProposedSize: String(p.size),
          MinSizeAllowed: String(MIN_PART_BYTES),
          PartNumber: String(p.number),
          ETag: `"${p.etag}"`,
        },
      );
    }
  }
  const total = chosen.reduce((n, p) => n + p.size, 0);
  if (total > MAX_OBJECT_BYTES) {
    throw new S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.", {
      ProposedSize: String(total),
      MaxSizeAllowed: String(MAX_OBJECT_BYTES),
    });
  }
  return chosen;
}

/** The object's checksum: the whole bytes', or S3's composite of the parts' checksums + `-N`. */
function objectChecksum(
  algorithm: ChecksumAlgorithm | undefined,
  type: "FULL_OBJECT" | "COMPOSITE",
  parts: readonly PartInfo[],
  whole: string | undefined,
): StoredChecksum | undefined {
  if (!algorithm) return undefined;
  if (type === "FULL_OBJECT") return whole ? { algorithm, value: whole, type } : undefined;
  if (parts.some((p) => p.checksum?.algorithm !== algorithm)) return undefined;
  const d = newDigest(algorithm);
  for (const p of parts) d.update(Buffer.from(p.checksum!.value, "base64"));
  return { algorithm, value: `${d.bytes().toString("base64")}-${parts.length}`, type };
}

/** Concatenates the bytes of part files into `dest`; returns the size. */
async function concatenate(
  parts: readonly { path: string; size: number }[],
  dest: string,
  digest: ReturnType<typeof newDigest> | undefined,
): Promise<number> {
  const out = createWriteStream(dest);
  const closed = new Promise<void>((resolve, reject) => {
    out.once("close", resolve);
    out.once("error", reject);
  });
  let size = 0;
  try {
    for (const p of parts) {
      if (p.size === 0) continue;
      for await (const chunk of createReadStream(p.path, {
        start: 0,
        end: p.size - 1,
      }) as AsyncIterable<Buffer>) {
        digest?.update(chunk);
        size += chunk.length;
        if (!out.write(chunk))
          await Promise.race([new Promise<void>((r) => out.once("drain", () => r())), closed]);
      }
    }
    out.end();
    await closed;
    return size;
  } catch (e) {
    out.destroy();
    await closed.catch(() => undefined);
    throw e;
  }
}

/** A checksum algorithm from a request header value (`CRC32`, …), or undefined. */
export function algorithmOf(value: string | undefined): ChecksumAlgorithm | undefined {
  const v = value?.trim().toLowerCase();
  return v && isChecksumAlgorithm(v) ? v : undefined;
}
