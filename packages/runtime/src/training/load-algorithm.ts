/**
 * Finds the algorithm `train` runs: `SAGEBREW_ALGORITHM` (a module path), else the project's
 * declared algorithm (`package.json` → `sagebrew.algorithm`), else the built-in one (XGBoost).
 * A module exports the algorithm as `default` or as `algorithm`.
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { SagebrewError } from "../errors/index.js";
import { type CheckedAlgorithm, checkAlgorithm } from "./algorithm.js";

/** Options of `resolveAlgorithm`. */
export interface ResolveAlgorithmOptions {
  /** `SAGEBREW_ALGORITHM`, if set. */
  readonly algorithmModule: string | undefined;
  /** The project's declared algorithm module (absolute), if any. */
  readonly projectAlgorithm?: string | undefined;
  /** The algorithm used when nothing names one. */
  readonly builtin: () => unknown;
  /** Base for a relative `algorithmModule`. Default `process.cwd()`. */
  readonly cwd?: string;
}

/**
 * Imports and checks the algorithm `train` should run; says where it came from.
 *
 * @throws SagebrewError SB_ALGORITHM_INVALID when the module cannot be imported or has a wrong shape.
 */
export async function resolveAlgorithm(
  options: ResolveAlgorithmOptions,
): Promise<{ algorithm: CheckedAlgorithm; source: string }> {
  const path = options.algorithmModule ?? options.projectAlgorithm;
  if (path === undefined) {
    const builtin = options.builtin() as { name?: string };
    return {
      algorithm: checkAlgorithm(builtin, builtin.name ?? "built-in"),
      source: builtin.name ?? "built-in",
    };
  }
  const spec = moduleSpecifier(path, options.cwd ?? process.cwd());
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec)) as Record<string, unknown>;
  } catch (e) {
    throw new SagebrewError(
      "SB_ALGORITHM_INVALID",
      `Cannot import algorithm ${spec}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  const value = mod.default ?? mod.algorithm;
  if (value === undefined) {
    throw new SagebrewError(
      "SB_ALGORITHM_INVALID",
      `Cannot use algorithm ${spec}: it exports neither default nor algorithm (write export default { name, hyperparameters, channels, train })`,
    );
  }
  return { algorithm: checkAlgorithm(value, spec), source: spec };
}

function moduleSpecifier(name: string, cwd: string): string {
  if (isAbsolute(name)) return pathToFileURL(name).href;
  if (name.startsWith(".")) return pathToFileURL(resolve(cwd, name)).href;
  return name;
}
