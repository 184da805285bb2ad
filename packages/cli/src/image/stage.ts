/**
 * Stages a build context on the host: the runtime package with only its production dependencies,
 * the entrypoint, the `train`/`serve` programs and the project's files. Line endings of scripts
 * and every mode and mtime are normalized here, so the image is the same whatever the host OS.
 */

import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  readdir,
  readFile,
  realpath,
  stat,
  utimes,
  writeFile,
} from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import { ENTRYPOINT_SOURCE, programSource } from "./_entrypoint.js";
import { renderDockerfile } from "./dockerfile.js";
import { architectureOf, DEFAULT_PLATFORM, type Platform } from "./platform.js";

/** Files of a project that never go into the image. */
const PROJECT_EXCLUDES = new Set(["local_test", "node_modules", "Dockerfile", "README.md"]);
/** Extensions whose CRLF line endings are rewritten to LF when staged. */
const TEXT_EXTENSIONS = /\.(m?js|cjs|json|sh|py|txt|ya?ml|toml)$/i;

/** Options of `stageContext`. */
export interface StageOptions {
  /** Target platform (selects native prebuilds). Default `linux/amd64`. */
  platform?: Platform;
  /** Fixed mtime of every staged file, in seconds. Default `SOURCE_DATE_EPOCH` or 1. */
  mtime?: number;
  /** Directory of the `@sagebrew/runtime` package. Default: resolved from the CLI's dependencies. */
  runtimeDir?: string;
}

/** What `stageContext` wrote. */
export interface StagedContext {
  readonly dir: string;
  /** Path of the Dockerfile inside `dir`. */
  readonly dockerfile: string;
  /** True when the project brought its own Dockerfile. */
  readonly projectDockerfile: boolean;
  readonly files: number;
  readonly bytes: number;
  /** Production packages copied, `name@version`, sorted. */
  readonly packages: readonly string[];
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** The directory of the installed `@sagebrew/runtime` package. */
export async function runtimePackageDir(): Promise<string> {
  const require = createRequire(import.meta.url);
  return realpath(dirname(require.resolve("@sagebrew/runtime/package.json")));
}

async function findPackage(name: string, from: string): Promise<string | undefined> {
  let dir = from;
  for (;;) {
    const candidate = join(dir, "node_modules", ...name.split("/"));
    try {
      await stat(join(candidate, "package.json"));
      return realpath(candidate);
    } catch {
      const up = dirname(dir);
      if (up === dir) return undefined;
      dir = up;
    }
  }
}

/** Walks production dependencies from `root` (not dev, not peer): `name → directory`. */
async function productionDependencies(root: string): Promise<Map<string, { dir: string; pkg: PackageJson }>> {
  const found = new Map<string, { dir: string; pkg: PackageJson }>();
  const queue: string[] = [root];
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as PackageJson;
    const optional = new Set(Object.keys(pkg.optionalDependencies ?? {}));
    for (const name of [...Object.keys(pkg.dependencies ?? {}), ...optional]) {
      if (found.has(name)) continue;
      const depDir = await findPackage(name, dir);
      if (!depDir) {
        if (optional.has(name)) continue;
        throw new SagebrewError(
          "SB_IMAGE",
          `Cannot stage dependency ${name} of ${pkg.name}: not installed (run npm install)`,
        );
      }
      const depPkg = JSON.parse(await readFile(join(depDir, "package.json"), "utf8")) as PackageJson;
      found.set(name, { dir: depDir, pkg: depPkg });
      queue.push(depDir);
    }
  }
  return found;
}

type Filter = (rel: string, isDir: boolean) => boolean;

/** Per-package pruning: what a package needs at run time on the target platform. */
function packageFilter(name: string, platform: Platform): Filter {
  if (name === "@sagebrew/runtime") {
    return (rel, isDir) => {
      const top = rel.split("/")[0];
      if (rel === "package.json" || top === "bin") return true;
      if (top !== "dist") return false;
      return isDir || (/\.(m?js|json)$/.test(rel) && !/\.test\.js$/.test(rel));
    };
  }
  if (name === "koffi") {
    const keep = `build/koffi/linux_${architectureOf(platform) === "arm64" ? "arm64" : "x64"}`;
    return (rel) => {
      const top = rel.split("/")[0];
      if (top === "src" || top === "vendor" || top === "doc") return false;
      if (top !== "build") return true;
      return rel === "build" || rel === "build/koffi" || rel === keep || rel.startsWith(`${keep}/`);
    };
  }
  return (rel, isDir) => isDir || !/(\.d\.[cm]?ts|\.map|\.md)$/i.test(rel) || /license/i.test(rel);
}

class Stager {
  files = 0;
  bytes = 0;
  readonly mtime: number;
  readonly dirs: string[] = [];

  constructor(mtime: number) {
    this.mtime = mtime;
  }

  async mkdir(path: string): Promise<void> {
    await mkdir(path, { recursive: true, mode: 0o755 });
    this.dirs.push(path);
  }

  /** Writes text with LF endings; shebang scripts get 0755, everything else 0644. */
  async writeText(path: string, text: string, executable?: boolean): Promise<void> {
    await this.mkdir(dirname(path));
    const lf = text.replace(/\r\n?/g, "\n");
    const exec = executable ?? lf.startsWith("#!");
    await writeFile(path, lf, { mode: exec ? 0o755 : 0o644 });
    await this.finish(path, exec ? 0o755 : 0o644, Buffer.byteLength(lf));
  }

  async copyTree(from: string, to: string, filter: Filter, normalizeText: boolean): Promise<void> {
    await this.mkdir(to);
    const walk = async (rel: string): Promise<void> => {
      const names = (await readdir(join(from, rel))).sort();
      for (const name of names) {
        const childRel = rel ? `${rel}/${name}` : name;
        const src = join(from, rel, name);
        const info = await lstat(src);
        if (info.isSymbolicLink()) continue;
        if (info.isDirectory()) {
          if (name === "node_modules" || name === ".git" || !filter(childRel, true)) continue;
          await this.mkdir(join(to, childRel));
          await walk(childRel);
        } else if (info.isFile() && filter(childRel, false)) {
          const dest = join(to, childRel);
          const head = await readFile(src);
          const shebang = head[0] === 0x23 && head[1] === 0x21;
          if (shebang || (normalizeText && TEXT_EXTENSIONS.test(name))) {
            await this.writeText(dest, head.toString("utf8"), shebang);
          } else {
            await copyFile(src, dest);
            await this.finish(dest, 0o644, info.size);
          }
        }
      }
    };
    await walk("");
  }

  async finish(path: string, mode: number, size: number): Promise<void> {
    await chmod(path, mode);
    await utimes(path, this.mtime, this.mtime);
    this.files++;
    this.bytes += size;
  }

  /** Fixes modes and mtimes of directories last (writing files changes a directory's mtime). */
  async finishDirs(): Promise<void> {
    for (const d of [...new Set(this.dirs)].sort().reverse()) {
      await chmod(d, 0o755);
      await utimes(d, this.mtime, this.mtime);
    }
  }
}

/** The fixed mtime for staged files: `SOURCE_DATE_EPOCH` when set, else 1 (epoch + 1 s, as Jib). */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.SOURCE_DATE_EPOCH);
  return Number.isInteger(v) && v >= 0 ? v : 1;
}

/**
 * Writes the build context of `projectDir` into `outDir` (which should be empty). The result is
 * reproducible: the same inputs give the same bytes, modes and mtimes.
 *
 * @throws SagebrewError SB_IMAGE when the runtime is not built (`npm run build`) or a dependency is missing.
 * @example const ctx = await stageContext("examples/iris-xgboost", "/tmp/ctx");
 */
export async function stageContext(
  projectDir: string,
  outDir: string,
  options: StageOptions = {},
): Promise<StagedContext> {
  const platform = options.platform ?? DEFAULT_PLATFORM;
  const stager = new Stager(options.mtime ?? sourceDateEpoch());
  const runtimeDir = options.runtimeDir ?? (await runtimePackageDir());
  for (const program of ["train", "serve"]) {
    try {
      await stat(join(runtimeDir, "dist", "bin", `${program}.js`));
    } catch {
      throw new SagebrewError(
        "SB_IMAGE",
        `Cannot stage the runtime from ${runtimeDir}: dist/bin/${program}.js is missing (run npm run build)`,
      );
    }
  }
  const home = join(outDir, "sagebrew");
  await stager.mkdir(outDir);
  await stager.writeText(join(home, "entrypoint.mjs"), ENTRYPOINT_SOURCE, false);
  await stager.writeText(join(home, "bin", "train"), programSource("train"), true);
  await stager.writeText(join(home, "bin", "serve"), programSource("serve"), true);

  const runtimePkg = JSON.parse(await readFile(join(runtimeDir, "package.json"), "utf8")) as PackageJson;
  const modules = join(home, "node_modules");
  await stager.copyTree(
    runtimeDir,
    join(modules, ...runtimePkg.name.split("/")),
    packageFilter(runtimePkg.name, platform),
    true,
  );
  const deps = await productionDependencies(runtimeDir);
  const packages = [`${runtimePkg.name}@${runtimePkg.version}`];
  for (const [name, { dir, pkg }] of [...deps].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await stager.copyTree(dir, join(modules, ...name.split("/")), packageFilter(name, platform), false);
    packages.push(`${name}@${pkg.version}`);
  }

  const program = join(outDir, "program");
  await stager.copyTree(
    projectDir,
    program,
    (rel) => !PROJECT_EXCLUDES.has(rel) && !rel.split("/").some((p) => p.startsWith(".")),
    true,
  );

  let projectDockerfile = false;
  let dockerfileText = renderDockerfile();
  try {
    dockerfileText = await readFile(join(projectDir, "Dockerfile"), "utf8");
    projectDockerfile = true;
  } catch {
    // the project has none: use the template
  }
  const dockerfile = join(outDir, "Dockerfile");
  await stager.writeText(dockerfile, dockerfileText, false);
  await stager.finishDirs();
  return {
    dir: outDir,
    dockerfile,
    projectDockerfile,
    files: stager.files,
    bytes: stager.bytes,
    packages: packages.sort(),
  };
}

/** Lists the files of a staged context relative to it, `/`-separated and sorted (for checks and tests). */
export async function listStaged(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const p = join(d, name);
      if ((await lstat(p)).isDirectory()) await walk(p);
      else out.push(relative(dir, p).split(sep).join("/"));
    }
  };
  await walk(dir);
  return out;
}
