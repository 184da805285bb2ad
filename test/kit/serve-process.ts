/** Runs the real `serve` program (from sources through tsx) as a child process on port 0. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SERVE_FROM_SOURCE } from "./process.js";

/** The built program, as the image runs it (`npm run build` first). */
export const BUILT_SERVE = fileURLToPath(new URL("../../packages/runtime/bin/serve", import.meta.url));

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** Parsed JSON log lines so far. */
  readonly logs: Array<Record<string, unknown>>;
  /** Resolves when a log line matches. */
  waitForLog(test: (line: Record<string, unknown>) => boolean, count?: number): Promise<void>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  kill(): void;
}

/** Starts `serve` with `env` added (`built`: the built program); resolves once it logs its port. */
export function startServeProcess(
  env: Record<string, string>,
  options: { built?: boolean } = {},
): Promise<ServeProcess> {
  const args = options.built ? [BUILT_SERVE] : SERVE_FROM_SOURCE.slice(1);
  const child = spawn(process.execPath, args, {
    env: { ...process.env, SAGEMAKER_BIND_TO_PORT: "0", SAGEMAKER_MODEL_SERVER_WORKERS: "2", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let buffered = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    buffered += chunk;
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
      for (const w of waiters.splice(0)) w();
      nl = buffered.indexOf("\n");
    }
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => {
      if (signal) logs.push({ msg: `killed by ${signal}` });
      resolve(code);
    }),
  );
  const waitForLog = (test: (l: Record<string, unknown>) => boolean, count = 1) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (logs.filter(test).length >= count) resolve();
        else waiters.push(check);
      };
      exited.then(() => reject(new Error(`serve exited; logs: ${JSON.stringify(logs)}`)));
      check();
    });
  return waitForLog((l) => l.msg === "listening").then(() => ({
    child,
    port: Number(logs.find((l) => l.msg === "listening")!.port),
    logs,
    waitForLog,
    exited,
    kill: () => {
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  }));
}
