/**
 * The buckets and objects of `sagebrew local`'s S3, on disk under its directory:
 *
 *     buckets/<bucket>/bucket.json                    name, creation date, region
 *     buckets/<bucket>/objects/<h0h1>/<sha256(key)>   the object file (_object-file.ts)
 *     buckets/<bucket>/uploads/<upload id>/…          multipart uploads in progress (_multipart.ts)
 *     tmp/                                            files being written (emptied at start)
 *
 * A key is data, never a path: the file of an object is named by the SHA-256 of its key (64 hex
 * digits), so nothing a key holds — `../../x`, `/`, a NUL, 1024 bytes — reaches the file system,
 * and the key itself is kept inside the file. Bucket names are checked against S3's rules (lower-case
 * letters, digits, dots and hyphens; no `..`) before they name a directory. Every write goes to
 * `tmp/` first and is published by one rename, in order per key. The keys of each bucket are held
 * in memory, read back from the object files at start.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { noSuchBucket, noSuchKey, S3Error } from "./_errors.js";
import { compareKeys } from "./_listing.js";
import { appendMeta, type ObjectMeta, readMetaAt } from "./_object-file.js";

export interface BucketInfo {
  readonly name: string;
  /** Milliseconds since the epoch. */
  readonly created: number;
  readonly region: string;
}

interface Bucket {
  readonly info: BucketInfo;
  readonly objects: Map<string, ObjectMeta>;
  /** The keys in S3's order; rebuilt when a key comes or goes. */
  sorted: string[] | undefined;
}

const HASH_NAME = /^[0-9a-f]{64}$/;

/** The file name of a key. */
function keyHash(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** Buckets and objects, persisted under one directory. */
export class ObjectStore {
  readonly #root: string;
  readonly #buckets = new Map<string, Bucket>();
  /** The commit in progress per bucket/key, so that renames and the index change in one order. */
  readonly #commits = new Map<string, Promise<unknown>>();
  #tmpCount = 0;

  private constructor(root: string) {
    this.#root = root;
  }

  /**
   * Opens the store under `root` (created when missing): empties `tmp/`, reads every bucket and
   * object; a file that is not an object file, or is not at its key's place, is reported through
   * `warn` and left out.
   */
  static async open(root: string, warn: (message: string) => void): Promise<ObjectStore> {
    const store = new ObjectStore(root);
    await rm(join(root, "tmp"), { recursive: true, force: true });
    await mkdir(join(root, "tmp"), { recursive: true });
    await mkdir(join(root, "buckets"), { recursive: true });
    for (const name of (await readdir(join(root, "buckets"))).sort()) {
      const dir = join(root, "buckets", name);
      let info: BucketInfo;
      try {
        info = JSON.parse(await readFile(join(dir, "bucket.json"), "utf8")) as BucketInfo;
        if (info.name !== name) throw new Error(`it names the bucket ${info.name}`);
      } catch (e) {
        warn(`S3: ignoring ${dir}: it is not a bucket (${(e as Error).message})`);
        continue;
      }
      const bucket: Bucket = { info, objects: new Map(), sorted: undefined };
      store.#buckets.set(name, bucket);
      const objects = join(dir, "objects");
      for (const fan of await readdir(objects).catch(() => [] as string[])) {
        for (const file of await readdir(join(objects, fan)).catch(() => [] as string[])) {
          const path = join(objects, fan, file);
          try {
            if (!HASH_NAME.test(file)) throw new Error("not an object file name");
            const meta = await readMetaAt(path);
            if (keyHash(meta.key) !== file || fan !== file.slice(0, 2))
              throw new Error("not at its key's place");
            bucket.objects.set(meta.key, meta);
          } catch (e) {
            warn(`S3: ignoring ${path}: ${(e as Error).message}`);
          }
        }
      }
    }
    return store;
  }

  /** The directory of the store. */
  get root(): string {
    return this.#root;
  }

  /** A new path in `tmp/` for a file being written (on the same file system as its destination). */
  tempPath(): string {
    return join(this.#root, "tmp", `${process.pid}-${++this.#tmpCount}-${randomBytes(6).toString("hex")}`);
  }

  /** The directory of a bucket (which must exist). */
  bucketDir(name: string): string {
    this.#bucket(name);
    return join(this.#root, "buckets", name);
  }

  listBuckets(): BucketInfo[] {
    return [...this.#buckets.values()].map((b) => b.info).sort((a, b) => compareKeys(a.name, b.name));
  }

  /** A bucket's record, or undefined. */
  bucket(name: string): BucketInfo | undefined {
    return this.#buckets.get(name)?.info;
  }

  #bucket(name: string): Bucket {
    const b = this.#buckets.get(name);
    if (!b) throw noSuchBucket(name);
    return b;
  }

  /** Creates a bucket; false when it exists already. */
  async createBucket(name: string, region: string, now = Date.now()): Promise<boolean> {
    if (this.#buckets.has(name)) return false;
    const info: BucketInfo = { name, created: now, region };
    const bucket: Bucket = { info, objects: new Map(), sorted: undefined };
    this.#buckets.set(name, bucket);
    try {
      const tmp = this.tempPath();
      await mkdir(join(tmp, "objects"), { recursive: true });
      await mkdir(join(tmp, "uploads"), { recursive: true });
      await writeFile(join(tmp, "bucket.json"), JSON.stringify(info));
      await rename(tmp, join(this.#root, "buckets", name));
    } catch (e) {
      this.#buckets.delete(name);
      throw e;
    }
    return true;
  }

  /**
   * Deletes an empty bucket (and any multipart upload left in it).
   *
   * @throws S3Error NoSuchBucket, BucketNotEmpty.
   */
  async deleteBucket(name: string): Promise<void> {
    const b = this.#bucket(name);
    if (b.objects.size > 0) {
      throw new S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", {
        BucketName: name,
      });
    }
    this.#buckets.delete(name);
    // Out of sight at once; removed at leisure (or at the next start, from tmp/).
    const tmp = this.tempPath();
    await rename(join(this.#root, "buckets", name), tmp);
    await rm(tmp, { recursive: true, force: true });
  }

  /**
   * An object's metadata.
   *
   * @throws S3Error NoSuchBucket, NoSuchKey.
   */
  head(bucket: string, key: string): ObjectMeta {
    const meta = this.#bucket(bucket).objects.get(key);
    if (!meta) throw noSuchKey(key);
    return meta;
  }

  /** The file of an object (read it with its footer: `readMeta` of the opened file is authoritative). */
  objectPath(bucket: string, key: string): string {
    const h = keyHash(key);
    return join(this.#root, "buckets", bucket, "objects", h.slice(0, 2), h);
  }

  /** The keys of a bucket in S3's order. */
  sortedKeys(bucket: string): readonly string[] {
    const b = this.#bucket(bucket);
    b.sorted ??= [...b.objects.keys()].sort(compareKeys);
    return b.sorted;
  }

  /**
   * Publishes `file` (holding exactly the object's bytes) as the object `meta.key`: its metadata
   * is appended, then one rename replaces any object of that key.
   *
   * @throws S3Error NoSuchBucket (the file is removed).
   */
  async commit(bucket: string, file: string, meta: ObjectMeta): Promise<ObjectMeta> {
    try {
      this.#bucket(bucket);
      await appendMeta(file, meta);
    } catch (e) {
      await rm(file, { force: true });
      throw e;
    }
    return this.#inOrder(bucket, meta.key, async () => {
      const b = this.#buckets.get(bucket);
      if (!b) {
        await rm(file, { force: true });
        throw noSuchBucket(bucket);
      }
      const dest = this.objectPath(bucket, meta.key);
      await mkdir(join(dest, ".."), { recursive: true });
      await rename(file, dest);
      if (!b.objects.has(meta.key)) b.sorted = undefined;
      b.objects.set(meta.key, meta);
      return meta;
    });
  }

  /** Deletes an object; true when there was one. S3 answers a missing key as a success. */
  async deleteObject(bucket: string, key: string): Promise<boolean> {
    this.#bucket(bucket);
    return this.#inOrder(bucket, key, async () => {
      const b = this.#buckets.get(bucket);
      if (!b?.objects.has(key)) return false;
      await rm(this.objectPath(bucket, key), { force: true });
      b.objects.delete(key);
      b.sorted = undefined;
      return true;
    });
  }

  #inOrder<T>(bucket: string, key: string, step: () => Promise<T>): Promise<T> {
    const id = `${bucket}/${key}`;
    const previous = this.#commits.get(id) ?? Promise.resolve();
    const next = previous.then(step, step);
    const settled = next.catch(() => undefined);
    this.#commits.set(id, settled);
    void settled.then(() => {
      if (this.#commits.get(id) === settled) this.#commits.delete(id);
    });
    return next;
  }
}
