/** The state directory's lock against real processes: a zombie owner, and processes racing. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isAlive, type LockOwner, lockStateDir } from "./lock.js";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function stateDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "sagebrew-lock-"));
  dirs.push(d);
  return d;
}

/** The start time /proc gives a process (field 22 of its stat). */
async function startOf(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8");
  return Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[19]);
}

/** Leaves a lock as a server of `owner` would have left it. */
async function plantLock(dir: string, owner: LockOwner): Promise<void> {
  await mkdir(join(dir, "lock"));
  await writeFile(join(dir, "lock", "owner"), JSON.stringify(owner));
}

/** A process that has exited: its id and start time, as its lock would name them. */
async function deadOwner(): Promise<LockOwner> {
  const child = spawn("sleep", ["30"], { stdio: "ignore" });
  const owner = { pid: child.pid!, start: await startOf(child.pid!) };
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
  return owner;
}

describe("lockStateDir() with real processes", () => {
  it("takes over the lock of a zombie (killed, not yet reaped by its parent)", async (t) => {
    if (spawnSync("python3", ["-c", "1"]).status !== 0) return t.skip("python3 is needed to keep a zombie");
    // A parent that forks a child which exits at once, and never waits for it.
    const parent = spawn(
      "python3",
      [
        "-c",
        "import os,sys,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid,flush=True)\ntime.sleep(60)",
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    try {
      const pid = Number(
        await new Promise<string>((r) => parent.stdout!.once("data", (c: Buffer) => r(c.toString()))),
      );
      for (let i = 0; i < 100 && !(await readFile(`/proc/${pid}/stat`, "utf8")).includes(") Z "); i++)
        await new Promise((r) => setTimeout(r, 20));
      const zombie = { pid, start: await startOf(pid) };
      assert.equal(await isAlive(zombie), false, "a zombie is not alive");
      const dir = await stateDir();
      await plantLock(dir, zombie);
      await (await lockStateDir(dir)).release();
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("of 6 processes taking one stale lock together, exactly one wins", async () => {
    const dir = await stateDir();
    await plantLock(dir, await deadOwner());
    const lockModule = fileURLToPath(new URL("./lock.ts", import.meta.url));
    const code = `const { lockStateDir } = await import(${JSON.stringify(lockModule)});
      try { await lockStateDir(${JSON.stringify(dir)}); console.log("won"); await new Promise((r) => setTimeout(r, 3000)); }
      catch (e) { console.log(e.name); }`;
    const outputs = await Promise.all(
      Array.from(
        { length: 6 },
        () =>
          new Promise<string>((resolve) => {
            const c = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
              stdio: ["ignore", "pipe", "inherit"],
            });
            let out = "";
            c.stdout!.on("data", (b: Buffer) => {
              out += b.toString();
            });
            c.once("close", () => resolve(out.trim()));
          }),
      ),
    );
    assert.deepEqual(outputs.sort(), [
      "StateLocked",
      "StateLocked",
      "StateLocked",
      "StateLocked",
      "StateLocked",
      "won",
    ]);
  });
});
