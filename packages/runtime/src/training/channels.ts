/**
 * The job's channels: which declared channel each directory under `input/data/` (or entry of
 * `inputdataconfig.json`) is, and the data files of one — every file below the channel directory,
 * recursively, in a stable (byte-wise sorted path) order. Symbolic links to files and directories
 * are followed (a link back to a directory already walked is skipped and reported); hidden files
 * and `_`-prefixed markers (`_SUCCESS`) are skipped and reported.
 */
import type { Dirent, Stats } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { SagebrewError } from "../errors/index.js";
import type { ChannelDeclaration } from "./algorithm.js";

export interface ChannelFile {
  readonly path: string;
  /** Path relative to the channel directory, for messages. */
  readonly name: string;
  readonly size: number;
}

/** A symbolic link the listing followed. */
export interface FollowedLink {
  /** Path relative to the channel directory. */
  readonly name: string;
  /** Where it leads. */
  readonly target: string;
  readonly kind: "file" | "directory";
}

export interface ChannelListing {
  readonly files: readonly ChannelFile[];
  readonly skipped: readonly string[];
  readonly links: readonly FollowedLink[];
  /** Links to a directory already walked (a loop, or the same directory twice), not followed. */
  readonly loops: readonly string[];
}

const byName = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Lists the data files of a channel directory. */
export async function listChannelFiles(dir: string, channel: string): Promise<ChannelListing> {
  const files: ChannelFile[] = [];
  const skipped: string[] = [];
  const links: FollowedLink[] = [];
  const loops: string[] = [];
  const seen = new Set<string>();
  const readError = (rel: string, e: unknown) =>
    new SagebrewError("SB_DATA_READ", `Cannot read ${rel} in channel ${channel}: ${(e as Error).message}`, {
      cause: e,
    });

  async function walk(d: string, info: Stats): Promise<void> {
    seen.add(`${info.dev}:${info.ino}`);
    let entries: Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      throw new SagebrewError(
        "SB_DATA_READ",
        `Cannot read channel ${channel} directory ${d}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    entries.sort(byName);
    for (const e of entries) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      if (e.name.startsWith(".") || e.name.startsWith("_")) {
        skipped.push(rel);
        continue;
      }
      if (!e.isDirectory() && !e.isFile() && !e.isSymbolicLink()) continue;
      const st = await stat(p).catch((err: unknown) => {
        throw readError(rel, err);
      });
      if (e.isSymbolicLink()) {
        const target = await realpath(p).catch(() => p);
        if (st.isDirectory() && seen.has(`${st.dev}:${st.ino}`)) {
          loops.push(rel);
          continue;
        }
        if (st.isDirectory() || st.isFile())
          links.push({ name: rel, target, kind: st.isDirectory() ? "directory" : "file" });
      }
      if (st.isDirectory()) await walk(p, st);
      else if (st.isFile()) files.push({ path: p, name: rel, size: st.size });
    }
  }
  const top = await stat(dir).catch((e: unknown) => {
    throw new SagebrewError(
      "SB_DATA_READ",
      `Cannot read channel ${channel} directory ${dir}: ${(e as Error).message}`,
      { cause: e },
    );
  });
  if (!top.isDirectory()) {
    throw new SagebrewError(
      "SB_DATA_READ",
      `Cannot read channel ${channel} directory ${dir}: ENOTDIR: it is not a directory`,
    );
  }
  await walk(dir, top);
  return { files, skipped, links, loops };
}

/** Names of the entries of `dataDir` that are directories, or links to directories, sorted. */
export async function channelDirectories(dataDir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dataDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries.sort(byName)) {
    if (e.isDirectory()) out.push(e.name);
    else if (e.isSymbolicLink() && (await stat(join(dataDir, e.name)).catch(() => undefined))?.isDirectory())
      out.push(e.name);
  }
  return out;
}

/** Which directory each declared channel is, and what else the job holds. */
export interface ResolvedChannels {
  /** Declared name → the directory (or pipe) name it was found under. */
  readonly found: ReadonlyMap<string, string>;
  /** Channels of the job that the algorithm does not declare (`code` excluded). */
  readonly unused: readonly string[];
}

/** SageMaker's script-mode channel: never training data. */
const CODE_CHANNEL = "code";

/**
 * Matches the job's channel names against the algorithm's declarations.
 *
 * @throws SagebrewError SB_CHANNEL_MISSING for a required channel the job lacks, SB_CHANNEL_INVALID
 *   when a channel is present under two of its names.
 */
export function resolveChannels(
  declared: Readonly<Record<string, ChannelDeclaration>>,
  present: readonly string[],
  dataDir: string,
): ResolvedChannels {
  const found = new Map<string, string>();
  const claimed = new Set<string>();
  for (const [name, decl] of Object.entries(declared)) {
    const names = [name, ...(decl.aliases ?? [])];
    const hits = names.filter((n) => present.includes(n));
    if (hits.length > 1) {
      throw new SagebrewError(
        "SB_CHANNEL_INVALID",
        `Cannot train: both a ${hits[0]} and a ${hits[1]} channel exist; use one (they are aliases)`,
      );
    }
    for (const n of names) claimed.add(n);
    if (hits[0] !== undefined) found.set(name, hits[0]);
    else if (decl.required) {
      const also = decl.aliases?.length ? ` (or ${decl.aliases.map((a) => `${a}/`).join(", ")})` : "";
      throw new SagebrewError(
        "SB_CHANNEL_MISSING",
        `Cannot train: there is no ${name} channel; put the training data in ${join(dataDir, name)}/${also}${present.length ? `; found channels: ${present.join(", ")}` : ""}`,
      );
    }
  }
  const unused = present.filter((n) => !claimed.has(n) && n !== CODE_CHANNEL);
  return { found, unused };
}
