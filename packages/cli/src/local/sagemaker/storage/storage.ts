/**
 * Where data and artifacts live: `s3://` through the AWS SDK (an S3-compatible endpoint when
 * `AWS_ENDPOINT_URL_S3` names one, such as moto's S3 on loopback), or `file://` on this machine
 * (as the SageMaker Python SDK's local mode accepts). One narrow interface, two implementations.
 */
import { constants } from "node:fs";
import { copyFile, mkdir, readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../../atomic-file.js";
import type { S3Access, S3Limits, StoredObject, WriteOptions } from "./_objects.js";

export type { S3Access, S3Limits, StoredObject, WriteOptions } from "./_objects.js";

/** Reads and writes objects by URI (`s3://bucket/key` or `file:///path`). */
export interface ObjectStorage {
  /** The objects an `S3Prefix` (or `ManifestFile`) data source names, sorted by URI. */
  list(uri: string, dataType?: string): Promise<StoredObject[]>;
  /** Copies one object to a local file (a `file://` object as a reflink where the file system can). */
  download(uri: string, dest: string): Promise<void>;
  /** Copies a local file to `uri`. */
  upload(file: string, uri: string): Promise<void>;
  /** Reads one object whole (manifests, small files). */
  read(uri: string): Promise<Buffer>;
  /**
   * Writes one object whole: a reader never sees part of it (a `file://` object is written beside
   * and renamed into place; S3 shows an object once its PUT completes).
   */
  write(uri: string, data: Uint8Array, options?: WriteOptions): Promise<void>;
}

/** The scheme of a URI, or undefined when it has none sagebrew reads. */
export function schemeOf(uri: string): "s3" | "file" | "https" | undefined {
  const m = /^(s3|file|https):\/\//.exec(uri);
  return m ? (m[1] as "s3" | "file" | "https") : undefined;
}

/** The local path of a `file://` URI. */
export function filePath(uri: string): string {
  return fileURLToPath(uri.startsWith("file:///") ? uri : `file:///${uri.slice("file://".length)}`);
}

/** Joins a key onto a URI prefix (`s3://b/out` + `job/output/model.tar.gz`). */
export function joinUri(prefix: string, ...parts: string[]): string {
  return [prefix.replace(/\/+$/, ""), ...parts.map((p) => p.replace(/^\/+|\/+$/g, ""))].join("/");
}

async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() || e.isSymbolicLink()) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

/** A manifest: `[{"prefix": "s3://b/p/"}, "rel/a.csv", …]` (SageMaker's ManifestFile). */
function parseManifest(text: string, uri: string): { prefix: string; keys: string[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`Cannot read the manifest ${uri}: ${(e as Error).message}`);
  }
  const head = Array.isArray(doc) ? (doc[0] as { prefix?: unknown } | undefined) : undefined;
  if (
    !Array.isArray(doc) ||
    typeof head?.prefix !== "string" ||
    doc.slice(1).some((k) => typeof k !== "string")
  ) {
    throw new Error(`Cannot read the manifest ${uri}: expected [{"prefix": "…"}, "key", …]`);
  }
  return { prefix: head.prefix, keys: doc.slice(1) as string[] };
}

class FileStorage implements ObjectStorage {
  async list(uri: string): Promise<StoredObject[]> {
    const path = filePath(uri);
    const st = await stat(path).catch(() => undefined);
    if (!st) return [];
    if (st.isFile()) return [{ uri, rel: basename(path), size: st.size }];
    const files = await walkFiles(path);
    const out: StoredObject[] = [];
    for (const f of files) {
      const fst = await stat(f).catch(() => undefined);
      if (fst?.isFile()) out.push({ uri: `file://${f}`, rel: relative(path, f), size: fst.size });
    }
    return out;
  }

  async download(uri: string, dest: string): Promise<void> {
    await mkdir(dirname(dest), { recursive: true });
    // A copy, never a hard link: a job may write to its inputs (/opt/ml/input/data is its own), and
    // through a link it would change the user's file. A reflink (copy-on-write, where the file
    // system has them) costs no more than a link; elsewhere this is a plain copy.
    await copyFile(filePath(uri), dest, constants.COPYFILE_FICLONE);
  }

  async upload(file: string, uri: string): Promise<void> {
    const dest = filePath(uri);
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(file, dest);
  }

  read(uri: string): Promise<Buffer> {
    return readFile(filePath(uri));
  }

  async write(uri: string, data: Uint8Array): Promise<void> {
    const dest = filePath(uri);
    await mkdir(dirname(dest), { recursive: true });
    await writeFileAtomic(dest, data);
  }
}

/** The S3 limits by default: SageMaker's S3 answers in well under these, a stalled one is given up. */
export const DEFAULT_S3_LIMITS: S3Limits = { connectMs: 10_000, idleMs: 60_000, attempts: 3 };

/** Options of `createStorage`. */
export interface StorageOptions {
  /** The environment (AWS_ENDPOINT_URL_S3, AWS_REGION, credentials). */
  readonly env: NodeJS.ProcessEnv;
  /** Time limits and tries of S3 requests (default `DEFAULT_S3_LIMITS`). */
  readonly s3?: Partial<S3Limits>;
  /**
   * sagebrew local's own S3, in process: where `s3://` URIs go unless `AWS_ENDPOINT_URL_S3` names
   * another S3 (moto, AWS itself). Without it, they go through the SDK (AWS unless the variable says).
   */
  readonly localS3?: S3Access;
}

/** What `withinDeadline` resolves to when the deadline came first. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/**
 * `promise`, or `TIMED_OUT` once `ms` have passed without it settling (it goes on, unwatched):
 * for the checks a request makes, which must answer whether or not storage does.
 *
 * @example const listed = await withinDeadline(storage.list(uri), 10_000);
 */
export async function withinDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  // A rejection after the deadline is nobody's: keep it from becoming an unhandled one.
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Storage for both schemes: `s3://` in the local S3 when there is one and `AWS_ENDPOINT_URL_S3` is
 * unset, else through the AWS SDK, loaded on the first `s3://` URI only.
 */
export function createStorage(options: StorageOptions): ObjectStorage {
  const files = new FileStorage();
  let s3: Promise<S3Access> | undefined;
  const s3Access = () => {
    const local = options.env.AWS_ENDPOINT_URL_S3 ? undefined : options.localS3;
    if (local) return Promise.resolve(local);
    s3 ??= import("./_s3.js").then((m) =>
      m.createS3Access(options.env, { ...DEFAULT_S3_LIMITS, ...options.s3 }),
    );
    return s3;
  };
  const pick = (uri: string) => {
    const scheme = schemeOf(uri);
    if (scheme === "file") return undefined;
    if (scheme === "s3") return s3Access();
    throw new Error(`Cannot read ${uri}: sagebrew local reads s3:// and file:// URIs`);
  };
  const storage: ObjectStorage = {
    async list(uri, dataType) {
      if (dataType === "ManifestFile") {
        const { prefix, keys } = parseManifest((await storage.read(uri)).toString("utf8"), uri);
        return keys.sort().map((k) => ({ uri: joinUri(prefix, k), rel: k, size: -1 }));
      }
      const s = pick(uri);
      return s ? (await s).list(uri) : files.list(uri);
    },
    async download(uri, dest) {
      const s = pick(uri);
      if (s) return (await s).download(uri, dest);
      return files.download(uri, dest);
    },
    async upload(file, uri) {
      const s = pick(uri);
      if (s) return (await s).upload(file, uri);
      return files.upload(file, uri);
    },
    async read(uri) {
      const s = pick(uri);
      if (s) return (await s).read(uri);
      return files.read(uri);
    },
    async write(uri, data, options) {
      const s = pick(uri);
      if (s) return (await s).write(uri, data, options);
      return files.write(uri, data);
    },
  };
  return storage;
}

/** True for an error that says storage did not answer in time (the SDK's TimeoutError, ETIMEDOUT). */
export function isStall(e: unknown): boolean {
  const err = e as { name?: unknown; code?: unknown; cause?: unknown } | undefined;
  if (err?.name === "TimeoutError" || err?.code === "ETIMEDOUT") return true;
  // sagebrew's sentence around the SDK's error keeps it as its cause.
  return err?.cause !== undefined && err.cause !== e && isStall(err.cause);
}

/**
 * The objects under `uri` as `list` gives them, or `TIMED_OUT` when storage did not answer within
 * `ms` (or gave up waiting itself): a request's check answers either way; another failure throws.
 *
 * @example const listed = await listWithin(storage, "s3://b/train/", "S3Prefix", 10_000);
 */
export async function listWithin(
  storage: ObjectStorage,
  uri: string,
  dataType: string | undefined,
  ms: number,
): Promise<StoredObject[] | typeof TIMED_OUT> {
  try {
    return await withinDeadline(storage.list(uri, dataType), ms);
  } catch (e) {
    if (isStall(e)) return TIMED_OUT;
    throw e;
  }
}
