/**
 * Where a local model lives. `sagebrew serve` and `sagebrew transform` take either an
 * /opt/ml-shaped directory holding `model/` (what `sagebrew train` writes) or the model directory
 * itself (`DIR/model`, or any directory holding `xgboost-model`).
 */
import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";

/** A located model: the directory serving reads, and the /opt/ml-shaped directory around it. */
export interface ModelLocation {
  /** The directory holding the model files. */
  readonly modelDir: string;
  /** `<baseDir>/model` is `modelDir` when `path` was /opt/ml-shaped; else `modelDir`'s parent. */
  readonly baseDir: string;
  /** True when `modelDir` is `<baseDir>/model`. */
  readonly mlShaped: boolean;
}

function isDir(path: string): boolean | undefined {
  const st = statSync(path, { throwIfNoEntry: false });
  return st === undefined ? undefined : st.isDirectory();
}

/**
 * Finds the model of `path` (absolute), as the commands' messages name it.
 *
 * @throws SagebrewError SB_USAGE when `path` does not exist, is a file, or is an /opt/ml-shaped
 *   directory with no `model/` yet.
 */
export function locateModel(path: string, what = "the model directory"): ModelLocation {
  const dir = isDir(path);
  if (dir === undefined) throw new SagebrewError("SB_USAGE", `${what} ${path} does not exist`);
  if (!dir) {
    throw new SagebrewError("SB_USAGE", `${what} ${path} is a file; give the directory that holds it`);
  }
  if (isDir(join(path, "model"))) return { modelDir: join(path, "model"), baseDir: path, mlShaped: true };
  if (isDir(join(path, "input")) || isDir(join(path, "output"))) {
    throw new SagebrewError(
      "SB_USAGE",
      `${path} has no model/ yet: train first (sagebrew train ${path}), or give the model directory`,
    );
  }
  return { modelDir: path, baseDir: dirname(path), mlShaped: false };
}
