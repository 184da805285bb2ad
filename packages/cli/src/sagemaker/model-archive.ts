/**
 * `model.tar.gz`, the way SageMaker hosting unpacks it into /opt/ml/model: a gzip tar with the
 * model files at the archive root (no leading directory), written by sagebrew's one writer
 * (`local/model-archive.ts`: byte-for-byte reproducible, so the same model gives the same digest and
 * the same S3 key). Also the safe reverse, for `--download`.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { SagebrewError, XGBOOST_MODEL_FILE } from "@sagebrew/runtime/core";
import * as tar from "tar";
import { NotRegularFile, packModelArchive } from "../local/model-archive.js";

/** What `packModel()` wrote. */
export interface PackedModel {
  readonly file: string;
  readonly sha256: string;
  readonly size: number;
  /** Archive entries, in order (directories end with `/`). */
  readonly entries: readonly string[];
}

/**
 * The directory holding the model files: `dir` itself, or `dir/model` for an /opt/ml-shaped
 * directory (the one `sagebrew train` writes into).
 */
export async function modelDirectory(dir: string): Promise<string> {
  const root = resolve(dir);
  const inner = join(root, "model");
  const isDir = async (p: string) => (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
  if (!(await isDir(root))) {
    throw new SagebrewError("SB_USAGE", `Cannot pack model ${dir}: not a directory`);
  }
  if (await isDir(inner)) return inner;
  return root;
}

/**
 * Packs the model files of `dir` (see `modelDirectory`) into `outFile` as a reproducible
 * `model.tar.gz` with the files at its root, through the one writer (`packModelArchive`); a
 * symbolic link inside the directory is packed as what it points to.
 *
 * @param options.mtime seconds since the epoch written for every entry (default: SOURCE_DATE_EPOCH's
 *   meaning, 0)
 * @throws SagebrewError SB_USAGE when the directory is empty, or holds a link outside itself or a
 *   file that is not regular.
 * @example const packed = await packModel("local_test/test_dir", "/tmp/model.tar.gz");
 */
export async function packModel(
  dir: string,
  outFile: string,
  options: { mtime?: number } = {},
): Promise<PackedModel & { hasXgboostModel: boolean }> {
  const root = await modelDirectory(dir);
  let entries: string[];
  try {
    ({ entries } = await packModelArchive(root, outFile, {
      links: "follow-inside",
      ...(options.mtime !== undefined ? { mtime: options.mtime } : {}),
    }));
  } catch (e) {
    if (e instanceof NotRegularFile)
      throw new SagebrewError("SB_USAGE", `Cannot pack model file ${e.rel}: it is ${e.what}`);
    throw e;
  }
  if (entries.length === 0) {
    await rm(outFile, { force: true });
    throw new SagebrewError("SB_USAGE", `Cannot pack model ${root}: the directory is empty`);
  }
  const { sha256, size } = await digestFile(outFile);
  return {
    file: outFile,
    sha256,
    size,
    entries,
    hasXgboostModel: entries.includes(XGBOOST_MODEL_FILE),
  };
}

/** sha256 (hex) and size of a file, read once. */
export async function digestFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), size };
}

/**
 * Unpacks a `model.tar.gz` into `dir` (created when missing): regular files and directories only;
 * links, devices, absolute paths and `..` are refused, so nothing lands outside `dir`.
 *
 * @throws SagebrewError SB_MODEL_LOAD naming the entry that was refused or the archive error.
 */
export async function unpackModel(archive: string, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  let refused: string | undefined;
  try {
    await tar.x({
      file: archive,
      cwd: dir,
      strict: true,
      preservePaths: false,
      filter(path, entry) {
        const type = "type" in entry ? entry.type : "File";
        if (type !== "File" && type !== "OldFile" && type !== "Directory") {
          refused ??= `${path} (${type})`;
          return false;
        }
        if (type !== "Directory") written.push(path.replace(/^\.\//, ""));
        return true;
      },
    });
  } catch (e) {
    throw new SagebrewError("SB_MODEL_LOAD", `Cannot unpack ${archive}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (refused) {
    throw new SagebrewError(
      "SB_MODEL_LOAD",
      `Cannot unpack ${archive}: entry ${refused} is not a regular file or directory`,
    );
  }
  return written.sort();
}
