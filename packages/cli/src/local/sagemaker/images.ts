/**
 * Which way an image runs locally. SageMaker's built-in XGBoost images (any region, any version:
 * `<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-xgboost:1.7-1`) and images built by
 * `sagebrew build` (label `dev.sagebrew.version`) run on sagebrew's runtime, without Docker; any
 * other image runs in Docker (or Podman) when an engine answers, and otherwise cannot run.
 */
import { spawn } from "node:child_process";

/** The label `sagebrew build` writes into every image (see image/dockerfile.ts). */
export const SAGEBREW_IMAGE_LABEL = "dev.sagebrew.version";

const BUILTIN_XGBOOST =
  /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/(sagemaker-xgboost|xgboost)(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$/;

/** True for an image URI of SageMaker's built-in XGBoost algorithm. */
export function isBuiltinXGBoostImage(image: string): boolean {
  return BUILTIN_XGBOOST.test(image);
}

/** A container engine CLI, narrowed to what `sagebrew local` asks of it. */
export interface ContainerEngineCli {
  /** `docker` or `podman` (the executable). */
  readonly command: string;
  /** Whether the engine answers (`<command> info` succeeds); remembered for 30 s. */
  available(): Promise<boolean>;
  /** The image's labels, or undefined when the engine does not have the image. */
  labels(image: string): Promise<Record<string, string> | undefined>;
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
    async labels(image) {
      const r = await run(
        command,
        ["image", "inspect", "--format", "{{json .Config.Labels}}", image],
        env,
        10_000,
      );
      if (r.code !== 0) return undefined;
      try {
        return (JSON.parse(r.stdout.trim()) as Record<string, string> | null) ?? {};
      } catch {
        return {};
      }
    },
  };
}

/** How an image runs: on sagebrew's runtime, or in the container engine. */
export type ImagePlan = { readonly runner: "runtime"; readonly why: string } | { readonly runner: "docker" };

/**
 * Decides how `image` runs.
 *
 * @throws Error with one sentence when it cannot run here (no engine for a foreign image).
 */
export async function planImage(image: string, engine: ContainerEngineCli): Promise<ImagePlan> {
  if (isBuiltinXGBoostImage(image)) {
    return { runner: "runtime", why: "SageMaker's built-in XGBoost image runs on sagebrew's runtime" };
  }
  if (await engine.available()) {
    const labels = await engine.labels(image);
    if (labels?.[SAGEBREW_IMAGE_LABEL]) {
      return {
        runner: "runtime",
        why: `image built by sagebrew ${labels[SAGEBREW_IMAGE_LABEL]} runs on its runtime`,
      };
    }
    return { runner: "docker" };
  }
  throw new Error(
    `Cannot run image ${image}: it is neither SageMaker's built-in XGBoost image nor one built by sagebrew, and no container engine answers (\`${engine.command} info\` failed); start Docker or Podman, or set SAGEBREW_CONTAINER_ENGINE`,
  );
}
