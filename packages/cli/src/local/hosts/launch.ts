/**
 * `sagebrew train DIR --instance-count N`: a multi-host training job on this machine. Each host is
 * a process of the real `train` program with an `/opt/ml` tree of its own under
 * `DIR/.sagebrew/hosts/<host>/` — the job's config, a `resourceconfig.json` naming algo-1…N, and
 * its share of each channel (`split.ts`) — talking over loopback (a free port for the gathering; the tracker on any free port). The hosts' model
 * and output data directories are DIR's own, so the model the first training host writes lands
 * in `DIR/model`; checkpoints likewise go to `DIR/checkpoints` when the job configures them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants, existsSync } from "node:fs";
import { copyFile, mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join, relative } from "node:path";
import { ENV, parseInputDataConfig, SagebrewError } from "@sagebrew/runtime/core";
import { type Distribution, filesForHost, hostNames } from "./split.js";

export interface LocalHostsOptions {
  /** The `/opt/ml`-shaped directory of the job, as for one host (`input/config`, `input/data`). */
  readonly dir: string;
  /** How many hosts (processes): 1 to 64. */
  readonly count: number;
  /** The train program as argv; the host's tree is given as SAGEMAKER_BASE_DIR. */
  readonly command: readonly string[];
  /** Environment of every host (added to this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Hyperparameters added to, or replacing, those of the job's `hyperparameters.json` on every host. */
  readonly hyperparameters?: Readonly<Record<string, string>>;
  /** Each line a host prints. Default: written to this process's stdout/stderr as `[algo-1] …`. */
  readonly onLine?: (host: string, stream: "stdout" | "stderr", line: string) => void;
  /** Aborting sends SIGTERM to every host (training stops at a round boundary, on every host). */
  readonly signal?: AbortSignal;
  /** Told each host's process id as it starts. */
  readonly onStart?: (host: string, pid: number) => void;
}

export interface HostOutcome {
  readonly host: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The first line of the host's failure file, when it wrote one. */
  readonly failure?: string;
}

export interface LocalHostsResult {
  /** 0 when every host exited 0, else the exit code of the first host (in host order) that failed. */
  readonly exitCode: number;
  readonly hosts: readonly HostOutcome[];
  /** Where the model is (`DIR/model`). */
  readonly modelDir: string;
}

/** Files under `dir`, relative to it, hidden ones skipped (as the train program skips them). */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p));
    }
  };
  if (existsSync(dir)) await walk(dir);
  return out;
}

/**
 * A copy — a reflink where the file system has them — never a hard link: a host's input data is
 * its own, and an algorithm writing to it must not change the user's file.
 */
async function place(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await copyFile(from, to, constants.COPYFILE_FICLONE);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen({ host: "127.0.0.1", port: 0 }, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function readJsonIfAny(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as unknown;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SagebrewError("SB_CONFIG_INVALID", `Cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Builds host `host`'s tree: config files, its share of each channel, shared model/output/checkpoints. */
async function prepareHost(
  dir: string,
  root: string,
  host: string,
  index: number,
  hosts: readonly string[],
  channels: ReadonlyMap<string, Distribution>,
  hyperparameters: Readonly<Record<string, string>> | undefined,
): Promise<void> {
  const config = join(root, "input", "config");
  await mkdir(config, { recursive: true });
  for (const name of await readdir(join(dir, "input", "config")).catch(() => [] as string[])) {
    if (/^resource[cC]onfig\.json$/.test(name)) continue;
    await copyFile(join(dir, "input", "config", name), join(config, name));
  }
  if (hyperparameters && Object.keys(hyperparameters).length > 0) {
    // The host's own copy carries the overrides; the job's file stays as it is.
    const file = join(config, "hyperparameters.json");
    const given = JSON.parse(await readFile(file, "utf8").catch(() => "{}")) as Record<string, unknown>;
    await writeFile(file, `${JSON.stringify({ ...given, ...hyperparameters }, null, 2)}\n`);
  }
  await writeFile(
    join(config, "resourceconfig.json"),
    `${JSON.stringify({ current_host: host, hosts, network_interface_name: "lo" })}\n`,
  );
  for (const [channel, distribution] of channels) {
    const from = join(dir, "input", "data", channel);
    const to = join(root, "input", "data", channel);
    await mkdir(to, { recursive: true });
    for (const f of filesForHost(await listFiles(from), distribution, index, hosts.length))
      await place(join(from, f), join(to, f));
  }
  // One model and output-data directory for the job: only the first training host writes there.
  await mkdir(join(dir, "model"), { recursive: true });
  await mkdir(join(dir, "output", "data"), { recursive: true });
  await mkdir(join(root, "output"), { recursive: true });
  await symlink(join(dir, "model"), join(root, "model"));
  await symlink(join(dir, "output", "data"), join(root, "output", "data"));
  if (existsSync(join(dir, "input", "config", "checkpointconfig.json"))) {
    await mkdir(join(dir, "checkpoints"), { recursive: true });
    await symlink(join(dir, "checkpoints"), join(root, "checkpoints"));
  }
}

/** Channel name → distribution: those declared in inputdataconfig.json, then any other directory. */
async function channelsOf(dir: string): Promise<Map<string, Distribution>> {
  const declared = parseInputDataConfig(
    await readJsonIfAny(join(dir, "input", "config", "inputdataconfig.json")),
  );
  const out = new Map<string, Distribution>();
  for (const [name, c] of declared) out.set(name, c.distribution);
  const dataDir = join(dir, "input", "data");
  if (existsSync(dataDir)) {
    for (const e of await readdir(dataDir, { withFileTypes: true }))
      if (e.isDirectory() && !out.has(e.name)) out.set(e.name, "FullyReplicated");
  }
  return out;
}

function pipeLines(
  child: ChildProcess,
  host: string,
  onLine: NonNullable<LocalHostsOptions["onLine"]>,
): void {
  for (const stream of ["stdout", "stderr"] as const) {
    let rest = "";
    child[stream]!.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const l of lines) onLine(host, stream, l);
    });
    child[stream]!.on("end", () => {
      if (rest) onLine(host, stream, rest);
    });
  }
}

/**
 * Runs a training job on `count` local hosts and waits for every host.
 *
 * @example
 * const r = await runLocalHosts({ dir: "local_test/test_dir", count: 2, command: ["node", trainBin] });
 * if (r.exitCode === 0) console.log(`model in ${r.modelDir}`);
 * @throws SagebrewError SB_USAGE for a count out of range, SB_CONFIG_INVALID for unreadable config.
 */
export async function runLocalHosts(options: LocalHostsOptions): Promise<LocalHostsResult> {
  const { dir, count } = options;
  if (!Number.isInteger(count) || count < 1 || count > 64)
    throw new SagebrewError("SB_USAGE", `--instance-count ${count} is not an integer from 1 to 64`);
  const hosts = hostNames(count);
  const channels = await channelsOf(dir);
  const base = join(dir, ".sagebrew", "hosts");
  await rm(base, { recursive: true, force: true });
  await rm(join(dir, "output", "failure"), { force: true });
  for (const [i, host] of hosts.entries())
    await prepareHost(dir, join(base, host), host, i, hosts, channels, options.hyperparameters);
  const rendezvous = await freePort();
  const env = {
    ...process.env,
    [ENV.rendezvousPort]: String(rendezvous),
    // Any free port, bound when the tracker starts (after the data is read) and told to the others
    // by the first host: a port chosen here could be taken by then, e.g. as another program's
    // outgoing connection's ephemeral port.
    [ENV.trackerPort]: "0",
    [ENV.hostAddresses]: hosts.map((h) => `${h}=127.0.0.1`).join(","),
    // N hosts share this machine's cores: OpenMP threads that spin while their host waits on the
    // others starve the others (iris on 2 hosts: 50 s of boosting instead of 0.3 s).
    OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? "passive",
    ...options.env,
  };
  const onLine =
    options.onLine ??
    ((host: string, stream: "stdout" | "stderr", line: string) =>
      process[stream].write(`[${host}] ${line}\n`));
  const children = hosts.map((host) => {
    const [cmd, ...args] = options.command;
    const child = spawn(cmd!, args, {
      env: { ...env, [ENV.baseDir]: join(base, host) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    pipeLines(child, host, onLine);
    if (child.pid !== undefined) options.onStart?.(host, child.pid);
    return child;
  });
  const stop = () => {
    for (const c of children) c.kill("SIGTERM");
  };
  options.signal?.addEventListener("abort", stop, { once: true });
  const outcomes = await Promise.all(
    children.map(
      (child, i) =>
        new Promise<HostOutcome>((resolve) => {
          const host = hosts[i]!;
          const done = async (exitCode: number | null, signal: NodeJS.Signals | null) => {
            const text = await readFile(join(base, host, "output", "failure"), "utf8").catch(() => undefined);
            resolve({ host, exitCode, signal, ...(text ? { failure: text.split("\n")[0]! } : {}) });
          };
          child.once("error", (e) => {
            onLine(host, "stderr", `cannot start ${options.command[0]}: ${e.message}`);
            void done(127, null);
          });
          child.once("close", (code, signal) => void done(code, signal));
        }),
    ),
  );
  options.signal?.removeEventListener("abort", stop);
  const failed = outcomes.find((o) => o.exitCode !== 0);
  if (failed) {
    const lines = outcomes.filter((o) => o.failure).map((o) => `${o.host}: ${o.failure}`);
    await writeFile(
      join(dir, "output", "failure"),
      `${lines[0] ?? `${failed.host} exited with ${failed.exitCode ?? failed.signal}`}\n\n${lines.join("\n")}\n`,
    );
  }
  return {
    exitCode: failed ? (failed.exitCode ?? 2) : 0,
    hosts: outcomes,
    modelDir: join(dir, "model"),
  };
}
