import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { currentOwner, isAlive, type LockOwner, lockStateDir, StateLocked } from "./lock.js";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function stateDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "sagebrew-lock-"));
  dirs.push(d);
  return d;
}

/** Leaves a lock as a server of `owner` would have left it. */
async function plantLock(dir: string, owner: LockOwner): Promise<void> {
  await mkdir(join(dir, "lock"));
  await writeFile(join(dir, "lock", "owner"), JSON.stringify(owner));
}

/** An owner no process is: the highest process id that has no process. */
async function deadOwner(): Promise<LockOwner> {
  const max = Number(await readFile("/proc/sys/kernel/pid_max", "utf8").catch(() => "32768"));
  for (let pid = max - 1; ; pid--) {
    if (!(await stat(`/proc/${pid}`).catch(() => undefined))) return { pid, start: 1 };
  }
}

describe("lockStateDir()", () => {
  it("lets one holder in: a second is refused naming the first, until it releases", async () => {
    const dir = await stateDir();
    const lock = await lockStateDir(dir);
    await assert.rejects(lockStateDir(dir), (e: unknown) => {
      assert.ok(e instanceof StateLocked);
      assert.equal(
        e.message,
        `Cannot use the state directory ${dir}: sagebrew local (pid ${process.pid}) is using it`,
      );
      return true;
    });
    await lock.release();
    await (await lockStateDir(dir)).release();
    assert.deepEqual(await readdir(dir), []);
  });

  it("takes over the lock of a process that is gone, at once", async () => {
    const dir = await stateDir();
    await plantLock(dir, await deadOwner());
    const lock = await lockStateDir(dir);
    assert.deepEqual(lock.owner, await currentOwner());
    assert.equal((await readdir(dir)).filter((n) => n.startsWith("lock.stale-")).length, 1);
    await lock.release();
  });

  it("takes over a lock whose process id now belongs to another process (its start time differs)", async () => {
    const me = await currentOwner();
    const reused = { pid: me.pid, start: (me.start ?? 0) - 1 };
    assert.equal(await isAlive(reused), false);
    const dir = await stateDir();
    await plantLock(dir, reused);
    await (await lockStateDir(dir)).release();
  });

  it("reads the lock file of the earlier version: a live pid holds, a dead one does not", async () => {
    const dir = await stateDir();
    await writeFile(join(dir, "lock"), `${process.pid}\n`);
    await assert.rejects(lockStateDir(dir), StateLocked);
    await writeFile(join(dir, "lock"), `${(await deadOwner()).pid}\n`);
    await (await lockStateDir(dir)).release();
  });

  it("of 20 takeovers of one stale lock racing in this process, exactly one wins", async () => {
    const dir = await stateDir();
    await plantLock(dir, await deadOwner());
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => lockStateDir(dir)));
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results)
      if (r.status === "rejected") assert.ok(r.reason instanceof StateLocked, String(r.reason));
  });
});
