/**
 * The containers `sagebrew local` has started, recorded under `<stateDir>/run/`, so that a later
 * start can stop the ones a `kill -9` left running. A record is only acted on when the process is
 * still the one recorded: its environment still names the recorded `/opt/ml` directory.
 */
import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../../atomic-file.js";

interface Record {
  readonly pid: number;
  readonly mlRoot: string;
  readonly runner: "runtime" | "docker";
  readonly name: string;
}

export class ProcessRegistry {
  readonly #dir: string;

  constructor(stateDir: string) {
    this.#dir = join(stateDir, "run");
  }

  async add(record: Record): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    // Not flushed to the disk: the record is for a kill -9 of sagebrew local, which the page cache
    // survives; a crash of the machine ends the processes too.
    await writeFileAtomic(join(this.#dir, `${record.name}.json`), JSON.stringify(record), { durable: false });
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.#dir, `${name}.json`), { force: true });
  }

  /** Stops every recorded container still running (after a kill -9 of `sagebrew local`); returns how many. */
  async reapOrphans(engineCommand: string, env: NodeJS.ProcessEnv): Promise<number> {
    let reaped = 0;
    const files = await readdir(this.#dir).catch(() => [] as string[]);
    for (const file of files) {
      if (!file.endsWith(".json")) continue;
      const path = join(this.#dir, file);
      try {
        const r = JSON.parse(await readFile(path, "utf8")) as Record;
        if (r.runner === "docker") {
          await new Promise<void>((done) => {
            const c = spawn(engineCommand, ["rm", "-f", r.name], { stdio: "ignore", env });
            c.once("error", () => done());
            c.once("close", () => done());
          });
          reaped++;
        } else if (await stillOurs(r)) {
          try {
            process.kill(-r.pid, "SIGKILL");
            reaped++;
          } catch {
            // gone meanwhile
          }
        }
      } catch {
        // an unreadable record: nothing to stop
      }
      await rm(path, { force: true });
    }
    return reaped;
  }
}

async function stillOurs(r: Record): Promise<boolean> {
  try {
    const environ = await readFile(`/proc/${r.pid}/environ`, "utf8");
    return environ.split("\0").includes(`SAGEMAKER_BASE_DIR=${r.mlRoot}`);
  } catch {
    return false;
  }
}
