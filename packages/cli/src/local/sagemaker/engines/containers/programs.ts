/**
 * The container programs a job or endpoint runs when its image runs on sagebrew's runtime: the
 * runtime package's public `train` and `serve` entry points, started as child processes (the
 * built `bin/` scripts, or the TypeScript sources through tsx when the CLI itself runs from them).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Command lines (program and arguments) of the runtime's programs. */
export interface RuntimePrograms {
  readonly train: readonly string[];
  readonly serve: readonly string[];
}

/**
 * The runtime's `train` and `serve` as this CLI can start them.
 *
 * @throws Error when the runtime is neither built nor runnable from source.
 */
export function runtimePrograms(): RuntimePrograms {
  const entry = fileURLToPath(import.meta.resolve("@sagebrew/runtime"));
  const fromSource = entry.endsWith(".ts");
  const pkgDir = dirname(fileURLToPath(import.meta.resolve("@sagebrew/runtime/package.json")));
  if (fromSource) {
    // Children must find tsx whatever their working directory: pass its loader by URL.
    const tsx = import.meta.resolve("tsx");
    const source = (program: string) => [
      process.execPath,
      "--conditions=sagebrew-source",
      "--import",
      tsx,
      join(pkgDir, "src", "bin", `${program}.ts`),
    ];
    return { train: source("train"), serve: source("serve") };
  }
  if (!existsSync(join(pkgDir, "dist", "bin", "train.js"))) {
    throw new Error(`Cannot find the runtime's programs in ${pkgDir}/dist: run \`npm run build\` first`);
  }
  return {
    train: [process.execPath, join(pkgDir, "bin", "train")],
    serve: [process.execPath, join(pkgDir, "bin", "serve")],
  };
}
