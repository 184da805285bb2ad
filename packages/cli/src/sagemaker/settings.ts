/**
 * Where the execution role, the bucket, the region and the profile come from: a command-line flag,
 * then an environment variable, then the project config file `sagebrew.json` (in the current
 * directory or the nearest parent that has one), then the default.
 */
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { SagebrewError } from "@sagebrew/runtime/core";

/** The project config file's name. */
export const PROJECT_CONFIG_FILE = "sagebrew.json";

/** Environment variables the SageMaker commands read. */
export const SETTINGS_ENV = {
  role: "SAGEBREW_ROLE_ARN",
  bucket: "SAGEBREW_BUCKET",
} as const;

/** The `aws` section of `sagebrew.json`. */
export interface ProjectAwsConfig {
  /** Execution role ARN that SageMaker assumes for jobs and models. */
  readonly role?: string;
  /** S3 bucket for uploads and outputs. */
  readonly bucket?: string;
  readonly region?: string;
  readonly profile?: string;
}

const KEYS = ["role", "bucket", "region", "profile"] as const;

/**
 * Reads the `aws` section of the nearest `sagebrew.json` from `cwd` upwards; `{}` when there is none.
 *
 * @throws SagebrewError SB_CONFIG_INVALID when the file is not JSON of that shape.
 * @example // sagebrew.json: { "aws": { "role": "arn:aws:iam::123456789012:role/SageMaker", "region": "eu-west-1" } }
 */
export async function readProjectConfig(cwd: string): Promise<{ config: ProjectAwsConfig; path?: string }> {
  let dir = resolve(cwd);
  for (;;) {
    const path = join(dir, PROJECT_CONFIG_FILE);
    let text: string | undefined;
    try {
      text = await readFile(path, "utf8");
    } catch {
      // no config here: look in the parent
    }
    if (text !== undefined) return { config: parseProjectConfig(text, path), path };
    const parent = dirname(dir);
    if (parent === dir) return { config: {} };
    dir = parent;
  }
}

function parseProjectConfig(text: string, path: string): ProjectAwsConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SagebrewError("SB_CONFIG_INVALID", `Cannot parse ${path}: ${(e as Error).message}`);
  }
  const aws = (json as { aws?: unknown } | null)?.aws;
  if (aws === undefined) return {};
  if (typeof aws !== "object" || aws === null || Array.isArray(aws)) {
    throw new SagebrewError("SB_CONFIG_INVALID", `Cannot read ${path}: "aws" must be an object`);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(aws)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new SagebrewError(
        "SB_CONFIG_INVALID",
        `Cannot read ${path}: unknown key aws.${key} (known: ${KEYS.join(", ")})`,
      );
    }
    if (typeof value !== "string" || value === "") {
      throw new SagebrewError(
        "SB_CONFIG_INVALID",
        `Cannot read ${path}: aws.${key} must be a non-empty string`,
      );
    }
    out[key] = value;
  }
  return out;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** The error for a command that needs a role and was given none. */
export function missingRoleError(): SagebrewError {
  return new SagebrewError(
    "SB_USAGE",
    `Cannot choose an execution role: none is set: pass --role arn:aws:iam::<account>:role/<name>, set ${SETTINGS_ENV.role}, or add "aws": {"role": …} to ${PROJECT_CONFIG_FILE}`,
  );
}

/**
 * Checks an IAM role ARN.
 *
 * @throws SagebrewError SB_USAGE when it is not one.
 */
export function checkRoleArn(role: string): string {
  if (!ROLE_ARN.test(role)) {
    throw new SagebrewError(
      "SB_USAGE",
      `Cannot use execution role ${role}: expected an IAM role ARN such as arn:aws:iam::123456789012:role/SageMakerRole`,
    );
  }
  return role;
}

/**
 * The execution role: \`--role\`, else SAGEBREW_ROLE_ARN, else \`aws.role\` in sagebrew.json.
 *
 * @throws SagebrewError SB_USAGE when none is set or it is not a role ARN.
 */
export function resolveRole(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  config: ProjectAwsConfig,
): string {
  const role = flag ?? env[SETTINGS_ENV.role] ?? config.role;
  if (!role) throw missingRoleError();
  return checkRoleArn(role);
}
