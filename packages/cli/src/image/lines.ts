/**
 * The image lines `sagebrew build` makes: which XGBoost, on which Debian, on which Node.js base.
 * One place for the bases, their pinned digests and the library versions (docs/platforms.md).
 */
import { SagebrewError } from "@sagebrew/runtime/core";

/** An XGBoost line, as `sagebrew build --xgboost` names it. */
export type XGBoostLine = "3.0" | "1.7";

/** One image line. */
export interface ImageLine {
  readonly line: XGBoostLine;
  /** The libxgboost0 version Debian ships for this line (the image label records it). */
  readonly xgboost: string;
  /** The Debian release of the base and of the libxgboost package. */
  readonly suite: "trixie" | "bookworm";
  /** The base image's name, as the Dockerfile's FROM has it. */
  readonly baseImage: string;
  /**
   * The base's manifest list digest, pinned for `--engine none` (the Docker path uses the tag, as
   * the Dockerfile's FROM does). Taken from public Dockerfiles that pin this tag; not pulled here
   * (no Docker Hub from this project's machines), see docs/platforms.md.
   */
  readonly baseDigest: string;
  /** SageMaker's built-in XGBoost container version whose models this line reads and writes alike. */
  readonly sagemaker: string;
}

/**
 * Node.js 26 on both lines: the Active LTS (since 2026-10-28, supported until 2029-04-30, a year
 * longer than 24), so an endpoint built today runs a supported Node for the longest; 26's default
 * Debian on Docker Hub is trixie, whose libxgboost is 3.0 (SageMaker's current XGBoost line).
 */
export const IMAGE_LINES: Readonly<Record<XGBoostLine, ImageLine>> = Object.freeze({
  "3.0": {
    line: "3.0",
    xgboost: "3.0.0",
    suite: "trixie",
    baseImage: "node:26-trixie-slim",
    baseDigest: "sha256:ec7758ee051e457b468b32bde57b0879010b325bb9862718e9615225ce4aaae1",
    sagemaker: "3.0-5",
  },
  "1.7": {
    line: "1.7",
    xgboost: "1.7.4",
    suite: "bookworm",
    baseImage: "node:26-bookworm-slim",
    baseDigest: "sha256:367679cf9792759492a486e4aa4b421764d71a9546a6dae8aab81a99eb797b3e",
    sagemaker: "1.7-1",
  },
});

/** The line `sagebrew build` makes unless told otherwise. */
export const DEFAULT_LINE: XGBoostLine = "3.0";

/**
 * Reads `--xgboost` (`3.0`, `3`, `3.0.0`, `1.7`, `1.7.4`).
 *
 * @throws SagebrewError SB_USAGE for another line.
 */
export function parseXGBoostLine(value: string): XGBoostLine {
  const v = value.trim();
  if (/^3(\.0(\.\d+)?)?$/.test(v)) return "3.0";
  if (/^1\.7(\.\d+)?$/.test(v)) return "1.7";
  throw new SagebrewError(
    "SB_USAGE",
    `Cannot build XGBoost ${value}: sagebrew images have XGBoost 3.0 (default, Debian trixie) or 1.7 (Debian bookworm)`,
  );
}
