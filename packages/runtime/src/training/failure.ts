/**
 * The failure file (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-output.html): its first line says what went wrong and where
 * (SageMaker shows the first 1024 characters as `FailureReason`), then the error's code and fault
 * kind. Writing it never throws: when it cannot be written (a full disk), the caller says so on
 * stderr and exits 2.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { FAILURE_REASON_MAX_CHARS, mlPaths } from "../contract/index.js";
import type { SagebrewError } from "../errors/index.js";
import { writeError } from "./_atomic.js";

/** The failure file's text for an error. */
export function failureText(error: SagebrewError): string {
  const tail = `sagebrew error ${error.code} (${error.kind} fault)`;
  if (error.message.length <= FAILURE_REASON_MAX_CHARS) return `${error.message}\n\n${tail}\n`;
  return `${error.message.slice(0, FAILURE_REASON_MAX_CHARS - 1)}…\n\n${error.message}\n\n${tail}\n`;
}

/** Whether the failure file was written; the reason when it was not. */
export type FailureWrite = { readonly written: true } | { readonly written: false; readonly reason: string };

/** Writes `output/failure` under `root`. Never throws. */
export async function writeFailure(root: string, error: SagebrewError): Promise<FailureWrite> {
  const paths = mlPaths(root);
  try {
    await mkdir(paths.outputDir, { recursive: true });
    await writeFile(paths.failureFile, failureText(error));
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
