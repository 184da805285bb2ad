/**
 * The state directory's lock: one `sagebrew local` per directory. The lock is the directory
 * `<state>/lock` holding `owner` (the process id and its start time). It is taken by renaming a
 * directory already holding `owner` onto `lock`: rename(2) moves a directory onto a missing or
 * empty one and fails onto one that holds a file, so of any number of servers started together
 * exactly one succeeds, and no lock is ever seen half-written.
 *
 * An owner that is gone is seen at once — no process with its id, a zombie (state Z in
 * `/proc/<pid>/stat`: killed, not yet reaped by its parent), or another process under a reused id
 * (its start time differs) — and its lock is taken over: renamed to `lock.stale-<pid>-<start>`
 * first. That name is the stale owner's own, so two servers racing to take over one stale lock
 * cannot both win: the first rename moves it; the second finds either no lock (and starts over) or
 * the first one's new lock, which it cannot move onto the stale directory (not empty).
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Who holds a lock: a process id and the start time that tells it from a later process of that id. */
export interface LockOwner {
  readonly pid: number;
  /** Clock ticks since boot (`/proc/<pid>/stat` field 22); undefined where there is no /proc. */
  readonly start?: number;
}

/** The lock held; `release()` frees it (only while it is still this process's). */
export interface StateLock {
  readonly owner: LockOwner;
  release(): Promise<void>;
}

/** Thrown when another live `sagebrew local` holds the directory. */
export class StateLocked extends Error {
  readonly holder: LockOwner;

  constructor(stateDir: string, holder: LockOwner) {
    super(`Cannot use the state directory ${stateDir}: sagebrew local (pid ${holder.pid}) is using it`);
    this.name = "StateLocked";
    this.holder = holder;
  }
}

/** A `lock.stale-*` directory older than this is removed when the lock is taken. */
const STALE_KEEP_MS = 60 * 60_000;

/** State and start time of a process from `/proc/<pid>/stat`, or undefined when there is none. */
async function procStat(pid: number): Promise<{ state: string; start: number } | undefined | "no-proc"> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      // No such process — or no /proc at all on this system.
      return (await stat("/proc/self/stat").catch(() => undefined)) ? undefined : "no-proc";
    }
    throw e;
  }
  // `pid (comm) state …`: comm may hold spaces and parentheses, so read after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", start: Number(fields[19]) };
}

/** This process as a lock owner. */
export async function currentOwner(): Promise<LockOwner> {
  const s = await procStat(process.pid);
  return typeof s === "object" ? { pid: process.pid, start: s.start } : { pid: process.pid };
}

/**
 * True while `owner` runs: its process exists, is not a zombie (or dead), and started when the
 * lock says (an id reused by another process is not the owner).
 */
export async function isAlive(owner: LockOwner): Promise<boolean> {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  const s = await procStat(owner.pid);
  if (s === "no-proc") {
    try {
      process.kill(owner.pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "EPERM";
    }
  }
  if (!s || s.state === "Z" || s.state === "X" || s.state === "x") return false;
  return owner.start === undefined || s.start === owner.start;
}

function parseOwner(text: string): LockOwner | undefined {
  // The lock file of an earlier version: the process id alone.
  if (/^\d+\s*$/.test(text)) return { pid: Number.parseInt(text, 10) };
  try {
    const o = JSON.parse(text) as { pid?: unknown; start?: unknown };
    if (typeof o.pid !== "number") return undefined;
    return typeof o.start === "number" ? { pid: o.pid, start: o.start } : { pid: o.pid };
  } catch {
    return undefined;
  }
}

/** The owner a lock names; undefined when it names none (garbage), "missing" when there is no lock. */
async function ownerOf(lock: string): Promise<LockOwner | undefined | "missing"> {
  try {
    return parseOwner(await readFile(join(lock, "owner"), "utf8"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      // No lock at all, or a lock that is not a directory (a lock file of an earlier version).
      const st = await stat(lock).catch(() => undefined);
      if (!st) return "missing";
      return st.isFile() ? parseOwner(await readFile(lock, "utf8").catch(() => "")) : undefined;
    }
    if (code === "ENOTDIR") return parseOwner(await readFile(lock, "utf8").catch(() => ""));
    throw e;
  }
}

const sameOwner = (a: LockOwner | undefined, b: LockOwner) => a?.pid === b.pid && a.start === b.start;

/** A lock's identity: its inode and modification time, which no other lock shares. */
async function identity(lock: string): Promise<string | undefined> {
  const st = await stat(lock, { bigint: true }).catch(() => undefined);
  return st ? `${st.ino}-${st.mtimeNs}` : undefined;
}

/**
 * Takes the lock of `stateDir` for this process (the directory must exist).
 *
 * @throws StateLocked when a live `sagebrew local` holds it.
 * @example const lock = await lockStateDir("/tmp/state"); … await lock.release();
 */
export async function lockStateDir(stateDir: string): Promise<StateLock> {
  const lock = join(stateDir, "lock");
  const me = await currentOwner();
  const mine = join(stateDir, `lock.new-${me.pid}-${me.start ?? 0}-${Math.random().toString(36).slice(2)}`);
  await mkdir(mine);
  await writeFile(join(mine, "owner"), `${JSON.stringify(me)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      if (attempt === 1000)
        throw new Error(`Cannot take the lock of the state directory ${stateDir}: it keeps changing`);
      try {
        await rename(mine, lock);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // A lock is there: a directory holding its owner (or the lock file of an earlier version).
        if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "ENOTDIR" && code !== "EISDIR") throw e;
      }
      // The owner read must be the owner of the lock named: the same lock before and after reading.
      const id = await identity(lock);
      const holder = id ? await ownerOf(lock) : "missing";
      if (holder === "missing" || (await identity(lock)) !== id) continue;
      if (holder && (await isAlive(holder))) throw new StateLocked(stateDir, holder);
      // Gone (or unreadable): moved aside under its own identity, then the loop tries again. A
      // takeover racing this one for the same stale lock cannot move a new lock there, as that
      // name is taken (by the stale lock, not empty).
      await rename(lock, join(stateDir, `lock.stale-${id}`)).catch((e: NodeJS.ErrnoException) => {
        if (!["ENOENT", "ENOTEMPTY", "EEXIST", "ENOTDIR", "EISDIR"].includes(e.code ?? "")) throw e;
      });
    }
  } catch (e) {
    await rm(mine, { recursive: true, force: true });
    throw e;
  }
  await removeOldStale(stateDir);
  return {
    owner: me,
    async release() {
      // Only this process's lock: never one a later server took over.
      if (sameOwner(parseOwner(await readFile(join(lock, "owner"), "utf8").catch(() => "")), me))
        await rm(lock, { recursive: true, force: true });
    },
  };
}

/**
 * Removes the stale locks moved aside more than an hour ago (a racing takeover is long over), and
 * the new locks of servers that died before taking theirs.
 */
async function removeOldStale(stateDir: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(stateDir).catch(() => [] as string[])) {
    const path = join(stateDir, name);
    if (name.startsWith("lock.stale-")) {
      const st = await stat(path).catch(() => undefined);
      if (st && now - st.mtimeMs > STALE_KEEP_MS) await rm(path, { recursive: true, force: true });
    } else if (name.startsWith("lock.new-")) {
      const owner = parseOwner(await readFile(join(path, "owner"), "utf8").catch(() => ""));
      if (owner && !(await isAlive(owner))) await rm(path, { recursive: true, force: true });
    }
  }
}
