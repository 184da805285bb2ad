/**
 * `sagebrew build --engine none`: the image the Dockerfile path builds (layout, environment,
 * labels, entrypoint), made without Docker or Podman — the base pulled by digest, libxgboost added
 * from pinned .deb files when the base lacks it, then sagebrew and the project as reproducible
 * layers, written as a Docker v2 schema 2 image: a `docker load`-able archive.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SagebrewError } from "@sagebrew/runtime/core";
import { dockerManifest } from "../../publish/index.js";
import { IMAGE_PATHS, LABELS, renderDockerfile } from "../dockerfile.js";
import { DEFAULT_LINE, IMAGE_LINES, type XGBoostLine } from "../lines.js";
import { architectureOf, DEFAULT_PLATFORM, type Platform } from "../platform.js";
import { stageContext } from "../stage.js";
import { baseFiles, type PulledBase, pullBase } from "./_base.js";
import { installedPackages, planPackages } from "./_debian.js";
import { type BuiltLayer, makeLayer, packagesLayer, treeEntries } from "./_layers.js";
import { type LayerEntry, writeTar } from "./_tar.js";
import { DEBIAN_PINS } from "./debian-pins.js";

/** Where `.deb` files come from unless told otherwise. */
export const DEFAULT_DEBIAN_MIRROR = "http://deb.debian.org/debian";

/** Options of `buildWithoutEngine`. */
export interface EnginelessOptions {
  /** Image name and tag recorded in the archive. */
  tag: string;
  /** Where to write the `docker load`-able archive. */
  output: string;
  platform?: Platform;
  xgboost?: XGBoostLine;
  /** The base, pulled from its registry. Default: the line's base pinned by digest. */
  baseImage?: string;
  /** Debian mirror for the pinned .deb files. Default `SAGEBREW_DEBIAN_MIRROR`, else deb.debian.org. */
  debianMirror?: string;
  /** The sagebrew version written into the label. */
  version?: string;
  /** Whose code the image runs (`dev.sagebrew.code`). */
  code: "builtin" | "project";
  /** Fixed mtime and `created`, in seconds. Default: SOURCE_DATE_EPOCH, else the project's last commit, else 1. */
  mtime?: number;
  /** Blob and .deb cache. Default `$XDG_CACHE_HOME/sagebrew` (~/.cache/sagebrew). */
  cacheDir?: string;
  runtimeDir?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** What was built. */
export interface EnginelessImage {
  readonly tag: string;
  readonly archive: string;
  /** Digest of the Docker v2 schema 2 manifest (what a registry will report). */
  readonly digest: string;
  /** Digest of the config: the image ID `docker load` shows. */
  readonly configDigest: string;
  readonly base: string;
  readonly baseDigest: string;
  /** `name=version` of the .deb packages added. */
  readonly packages: readonly string[];
  /** Compressed size of all layers and the config, in bytes. */
  readonly size: number;
}

const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** The fixed time of a build: SOURCE_DATE_EPOCH, else the last commit of the project's git repository, else 1. */
export async function buildEpoch(projectDir: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const fromEnv = Number(env.SOURCE_DATE_EPOCH);
  if (env.SOURCE_DATE_EPOCH !== undefined && Number.isInteger(fromEnv) && fromEnv >= 0) return fromEnv;
  try {
    const { stdout } = await promisify(execFile)("git", ["log", "-1", "--format=%ct"], { cwd: projectDir });
    const t = Number(stdout.trim());
    if (Number.isInteger(t) && t > 0) return t;
  } catch {
    // not a git repository, or no git
  }
  return 1;
}

/** The config `Env` after the Dockerfile's ENV: PATH prefixed, the others set in place or appended. */
function withEnv(base: readonly string[], add: Readonly<Record<string, string>>): string[] {
  const out = [...base];
  const basePath =
    out.find((e) => e.startsWith("PATH="))?.slice(5) ??
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const [k, v] of Object.entries(add)) {
    const value = k === "PATH" ? v.replace("$PATH", basePath) : v;
    const at = out.findIndex((e) => e.startsWith(`${k}=`));
    if (at === -1) out.push(`${k}=${value}`);
    else out[at] = `${k}=${value}`;
  }
  return out;
}

async function libraryLayer(
  base: PulledBase,
  line: (typeof IMAGE_LINES)[XGBoostLine],
  platform: Platform,
  options: EnginelessOptions,
  mtime: number,
): Promise<{ layer?: BuiltLayer; packages: string[] }> {
  const files = baseFiles(base.layers);
  const installed = installedPackages(files.dpkgStatus);
  const have = installed.get("libxgboost0") ?? installed.get("libxgboost3");
  if (have !== undefined) {
    if (!have.startsWith(line.xgboost)) {
      throw new SagebrewError(
        "SB_IMAGE",
        `Cannot build XGBoost ${line.xgboost} on ${base.reference}: it already has libxgboost ${have}`,
      );
    }
    options.log?.(`the base has libxgboost ${have}`);
    return { packages: [] };
  }
  const pins = DEBIAN_PINS[line.suite][architectureOf(platform)];
  const plan = planPackages("libxgboost0", pins, installed);
  const layer = await packagesLayer(plan, files, {
    mirror: options.debianMirror ?? options.env?.SAGEBREW_DEBIAN_MIRROR ?? DEFAULT_DEBIAN_MIRROR,
    cacheDir: options.cacheDir ?? defaultCacheDir(options.env),
    mtime,
    ...(options.log ? { log: options.log } : {}),
  });
  return { layer, packages: plan.map((p) => `${p.package}=${p.version}`) };
}

function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "sagebrew");
}

/**
 * Builds the image of `projectDir` without a container engine and writes it to `options.output`.
 *
 * @throws SagebrewError SB_IMAGE when the project has its own Dockerfile (only sagebrew's layout can
 *   be built without an engine), the base cannot take libxgboost, or a download fails.
 * @example const image = await buildWithoutEngine("examples/iris-xgboost", { tag: "iris:dev", output: "iris.tar", code: "builtin" });
 */
export async function buildWithoutEngine(
  projectDir: string,
  options: EnginelessOptions,
): Promise<EnginelessImage> {
  const platform = options.platform ?? DEFAULT_PLATFORM;
  const line = IMAGE_LINES[options.xgboost ?? DEFAULT_LINE];
  const log = options.log ?? (() => {});
  const mtime = options.mtime ?? (await buildEpoch(projectDir, options.env));
  const cacheDir = options.cacheDir ?? defaultCacheDir(options.env);
  const baseRef = options.baseImage ?? `${line.baseImage}@${line.baseDigest}`;
  const context = await mkdtemp(join(tmpdir(), "sagebrew-engineless-"));
  try {
    const staged = await stageContext(projectDir, context, {
      platform,
      mtime,
      ...(options.runtimeDir ? { runtimeDir: options.runtimeDir } : {}),
    });
    if (staged.projectDockerfile && (await readFile(staged.dockerfile, "utf8")) !== renderDockerfile()) {
      throw new SagebrewError(
        "SB_IMAGE",
        `Cannot build ${projectDir} without an engine: its Dockerfile is its own (not the one \`sagebrew init\` writes), and only a container engine runs a Dockerfile; remove it, or build with --engine docker`,
      );
    }
    log(`pulling ${baseRef} (${platform})`);
    const base = await pullBase(baseRef, platform, { cacheDir, log });
    const library = await libraryLayer(base, line, platform, options, mtime);
    const layers: BuiltLayer[] = [];
    if (library.layer) layers.push(library.layer);
    layers.push(
      makeLayer(
        [
          { path: "opt", type: "dir", mode: 0o755 },
          ...(await treeEntries(join(context, "sagebrew"), IMAGE_PATHS.home.slice(1))),
        ],
        mtime,
        `COPY sagebrew/ ${IMAGE_PATHS.home}/`,
      ),
      makeLayer(
        [
          { path: "opt", type: "dir", mode: 0o755 },
          ...(await treeEntries(join(context, "program"), IMAGE_PATHS.program.slice(1))),
          {
            path: "opt/node_modules",
            type: "symlink",
            mode: 0o777,
            linkname: `${IMAGE_PATHS.home}/node_modules`,
          },
        ],
        mtime,
        `COPY program/ ${IMAGE_PATHS.program}/ and ln -s ${IMAGE_PATHS.home}/node_modules /opt/node_modules`,
      ),
    );

    const created = new Date(mtime * 1000).toISOString();
    const baseConfig = (base.config.config ?? {}) as Record<string, unknown>;
    const config = {
      architecture: architectureOf(platform),
      config: {
        ...baseConfig,
        Env: withEnv((baseConfig.Env as string[] | undefined) ?? [], {
          PATH: `${IMAGE_PATHS.bin}:$PATH`,
          NODE_ENV: "production",
          SAGEBREW_PROJECT: IMAGE_PATHS.program,
        }),
        // As a Dockerfile's ENTRYPOINT does: the base's CMD is reset.
        Entrypoint: ["node", IMAGE_PATHS.entrypoint],
        Cmd: null,
        WorkingDir: IMAGE_PATHS.program,
        ExposedPorts: { ...((baseConfig.ExposedPorts as object | undefined) ?? {}), "8080/tcp": {} },
        Labels: {
          ...((baseConfig.Labels as Record<string, string> | null | undefined) ?? {}),
          [LABELS.bindToPort]: "true",
          [LABELS.multiModels]: "true",
          [LABELS.sagebrewVersion]: options.version ?? "0.0.0",
          [LABELS.xgboostVersion]: line.xgboost,
          [LABELS.code]: options.code,
        },
      },
      created,
      history: [
        ...((base.config.history as unknown[] | undefined) ?? []),
        ...layers.map((l) => ({ created, created_by: l.createdBy, comment: "sagebrew build --engine none" })),
      ],
      os: "linux",
      rootfs: {
        type: "layers",
        diff_ids: [...base.layers.map((l) => l.diffId), ...layers.map((l) => l.diffId)],
      },
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDigest = sha256(configBytes);
    const all = [...base.layers.map((l) => ({ digest: l.digest, size: l.size, bytes: l.bytes })), ...layers];
    const manifest = dockerManifest({ digest: configDigest, size: configBytes.length }, all);
    const hex = (d: string) => d.replace(/^sha256:/, "");
    const entries: LayerEntry[] = [
      { path: "blobs", type: "dir", mode: 0o755 },
      { path: "blobs/sha256", type: "dir", mode: 0o755 },
      { path: `blobs/sha256/${hex(configDigest)}`, type: "file", mode: 0o644, data: configBytes },
      ...all.map((l) => ({
        path: `blobs/sha256/${hex(l.digest)}`,
        type: "file" as const,
        mode: 0o644,
        data: l.bytes,
      })),
      {
        path: "manifest.json",
        type: "file",
        mode: 0o644,
        data: Buffer.from(
          JSON.stringify([
            {
              Config: `blobs/sha256/${hex(configDigest)}`,
              RepoTags: [options.tag],
              Layers: all.map((l) => `blobs/sha256/${hex(l.digest)}`),
            },
          ]),
        ),
      },
    ];
    const archive = writeTar(
      entries.filter((e, i, list) => list.findIndex((o) => o.path === e.path) === i),
      mtime,
    );
    await writeFile(`${options.output}.tmp`, archive);
    await rename(`${options.output}.tmp`, options.output);
    return {
      tag: options.tag,
      archive: options.output,
      digest: sha256(manifest),
      configDigest,
      base: baseRef,
      baseDigest: base.manifestDigest,
      packages: library.packages,
      size: all.reduce((n, l) => n + l.size, configBytes.length),
    };
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}
