/**
 * `model.tar.gz` as SageMaker writes and reads it: a gzip tar with the files at the archive root.
 * The one writer of it in sagebrew (a training job's output in `sagebrew local`, `sagebrew
 * deploy`'s upload): written reproducibly (entries sorted, one mtime, no owners, modes 0644/0755,
 * portable gzip header), so the same model directory always gives the same bytes; read with path
 * checks, so an archive can only put regular files and directories below the target (no links, no
 * `..`, no absolute paths).
 *
 * A job's files are packed without following a symbolic link, and nothing on disk is chmod-ed: a
 * directory a job wrote may hold `key -> ~/.ssh/id_rsa`, and following it would pack a file of
 * this machine the job was never given. A link is not kept as a link either: SageMaker's hosting
 * refuses to extract a model archive that holds links, and a model server needs files. So a link
 * (or a FIFO, socket or device) is refused, naming it (`NotRegularFile`), and the training job
 * fails with a `ClientError` that says so. A user's own model directory may link inside itself
 * (`links: "follow-inside"`).
 */
import { constants, createWriteStream } from "node:fs";
import { lstat, mkdir, open, readdir, readFile, readlink, realpath, stat, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import * as tar from "tar";

/** zlib's default level: level 9 makes a model's archive a few percent smaller for several times the time. */
const GZIP_LEVEL = 6;

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

/** What a symbolic link met while packing does. */
export type LinkPolicy =
  /** Refused (`NotRegularFile`): the files of a job, which never decide what of this machine is read. */
  | "refuse"
  /** Packed as the file or directory it points to when that is inside the directory, refused otherwise: a user's own model directory (as the SageMaker Python SDK's `dereference=True`). */
  | "follow-inside";

/**
 * The entries of a model archive of `dir`: every directory (as `name/`) and regular file below it,
 * relative, each directory's entries sorted by code point and following it. Never follows a
 * symbolic link under `"refuse"`, `dir` itself included; [] when `dir` does not exist.
 *
 * @throws NotRegularFile naming the first link (outside `dir`, under `"follow-inside"`), FIFO,
 *   socket or device met.
 */
export async function listTree(dir: string, links: LinkPolicy = "refuse"): Promise<string[]> {
  const root = await lstat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (root === undefined) return [];
  if (!root.isDirectory() && !(links === "follow-inside" && root.isSymbolicLink()))
    throw new NotRegularFile(".", await describeOther(dir, root));
  const realRoot = links === "follow-inside" ? await realpath(dir) : dir;
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      const p = join(d, e.name);
      const rel = relative(dir, p).split(sep).join("/");
      // Dirent types come from the directory itself (lstat's view): a link is a link here.
      let kind: { isDirectory(): boolean; isFile(): boolean } = e;
      if (e.isSymbolicLink() && links === "follow-inside") {
        const target = await realpath(p).catch(() => undefined);
        if (!target || !(target === realRoot || target.startsWith(realRoot + sep)))
          throw new NotRegularFile(
            rel,
            `a symbolic link to ${target ?? "nothing"}, outside the model directory`,
          );
        kind = await stat(p);
      }
      if (kind.isDirectory()) {
        out.push(`${rel}/`);
        await walk(p);
      } else if (kind.isFile()) out.push(rel);
      else throw new NotRegularFile(rel, await describeOther(p, e));
    }
  };
  await walk(dir);
  return out;
}

/**
 * Every regular file below `dir`, as sorted relative paths; [] when `dir` does not exist. Never
 * follows a symbolic link, `dir` itself included.
 *
 * @throws NotRegularFile naming the first symbolic link, FIFO, socket or device met.
 */
export async function listFiles(dir: string): Promise<string[]> {
  return (await listTree(dir)).filter((e) => !e.endsWith("/"));
}

/**
 * Copies the regular file `src` to the new file `dest` (with its permission to run): opened
 * without following a link at either end (`O_NOFOLLOW`, and `dest` must not exist), so that
 * neither a link put in place of `src` nor one waiting at `dest` is written through.
 *
 * @throws NodeJS.ErrnoException ELOOP when `src` is a link, EEXIST when `dest` exists.
 */
export async function copyRegularFile(src: string, dest: string): Promise<void> {
  const from = await open(src, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await from.stat();
    if (!st.isFile()) throw new NotRegularFile(src, "not a regular file");
    // A new file, created with the source's permission to run (so the archive packs it alike).
    await pipeline(
      from.createReadStream({ autoClose: false }),
      createWriteStream(dest, { flags: "wx", mode: st.mode & 0o755 }),
    );
  } finally {
    await from.close();
  }
}

/** Options of `packModelArchive`. */
export interface PackOptions {
  /** Seconds since the epoch written as every entry's mtime. Default 0. */
  readonly mtime?: number;
  /** What a symbolic link in the directory does. Default `"refuse"`. */
  readonly links?: LinkPolicy;
}

/**
 * Writes `dir` into the gzip tar `outFile` as `model.tar.gz` is written everywhere in sagebrew (a
 * training job's output in `sagebrew local`, `sagebrew deploy`'s upload): its directories and
 * regular files at the archive root, sorted, one mtime, uid/gid 0 and no owner names, mode 0755
 * for directories and files their owner may run and 0644 for the others — set in the archive
 * only, nothing on disk changes — so the same files always give the same bytes. An empty
 * directory gives an archive with no entries.
 *
 * @throws NotRegularFile when `dir` holds a symbolic link (see `options.links`) or another file
 *   that is not regular.
 * @example await packModelArchive("/state/jobs/j/model", "/tmp/model.tar.gz");
 */
export async function packModelArchive(
  dir: string,
  outFile: string,
  options: PackOptions = {},
): Promise<{ files: number; entries: string[] }> {
  const links = options.links ?? "refuse";
  const entries = await listTree(dir, links);
  const files = entries.filter((e) => !e.endsWith("/")).length;
  if (entries.length === 0) {
    // An archive with no entries: the two zero blocks that end a tar.
    await writeFile(outFile, gzipSync(Buffer.alloc(1024), { level: GZIP_LEVEL }));
    return { files: 0, entries };
  }
  await tar.c(
    {
      gzip: { level: GZIP_LEVEL },
      file: outFile,
      cwd: dir,
      portable: true,
      mtime: new Date((options.mtime ?? 0) * 1000),
      noDirRecurse: true,
      // Under "refuse", lstat, not stat: were a file replaced by a link meanwhile, the link would
      // be packed as a link (which extraction refuses), never what it points to. Under
      // "follow-inside" every link was checked to stay inside.
      follow: links === "follow-inside",
      onWriteEntry(entry) {
        // One mode per kind, whatever the job, the umask or the checkout gave the files.
        const st = "stat" in entry ? entry.stat : undefined;
        if (!st) return;
        const runnable = entry.type === "Directory" || (st.mode & 0o100) !== 0;
        st.mode = (st.mode & ~0o7777) | (runnable ? 0o755 : 0o644);
      },
    },
    entries,
  );
  return { files, entries };
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
