/** Runs the real programs as child processes and collects their output. */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** `serve` run from its TypeScript sources through tsx, as the end-to-end tests start it. */
export const SERVE_FROM_SOURCE: readonly string[] = [
  process.execPath,
  "--conditions=sagebrew-source",
  "--import",
  "tsx",
  fileURLToPath(new URL("../../packages/runtime/src/bin/serve.ts", import.meta.url)),
];

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Called with each stdout chunk; may signal the child. */
  onStdout?: (chunk: string, child: import("node:child_process").ChildProcess) => void;
  timeoutMs?: number;
  input?: string;
  /** Working directory (default: this process's). */
  cwd?: string;
}

/** Spawns `command args`, waits for it (killing it after `timeoutMs`, default 120 s). */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
      options.onStdout?.(c, child);
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** An `onStdout` that sends SIGTERM once `marker` (e.g. `[2]`, a round's line) has been printed. */
export function sigtermAfter(marker: string): {
  onStdout: NonNullable<RunOptions["onStdout"]>;
  readonly sent: boolean;
} {
  let sent = false;
  return {
    onStdout: (chunk, child) => {
      if (!sent && chunk.includes(marker)) {
        sent = true;
        child.kill("SIGTERM");
      }
    },
    get sent() {
      return sent;
    },
  };
}

/**
 * The processes `sagebrew local` started under `dir`, found by the /opt/ml each container's environment
 * names (SAGEMAKER_BASE_DIR); a zombie's environment reads empty, so the dead are not counted.
 */
export function processesUnder(dir: string): Array<{ pid: number; base: string }> {
  const found: Array<{ pid: number; base: string }> = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const base = readFileSync(`/proc/${name}/environ`, "utf8")
        .split("\0")
        .find((v) => v.startsWith(`SAGEMAKER_BASE_DIR=${dir}`));
      if (base) found.push({ pid: Number(name), base: base.slice("SAGEMAKER_BASE_DIR=".length) });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}
