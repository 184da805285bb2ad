/**
 * Which way an image runs locally. SageMaker's built-in XGBoost images (the tags SageMaker
 * publishes, in each region's registry: `<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-xgboost:1.7-1`)
 * run on sagebrew's runtime, without Docker, as that version of the image
 * (`SAGEBREW_EMULATE`, docs/compatibility.md); any other tag of those repositories is refused as
 * SageMaker refuses an image ECR does not have. Images `sagebrew build`
 * made from a project that brings no code of its own (label `dev.sagebrew.code=builtin`) run on
 * sagebrew's runtime too. Every other image runs in Docker (or Podman) when an engine
 * answers, and otherwise cannot run: among them sagebrew images whose project has its own
 * algorithm or handler (its code is in the image, not on this host), and sagebrew images that do
 * not say whose code they run (built before the label existed, or given another entrypoint or a
 * SAGEBREW_ALGORITHM/SAGEBREW_HANDLER by their Dockerfile).
 */
import { spawn } from "node:child_process";
import type { ImagePlan } from "../../docs.js";
import { xgboostImage } from "./_xgboost-images.js";

/** The label `sagebrew build` writes into every image (see image/dockerfile.ts). */
export const SAGEBREW_IMAGE_LABEL = "dev.sagebrew.version";
/** Whose code a sagebrew image runs: `builtin` or `project` (see image/dockerfile.ts). */
export const SAGEBREW_CODE_LABEL = "dev.sagebrew.code";
/** The entrypoint of images built with sagebrew's Dockerfile. */
const SAGEBREW_ENTRYPOINT = ["node", "/opt/sagebrew/entrypoint.mjs"];

/** True for an image URI of SageMaker's built-in XGBoost algorithm that SageMaker publishes. */
export function isBuiltinXGBoostImage(image: string): boolean {
  return xgboostImage(image)?.kind === "published";
}

/** The `SAGEBREW_EMULATE` a built-in XGBoost image runs under (none for other images). */
export function emulationEnv(image: string): Record<string, string> {
  const x = xgboostImage(image);
  return x?.kind === "published" && x.emulate ? { SAGEBREW_EMULATE: x.emulate } : {};
}

/** A container engine CLI, narrowed to what `sagebrew local` asks of it. */
export interface ContainerEngineCli {
  /** `docker` or `podman` (the executable). */
  readonly command: string;
  /** Whether the engine answers (`<command> info` succeeds); remembered for 30 s. */
  available(): Promise<boolean>;
  /** What the image's configuration says, or undefined when the engine does not have the image. */
  inspect(image: string): Promise<ImageConfig | undefined>;
}

/** The parts of an image's configuration that decide how it runs. */
export interface ImageConfig {
  readonly labels: Readonly<Record<string, string>>;
  /** `NAME=value` entries. */
  readonly env: readonly string[];
  readonly entrypoint: readonly string[];
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  return new Promise<{ code: number; stdout: string }>((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, args, { env, stdio: ["ignore", "pipe", "ignore"] });
    } catch {
      resolve({ code: -1, stdout: "" });
      return;
    }
    let stdout = "";
    child.stdout?.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", () => {
      clearTimeout(timer);
      resolve({ code: -1, stdout });
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout });
    });
  });
}

/** The engine named by `SAGEBREW_CONTAINER_ENGINE` (default `docker`). */
export function containerEngineCli(env: NodeJS.ProcessEnv): ContainerEngineCli {
  const command = env.SAGEBREW_CONTAINER_ENGINE || "docker";
  let known: { at: number; ok: boolean } | undefined;
  return {
    command,
    async available() {
      if (known && Date.now() - known.at < 30_000) return known.ok;
      const r = await run(command, ["info", "--format", "{{.ServerVersion}}"], env, 10_000);
      known = { at: Date.now(), ok: r.code === 0 && r.stdout.trim() !== "" };
      return known.ok;
    },
    async inspect(image) {
      const r = await run(command, ["image", "inspect", "--format", "{{json .Config}}", image], env, 10_000);
      if (r.code !== 0) return undefined;
      type Raw = { Labels?: unknown; Env?: unknown; Entrypoint?: unknown } | null;
      let config: Raw = null;
      try {
        config = JSON.parse(r.stdout.trim()) as Raw;
      } catch {
        // an answer we cannot read: nothing is known about the image
      }
      const strings = (v: unknown) =>
        Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
      return {
        labels:
          config?.Labels && typeof config.Labels === "object"
            ? (config.Labels as Record<string, string>)
            : {},
        env: strings(config?.Env),
        entrypoint: strings(config?.Entrypoint),
      };
    },
  };
}

/**
 * Decides how `image` runs.
 *
 * @throws Error with one sentence when it cannot run here (no engine for a foreign image), or when
 *   it names a tag SageMaker does not publish in its XGBoost repositories (SageMaker's own words).
 */
export async function planImage(image: string, engine: ContainerEngineCli): Promise<ImagePlan> {
  const xgboost = xgboostImage(image);
  if (xgboost?.kind === "missing") throw new Error(xgboost.message);
  if (xgboost) {
    return {
      runner: "runtime",
      why: `SageMaker's built-in XGBoost image runs on sagebrew's runtime${xgboost.emulate ? ` as ${xgboost.emulate}` : ""}${xgboost.note ? ` (${xgboost.note})` : ""}`,
    };
  }
  if (await engine.available()) {
    const config = await engine.inspect(image);
    const version = config?.labels[SAGEBREW_IMAGE_LABEL];
    if (config && version && runsBuiltinCode(config)) {
      return { runner: "runtime", why: `image built by sagebrew ${version} runs on its runtime` };
    }
    return { runner: "docker" };
  }
  throw new Error(
    `Cannot run image ${image}: it is neither SageMaker's built-in XGBoost image nor one built by sagebrew, and no container engine answers (\`${engine.command} info\` failed); start Docker or Podman, or set SAGEBREW_CONTAINER_ENGINE`,
  );
}

/**
 * Whether a sagebrew image runs the runtime's own code, which the host has too: its project brings
 * no algorithm or handler, and its Dockerfile changed neither the entrypoint nor the code's
 * variables. Anything else runs in the engine, where the image's own code is.
 */
function runsBuiltinCode(config: ImageConfig): boolean {
  if (config.labels[SAGEBREW_CODE_LABEL] !== "builtin") return false;
  if (config.entrypoint.join("\0") !== SAGEBREW_ENTRYPOINT.join("\0")) return false;
  return !config.env.some((e) => /^SAGEBREW_(ALGORITHM|HANDLER)=./.test(e));
}
