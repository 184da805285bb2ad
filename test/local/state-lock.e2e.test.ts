/**
 * One `sagebrew local` per state directory, tried with the CLI as users start it: servers started
 * together (exactly one runs, the others exit naming it), and a restart after a kill -9 whose
 * process its parent has not reaped yet (a zombie holds no directory).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { startLocal } from "../kit/local.js";

const CLI = fileURLToPath(new URL("../../packages/cli/src/bin.ts", import.meta.url));

let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-state-lock-"));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("sagebrew local's state directory lock", { timeout: 300_000 }, () => {
  it("of servers started together on one --state, exactly one runs; the others exit naming it", async () => {
    for (let round = 0; round < 3; round++) {
      const state = join(work, `together-${round}`);
      const started = await Promise.allSettled([startLocal(state), startLocal(state), startLocal(state)]);
      const running = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      assert.equal(running.length, 1, `round ${round}: ${running.length} servers run`);
      for (const r of started) {
        if (r.status === "rejected")
          assert.match(
            String(r.reason),
            new RegExp(
              `Cannot use the state directory .*: sagebrew local \\(pid ${running[0]!.pid}\\) is using it`,
            ),
          );
      }
      assert.equal(await running[0]!.stop(), 0);
    }
  });

  it("a restart after a kill -9 whose zombie is not reaped yet takes the directory at once", async (t) => {
    if (spawnSync("python3", ["-c", "1"]).status !== 0) return t.skip("python3 is needed to keep a zombie");
    const state = join(work, "zombie");
    const out = join(work, "zombie.out");
    // A parent that starts sagebrew local and never waits for it.
    const script = [
      "import subprocess, sys, time",
      `p = subprocess.Popen(sys.argv[1:], stdout=open(${JSON.stringify(out)}, "w"), stderr=subprocess.DEVNULL)`,
      "print(p.pid, flush=True)",
      "time.sleep(300)",
    ].join("\n");
    const parent = spawn(
      "python3",
      [
        "-c",
        script,
        process.execPath,
        "--conditions=sagebrew-source",
        "--import",
        "tsx",
        CLI,
        "local",
        "--port",
        "0",
        "--state",
        state,
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    try {
      const pid = Number(
        await new Promise<string>((r) => parent.stdout!.once("data", (c: Buffer) => r(c.toString()))),
      );
      for (let i = 0; i < 600 && !(await readFile(out, "utf8").catch(() => "")).includes("SageMaker on"); i++)
        await new Promise((r) => setTimeout(r, 100));
      process.kill(pid, "SIGKILL");
      for (let i = 0; i < 100 && !(await readFile(`/proc/${pid}/stat`, "utf8")).includes(") Z "); i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.match(await readFile(`/proc/${pid}/stat`, "utf8"), /\) Z /, "the killed server is a zombie");
      const local = await startLocal(state);
      assert.equal(await local.stop(), 0);
    } finally {
      parent.kill("SIGKILL");
    }
  });
});
