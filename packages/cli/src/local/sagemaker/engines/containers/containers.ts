/**
 * One container of a job or an endpoint, run either as the runtime's program (`train`/`serve` as a
 * child process whose `/opt/ml` is a directory of the state dir) or in the container engine
 * (`docker run` with that directory mounted at `/opt/ml`). Both report output line by line and
 * stop the way SageMaker stops containers: SIGTERM, then SIGKILL once the grace period is over.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { ENV } from "@sagebrew/runtime/core";
import { lineSplitter } from "./_lines.js";
import { emulationEnv } from "./images.js";
import type { RuntimePrograms } from "./programs.js";

/** What to run. */
export interface ContainerSpec {
  readonly runner: "runtime" | "docker";
  readonly image: string;
  /** The host directory that is the container's `/opt/ml`. */
  readonly mlRoot: string;
  readonly program: "train" | "serve";
  /** Environment the platform gives the container (job or model `Environment`, platform variables). */
  readonly env: Readonly<Record<string, string>>;
  /** A name unique on this machine (the Docker container's name). */
  readonly name: string;
  /** `serve`: the loopback port the container answers on. */
  readonly port?: number;
  /** Docker: `AlgorithmSpecification.ContainerEntrypoint` / `ContainerArguments`. */
  readonly entrypoint?: readonly string[];
  readonly args?: readonly string[];
  /** Docker: a network and host name (multi-host jobs). */
  readonly network?: { readonly name: string; readonly hostname: string };
  /** Docker: more bind mounts, `[hostPath, containerPath]`. */
  readonly mounts?: ReadonlyArray<readonly [string, string]>;
  /** Receives every line the container prints (stdout and stderr). */
  readonly onLine: (line: string) => void;
}

/** The programs and engine containers run with. */
export interface ContainerDeps {
  readonly programs: RuntimePrograms;
  readonly engineCommand: string;
  /** The environment runtime programs inherit (PATH, XGBOOST_LIBRARY_PATH, …). */
  readonly baseEnv: NodeJS.ProcessEnv;
}

/** How a container ended: its exit code or signal, or why it could not start at all. */
export interface ContainerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started (spawn failed): the reason. */
  readonly startError?: string;
}

/** A started container (or one that could not start: its `exited` says why at once). */
export interface RunningContainer {
  /** The process id, -1 when it could not start. */
  readonly pid: number;
  /** Resolves when the container has exited, or could not start. */
  readonly exited: Promise<ContainerExit>;
  /** SIGTERM now, SIGKILL after `graceMs` if still running. */
  terminate(graceMs: number): void;
}

/**
 * Variables that would make the runtime run other code than the image's (a project on this host),
 * or emulate another image than the container's (`SAGEBREW_EMULATE` comes from the image URI).
 */
const CODE_VARIABLES = new Set([
  "SAGEBREW_ALGORITHM",
  "SAGEBREW_HANDLER",
  "SAGEBREW_PROJECT",
  "SAGEBREW_EMULATE",
]);

/**
 * The inherited environment minus the front's own SageMaker settings (a container gets its own)
 * and the variables naming a project's code: an image runs its own code, whatever the shell of
 * `sagebrew local` points at (a model's `Environment` may still set them).
 */
function inheritedEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) {
    if (k.startsWith("SAGEMAKER_") || k.startsWith("AWS_ENDPOINT_URL") || k === "NODE_OPTIONS") continue;
    if (CODE_VARIABLES.has(k)) continue;
    out[k] = v;
  }
  return out;
}

function dockerArgs(spec: ContainerSpec): string[] {
  const args = ["run", "--rm", "--name", spec.name, "-v", `${spec.mlRoot}:/opt/ml`];
  for (const [host, inside] of spec.mounts ?? []) args.push("-v", `${host}:${inside}`);
  for (const [k, v] of Object.entries(spec.env)) args.push("-e", `${k}=${v}`);
  if (spec.port !== undefined) args.push("-p", `127.0.0.1:${spec.port}:8080`);
  if (spec.network) {
    args.push("--network", spec.network.name, "--hostname", spec.network.hostname);
    args.push("--network-alias", spec.network.hostname);
  }
  const [entry, ...entryArgs] = spec.entrypoint ?? [];
  if (entry) args.push("--entrypoint", entry);
  args.push(spec.image, ...entryArgs, ...(spec.args ?? (entry ? [] : [spec.program])));
  return args;
}

/** A container that could not start: it has exited, saying why. */
function notStarted(spec: ContainerSpec, e: unknown): RunningContainer {
  const reason = (e as Error)?.message ?? String(e);
  spec.onLine(`Cannot start ${spec.program}: ${reason}`);
  return {
    pid: -1,
    exited: Promise.resolve({ code: null, signal: null, startError: reason }),
    terminate() {},
  };
}

/**
 * Starts a container; it is running when this returns, or its `exited` has resolved with the
 * reason it could not start (an environment holding a NUL, a missing program, no process left).
 * Never throws.
 */
export function startContainer(spec: ContainerSpec, deps: ContainerDeps): RunningContainer {
  try {
    return start(spec, deps);
  } catch (e) {
    return notStarted(spec, e);
  }
}

function start(spec: ContainerSpec, deps: ContainerDeps): RunningContainer {
  let child: ChildProcess;
  if (spec.runner === "runtime") {
    const [cmd, ...args] = deps.programs[spec.program];
    child = spawn(cmd!, args, {
      cwd: spec.mlRoot,
      env: {
        ...inheritedEnv(deps.baseEnv),
        // SageMaker's XGBoost image runs as that version of it would.
        ...emulationEnv(spec.image),
        ...spec.env,
        SAGEMAKER_BASE_DIR: spec.mlRoot,
        // A process on this machine answers the front only: it listens on loopback, not on every
        // interface as a container must (Docker publishes its port on 127.0.0.1 instead).
        ...(spec.port !== undefined
          ? { SAGEMAKER_BIND_TO_PORT: String(spec.port), [ENV.bindAddress]: "127.0.0.1" }
          : {}),
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
  } else {
    child = spawn(deps.engineCommand, dockerArgs(spec), {
      stdio: ["ignore", "pipe", "pipe"],
      env: deps.baseEnv,
    });
  }
  const out = lineSplitter(spec.onLine);
  const err = lineSplitter(spec.onLine);
  child.stdout?.on("data", (c: Buffer) => out.push(c));
  child.stderr?.on("data", (c: Buffer) => err.push(c));
  const exited = new Promise<ContainerExit>((resolve) => {
    child.once("error", (e) => {
      spec.onLine(`Cannot start ${spec.program}: ${e.message}`);
      resolve({ code: null, signal: null, startError: e.message });
    });
    child.once("close", (code, signal) => {
      out.end();
      err.end();
      resolve({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (done || child.pid === undefined) return;
    try {
      // The runtime program leads its own process group: signal all of it.
      process.kill(spec.runner === "runtime" ? -child.pid : child.pid, signal);
    } catch {
      // already gone
    }
  };
  return {
    pid: child.pid ?? -1,
    exited,
    terminate(graceMs) {
      if (done) return;
      if (spec.runner === "docker") {
        spawn(deps.engineCommand, ["stop", "-t", String(Math.ceil(graceMs / 1000)), spec.name], {
          stdio: "ignore",
          env: deps.baseEnv,
        }).once("error", () => undefined);
      } else signalGroup("SIGTERM");
      const timer = setTimeout(
        () => {
          if (spec.runner === "docker") {
            spawn(deps.engineCommand, ["kill", spec.name], { stdio: "ignore", env: deps.baseEnv }).once(
              "error",
              () => undefined,
            );
          }
          signalGroup("SIGKILL");
        },
        graceMs + (spec.runner === "docker" ? 5000 : 0),
      );
      timer.unref();
      void exited.then(() => clearTimeout(timer));
    },
  };
}
