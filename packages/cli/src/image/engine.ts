/** The container engine CLI (Docker or Podman) behind a narrow interface. */
import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";

/** The outcome of one engine CLI call. */
export interface EngineResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of one engine CLI call. */
export interface EngineRunOptions {
  /** Receives output as it arrives (progress); output is still captured. */
  onOutput?: (chunk: string) => void;
  /** Throw SB_IMAGE on a non-zero exit. Default true. */
  check?: boolean;
}

/** A container engine CLI: `docker` or `podman`. */
export interface ContainerEngine {
  readonly name: "docker" | "podman";
  /** The executable (path or name). */
  readonly command: string;
  run(args: readonly string[], options?: EngineRunOptions): Promise<EngineResult>;
}

async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A `ContainerEngine` running `command` as a child process with `env` (DOCKER_HOST etc.). */
export function cliEngine(
  name: "docker" | "podman",
  options: { command?: string; env?: NodeJS.ProcessEnv } = {},
): ContainerEngine {
  const command = options.command ?? name;
  const env = options.env ?? process.env;
  return {
    name,
    command,
    run(args, runOptions = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (c: string) => {
          stdout += c;
          runOptions.onOutput?.(c);
        });
        child.stderr.setEncoding("utf8").on("data", (c: string) => {
          stderr += c;
          runOptions.onOutput?.(c);
        });
        child.on("error", (e) =>
          reject(new SagebrewError("SB_IMAGE", `Cannot run ${command}: ${e.message}`, { cause: e })),
        );
        child.on("close", (code) => {
          const result = { code: code ?? 1, stdout, stderr };
          if (result.code !== 0 && runOptions.check !== false) {
            const tail = (stderr || stdout).trim().split("\n").slice(-8).join("\n");
            reject(
              new SagebrewError(
                "SB_IMAGE",
                `Cannot run ${name} ${args[0] ?? ""}: exit ${result.code}: ${tail}`,
              ),
            );
          } else resolve(result);
        });
      });
    },
  };
}

/**
 * Finds the engine to use: `preferred` (`docker`/`podman`) or `SAGEBREW_ENGINE`, else `docker`,
 * then `podman`, on PATH.
 *
 * @throws SagebrewError SB_IMAGE when neither is installed.
 * @example const engine = await detectEngine({ env: process.env });
 */
export async function detectEngine(
  options: { preferred?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ContainerEngine> {
  const env = options.env ?? process.env;
  const preferred = options.preferred ?? env.SAGEBREW_ENGINE;
  const names: ("docker" | "podman")[] =
    preferred === "podman" ? ["podman"] : preferred === "docker" ? ["docker"] : ["docker", "podman"];
  if (preferred && preferred !== "docker" && preferred !== "podman") {
    throw new SagebrewError("SB_USAGE", `Cannot use engine ${preferred}: expected docker or podman`);
  }
  for (const name of names) {
    const path = await onPath(name, env);
    if (path) return cliEngine(name, { command: path, env });
  }
  throw new SagebrewError(
    "SB_IMAGE",
    `Cannot find a container engine: ${names.join(" or ")} is not on PATH (install Docker or Podman)`,
  );
}

/** `docker image inspect` of one image, the fields sagebrew reads. */
export interface ImageInfo {
  readonly id: string;
  readonly architecture: string;
  readonly os: string;
  readonly size: number;
  readonly entrypoint: readonly string[] | null;
  readonly cmd: readonly string[] | null;
  readonly env: readonly string[];
  readonly exposedPorts: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly repoDigests: readonly string[];
}

/** Inspects a local image; resolves to undefined when the engine does not have it. */
export async function inspectImage(engine: ContainerEngine, image: string): Promise<ImageInfo | undefined> {
  const res = await engine.run(["image", "inspect", image], { check: false });
  if (res.code !== 0) return undefined;
  const [raw] = JSON.parse(res.stdout) as {
    Id: string;
    Architecture: string;
    Os: string;
    Size: number;
    RepoDigests?: string[];
    Config?: {
      Entrypoint?: string[] | null;
      Cmd?: string[] | null;
      Env?: string[] | null;
      ExposedPorts?: Record<string, unknown> | null;
      Labels?: Record<string, string> | null;
    };
  }[];
  if (!raw) return undefined;
  return {
    id: raw.Id,
    architecture: raw.Architecture,
    os: raw.Os,
    size: raw.Size,
    entrypoint: raw.Config?.Entrypoint ?? null,
    cmd: raw.Config?.Cmd ?? null,
    env: raw.Config?.Env ?? [],
    exposedPorts: Object.keys(raw.Config?.ExposedPorts ?? {}).sort(),
    labels: raw.Config?.Labels ?? {},
    repoDigests: raw.RepoDigests ?? [],
  };
}
