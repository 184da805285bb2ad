/**
 * What SageMaker accepts, checked before a call against the same API table `sagebrew local`
 * validates with (packages/cli/src/api/): resource names, counts, sizes and instance types; and
 * unique timestamped names.
 */
import { SagebrewError } from "@sagebrew/runtime/core";
import { SAGEMAKER, shapeOf, violations } from "../api/index.js";
import { didYouMean } from "../suggest.js";

/** The kinds of name sagebrew gives, and the SageMaker shape each must satisfy. */
const NAME_SHAPES = {
  "training job": "TrainingJobName",
  "transform job": "TransformJobName",
  model: "ModelName",
  "endpoint config": "EndpointConfigName",
  endpoint: "EndpointName",
} as const;

export type NameKind = keyof typeof NAME_SHAPES;

/** "Member must …" phrases as a sentence about the value. */
function said(phrases: readonly string[]): string {
  return phrases.map((p) => p.replace(/^Member must /, "it must ")).join("; ");
}

/**
 * Checks a name SageMaker will accept for a `kind` of resource.
 *
 * @throws SagebrewError SB_USAGE naming the kind, the name and SageMaker's rule it breaks.
 * @example checkName("training job", "iris-20260101-000000-000")
 */
export function checkName(kind: NameKind, name: string): string {
  const shape = NAME_SHAPES[kind];
  const failed = violations(SAGEMAKER, shape, name);
  if (failed.length) {
    throw new SagebrewError(
      "SB_USAGE",
      `Cannot use ${kind} name ${JSON.stringify(name)}: ${said(failed)} (SageMaker's ${shape}: letters, digits and hyphens, starting and ending with a letter or digit)`,
    );
  }
  return name;
}

/** True when `text` could be the name of a `kind` of resource (a job name, as opposed to a path). */
export function isName(kind: NameKind, text: string): boolean {
  return violations(SAGEMAKER, NAME_SHAPES[kind], text).length === 0;
}

/**
 * Checks a number SageMaker will accept for a member of shape `shape` (`TrainingInstanceCount`,
 * `ServerlessMemorySizeInMB`, …), with `bounds` that SageMaker documents beyond its model.
 *
 * @throws SagebrewError SB_USAGE naming what the number is, the number and the rule it breaks.
 * @example checkNumber("instance count", "TrainingInstanceCount", 2, { min: 1 })
 */
export function checkNumber(
  what: string,
  shape: string,
  value: number,
  bounds: { readonly min?: number; readonly max?: number } = {},
): number {
  const failed = violations(SAGEMAKER, shape, value);
  if (bounds.max !== undefined && value > bounds.max)
    failed.push(`Member must have value less than or equal to ${bounds.max}`);
  if (bounds.min !== undefined && value < bounds.min)
    failed.push(`Member must have value greater than or equal to ${bounds.min}`);
  if (!Number.isInteger(value) && shapeOf(SAGEMAKER, shape).type === "integer")
    failed.unshift("Member must be a whole number");
  if (failed.length) {
    throw new SagebrewError("SB_USAGE", `Cannot use ${what} ${value}: ${said([...new Set(failed)])}`);
  }
  return value;
}

/** Where an instance type is used, and the SageMaker shape listing the types it takes there. */
const INSTANCE_TYPE_SHAPES = {
  training: "TrainingInstanceType",
  endpoint: "ProductionVariantInstanceType",
  transform: "TransformInstanceType",
} as const;

/**
 * Checks that SageMaker offers `type` for training, endpoints or transform jobs (its API table's
 * enum, from botocore's model: a type AWS added since is refused until sagebrew updates it).
 *
 * @throws SagebrewError SB_USAGE naming the type, with the nearest one SageMaker offers.
 * @example checkInstanceType("training", "ml.m5.xlarge")
 */
export function checkInstanceType(use: keyof typeof INSTANCE_TYPE_SHAPES, type: string): string {
  const shape = shapeOf(SAGEMAKER, INSTANCE_TYPE_SHAPES[use]);
  const offered = shape.type === "string" ? (shape.enum ?? []) : [];
  if (!offered.includes(type)) {
    const example = use === "training" ? "ml.m5.xlarge" : "ml.m5.large";
    const where = use === "endpoint" ? "endpoints" : use === "transform" ? "transform jobs" : "training";
    const guess = offered.includes(`ml.${type}`)
      ? ` Did you mean ml.${type}?`
      : didYouMean(type, offered, false);
    throw new SagebrewError(
      "SB_USAGE",
      `Cannot use instance type ${type}: SageMaker has no such type for ${where} (its ${INSTANCE_TYPE_SHAPES[use]} lists ${offered.length}, such as ${example}).${guess}`,
    );
  }
  return type;
}

/** Turns any text (a directory name, an image tag) into a valid name prefix. */
export function toNameBase(text: string, fallback = "sagebrew"): string {
  const base = text
    .replace(/[^a-zA-Z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+|-+$/g, "");
  return base || fallback;
}

/**
 * `<base>-YYYYMMDD-HHMMSS-mmm` (UTC), with `base` shortened so that the whole fits in 63 characters:
 * what the Python SDK does for `base_job_name`, so names sort by creation time.
 */
export function timestampedName(base: string, now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-01-02T03:04:05.678Z
  const stamp = `${iso.slice(0, 10).replaceAll("-", "")}-${iso.slice(11, 19).replaceAll(":", "")}-${iso.slice(20, 23)}`;
  const room = 63 - stamp.length - 1;
  const head = toNameBase(base).slice(0, room).replace(/-+$/, "") || "sagebrew";
  return `${head}-${stamp}`;
}
