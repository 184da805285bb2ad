/**
 * The state directory's resources: one JSON document per resource under
 * `resources/<kind>/<name>.json`. A change is on disk before anyone can see it: every create,
 * change and delete of one resource runs in turn (a queue per resource), writes the document
 * atomically and durably (`writeFileAtomic`), and only then replaces what `get` and `list` return.
 * A write that fails (a full disk) throws `StateWriteError` and leaves memory as it was, so nothing
 * is shown that a restart would not find. Documents are read from disk once, at start.
 */
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../atomic-file.js";
import { RESOURCE_KINDS, type ResourceKind } from "../arn.js";

/** What the store keeps for every resource: its API document plus sagebrew's own notes. */
export interface StoredResource {
  /** The name as given at creation (the key is its lower-case form). */
  readonly name: string;
  readonly [key: string]: unknown;
}

/** A state change that could not be written; nothing changed, on disk or in memory. */
export class StateWriteError extends Error {
  constructor(what: string, cause: unknown) {
    super(`Cannot save ${what}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = "StateWriteError";
  }
}

/** What `update` returns from its change function to remove the resource. */
export const REMOVE: unique symbol = Symbol("remove");

/** A change of one resource: the new document, `REMOVE`, or undefined to leave it as it is. */
export type Change<T> = (current: T | undefined) => T | typeof REMOVE | undefined;

/** Checks a document read at start; returns what is wrong with it, or undefined. */
export type DocumentCheck = (kind: ResourceKind, doc: StoredResource) => string | undefined;

export interface StoreOptions {
  /** Told about documents that could not be read (moved aside as `<file>.unreadable`). */
  readonly warn: (message: string) => void;
  /** Checks each document's shape at start (default: a string `name` only). */
  readonly check?: DocumentCheck;
}

/** Resources by kind and lower-case name, persisted under `<stateDir>/resources`. */
export class ResourceStore {
  readonly #dir: string;
  readonly #docs = new Map<ResourceKind, Map<string, StoredResource>>();
  /** The change in progress per resource, so that changes run one after the other. */
  readonly #queues = new Map<string, Promise<unknown>>();

  private constructor(dir: string) {
    this.#dir = dir;
    for (const kind of RESOURCE_KINDS) this.#docs.set(kind, new Map());
  }

  /**
   * Opens (creating when missing) the store under `stateDir` and loads every document.
   * Temporary files left by an interrupted write are removed; a document that cannot be read, is
   * not a document of its kind or is not stored under its own name is moved aside as
   * `<name>.json.unreadable` and reported through `warn`.
   */
  static async open(stateDir: string, options: StoreOptions): Promise<ResourceStore> {
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
          if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error("not an object");
          if (typeof doc.name !== "string" || !doc.name) throw new Error("no name");
          if (`${doc.name.toLowerCase()}.json` !== file) throw new Error(`it names ${doc.name}`);
          const problem = options.check?.(kind, doc);
          if (problem) throw new Error(problem);
          store.#docs.get(kind)!.set(doc.name.toLowerCase(), doc);
        } catch (e) {
          options.warn(`Cannot read ${path}: ${(e as Error).message}; moved aside`);
          await rename(path, `${path}.unreadable`).catch(() => undefined);
        }
      }
    }
    return store;
  }

  get<T extends StoredResource>(kind: ResourceKind, name: string): T | undefined {
    return this.#docs.get(kind)!.get(name.toLowerCase()) as T | undefined;
  }

  /** Every document of a kind (unsorted). */
  list<T extends StoredResource>(kind: ResourceKind): T[] {
    return [...this.#docs.get(kind)!.values()] as T[];
  }

  /**
   * Creates `doc` unless a resource of its kind and name exists (or is being created): of any
   * number of concurrent creates of one name, exactly one resolves true. Resolves once on disk.
   *
   * @throws StateWriteError when the document cannot be written (nothing is created).
   */
  async create(kind: ResourceKind, doc: StoredResource): Promise<boolean> {
    let created = false;
    await this.update(kind, doc.name, (current) => {
      if (current) return undefined;
      created = true;
      return doc;
    });
    return created;
  }

  /**
   * Runs `change` on the current document of a resource, after every change of it queued before,
   * and stores what it returns: on disk first, then in memory. Whatever `change` throws is thrown
   * here, with nothing changed. Resolves to the document now stored (undefined when none).
   * `durable: false` leaves out the fsyncs (see writeFileAtomic): for a change a crash of the
   * machine may lose, such as a job's progress, since a restart ends the job anyway.
   *
   * @throws StateWriteError when the change cannot be written (nothing changed).
   */
  update<T extends StoredResource>(
    kind: ResourceKind,
    name: string,
    change: Change<T>,
    options: { readonly durable?: boolean } = {},
  ): Promise<T | undefined> {
    const key = name.toLowerCase();
    const id = `${kind}/${key}`;
    const run = async (): Promise<T | undefined> => {
      const docs = this.#docs.get(kind)!;
      const current = docs.get(key) as T | undefined;
      const next = change(current);
      if (next === undefined) return current;
      const file = join(this.#dir, kind, `${key}.json`);
      if (next === REMOVE) {
        if (!current) return undefined;
        try {
          await rm(file, { force: true });
        } catch (e) {
          throw new StateWriteError(`the deletion of ${kind} ${current.name}`, e);
        }
        docs.delete(key);
        return undefined;
      }
      try {
        await writeFileAtomic(file, `${JSON.stringify(next, null, 1)}\n`, options);
      } catch (e) {
        throw new StateWriteError(`${kind} ${next.name} in ${join(this.#dir, kind)}`, e);
      }
      docs.set(key, next);
      return next;
    };
    const previous = this.#queues.get(id) ?? Promise.resolve();
    const result = previous.then(run, run);
    this.#queues.set(id, result);
    const done = () => {
      if (this.#queues.get(id) === result) this.#queues.delete(id);
    };
    result.then(done, done);
    return result;
  }

  /** Removes a resource; resolves true once removed from disk, false when there was none. */
  async delete(kind: ResourceKind, name: string): Promise<boolean> {
    let existed = false;
    await this.update(kind, name, (current) => {
      existed = current !== undefined;
      return REMOVE;
    });
    return existed;
  }

  /** Resolves once every change queued so far has ended. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()]);
  }
}
