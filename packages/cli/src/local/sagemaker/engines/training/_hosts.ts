/**
 * A training job's hosts as containers: one per host, started together (the runtime's `train` on
 * loopback, or `docker run` on a network of the job's own for several hosts), their output lines
 * to the job's log streams and the metric collector, and one outcome once every one has ended.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { FAILURE_REASON_MAX_CHARS, mlPaths } from "@sagebrew/runtime/core";
import type { TrainingJobDoc } from "../../docs.js";
import type { ObjectStorage } from "../../storage/index.js";
import {
  type ContainerDeps,
  type ContainerExit,
  freePort,
  type ProcessRegistry,
  type RunningContainer,
  startContainer,
} from "../containers/index.js";
import { feedPipe, type HostLayout } from "./layout.js";

/** The exit code of `docker run` (and `podman run`) when the engine could not run the container at all. */
const DOCKER_RUN_FAILED = 125;

export const TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs";

/** How a job's hosts ended: all exited 0, one failed (why), or they were stopped. */
export type HostsOutcome =
  | { readonly kind: "completed" }
  | { readonly kind: "failed"; readonly reason: string };

/** The running hosts of a job. */
export interface RunningHosts {
  /** SIGTERM to every host, SIGKILL after `graceMs`. */
  terminate(graceMs: number): void;
  /** Resolves once every host has ended (a host that could not start has ended at once). */
  readonly ended: Promise<HostsOutcome>;
}

export interface HostsDeps {
  readonly containers: ContainerDeps;
  readonly registry: ProcessRegistry;
  readonly storage: ObjectStorage;
  /** Where each host's lines go (its log stream). */
  readonly log: (host: string, line: string) => void;
}

/**
 * The runtime's multi-host settings for hosts that are processes on this machine (the ones
 * `sagebrew train --instance-count` gives its loopback hosts): the rendezvous and tracker ports,
 * each host name's address (loopback, instead of DNS), and OpenMP threads that sleep while their
 * host waits on the others, so that N hosts can share this machine's cores.
 */
async function loopbackHostsEnv(layouts: readonly HostLayout[]): Promise<Record<string, string>> {
  return {
    SAGEBREW_RENDEZVOUS_PORT: String(await freePort()),
    // Any free port, told to the others by the first host when its tracker starts (a port chosen
    // here could be taken by then).
    SAGEBREW_TRACKER_PORT: "0",
    SAGEBREW_HOST_ADDRESSES: layouts.map((l) => `${l.host}=127.0.0.1`).join(","),
    OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? "passive",
  };
}

/** Reads a host's failure file (its first 1024 characters), or undefined. */
async function failureText(root: string): Promise<string | undefined> {
  try {
    const text = (await readFile(mlPaths(root).failureFile, "utf8")).trim();
    return text ? text.slice(0, FAILURE_REASON_MAX_CHARS) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs one container-engine command to its end (networks of multi-host Docker jobs). */
function engineCommand(deps: ContainerDeps, args: readonly string[]): Promise<void> {
  return new Promise((done) => {
    const c = spawn(deps.engineCommand, args, { stdio: "ignore", env: deps.baseEnv });
    c.once("error", () => done());
    c.once("close", () => done());
  });
}

/** The name a host's container is recorded under. */
export function hostContainerName(job: TrainingJobDoc, host: string): string {
  return `sagebrew-local-${job.name.toLowerCase()}-${host}`;
}

/** Why the job failed, from the first host that did not exit 0. */
async function failure(
  job: TrainingJobDoc,
  layout: HostLayout,
  r: ContainerExit,
  lastLine: string | undefined,
  engine: string,
): Promise<string> {
  const image = job.AlgorithmSpecification.TrainingImage ?? "";
  if (r.startError !== undefined)
    return `ClientError: Cannot start image ${image} on ${layout.host}: ${r.startError}`;
  const text = await failureText(layout.root);
  if (text) return text;
  if (job._runner === "docker" && r.code === DOCKER_RUN_FAILED) {
    // `docker run` itself failed (no such image, a pull refused, a bad mount): its last line says why.
    return `ClientError: Cannot start image ${image} on ${layout.host}: ${lastLine ?? `${engine} run exited with code ${r.code}`}`;
  }
  const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
  return `AlgorithmError: ${layout.host} ${how} and wrote no failure file; see the job's log stream ${TRAINING_LOG_GROUP}/${job.TrainingJobName}/${layout.host}-*`;
}

/**
 * Starts every host of `job` laid out in `layouts`. Never throws: a host that cannot start ends the
 * others (SIGTERM, then SIGKILL after `graceMs`) and the outcome says why.
 */
export async function startHosts(
  job: TrainingJobDoc,
  layouts: readonly HostLayout[],
  deps: HostsDeps,
  options: { readonly graceMs: number; readonly onLine: (line: string) => void },
): Promise<RunningHosts> {
  const network =
    layouts.length > 1 && job._runner === "docker" ? `sagebrew-local-${job.name.toLowerCase()}` : undefined;
  if (network) await engineCommand(deps.containers, ["network", "create", network]);
  const hostsEnv = layouts.length > 1 && job._runner === "runtime" ? await loopbackHostsEnv(layouts) : {};
  const containers: RunningContainer[] = [];
  const pipes: Array<{ cancel(): void }> = [];
  const lastLines = new Map<string, string>();
  for (const l of layouts) {
    const name = hostContainerName(job, l.host);
    const c = startContainer(
      {
        runner: job._runner,
        image: job.AlgorithmSpecification.TrainingImage ?? "",
        mlRoot: l.root,
        program: "train",
        env: {
          ...hostsEnv,
          // A tuning job's trials share the cores (the job's Environment may still say otherwise).
          ...(job._threads ? { OMP_NUM_THREADS: String(job._threads) } : {}),
          ...(job.Environment ?? {}),
          TRAINING_JOB_NAME: job.TrainingJobName,
          TRAINING_JOB_ARN: job.TrainingJobArn,
        },
        name,
        ...(job.AlgorithmSpecification.ContainerEntrypoint
          ? { entrypoint: job.AlgorithmSpecification.ContainerEntrypoint }
          : {}),
        ...(job.AlgorithmSpecification.ContainerArguments
          ? { args: job.AlgorithmSpecification.ContainerArguments }
          : {}),
        ...(network ? { network: { name: network, hostname: l.host } } : {}),
        ...(l.checkpointMount ? { mounts: [l.checkpointMount] } : {}),
        onLine: (line) => {
          deps.log(l.host, line);
          // The engine's own error ends with a pointer to its help (`See 'docker run --help'.`,
          // `Run 'docker run --help' for more information`), not with the reason.
          if (line.trim() && !line.includes("--help")) lastLines.set(l.host, line.trim());
          options.onLine(line);
        },
      },
      deps.containers,
    );
    containers.push(c);
    if (c.pid > 0)
      void deps.registry
        .add({ pid: c.pid, mlRoot: l.root, runner: job._runner, name })
        .catch(() => undefined);
    for (const p of l.pipes) {
      const scratch = join(l.root, "..", `.pipe-${l.host}-${basename(p.fifo)}`);
      pipes.push(feedPipe(p.fifo, p.objects, deps.storage, scratch));
    }
  }
  let stopped = false;
  const terminate = (graceMs: number) => {
    stopped = true;
    for (const c of containers) c.terminate(graceMs);
  };
  // One host that ends badly (or never started) ends the others: a job does not wait on a ring
  // that cannot close.
  for (const c of containers) {
    void c.exited.then((r) => {
      if (!stopped && (r.startError !== undefined || r.code !== 0)) terminate(options.graceMs);
    });
  }
  const ended = (async (): Promise<HostsOutcome> => {
    const results = await Promise.all(containers.map((c) => c.exited));
    if (network) await engineCommand(deps.containers, ["network", "rm", network]);
    for (const p of pipes) p.cancel();
    for (const l of layouts) void deps.registry.remove(hostContainerName(job, l.host)).catch(() => undefined);
    // The first host to fail names the reason (a host killed because another failed is not it).
    const firstFailed = results.findIndex(
      (r) => r.startError !== undefined || (r.code !== 0 && r.signal === null),
    );
    const failedAt = firstFailed !== -1 ? firstFailed : results.findIndex((r) => r.code !== 0);
    if (failedAt === -1) return { kind: "completed" };
    const layout = layouts[failedAt]!;
    const reason = await failure(
      job,
      layout,
      results[failedAt]!,
      lastLines.get(layout.host),
      deps.containers.engineCommand,
    );
    return { kind: "failed", reason };
  })();
  return { terminate, ended };
}
