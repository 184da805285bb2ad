/** Process helpers for the benchmarks: free ports, timed runs, background servers stopped by PID. */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A loopback port nobody listens on (never 8080), found by binding port 0 and closing. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const addr = srv.address();
        const p = typeof addr === "object" && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port !== 8080 && port > 0) return port;
  }
}

export interface TimedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallS: number;
  stdout: string;
  stderr: string;
  /** Seconds from launch to the first output line matching `RunOptions.mark`. */
  markS?: number;
  /** From `/usr/bin/time -v` when the command ran under it. */
  maxRssKiB?: number;
  userS?: number;
  sysS?: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the process group after this long. */
  timeoutS: number;
  /** Wrap in `/usr/bin/time -v` and parse peak RSS and CPU times from its report. */
  measure?: boolean;
  /** Called with each chunk of stdout (for live progress). */
  onStdout?: (chunk: string) => void;
  /** Record when a line matching this first appears on stdout or stderr (`markS`). */
  mark?: RegExp;
}

/** Runs a command to completion, bounded in time, returning its output and wall time. */
export function runTimed(cmd: string, args: string[], opts: RunOptions): Promise<TimedRun> {
  const [file, argv] = opts.measure ? ["/usr/bin/time", ["-v", cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, argv, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let markS: number | undefined;
    const checkMark = (all: string) => {
      if (opts.mark && markS === undefined && opts.mark.test(all)) markS = (performance.now() - t0) / 1000;
    };
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
      checkMark(stdout);
      opts.onStdout?.(c);
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
      checkMark(stderr);
    });
    const timer = setTimeout(() => {
      if (child.pid) killGroup(child.pid, "SIGKILL");
    }, opts.timeoutS * 1000);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const wallS = (performance.now() - t0) / 1000;
      const run: TimedRun = {
        code,
        signal,
        wallS,
        stdout,
        stderr,
        ...(markS === undefined ? {} : { markS }),
      };
      if (opts.measure) Object.assign(run, parseTimeV(stderr));
      resolve(run);
    });
  });
}

function parseTimeV(stderr: string): Partial<TimedRun> {
  const num = (re: RegExp) => {
    const m = re.exec(stderr);
    return m ? Number(m[1]) : undefined;
  };
  const out: Partial<TimedRun> = {};
  const rss = num(/Maximum resident set size \(kbytes\): (\d+)/);
  const user = num(/User time \(seconds\): ([\d.]+)/);
  const sys = num(/System time \(seconds\): ([\d.]+)/);
  if (rss !== undefined) out.maxRssKiB = rss;
  if (user !== undefined) out.userS = user;
  if (sys !== undefined) out.sysS = sys;
  return out;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export interface Background {
  name: string;
  child: ChildProcess;
  pid: number;
  startedAt: number;
  exited: Promise<void>;
}

/** Starts a long-running process in its own process group, output appended to a log file. */
export function startBackground(
  name: string,
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; log: string },
): Background {
  const log = createWriteStream(opts.log, { flags: "a" });
  const startedAt = performance.now();
  const child = spawn(cmd, args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  if (child.pid === undefined) throw new Error(`Cannot start ${name}: ${cmd} did not spawn`);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { name, child, pid: child.pid, startedAt, exited };
}

/** Stops a background process by its PID: `signal` to its group, SIGKILL after `graceS`. */
export async function stopBackground(bg: Background, signal: NodeJS.Signals = "SIGTERM", graceS = 10) {
  if (bg.child.exitCode !== null || bg.child.signalCode !== null) return;
  killGroup(bg.pid, signal);
  const done = await Promise.race([bg.exited.then(() => true), sleep(graceS * 1000).then(() => false)]);
  if (!done) {
    killGroup(bg.pid, "SIGKILL");
    await Promise.race([bg.exited, sleep(2000)]);
  }
}

export interface HttpAnswer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP request on a fresh connection, bounded in time. */
export function httpCall(
  port: number,
  path: string,
  opts: { method?: string; body?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: opts.method ?? "GET",
        headers: { connection: "close", ...opts.headers },
        agent: false,
        timeout: opts.timeoutMs ?? 5000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Polls GET `path` until it answers 200; resolves with ms since `since`. Rejects on timeout or exit. */
export async function waitFor200(
  port: number,
  path: string,
  opts: { since: number; timeoutS: number; bg?: Background; intervalMs?: number },
): Promise<number> {
  const deadline = opts.since + opts.timeoutS * 1000;
  for (;;) {
    if (opts.bg && (opts.bg.child.exitCode !== null || opts.bg.child.signalCode !== null)) {
      throw new Error(
        `${opts.bg.name} exited (${opts.bg.child.exitCode ?? opts.bg.child.signalCode}) before /ping said 200`,
      );
    }
    try {
      const res = await httpCall(port, path, { timeoutMs: 1000 });
      if (res.status === 200) return performance.now() - opts.since;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline)
      throw new Error(`No 200 from 127.0.0.1:${port}${path} within ${opts.timeoutS} s`);
    await sleep(opts.intervalMs ?? 5);
  }
}

function processParents(): Map<number, number> {
  const parent = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(name), Number(after[1]));
    } catch {
      // exited meanwhile
    }
  }
  return parent;
}

/** The PIDs of a process and all its descendants. */
export function processTree(rootPid: number): number[] {
  const parent = processParents();
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; hops++) {
      if (p === rootPid) return true;
      p = parent.get(p);
    }
    return false;
  };
  return [...parent.keys()].filter(inTree);
}

/** Resident memory of a process and all its descendants, in KiB (from /proc). */
export function treeRssKiB(rootPid: number): number {
  let total = 0;
  for (const pid of processTree(rootPid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) total += Number(m[1]);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

const CLK_TCK = 100; // Linux USER_HZ

/** CPU seconds (user + system) used so far by one process, all its threads, none of its children (from /proc). */
export function processCpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** CPU seconds (user + system) used so far by a process and its live descendants (from /proc). */
export function treeCpuS(rootPid: number): number {
  let ticks = 0;
  for (const pid of processTree(rootPid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks / CLK_TCK;
}
