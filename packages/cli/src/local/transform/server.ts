/**
 * The model server a local transform talks to: the real `serve` program as a child process on a
 * free port, with the environment Batch Transform gives it (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-batch-code.html), reached over HTTP.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { ENV, ROUTES, SagebrewError } from "@sagebrew/runtime/core";

// Through require, not an ES import: importing node:http reads all its exports, one of which loads
// Node's bundled fetch (undici) at every start (runtime's node/http-guard.ts says more).
const { Agent, request } = createRequire(import.meta.url)("node:http") as typeof import("node:http");

/** What `GET /execution-parameters` answered (absent fields left out). */
export interface ExecutionParameters {
  readonly MaxConcurrentTransforms?: number;
  readonly BatchStrategy?: string;
  readonly MaxPayloadInMB?: number;
}

export interface ServeProcessOptions {
  /** Command and arguments that start `serve` (default: the runtime package's `bin/serve`). */
  readonly command: readonly string[];
  /** An /opt/ml-shaped directory holding `model/`. */
  readonly baseDir: string;
  /** Job values the user set; passed as SAGEMAKER_* only when set, like the platform does. */
  readonly maxPayloadMb?: number;
  readonly batchStrategy?: "SINGLE_RECORD" | "MULTI_RECORD";
  readonly maxConcurrentTransforms?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Give up waiting for /ping after this long (default 120 s). */
  readonly startupTimeoutMs?: number;
  /** Receives every line `serve` prints (stdout and stderr), e.g. for a job's log stream. */
  readonly onLine?: (line: string) => void;
  /** Called once the process is spawned (before it answers `/ping`). */
  readonly onSpawn?: () => void;
}

export interface HttpResult {
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string | undefined;
}

/** A started `serve`; stop it with `stop()`. */
export interface ServeProcess {
  readonly pid: number;
  readonly port: number;
  get(path: string): Promise<HttpResult>;
  post(path: string, body: Uint8Array, headers: Record<string, string>): Promise<HttpResult>;
  /** Stops it; resolves once it has exited and its last output lines have reached `onLine`. */
  stop(): Promise<void>;
}

/** Hands each complete line of a byte stream to `onLine`. */
function splitLines(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest = "";
  return (chunk) => {
    const parts = (rest + chunk.toString()).split("\n");
    rest = parts.pop() ?? "";
    for (const p of parts) onLine(p);
  };
}

/** The process groups of the `serve`s started here and not stopped yet. */
const liveGroups = new Set<number>();

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // none of the group is left
  }
}

// A serve in a group of its own no longer gets the terminal's Ctrl-C, nor ends with this process:
// should this process end with serves still running (process.exit, an uncaught error), they go too.
process.on("exit", () => {
  for (const pid of liveGroups) signalGroup(pid, "SIGKILL");
});

/**
 * Sends `signal` to every `serve` started here and still running (and to what they started):
 * `sagebrew transform`'s answer to Ctrl-C, which its serve, in a group of its own, no longer gets
 * from the terminal.
 */
export function signalServes(signal: NodeJS.Signals): void {
  for (const pid of liveGroups) signalGroup(pid, signal);
}

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `serve` and waits until `/ping` answers 200.
 *
 * @throws SagebrewError `SB_TRANSFORM` when it exits or stays unhealthy (with its stderr tail).
 */
export async function startServe(options: ServeProcessOptions): Promise<ServeProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...(options.env ?? process.env),
    SAGEMAKER_BASE_DIR: options.baseDir,
    [ENV.batch]: "true",
    [ENV.bindToPort]: String(port),
    // Only this process talks to it: nothing else on the network should.
    [ENV.bindAddress]: "127.0.0.1",
  };
  if (options.maxPayloadMb !== undefined) env[ENV.maxPayloadMb] = String(options.maxPayloadMb);
  if (options.batchStrategy !== undefined) env[ENV.batchStrategy] = options.batchStrategy;
  if (options.maxConcurrentTransforms !== undefined) {
    env[ENV.maxConcurrentTransforms] = String(options.maxConcurrentTransforms);
  }
  const [cmd, ...args] = options.command;
  if (!cmd) throw new SagebrewError("SB_USAGE", "No serve command given");
  const onLine = options.onLine;
  // Its own process group, signalled whole (as `sagebrew local` runs its containers' programs):
  // a command that wraps serve (`--serve "sh run.sh"`, `time node …/serve`) may not pass a signal
  // on, and the serve it leaves behind kept running, holding this process's pipes open, so
  // `sagebrew transform` never exited.
  const child: ChildProcess = spawn(cmd, args, {
    env,
    stdio: ["ignore", onLine ? "pipe" : "ignore", "pipe"],
    detached: true,
  });
  const group = (signal: NodeJS.Signals) => signalGroup(child.pid, signal);
  if (child.pid !== undefined) liveGroups.add(child.pid);
  options.onSpawn?.();
  let stderr = "";
  const lines = onLine ? { out: splitLines(onLine), err: splitLines(onLine) } : undefined;
  child.stdout?.on("data", (d: Buffer) => lines?.out(d));
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    lines?.err(d);
  });
  let exited: number | null | undefined;
  child.once("exit", (code) => {
    exited = code;
  });
  // The command could not be run at all (not found, not executable): said as serve's last words.
  child.once("error", (e) => {
    stderr += `\nserve: cannot run ${cmd}: ${e.message}\n`;
    exited ??= null;
  });
  // "close" comes once its output pipes are drained too: a job's log then has serve's last lines.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const call = (method: string, path: string, body?: Uint8Array, headers: Record<string, string> = {}) =>
    new Promise<HttpResult>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method,
          path,
          agent,
          headers: body ? { ...headers, "content-length": String(body.length) } : headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks),
              contentType: res.headers["content-type"],
            }),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const proc: ServeProcess = {
    pid: child.pid ?? -1,
    port,
    get: (path) => call("GET", path),
    post: (path, body, headers) => call("POST", path, body, headers),
    async stop() {
      agent.destroy();
      // The whole group, even when serve itself has exited: what it started may still run.
      group("SIGTERM");
      const timer = setTimeout(() => group("SIGKILL"), 10_000);
      // "close": every process holding serve's pipes is gone (its last lines read). Bounded,
      // for a process that left the group and kept the pipes.
      let drained: NodeJS.Timeout | undefined;
      await Promise.race([
        closed,
        new Promise<void>((r) => {
          drained = setTimeout(r, 12_000);
        }),
      ]);
      clearTimeout(drained);
      clearTimeout(timer);
      if (child.pid !== undefined) liveGroups.delete(child.pid);
    },
  };
  const started = Date.now();
  const deadline = started + (options.startupTimeoutMs ?? 120_000);
  for (;;) {
    if (exited !== undefined) {
      throw new SagebrewError("SB_TRANSFORM", `Cannot start serve: ${exitReason(exited, stderr)}`);
    }
    try {
      const r = await call("GET", ROUTES.ping);
      if (r.status === 200) return proc;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new SagebrewError(
        "SB_TRANSFORM",
        `Cannot start serve: /ping did not answer 200 in time: ${stderr.trim().slice(-1500)}`,
      );
    }
    // `serve` is usually up within about 150 ms: ask often at first, then back off.
    await new Promise((r) => setTimeout(r, Date.now() < started + 3000 ? 10 : 100));
  }
}

/**
 * Why `serve` exited: the reason it gives as its last words (`serve: …`, see the runtime's
 * bin/serve), else its exit code and the tail of its stderr.
 */
function exitReason(code: number | null, stderr: string): string {
  const said = stderr
    .split("\n")
    .filter((l) => l.startsWith("serve: "))
    .at(-1);
  if (said !== undefined) return said.slice("serve: ".length);
  return `it exited with code ${code}: ${stderr.trim().slice(-1500)}`;
}

/** Asks `/execution-parameters`; `undefined` when the server does not answer it. */
export async function executionParameters(server: ServeProcess): Promise<ExecutionParameters | undefined> {
  const r = await server.get(ROUTES.executionParameters);
  if (r.status !== 200) return undefined;
  try {
    const v = JSON.parse(r.body.toString()) as Record<string, unknown>;
    return {
      ...(typeof v.MaxConcurrentTransforms === "number"
        ? { MaxConcurrentTransforms: v.MaxConcurrentTransforms }
        : {}),
      ...(typeof v.BatchStrategy === "string" ? { BatchStrategy: v.BatchStrategy } : {}),
      ...(typeof v.MaxPayloadInMB === "number" ? { MaxPayloadInMB: v.MaxPayloadInMB } : {}),
    };
  } catch {
    return undefined;
  }
}
