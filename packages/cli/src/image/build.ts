/** `sagebrew build`: stage the context, run the engine's build, check the result. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";
import { LABELS } from "./dockerfile.js";
import { type ContainerEngine, type ImageInfo, inspectImage } from "./engine.js";
import { DEFAULT_LINE, IMAGE_LINES, type XGBoostLine } from "./lines.js";
import { architectureOf, DEFAULT_PLATFORM, type Platform } from "./platform.js";
import { stageContext } from "./stage.js";

/** Options of `buildImage`. */
export interface BuildOptions {
  /** Image name and tag. Default `sagebrew-<project dir name>:latest`. */
  tag?: string;
  /** Default `linux/amd64`. */
  platform?: Platform;
  /** The XGBoost line: its base image and libxgboost version. Default `3.0` (lines.ts). */
  xgboost?: XGBoostLine;
  /** `BASE_IMAGE` build argument. Default: the line's (`node:26-trixie-slim` for 3.0). */
  baseImage?: string;
  /** The sagebrew version written into the label. */
  version?: string;
  /** Extra `--build-arg NAME=value` entries. */
  buildArgs?: Readonly<Record<string, string>>;
  /** Build without the engine's layer cache. Default false. */
  noCache?: boolean;
  /** Receives the engine's progress output. Default: discarded. */
  onOutput?: (chunk: string) => void;
  /** Directory of `@sagebrew/runtime` to put in the image. Default: the installed one. */
  runtimeDir?: string;
  /** Keep the staged context directory (its path is returned). Default false. */
  keepContext?: boolean;
}

/** A built image. */
export interface BuiltImage {
  readonly tag: string;
  readonly platform: Platform;
  readonly info: ImageInfo;
  /** The staged context, when `keepContext` was set. */
  readonly context?: string;
}

/** The default tag for a project directory: `sagebrew-<dir name>:latest`, lower-cased. */
export function defaultTag(projectDir: string): string {
  const name = basename(resolve(projectDir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "");
  return `sagebrew-${name || "image"}:latest`;
}

/**
 * Whether the project's package.json names its own algorithm or handler (`"sagebrew": {…}`, as
 * the runtime's `readProject` reads it). A package.json that cannot be read as JSON counts as its
 * own code: nobody can tell what the image runs.
 */
export async function declaresOwnCode(projectDir: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(join(projectDir, "package.json"), "utf8");
  } catch {
    return false;
  }
  try {
    const field = (JSON.parse(text) as { sagebrew?: { algorithm?: unknown; handler?: unknown } } | null)
      ?.sagebrew;
    return (
      field !== undefined &&
      (typeof field !== "object" || field === null || "algorithm" in field || "handler" in field)
    );
  } catch {
    return true;
  }
}

/**
 * Builds the image of `projectDir` with `engine` (Docker or Podman) for one platform, as a
 * Docker-format image, then checks its architecture.
 *
 * @throws SagebrewError SB_IMAGE when staging or the build fails, or the image has another architecture.
 * @example const built = await buildImage("examples/iris-xgboost", engine, { tag: "iris:dev" });
 */
export async function buildImage(
  projectDir: string,
  engine: ContainerEngine,
  options: BuildOptions = {},
): Promise<BuiltImage> {
  const platform = options.platform ?? DEFAULT_PLATFORM;
  const tag = options.tag ?? defaultTag(projectDir);
  const context = await mkdtemp(join(tmpdir(), "sagebrew-context-"));
  try {
    const staged = await stageContext(projectDir, context, {
      platform,
      ...(options.runtimeDir ? { runtimeDir: options.runtimeDir } : {}),
    });
    options.onOutput?.(
      `staged ${staged.files} files (${(staged.bytes / 1e6).toFixed(1)} MB): ${staged.packages.join(", ")}\n`,
    );
    const args = ["build", "--platform", platform, "-t", tag, "-f", staged.dockerfile];
    if (engine.name === "podman") args.push("--format", "docker");
    if (options.noCache) args.push("--no-cache");
    // Which code the image runs, for `sagebrew local` (which runs built-in images on the host).
    args.push("--label", `${LABELS.code}=${(await declaresOwnCode(projectDir)) ? "project" : "builtin"}`);
    const line = IMAGE_LINES[options.xgboost ?? DEFAULT_LINE];
    const buildArgs: Record<string, string> = {
      BASE_IMAGE: options.baseImage ?? line.baseImage,
      XGBOOST_VERSION: line.xgboost,
      ...options.buildArgs,
    };
    if (options.version) buildArgs.SAGEBREW_VERSION = options.version;
    for (const [k, v] of Object.entries(buildArgs).sort()) args.push("--build-arg", `${k}=${v}`);
    args.push(staged.dir);
    await engine.run(args, options.onOutput ? { onOutput: options.onOutput } : {});
    const info = await inspectImage(engine, tag);
    if (!info) throw new SagebrewError("SB_IMAGE", `Cannot inspect image ${tag} after the build`);
    if (info.architecture !== architectureOf(platform)) {
      throw new SagebrewError(
        "SB_IMAGE",
        `Cannot use image ${tag}: built for ${info.os}/${info.architecture}, expected ${platform} (is the base image single-platform?)`,
      );
    }
    return { tag, platform, info, ...(options.keepContext ? { context } : {}) };
  } finally {
    if (!options.keepContext) await rm(context, { recursive: true, force: true });
  }
}
