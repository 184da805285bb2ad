/** Image platforms and SageMaker instance types. */
import { SagebrewError } from "@sagebrew/runtime/core";

/** The platforms sagebrew builds for. */
export type Platform = "linux/amd64" | "linux/arm64";

/** The default platform: every SageMaker instance type that is not Graviton. */
export const DEFAULT_PLATFORM: Platform = "linux/amd64";

/**
 * The platform an instance type needs: Graviton families (`ml.m7g`, `ml.c6gn`, `ml.r8gd`…: a `g`
 * after the generation number) run arm64, everything else amd64 (`ml.g5` and `ml.g4dn` are x86 GPUs).
 *
 * @throws SagebrewError SB_USAGE when the name is not `ml.<family>.<size>`.
 * @example platformForInstanceType("ml.c7g.xlarge") // "linux/arm64"
 */
export function platformForInstanceType(instanceType: string): Platform {
  const m = /^ml\.([a-z]+)(\d+)([a-z-]*)\.[a-z0-9-]+$/.exec(instanceType.trim());
  if (!m) {
    throw new SagebrewError(
      "SB_USAGE",
      `Cannot read instance type ${instanceType}: expected ml.<family>.<size>, e.g. ml.m5.large`,
    );
  }
  return (m[3] ?? "").includes("g") ? "linux/arm64" : "linux/amd64";
}

/**
 * Normalizes a platform given by the user (`amd64`, `arm64`, `linux/arm64/v8`, `x86_64`, `aarch64`).
 *
 * @throws SagebrewError SB_USAGE for anything else.
 */
export function parsePlatform(value: string): Platform {
  const v = value
    .trim()
    .toLowerCase()
    .replace(/^linux\//, "");
  if (v === "amd64" || v === "x86_64" || v === "x64") return "linux/amd64";
  if (v === "arm64" || v === "arm64/v8" || v === "aarch64") return "linux/arm64";
  throw new SagebrewError(
    "SB_USAGE",
    `Cannot use platform ${value}: SageMaker runs linux/amd64 or linux/arm64`,
  );
}

/** The architecture part of a platform (`amd64`, `arm64`) as image configs spell it. */
export function architectureOf(platform: Platform): "amd64" | "arm64" {
  return platform === "linux/arm64" ? "arm64" : "amd64";
}
