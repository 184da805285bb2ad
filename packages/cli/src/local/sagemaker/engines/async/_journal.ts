/**
 * The asynchronous invocations accepted and not yet done, on disk: one JSON file per invocation
 * under `<state>/async-invocations/`, written atomically and durably before InvokeEndpointAsync
 * answers 202, removed once its answer or failure is written. A restart reads them back in the
 * order they came, so a queue survives `sagebrew local` stopping, cleanly or not.
 */
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../../atomic-file.js";

/** One accepted invocation, as the queue keeps it. */
export interface QueuedInvocation {
  /** Its place in the order invocations came in (across endpoints). */
  readonly seq: number;
  readonly endpoint: string;
  readonly inferenceId: string;
  readonly inputLocation: string;
  readonly outputLocation: string;
  readonly failureLocation: string;
  readonly contentType?: string;
  readonly accept?: string;
  readonly customAttributes?: string;
  /** `InvocationTimeoutSeconds`: how long the container has to answer. */
  readonly timeoutSeconds: number;
  /** Epoch milliseconds when it came in, and past which it is expired unless started (`RequestTTLSeconds`). */
  readonly receivedAt: number;
  readonly expiresAt: number;
}

const STRINGS = ["endpoint", "inferenceId", "inputLocation", "outputLocation", "failureLocation"] as const;
const NUMBERS = ["seq", "timeoutSeconds", "receivedAt", "expiresAt"] as const;

/** What is wrong with a document read back, or undefined. */
function problem(doc: unknown, file: string): string | undefined {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return "not an object";
  const d = doc as Record<string, unknown>;
  for (const k of STRINGS) if (typeof d[k] !== "string") return `no string ${k}`;
  for (const k of NUMBERS) if (typeof d[k] !== "number" || !Number.isFinite(d[k])) return `no number ${k}`;
  if (file !== fileName(d.seq as number)) return `it holds invocation ${d.seq}`;
  return undefined;
}

function fileName(seq: number): string {
  return `${String(seq).padStart(12, "0")}.json`;
}

/** The invocations on disk. */
export class Journal {
  readonly #dir: string;
  #seq: number;

  private constructor(dir: string, seq: number) {
    this.#dir = dir;
    this.#seq = seq;
  }

  /**
   * Opens (creating) the journal under `dir` and reads back what it holds, oldest first. A file that
   * cannot be read is moved aside as `<file>.unreadable` and reported; temporary files are removed.
   */
  static async open(
    dir: string,
    warn: (message: string) => void,
  ): Promise<{ journal: Journal; queued: QueuedInvocation[] }> {
    await mkdir(dir, { recursive: true });
    const queued: QueuedInvocation[] = [];
    for (const file of (await readdir(dir)).sort()) {
      const path = join(dir, file);
      if (file.endsWith(".tmp")) {
        await rm(path, { force: true });
        continue;
      }
      if (!file.endsWith(".json")) continue;
      try {
        const doc: unknown = JSON.parse(await readFile(path, "utf8"));
        const why = problem(doc, file);
        if (why) throw new Error(why);
        queued.push(doc as QueuedInvocation);
      } catch (e) {
        warn(`Cannot read the queued asynchronous invocation ${path}: ${(e as Error).message}; moved aside`);
        await rename(path, `${path}.unreadable`).catch(() => undefined);
      }
    }
    queued.sort((a, b) => a.seq - b.seq);
    return { journal: new Journal(dir, queued.at(-1)?.seq ?? 0), queued };
  }

  /** The next invocation's place in the order. */
  nextSeq(): number {
    return ++this.#seq;
  }

  /**
   * Writes an invocation down (atomically, durably).
   *
   * @throws Error when it cannot be written (nothing is left behind).
   */
  add(item: QueuedInvocation): Promise<void> {
    return writeFileAtomic(join(this.#dir, fileName(item.seq)), `${JSON.stringify(item)}\n`);
  }

  /** Removes a finished invocation. */
  async remove(item: QueuedInvocation): Promise<void> {
    await rm(join(this.#dir, fileName(item.seq)), { force: true });
  }
}
