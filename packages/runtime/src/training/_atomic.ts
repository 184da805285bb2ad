/**
 * Atomic writes: a file is written beside its target under a temporary dot-name and renamed into
 * place, so a reader (SageMaker's upload, a resumed job) sees the old file or the whole new one,
 * never part of one. A run killed mid-write leaves only a temporary file, which the next run
 * removes (`removeStaleTemporaries`).
 */
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SagebrewError } from "../errors/index.js";

/** `.<name>.<pid>.<ms>.tmp`, and the older `.<pid>.<ms>.tmp`. */
const TEMPORARY = /^\.(?:.+\.)?\d+\.\d+\.tmp$/;

function temporaryFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
}

/** The error of a failed write: names the path (ENOSPC errors from a file descriptor do not). */
export function writeError(path: string, e: unknown): SagebrewError {
  const err = e as NodeJS.ErrnoException;
  const detail = err.code === "ENOSPC" ? "no space left on device (ENOSPC)" : (err.message ?? String(e));
  return new SagebrewError("SB_OUTPUT_WRITE", `Cannot write ${path}: ${detail}`, { cause: e });
}

/**
 * Writes `data` to `path` atomically.
 *
 * @throws SagebrewError SB_OUTPUT_WRITE naming the path (no temporary file is left).
 */
export async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await writeAllAtomic([[path, data]]);
}

/**
 * Writes several files so that none is renamed into place before all are written.
 *
 * @throws SagebrewError SB_OUTPUT_WRITE naming the path that failed.
 */
export async function writeAllAtomic(
  files: ReadonlyArray<readonly [string, Uint8Array | string]>,
): Promise<void> {
  const written: Array<readonly [string, string]> = [];
  let current = "";
  try {
    for (const [path, data] of files) {
      current = path;
      await mkdir(dirname(path), { recursive: true });
      const tmp = temporaryFor(path);
      written.push([tmp, path]);
      await writeFile(tmp, data);
    }
    for (const [tmp, path] of written) {
      current = path;
      await rename(tmp, path);
    }
  } catch (e) {
    await Promise.all(written.map(([tmp]) => rm(tmp, { force: true }).catch(() => undefined)));
    throw writeError(current, e);
  }
}

/** Removes temporary files an interrupted run left in `dir`; returns their names. */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const stale = names.filter((n) => TEMPORARY.test(n));
  for (const n of stale) await rm(join(dir, n), { force: true }).catch(() => undefined);
  return stale;
}
