/**
 * A project's declaration of its own code: the `sagebrew` field of its `package.json`,
 *
 *     "sagebrew": { "algorithm": "./algorithm.mjs", "handler": "./handler.mjs" }
 *
 * read by this one function wherever the project runs: by `sagebrew train` / `sagebrew serve` in
 * the project's directory, and by the image's `train` / `serve` (its Dockerfile sets
 * `SAGEBREW_PROJECT=/opt/program`, where the project's files are). Either entry may be absent:
 * then the built-in XGBoost algorithm trains, or the built-in XGBoost handler serves.
 */
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { SagebrewError } from "../errors/index.js";

/** A project's declared code, as absolute module paths. */
export interface ProjectDeclaration {
  /** The project's directory. */
  readonly dir: string;
  /** The training algorithm module, if the project brings one. */
  readonly algorithm?: string;
  /** The model handler module, if the project brings one. */
  readonly handler?: string;
}

/** The file holding the declaration. */
export const PROJECT_FILE = "package.json";

/**
 * Reads the declaration of the project in `dir`; undefined when `dir` has no `package.json` or
 * it has no `sagebrew` field.
 *
 * @throws SagebrewError SB_CONFIG_INVALID when the file or the field is malformed.
 */
export async function readProject(dir: string): Promise<ProjectDeclaration | undefined> {
  const file = join(dir, PROJECT_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SagebrewError("SB_CONFIG_INVALID", `Cannot parse ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const field = (doc as { sagebrew?: unknown } | null)?.sagebrew;
  if (field === undefined) return undefined;
  if (typeof field !== "object" || field === null || Array.isArray(field)) {
    throw new SagebrewError(
      "SB_CONFIG_INVALID",
      `Cannot read the sagebrew field of ${file}: expected an object such as { "algorithm": "./algorithm.mjs", "handler": "./handler.mjs" }`,
    );
  }
  const out: { dir: string; algorithm?: string; handler?: string } = { dir };
  for (const key of ["algorithm", "handler"] as const) {
    const v = (field as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== "string" || v === "" || isAbsolute(v)) {
      throw new SagebrewError(
        "SB_CONFIG_INVALID",
        `Cannot read sagebrew.${key} of ${file}: expected a module path relative to the project, such as "./${key}.mjs", got ${JSON.stringify(v)}`,
      );
    }
    out[key] = resolve(dir, v);
  }
  return Object.freeze(out);
}

/**
 * The nearest project at or above `start` (a directory inside the project, such as its
 * `local_test/test_dir`), or undefined.
 */
export async function findProject(start: string): Promise<ProjectDeclaration | undefined> {
  let dir = resolve(start);
  for (;;) {
    const found = await readProject(dir);
    if (found) return found;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
