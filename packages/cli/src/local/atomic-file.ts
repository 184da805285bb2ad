/**
 * Writing a file so that a crash at any moment leaves either the old file or the new one, never
 * half of one: the bytes go to a temporary file beside it, are flushed to the disk, and the
 * temporary file is renamed over the old one (and the directory flushed, so the rename stays).
 * Without the flushes (`durable: false`) the write is still atomic for every process and survives
 * a `kill -9` of the writer (the page cache keeps it); only a crash of the machine may lose it.
 */
import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

let tmpCounter = 0;

/** Flushes a directory's entries (a rename within it) to the disk; a file system that cannot is left as it is. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory (EINVAL); the rename is then as durable as they make it.
  } finally {
    await handle.close();
  }
}

/**
 * Writes `data` to `file` atomically and durably: a temporary file, fsync, rename, fsync of the
 * directory (the fsyncs left out with `durable: false`). On any failure (ENOSPC, EACCES, …) the
 * temporary file is removed, `file` is as it was, and the error is thrown.
 *
 * @example await writeFileAtomic("/state/resources/model/iris.json", "{}");
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: { readonly durable?: boolean } = {},
): Promise<void> {
  const durable = options.durable ?? true;
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  try {
    const handle = await open(tmp, "wx", 0o644);
    try {
      await handle.writeFile(data);
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  if (durable) await syncDirectory(dirname(file));
}
