/**
 * Starts `sagebrew local` (the CLI, from its TypeScript sources) on a free port with a state
 * directory, as a user would, and stops it by PID.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../../packages/cli/src/bin.ts", import.meta.url));

export interface RunningLocal {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Everything the server printed on stderr so far. */
  stderr(): string;
  /**
   * Waits (up to 30 s) until stderr matches `re`, and returns it: stderr and stdout are separate
   * pipes, so what the server printed before its address line may arrive after it.
   */
  stderrMatching(re: RegExp): Promise<string>;
  /** SIGINT (a clean stop) and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
}

/** Starts `sagebrew local --port <port> --state <stateDir> [args…]` and waits for its address line. */
export async function startLocal(
  stateDir: string,
  options: { port?: number; env?: NodeJS.ProcessEnv; args?: readonly string[] } = {},
): Promise<RunningLocal> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "--conditions=sagebrew-source",
      "--import",
      "tsx",
      CLI,
      "local",
      "--port",
      String(options.port ?? 0),
      "--state",
      stateDir,
      ...(options.args ?? []),
    ],
    { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (c: string) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`sagebrew local did not start: ${err}`)), 60_000);
    child.stdout!.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      const m = /SageMaker on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sagebrew local exited with ${code}: ${err}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid!,
    stderr: () => err,
    async stderrMatching(re) {
      for (let i = 0; i < 300 && !re.test(err); i++) await new Promise((r) => setTimeout(r, 100));
      return err;
    },
    async stop() {
      child.kill("SIGINT");
      return exited;
    },
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/** True when the `python3` on PATH can import boto3. */
export function hasBoto3(): boolean {
  return spawnSync("python3", ["-c", "import boto3"], { stdio: "ignore" }).status === 0;
}

/**
 * Runs `python3 args…` (boto3 scripts) against `local` and resolves to the JSON of its last stdout line.
 * Its environment is PATH, HOME = `cwd` and test credentials with AWS_ENDPOINT_URL at `local`, plus
 * `env`; with `inherit` it is this process's (a script told its endpoint by argument). Killed after
 * 10 minutes; a non-zero exit rejects with Python's stderr and the server's.
 */
export function runPythonJson(
  args: readonly string[],
  options: { local: RunningLocal; cwd?: string; env?: NodeJS.ProcessEnv; inherit?: boolean; label: string },
  // biome-ignore lint/suspicious/noExplicitAny: the script's JSON, checked field by field by the caller
): Promise<Record<string, any>> {
  const { local, cwd } = options;
  return new Promise((resolve, reject) => {
    const child = spawn("python3", [...args], {
      ...(cwd ? { cwd } : {}),
      ...(options.inherit
        ? {}
        : {
            env: {
              PATH: process.env.PATH,
              HOME: cwd,
              AWS_ENDPOINT_URL: local.url,
              AWS_ACCESS_KEY_ID: "testing",
              AWS_SECRET_ACCESS_KEY: "testing",
              AWS_DEFAULT_REGION: "us-east-1",
              ...options.env,
            },
          }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout?.setEncoding("utf8").on("data", (c: string) => {
      out += c;
    });
    child.stderr?.setEncoding("utf8").on("data", (c: string) => {
      err += c;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
    child.once("close", (code) => {
      clearTimeout(timer);
      if (code !== 0)
        return reject(new Error(`${options.label} exited with ${code}: ${err}\n${local.stderr()}`));
      resolve(JSON.parse(out.trim().split("\n").pop()!));
    });
  });
}
