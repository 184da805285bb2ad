/**
 * The `sagebrew` CLI run from its TypeScript sources as a child process, as a user runs it, for the
 * suites that drive its SageMaker commands against `sagebrew local`, moto or both.
 */
import { fileURLToPath } from "node:url";
import type { RunningLocal } from "./local.js";
import { type RunResult, run } from "./process.js";

const BIN = fileURLToPath(new URL("../../packages/cli/src/bin.ts", import.meta.url));
// Resolved here: the child runs in a temp directory, where `--import tsx` would not be found.
const TSX = import.meta.resolve("tsx");

/** SageMaker's built-in XGBoost image (us-east-1): `sagebrew local` runs it on sagebrew's runtime, no Docker. */
export const BUILTIN_XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";

/**
 * Runs `sagebrew args…` in `cwd` with this process's environment plus `env`, and waits for it
 * (killed after `timeoutMs`, default 120 s).
 */
export function sagebrewCli(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunResult> {
  return run(process.execPath, ["--conditions=sagebrew-source", "--import", TSX, BIN, ...args], options);
}

/** The environment that points every AWS client of the CLI at `local` (SageMaker, S3, Logs, STS). */
export function localEnv(local: RunningLocal): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: local.url,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "us-east-1",
  };
}
