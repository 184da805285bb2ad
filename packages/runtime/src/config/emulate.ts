/**
 * `SAGEBREW_EMULATE=sagemaker-xgboost:<version>`: train and serve as that version of SageMaker's
 * built-in XGBoost image does — accepting and rejecting what it accepts and rejects, with its
 * failure texts — instead of sagebrew's friendlier defaults (docs/compatibility.md). Read once, at
 * the edge, into the config. Pure.
 */
import { ENV } from "../contract/index.js";
import { SagebrewError } from "../errors/index.js";

/**
 * The versions of SageMaker's XGBoost image (the tags of `sagemaker-xgboost`, as the SageMaker Python
 * SDK's `image_uri_config/xgboost.json` lists them), oldest first. Each runs the algorithm code of
 * its branch of github.com/aws/sagemaker-xgboost-container (3.0-5: the `release-3.0.5` branch).
 */
export const XGBOOST_IMAGE_VERSIONS = [
  "0.90-1",
  "0.90-2",
  "1.0-1",
  "1.2-1",
  "1.2-2",
  "1.3-1",
  "1.5-1",
  "1.7-1",
  "3.0-5",
] as const;

export type XGBoostImageVersion = (typeof XGBOOST_IMAGE_VERSIONS)[number];

/** What `SAGEBREW_EMULATE` asks for. */
export interface Emulation {
  /** The image emulated: SageMaker's built-in XGBoost algorithm. */
  readonly image: "sagemaker-xgboost";
  readonly version: XGBoostImageVersion;
}

/** The value `SAGEBREW_EMULATE` takes for an image version. */
export function emulationValue(version: XGBoostImageVersion): string {
  return `sagemaker-xgboost:${version}`;
}

/** True for a version of SageMaker's XGBoost image that sagebrew emulates. */
export function isXGBoostImageVersion(tag: string): tag is XGBoostImageVersion {
  return (XGBOOST_IMAGE_VERSIONS as readonly string[]).includes(tag);
}

/**
 * Reads `SAGEBREW_EMULATE`; undefined when unset or empty.
 *
 * @throws SagebrewError SB_ENV_INVALID naming the value and the versions there are.
 * @example readEmulation({ SAGEBREW_EMULATE: "sagemaker-xgboost:1.7-1" }) // { image, version: "1.7-1" }
 */
export function readEmulation(env: Readonly<Record<string, string | undefined>>): Emulation | undefined {
  const raw = env[ENV.emulate]?.trim();
  if (!raw) return undefined;
  const m = /^sagemaker-xgboost:(.+)$/.exec(raw);
  const version = m?.[1] ?? "";
  if (!m || !isXGBoostImageVersion(version)) {
    throw new SagebrewError(
      "SB_ENV_INVALID",
      `Cannot use ${ENV.emulate}=${JSON.stringify(raw)}: expected sagemaker-xgboost:<version>, one of ${XGBOOST_IMAGE_VERSIONS.join(", ")}`,
    );
  }
  return Object.freeze({ image: "sagemaker-xgboost", version });
}

/** Facts of one image version that change what it accepts, from its branch of sagemaker-xgboost-container. */
export interface XGBoostImageFacts {
  /** The XGBoost release the image carries (its Dockerfile). */
  readonly xgboost: string;
  /** The branch of github.com/aws/sagemaker-xgboost-container the image's code comes from. */
  readonly branch: string;
  /** The model file `train` writes: a Python pickle before 1.3-1, XGBoost's own format since. */
  readonly modelFormat: "pickle" | "xgboost";
}

/** Per version (docker/<version>/ and the branch of each release). */
export const XGBOOST_IMAGE_FACTS: Readonly<Record<XGBoostImageVersion, XGBoostImageFacts>> = Object.freeze({
  "0.90-1": { xgboost: "0.90", branch: "0.90-1", modelFormat: "pickle" },
  "0.90-2": { xgboost: "0.90", branch: "0.90-2", modelFormat: "pickle" },
  "1.0-1": { xgboost: "1.0.0", branch: "1.0-1", modelFormat: "pickle" },
  "1.2-1": { xgboost: "1.2.0", branch: "1.2-1", modelFormat: "pickle" },
  "1.2-2": { xgboost: "1.2.0", branch: "1.2-2", modelFormat: "pickle" },
  "1.3-1": { xgboost: "1.3.3", branch: "1.3-1", modelFormat: "xgboost" },
  "1.5-1": { xgboost: "1.5.2", branch: "1.5-1", modelFormat: "xgboost" },
  "1.7-1": { xgboost: "1.7.4", branch: "1.7-1", modelFormat: "xgboost" },
  "3.0-5": { xgboost: "3.0.5", branch: "release-3.0.5", modelFormat: "xgboost" },
});
