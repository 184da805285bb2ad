/**
 * Where a multi-model endpoint may read: every model directory named by `POST /models` must
 * resolve — after `..` and symbolic links — inside the models root (`<base>/models`, where
 * SageMaker puts the models it downloads), and so must every file below it, `code/handler.js`
 * included. A `url` that leaves the root is refused before anything outside is touched, so the
 * answer never tells whether an outside path exists, and no error lists files from elsewhere.
 */
import type { Dirent } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { SagebrewError } from "../errors/index.js";

/** Entries (files, directories, links) a model directory may hold; a walk stops beyond it. */
export const MAX_MODEL_ENTRIES = 10_000;
/** Directory levels below the model directory that a walk descends. */
export const MAX_MODEL_DEPTH = 32;
/**
 * SageMaker's limits on a multi-model target name (`TargetModel`: 1–1024 characters, pattern
 * `\A\S[\p{Print}]*\z`, printable ASCII under Java's regex semantics).
 */
export const MAX_MODEL_NAME_LENGTH = 1024;
const MODEL_NAME = /^[\x21-\x7e][\x20-\x7e]*$/;

/** Why `name` cannot name a model, or `undefined` when it can. */
export function modelNameProblem(name: string): string | undefined {
  if (name.length === 0) return "it is empty";
  if (name.length > MAX_MODEL_NAME_LENGTH) {
    return `it is ${name.length} characters long; SageMaker allows at most ${MAX_MODEL_NAME_LENGTH}`;
  }
  if (!MODEL_NAME.test(name)) {
    return "it must be printable ASCII characters that do not start with a space, as SageMaker's TargetModel";
  }
  return undefined;
}

/** `child` equals `root` or lies below it (both absolute and normalised). */
function inside(root: string, child: string): boolean {
  if (child === root) return true;
  const rel = relative(root, child);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}

/**
 * The absolute directory a load request's `url` names: relative urls resolve against `root`.
 *
 * @throws SagebrewError SB_BAD_REQUEST for a NUL byte; SB_FORBIDDEN when the path (after `..`)
 * lies outside `root`.
 */
export function resolveModelUrl(root: string, url: string): string {
  if (url.includes("\0")) {
    throw new SagebrewError("SB_BAD_REQUEST", "Cannot load a model: url contains a NUL character");
  }
  const base = resolve(root);
  const dir = isAbsolute(url) ? resolve(url) : resolve(base, url);
  if (!inside(base, dir) || dir === base) {
    throw new SagebrewError(
      "SB_FORBIDDEN",
      `Cannot load a model from ${JSON.stringify(url)}: url must name a directory inside the models directory ${base}`,
    );
  }
  return dir;
}

/**
 * Walks a model directory that `resolveModelUrl` accepted: follows links only while they stay in
 * the root, visits at most `MAX_MODEL_ENTRIES` entries and `MAX_MODEL_DEPTH` levels, and adds up
 * the regular files' bytes (the model's estimated resident size; top-level `code/` is checked but
 * not counted).
 *
 * @throws the `fs` error (ENOENT, ENOTDIR) when `dir` is not a directory; SagebrewError
 * SB_FORBIDDEN when `dir` or anything below it links outside `root`; SB_BAD_REQUEST when the
 * walk's bounds are exceeded.
 */
export async function modelDirectoryBytes(root: string, dir: string): Promise<number> {
  const realRoot = await realpath(root).catch(() => resolve(root));
  const realDir = await realpath(dir);
  const shown = relative(resolve(root), dir) || ".";
  const outside = (name?: string) =>
    new SagebrewError(
      "SB_FORBIDDEN",
      `${name === undefined ? shown : `${name} in ${shown}`} links outside the models directory`,
    );
  if (!inside(realRoot, realDir) || realDir === realRoot) throw outside();
  const s = await stat(realDir);
  if (!s.isDirectory()) {
    throw Object.assign(new Error(`${dir} is not a directory`), { code: "ENOTDIR" });
  }
  let total = 0;
  let entries = 0;
  const seen = new Set<string>([realDir]);
  const walk = async (d: string, rel: string, depth: number, counted: boolean): Promise<void> => {
    if (depth > MAX_MODEL_DEPTH) {
      throw new SagebrewError("SB_BAD_REQUEST", `${shown} is nested deeper than ${MAX_MODEL_DEPTH} levels`);
    }
    const list: Dirent[] = await readdir(d, { withFileTypes: true });
    for (const ent of list) {
      if (++entries > MAX_MODEL_ENTRIES) {
        throw new SagebrewError(
          "SB_BAD_REQUEST",
          `${shown} holds more than ${MAX_MODEL_ENTRIES} files and directories`,
        );
      }
      const name = rel === "" ? ent.name : `${rel}/${ent.name}`;
      let path = join(d, ent.name);
      if (ent.isSymbolicLink()) {
        const target = await realpath(path).catch(() => undefined);
        if (target === undefined) continue; // a dangling link is nothing to read
        if (!inside(realRoot, target)) throw outside(name);
        path = target;
      } else if (!ent.isDirectory() && !ent.isFile()) {
        continue;
      }
      const st = await stat(path);
      const countThis = counted && !(depth === 0 && ent.name === "code");
      if (st.isDirectory()) {
        if (seen.has(path)) continue; // a link back up: already walked
        seen.add(path);
        await walk(path, name, depth + 1, countThis);
      } else if (st.isFile() && countThis) {
        total += st.size;
      }
    }
  };
  await walk(realDir, "", 0, true);
  return total;
}
