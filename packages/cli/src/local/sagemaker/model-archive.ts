/**
 * `model.tar.gz` as SageMaker writes and reads it: a gzip tar with the files at the archive root.
 * Written reproducibly (entries sorted, mtime 0, no owners, modes 0644, portable gzip header), so
 * the same model directory always gives the same bytes; read with path checks, so an archive can
 * only put regular files and directories below the target (no links, no `..`, no absolute paths).
 */
import { chmod, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import * as tar from "tar";

/** Every regular file below `dir`, as sorted relative paths (symlinks followed). */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      const p = join(d, e.name);
      const st = await stat(p).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) await walk(p);
      else if (st.isFile()) out.push(relative(dir, p));
    }
  };
  await walk(dir);
  return out;
}

/**
 * Writes `dir`'s files into the gzip tar `outFile` (files at the root, sorted). Modes are set to
 * 0644 on disk first: `dir` must be a copy sagebrew owns.
 *
 * @example await packModelArchive("/state/jobs/j/model", "/tmp/model.tar.gz");
 */
export async function packModelArchive(dir: string, outFile: string): Promise<{ files: number }> {
  const files = await listFiles(dir);
  if (files.length === 0) {
    // An archive with no entries: the two zero blocks that end a tar.
    await writeFile(outFile, gzipSync(Buffer.alloc(1024)));
    return { files: 0 };
  }
  for (const f of files) await chmod(join(dir, f), 0o644).catch(() => undefined);
  await tar.c(
    {
      gzip: true,
      file: outFile,
      cwd: dir,
      portable: true,
      mtime: new Date(0),
      noDirRecurse: true,
      follow: true,
    },
    files,
  );
  return { files: files.length };
}

/** True for a (gzip) tar holding no entry at all, which node-tar would call unrecognised. */
async function isEmptyArchive(file: string): Promise<boolean> {
  const { size } = await stat(file);
  if (size > 4096) return false;
  let bytes: Buffer = await readFile(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      return false;
    }
  }
  return bytes.length >= 1024 && bytes.every((b) => b === 0);
}

/**
 * Extracts the gzip (or plain) tar `file` into `dest`: regular files and directories only.
 *
 * @throws Error naming the archive when it is not a readable tar.
 */
export async function extractModelArchive(
  file: string,
  dest: string,
): Promise<{ files: number; skipped: string[] }> {
  await mkdir(dest, { recursive: true });
  let files = 0;
  const skipped: string[] = [];
  let failure: string | undefined;
  if (await isEmptyArchive(file)) return { files: 0, skipped: [] };
  try {
    await tar.x({
      file,
      cwd: dest,
      preservePaths: false,
      preserveOwner: false,
      strict: false,
      filter: (path, entry) => {
        const type = "type" in entry ? entry.type : "File";
        if (type === "File" || type === "OldFile" || type === "ContiguousFile") {
          files++;
          return true;
        }
        if (type === "Directory") return true;
        skipped.push(path);
        return false;
      },
      onwarn: (code, message) => {
        if (code === "TAR_BAD_ARCHIVE" || code === "TAR_ABORT") failure = String(message);
        else if (code === "TAR_ENTRY_ERROR") skipped.push(String(message));
      },
    });
  } catch (e) {
    throw new Error(`Cannot extract ${file}: ${(e as Error).message}`);
  }
  if (failure) throw new Error(`Cannot extract ${file}: ${failure}`);
  return { files, skipped };
}
