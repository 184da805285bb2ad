/** Runs the real programs as child processes and collects their output. */
import { spawn } from "node:child_process";
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
