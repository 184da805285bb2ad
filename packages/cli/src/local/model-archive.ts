/**
 * `model.tar.gz` as SageMaker writes and reads it: a gzip tar with the files at the archive root.
 * Written reproducibly (entries sorted, mtime 0, no owners, modes 0644, portable gzip header), so
 * the same model directory always gives the same bytes; read with path checks, so an archive can
 * only put regular files and directories below the target (no links, no `..`, no absolute paths).
 *
 * Symbolic links are never followed, neither when listing nor when packing, and nothing on disk is
 * chmod-ed: a directory a job wrote may hold `key -> ~/.ssh/id_rsa`, and following it would pack
 * (and chmod) a file of this machine the job was never given. A link is not kept as a link either:
 * SageMaker's hosting refuses to extract a model archive that holds links, and a model server
 * needs files. So a link (or a FIFO, socket or device) is refused, naming it (`NotRegularFile`),
 * and the training job fails with a `ClientError` that says so.
 */
import { constants, createWriteStream } from "node:fs";
import { lstat, mkdir, open, readdir, readFile, readlink, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { pipeline } from "node:stream/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import * as tar from "tar";

/** A file that is not a regular file or a directory, found where only those belong. */
export class NotRegularFile extends Error {
  /** Its path relative to the directory listed (`.` for the directory itself). */
  readonly rel: string;
  /** `a symbolic link to /x`, `a FIFO`, `a socket`, `a device`. */
  readonly what: string;

  constructor(rel: string, what: string) {
    super(`${rel} is ${what}, not a regular file`);
    this.name = "NotRegularFile";
    this.rel = rel;
    this.what = what;
  }
}

async function describeOther(
  path: string,
  st: { isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean },
) {
  if (st.isSymbolicLink()) return `a symbolic link to ${await readlink(path).catch(() => "?")}`;
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  return "a device";
}

/**
 * Every regular file below `dir`, as sorted relative paths; [] when `dir` does not exist. Never
 * follows a symbolic link, `dir` itself included.
 *
 * @throws NotRegularFile naming the first symbolic link, FIFO, socket or device met.
 */
export async function listFiles(dir: string): Promise<string[]> {
  const root = await lstat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (root === undefined) return [];
  if (!root.isDirectory()) throw new NotRegularFile(".", await describeOther(dir, root));
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      const p = join(d, e.name);
      // Dirent types come from the directory itself (lstat's view): a link is a link here.
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(relative(dir, p));
      else throw new NotRegularFile(relative(dir, p), await describeOther(p, e));
    }
  };
  await walk(dir);
  return out;
}

/**
 * Copies the regular file `src` to the new file `dest`: opened without following a link at either
 * end (`O_NOFOLLOW`, and `dest` must not exist), so that neither a link put in place of `src` nor
 * one waiting at `dest` is written through.
 *
 * @throws NodeJS.ErrnoException ELOOP when `src` is a link, EEXIST when `dest` exists.
 */
export async function copyRegularFile(src: string, dest: string): Promise<void> {
  const from = await open(src, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (!(await from.stat()).isFile()) throw new NotRegularFile(src, "not a regular file");
    await pipeline(from.createReadStream({ autoClose: false }), createWriteStream(dest, { flags: "wx" }));
  } finally {
    await from.close();
  }
}

/**
 * Writes `dir`'s regular files into the gzip tar `outFile` (files at the root, sorted, modes 0644
 * in the archive; nothing on disk is changed).
 *
 * @throws NotRegularFile when `dir` holds a symbolic link (or another file that is not regular).
 * @example await packModelArchive("/state/jobs/j/model", "/tmp/model.tar.gz");
 */
export async function packModelArchive(dir: string, outFile: string): Promise<{ files: number }> {
  const files = await listFiles(dir);
  if (files.length === 0) {
    // An archive with no entries: the two zero blocks that end a tar.
    await writeFile(outFile, gzipSync(Buffer.alloc(1024)));
    return { files: 0 };
  }
  await tar.c(
    {
      gzip: true,
      file: outFile,
      cwd: dir,
      portable: true,
      mtime: new Date(0),
      noDirRecurse: true,
      // lstat, not stat: were a file replaced by a link meanwhile, the link would be packed as a
      // link (which extraction refuses), never what it points to.
      follow: false,
      onWriteEntry(entry) {
        // One mode for every file, whatever the job or the umask gave it: set in the header only.
        const st = "stat" in entry ? entry.stat : undefined;
        if (st) st.mode = (st.mode & ~0o7777) | 0o644;
      },
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
