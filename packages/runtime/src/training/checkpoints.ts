/**
 * Checkpoints for spot training (https://docs.aws.amazon.com/sagemaker/latest/dg/model-checkpoints.html): the state after a round as
 * `<prefix>.<round>` (zero-based index of the last round it holds) in the checkpoint directory,
 * written by temp file and rename; on start the newest one is resumed. One naming scheme for
 * writing and resuming (upstream resumes from `xgboost-checkpoint.<N>` but XGBoost's callback writes `xgboost-checkpoint_<N>.ubj`). The newest five are kept; a file
 * SageMaker is still uploading (`<file>.sagemaker-uploading`) is never deleted.
 */
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { SagebrewError } from "../errors/index.js";
import { writeAtomic } from "./_atomic.js";
import type { Checkpoints, SavedCheckpoint } from "./algorithm.js";

export const CHECKPOINTS_KEPT = 5;

export interface Checkpoint {
  readonly path: string;
  /** Zero-based index of the last round the checkpoint holds. */
  readonly round: number;
}

function pattern(prefix: string): RegExp {
  return new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+)$`);
}

/** Lists checkpoints, newest (highest round) first. */
export async function listCheckpoints(dir: string, prefix: string): Promise<Checkpoint[]> {
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
  const name = pattern(prefix);
  const out: Checkpoint[] = [];
  for (const n of names) {
    const m = name.exec(n);
    if (m) out.push({ path: join(dir, n), round: Number(m[1]) });
  }
  return out.sort((a, b) => b.round - a.round);
}

/** The newest checkpoint with its bytes, or undefined when there is none. */
export async function latestCheckpoint(dir: string, prefix: string): Promise<SavedCheckpoint | undefined> {
  const [newest] = await listCheckpoints(dir, prefix);
  if (!newest) return undefined;
  try {
    return { ...newest, data: await readFile(newest.path) };
  } catch (e) {
    throw new SagebrewError(
      "SB_DATA_READ",
      `Cannot read checkpoint ${newest.path}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/** Writes the checkpoint for `round` atomically, then prunes old ones. */
export async function writeCheckpoint(
  dir: string,
  prefix: string,
  round: number,
  data: Uint8Array,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeAtomic(join(dir, `${prefix}.${round}`), data);
  const all = await listCheckpoints(dir, prefix);
  const names = new Set(await readdir(dir));
  for (const old of all.slice(CHECKPOINTS_KEPT)) {
    const base = old.path.slice(dir.length + 1);
    if (names.has(`${base}.sagemaker-uploading`)) continue;
    await rm(old.path, { force: true });
  }
}

/** The checkpoint helpers a training context carries (all no-ops without a directory). */
export function checkpointsIn(dir: string | undefined, prefix: string): Checkpoints {
  return {
    dir,
    latest: () => (dir ? latestCheckpoint(dir, prefix) : Promise.resolve(undefined)),
    save: (round, data) => (dir ? writeCheckpoint(dir, prefix, round, data) : Promise.resolve()),
  };
}
