/** SageMaker resource names: the pattern they must match, and unique timestamped names. */
import { SagebrewError } from "@sagebrew/runtime/core";

/** Names of jobs, models, endpoint configs and endpoints: 1–63 characters, letters, digits and inner hyphens. */
const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * Checks a name SageMaker will accept.
 *
 * @throws SagebrewError SB_USAGE naming the kind and the rule.
 */
export function checkName(kind: string, name: string): string {
  if (!NAME.test(name)) {
    throw new SagebrewError(
      "SB_USAGE",
      `Cannot use ${kind} name ${JSON.stringify(name)}: 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit`,
    );
  }
  return name;
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
