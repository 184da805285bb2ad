/**
 * Checkpoints for spot training (`shared/contract.md` §1.7, §5.4): the model every N rounds as
 * `xgboost-checkpoint.<round>` (zero-based round index of the last round it holds) in the
 * checkpoint directory, written by temp file and rename; on start the newest one is resumed.
 * One naming scheme for writing and resuming (unlike the upstream quirk, §9.13). The newest five
 * are kept; a file SageMaker is still uploading (`<file>.sagemaker-uploading`) is never deleted.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SagebrewError } from "../errors/index.js";

const NAME = /^xgboost-checkpoint\.(\d+)$/;
export const CHECKPOINTS_KEPT = 5;

export interface Checkpoint {
  readonly path: string;
  /** Zero-based index of the last round the checkpoint holds. */
  readonly round: number;
}

/** Lists checkpoints, newest (highest round) first. */
export async function listCheckpoints(dir: string): Promise<Checkpoint[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new SagebrewError(
      "SB_DATA_READ",
      `Cannot read checkpoint directory ${dir}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const out: Checkpoint[] = [];
  for (const n of names) {
    const m = NAME.exec(n);
    if (m) out.push({ path: join(dir, n), round: Number(m[1]) });
  }
  return out.sort((a, b) => b.round - a.round);
}

/** The newest checkpoint's bytes, or undefined when there is none. */
export async function latestCheckpoint(dir: string): Promise<(Checkpoint & { model: Buffer }) | undefined> {
  const [newest] = await listCheckpoints(dir);
  if (!newest) return undefined;
  try {
    return { ...newest, model: await readFile(newest.path) };
  } catch (e) {
    throw new SagebrewError(
      "SB_DATA_READ",
      `Cannot read checkpoint ${newest.path}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/** Writes the checkpoint for `round` atomically, then prunes old ones. */
export async function writeCheckpoint(dir: string, round: number, model: Uint8Array): Promise<void> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `xgboost-checkpoint.${round}`);
  const tmp = join(dir, `.xgboost-checkpoint.${round}.${process.pid}.tmp`);
  await writeFile(tmp, model);
  await rename(tmp, path);
  const all = await listCheckpoints(dir);
  const names = new Set(await readdir(dir));
  for (const old of all.slice(CHECKPOINTS_KEPT)) {
    const base = old.path.slice(dir.length + 1);
    if (names.has(`${base}.sagemaker-uploading`)) continue;
    await rm(old.path, { force: true });
  }
}
