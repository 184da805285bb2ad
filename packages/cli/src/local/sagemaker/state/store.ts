/**
 * The state directory: one JSON document per resource under `resources/<kind>/<name>.json`, each
 * replaced by writing a temporary file and renaming it over the old one, so a `kill -9` at any
 * moment leaves either the old or the new document, never half of one. Documents are held in
 * memory and read from disk once, at start.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { RESOURCE_KINDS, type ResourceKind } from "../arn.js";

/** What the store keeps for every resource: its API document plus sagebrew's own notes. */
export interface StoredResource {
  /** The name as given at creation (the key is its lower-case form). */
  readonly name: string;
  readonly [key: string]: unknown;
}

let tmpCounter = 0;

/**
 * Writes `text` to `file` atomically (temporary file, then rename).
 *
 * @example await writeFileAtomic("/state/x.json", "{}");
 */
export async function writeFileAtomic(file: string, text: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Resources by kind and lower-case name, persisted under `<stateDir>/resources`. */
export class ResourceStore {
  readonly #dir: string;
  readonly #docs = new Map<ResourceKind, Map<string, StoredResource>>();
  /** The write in progress per document, so that writes land in the order they were made. */
  readonly #writes = new Map<string, Promise<void>>();

  private constructor(dir: string) {
    this.#dir = dir;
    for (const kind of RESOURCE_KINDS) this.#docs.set(kind, new Map());
  }

  /**
   * Opens (creating when missing) the store under `stateDir` and loads every document.
   * Temporary files left by an interrupted write are removed; an unreadable document is moved
   * aside as `<name>.json.unreadable` and reported through `warn`.
   */
  static async open(stateDir: string, warn: (message: string) => void): Promise<ResourceStore> {
    const store = new ResourceStore(join(stateDir, "resources"));
    for (const kind of RESOURCE_KINDS) {
      const dir = join(store.#dir, kind);
      await mkdir(dir, { recursive: true });
      for (const file of (await readdir(dir)).sort()) {
        const path = join(dir, file);
        if (file.endsWith(".tmp")) {
          await rm(path, { force: true });
          continue;
        }
        if (!file.endsWith(".json")) continue;
        try {
          const doc = JSON.parse(await readFile(path, "utf8")) as StoredResource;
          if (typeof doc.name !== "string") throw new Error("no name");
          store.#docs.get(kind)!.set(doc.name.toLowerCase(), doc);
        } catch (e) {
          warn(`Cannot read ${path}: ${(e as Error).message}; moved aside`);
          await rename(path, `${path}.unreadable`).catch(() => undefined);
        }
      }
    }
    return store;
  }

  get<T extends StoredResource>(kind: ResourceKind, name: string): T | undefined {
    return this.#docs.get(kind)!.get(name.toLowerCase()) as T | undefined;
  }

  /** Every document of a kind, in creation order of their names' first load (unsorted). */
  list<T extends StoredResource>(kind: ResourceKind): T[] {
    return [...this.#docs.get(kind)!.values()] as T[];
  }

  /** Replaces a document in memory at once and on disk atomically; resolves once on disk. */
  put(kind: ResourceKind, doc: StoredResource): Promise<void> {
    const key = doc.name.toLowerCase();
    this.#docs.get(kind)!.set(key, doc);
    const text = `${JSON.stringify(doc, null, 1)}\n`;
    return this.#queue(kind, key, () => writeFileAtomic(this.#file(kind, key), text));
  }

  /** Removes a document from memory at once and from disk; resolves once removed. */
  delete(kind: ResourceKind, name: string): Promise<void> {
    const key = name.toLowerCase();
    this.#docs.get(kind)!.delete(key);
    return this.#queue(kind, key, () => rm(this.#file(kind, key), { force: true }));
  }

  /** Resolves once every write queued so far is on disk. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#writes.values()]);
  }

  #file(kind: ResourceKind, key: string): string {
    return join(this.#dir, kind, `${key}.json`);
  }

  #queue(kind: ResourceKind, key: string, op: () => Promise<void>): Promise<void> {
    const id = `${kind}/${key}`;
    const previous = this.#writes.get(id) ?? Promise.resolve();
    const next = previous.then(op, op);
    this.#writes.set(id, next);
    const done = () => {
      if (this.#writes.get(id) === next) this.#writes.delete(id);
    };
    next.then(done, done);
    return next;
  }
}
