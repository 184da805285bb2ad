/**
 * Where an object of a channel, a checkpoint prefix, a transform input or an uncompressed model
 * lands on this machine: below its directory, at the path its key names relative to the prefix.
 * An S3 key is any string (`d/../../../etc/cron.d/x`, `/abs`, `a//b`, a NUL), so the relative
 * path is checked segment by segment, then resolved and checked against the directory again: a
 * key that would leave it, or that names a path other than itself, is refused with its URI.
 */
import { resolve, sep } from "node:path";

/** The object whose key is placed (its URI names it in the refusal). */
export interface KeyedObject {
  readonly uri: string;
  /** Its key relative to the prefix listed (`rel` of a listed object). */
  readonly rel: string;
}

/**
 * What makes `rel` unfit to be a path below a directory (`a ".." segment`, …), or undefined when
 * every `/`-separated segment is a plain name.
 */
export function keyProblem(rel: string): string | undefined {
  for (const segment of rel.split("/")) {
    const bad = badSegment(segment);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/** What a segment of a relative key must not be or hold. */
function badSegment(segment: string): string | undefined {
  if (segment === "") return "an empty segment (// or a leading or trailing /)";
  if (segment === "." || segment === "..") return `a "${segment}" segment`;
  if (segment.includes("\0")) return "a NUL character";
  if (segment.includes("\\")) return "a backslash";
  return undefined;
}

/**
 * `dir/<object.rel>`, when that stays below `dir` and is the path the key names.
 *
 * @throws Error naming the object's URI and `where` (e.g. `the channel directory train`) when its
 *   key has an empty, `.` or `..` segment, a backslash or a NUL, or resolves outside `dir`.
 * @example pathForKey("/state/jobs/j/algo-1/input/data/train", { uri, rel: "part-1.csv" }, "the channel train")
 */
export function pathForKey(dir: string, object: KeyedObject, where: string): string {
  const refuse = (why: string) =>
    new Error(
      `the object ${object.uri} (relative key ${JSON.stringify(object.rel)}) would not stay inside ${where}: its key has ${why}`,
    );
  const bad = keyProblem(object.rel);
  if (bad !== undefined) throw refuse(bad);
  const root = resolve(dir);
  const path = resolve(root, object.rel);
  if (!path.startsWith(root + sep)) throw refuse("a path outside the directory");
  return path;
}
