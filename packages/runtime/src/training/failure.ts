/**
 * The failure file (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-output.html): what went wrong and where, which
 * SageMaker shows (its first 1024 characters) as `FailureReason` — the reason only: sagebrew's error
 * code and fault kind go to the log (`train: error SB_… (user fault): …`). Writing it never throws:
 * when it cannot be written (a full disk), the caller says so on stderr and exits 2.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { FAILURE_REASON_MAX_CHARS, mlPaths } from "../contract/index.js";
import type { SagebrewError } from "../errors/index.js";
import { writeError } from "./_atomic.js";

/** Options of `failureText` and `writeFailure`. */
export interface FailureOptions {
  /**
   * Start the reason with `ClientError: ` (a user fault) or `AlgorithmError: `, as SageMaker words
   * the failures of its built-in algorithms (`SAGEBREW_EMULATE`). Default false.
   */
  readonly sageMakerPrefix?: boolean;
}

/** The failure file's text for an error: the reason, whole when longer than `FailureReason` shows. */
export function failureText(error: SagebrewError, options: FailureOptions = {}): string {
  const message =
    options.sageMakerPrefix && !/^(ClientError|AlgorithmError): /.test(error.message)
      ? `${error.kind === "user" ? "ClientError" : "AlgorithmError"}: ${error.message}`
      : error.message;
  if (message.length <= FAILURE_REASON_MAX_CHARS) return `${message}\n`;
  return `${message.slice(0, FAILURE_REASON_MAX_CHARS - 1)}…\n\n${message}\n`;
}

/** The log line that names an error's code and fault kind (the failure file gives the reason only). */
export function errorLine(error: SagebrewError): string {
  return `error ${error.code} (${error.kind} fault): ${error.message}`;
}

/** Whether the failure file was written; the reason when it was not. */
export type FailureWrite = { readonly written: true } | { readonly written: false; readonly reason: string };

/** Writes `output/failure` under `root`. Never throws. */
export async function writeFailure(
  root: string,
  error: SagebrewError,
  options: FailureOptions = {},
): Promise<FailureWrite> {
  const paths = mlPaths(root);
  try {
    await mkdir(paths.outputDir, { recursive: true });
    await writeFile(paths.failureFile, failureText(error, options));
    return { written: true };
  } catch (e) {
    // A half-written failure file would show as an empty or cut reason: none is better.
    await rm(paths.failureFile, { force: true }).catch(() => undefined);
    try {
      return { written: false, reason: writeError(paths.failureFile, e).message };
    } catch {
      return { written: false, reason: `Cannot write ${paths.failureFile}` };
    }
  }
}
