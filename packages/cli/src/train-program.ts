/**
 * The runtime's `train` program as a command line, for code that runs training jobs as processes
 * of their own (`sagebrew train --instance-count`, the trials of `sagebrew tune`).
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `node <@sagebrew/runtime>/bin/train`, or its TypeScript source through tsx when the runtime
 * resolves to its sources (the repository's tests).
 */
export function trainProgram(): string[] {
  const entry = fileURLToPath(import.meta.resolve("@sagebrew/runtime"));
  const dir = resolve(dirname(entry), "..");
  if (entry.endsWith(".ts"))
    return [
      process.execPath,
      "--conditions=sagebrew-source",
      "--import",
      "tsx",
      join(dir, "src", "bin", "train.ts"),
    ];
  return [process.execPath, join(dir, "bin", "train")];
}
