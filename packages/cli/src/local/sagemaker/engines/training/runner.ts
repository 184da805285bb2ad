/**
 * Runs training jobs as SageMaker does (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo.html): statuses and secondary statuses move
 * Starting → Downloading → Training → Uploading → Completed (or Failed / Stopping → Stopped /
 * MaxRuntimeExceeded); every host's output goes to the log stream `<job>/algo-<n>-<epoch>` of
 * `/aws/sagemaker/TrainingJobs`; `FailureReason` is the failure file's text; StopTrainingJob and
 * `MaxRuntimeInSeconds` send SIGTERM with the 120 s grace period; the hosts' model directories
 * become `<S3OutputPath>/<job>/output/model.tar.gz` (reproducible, files at the root).
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { FAILURE_REASON_MAX_CHARS, LIMITS, mlPaths } from "@sagebrew/runtime/core";
import { copyRegularFile, listFiles, NotRegularFile, packModelArchive } from "../../../model-archive.js";
import type { TrainingJobDoc } from "../../docs.js";
import type { LogStore } from "../../logs/index.js";
import type { TrainingEngine } from "../../resources/index.js";
import { closeTransition } from "../../resources/index.js";
import type { ResourceStore } from "../../state/index.js";
import { joinUri, type ObjectStorage } from "../../storage/index.js";
import type { ProcessRegistry } from "../containers/index.js";
import {
  type ContainerDeps,
  freePort,
  isBuiltinXGBoostImage,
  type RunningContainer,
  startContainer,
} from "../containers/index.js";
import { feedPipe, type HostLayout, layoutTrainingJob } from "./layout.js";
import { MetricCollector } from "./metrics.js";

/** The exit code of `docker run` (and `podman run`) when the engine could not run the container at all. */
const DOCKER_RUN_FAILED = 125;

export const TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs";

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

export interface TrainingRunnerOptions {
  readonly store: ResourceStore;
  readonly logs: LogStore;
  readonly storage: ObjectStorage;
  readonly containers: ContainerDeps;
  readonly registry: ProcessRegistry;
  /** Where job directories go (`<stateDir>/training-jobs`). */
  readonly workDir: string;
  readonly now: () => number;
  /** SIGTERM → SIGKILL grace on stop (SageMaker: 120 s). */
  readonly stopGraceMs?: number;
  /** Reports what the server itself should say (not a job's log). */
  readonly warn: (message: string) => void;
}

interface Active {
  readonly containers: RunningContainer[];
  terminate(reason: "StopTrainingJob" | "MaxRuntimeExceeded"): void;
}

type Outcome =
  | { kind: "completed" }
  | { kind: "failed"; reason: string }
  | { kind: "stopped"; reason: "StopTrainingJob" | "MaxRuntimeExceeded" };

/** Reads a host's failure file (its first 1024 characters), or undefined. */
async function failureText(root: string): Promise<string | undefined> {
  try {
    const text = (await readFile(mlPaths(root).failureFile, "utf8")).trim();
    return text ? text.slice(0, FAILURE_REASON_MAX_CHARS) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The regular files a job left in one of its directories, for upload. A symbolic link there is
 * never followed: it fails the upload with a sentence naming it as the job sees it (`shownAs`,
 * e.g. `/opt/ml/model`), since what it points to is this machine's file, not the job's.
 */
async function jobFiles(dir: string, shownAs: string): Promise<string[]> {
  try {
    return await listFiles(dir);
  } catch (e) {
    if (!(e instanceof NotRegularFile)) throw e;
    const where = e.rel === "." ? shownAs : `${shownAs}/${e.rel}`;
    throw new Error(
      `${where} is ${e.what}: sagebrew local uploads regular files only and never follows a link (SageMaker's endpoints cannot extract a model archive holding links); write the file itself there`,
    );
  }
}

/** Copies every host's files of `sub` (model/, output/data/) into `dest`; the first host to write a name keeps it. */
async function mergeHosts(
  layouts: readonly HostLayout[],
  sub: { readonly dir: (root: string) => string; readonly shownAs: string },
  dest: string,
  warn: (m: string) => void,
) {
  await rm(dest, { recursive: true, force: true });
  await mkdir(dest, { recursive: true });
  const taken = new Set<string>();
  for (const l of layouts) {
    const dir = sub.dir(l.root);
    const shownAs = layouts.length > 1 ? `${l.host}:${sub.shownAs}` : sub.shownAs;
    for (const f of await jobFiles(dir, shownAs)) {
      if (taken.has(f)) {
        warn(`${l.host} also wrote ${f}; the archive keeps the first host's file`);
        continue;
      }
      taken.add(f);
      await mkdir(join(dest, f, ".."), { recursive: true });
      await copyRegularFile(join(dir, f), join(dest, f));
    }
  }
  return taken.size;
}

export class TrainingRunner implements TrainingEngine {
  readonly #o: TrainingRunnerOptions;
  readonly #active = new Map<string, Active>();
  readonly #finished = new Map<string, Promise<void>>();

  constructor(options: TrainingRunnerOptions) {
    this.#o = options;
  }

  start(job: TrainingJobDoc): void {
    const run = this.#run(job.name).catch((e: Error) =>
      this.#o.warn(`training job ${job.name}: ${e.stack ?? e.message}`),
    );
    this.#finished.set(job.name.toLowerCase(), run);
  }

  stop(job: TrainingJobDoc): void {
    this.#active.get(job.name.toLowerCase())?.terminate("StopTrainingJob");
  }

  /** Resolves once the job's run (if any) has ended. */
  async settled(name: string): Promise<void> {
    await this.#finished.get(name.toLowerCase());
  }

  /** Jobs that were running when `sagebrew local` last stopped cannot resume: they fail, saying so. */
  async recover(): Promise<void> {
    for (const job of this.#o.store.list<TrainingJobDoc>("training-job")) {
      if (job.TrainingJobStatus !== "InProgress" && job.TrainingJobStatus !== "Stopping") continue;
      await this.#finish(job.name, {
        kind: "failed",
        reason:
          "InternalServerError: sagebrew local stopped while the job was running; create the job again under a new name",
      });
    }
  }

  /** Stops every running job (SIGTERM, then SIGKILL after `graceMs`) and waits for them. */
  async close(graceMs: number): Promise<void> {
    for (const a of this.#active.values()) for (const c of a.containers) c.terminate(graceMs);
    await Promise.allSettled([...this.#finished.values()]);
  }

  #job(name: string): TrainingJobDoc {
    const job = this.#o.store.get<TrainingJobDoc>("training-job", name);
    if (!job) throw new Error(`training job ${name} vanished from the store`);
    return job;
  }

  /** Moves the secondary status (and maybe the status), closing the open transition. */
  async #status(
    name: string,
    secondary: string,
    message: string,
    extra: Partial<TrainingJobDoc> = {},
  ): Promise<TrainingJobDoc> {
    const job = this.#job(name);
    const now = this.#o.now();
    const updated: TrainingJobDoc = {
      ...job,
      ...extra,
      SecondaryStatus: secondary,
      SecondaryStatusTransitions: closeTransition(job.SecondaryStatusTransitions, now, {
        Status: secondary,
        StartTime: now,
        StatusMessage: message,
      }),
      LastModifiedTime: now,
    };
    await this.#o.store.put("training-job", updated);
    return updated;
  }

  async #run(name: string): Promise<void> {
    const key = name.toLowerCase();
    const jobDir = join(this.#o.workDir, key);
    const epoch = Math.floor(this.#o.now());
    const job0 = this.#job(name);
    const streamOf = (host: string) => `${job0.TrainingJobName}/${host}-${epoch}`;
    const log = (host: string, line: string) => this.#o.logs.write(TRAINING_LOG_GROUP, streamOf(host), line);
    let layouts: HostLayout[];
    try {
      await this.#status(name, "Downloading", "Downloading input data");
      layouts = await layoutTrainingJob(job0, {
        jobDir,
        storage: this.#o.storage,
        runner: job0._runner,
        log: (line) => log("algo-1", line),
      });
    } catch (e) {
      await this.#finish(name, {
        kind: "failed",
        reason: `ClientError: Cannot download the input data: ${(e as Error).message}`,
      });
      return;
    }
    if (this.#job(name).TrainingJobStatus !== "InProgress") {
      await this.#finish(name, { kind: "stopped", reason: this.#job(name)._stop ?? "StopTrainingJob" });
      return;
    }
    const started = this.#o.now();
    await this.#status(name, "Training", "Training image download completed. Training in progress.", {
      TrainingStartTime: started,
    });
    const outcome = await this.#train(name, layouts, log);
    if (outcome.kind === "failed") {
      await this.#finish(name, outcome, started);
      return;
    }
    if (outcome.kind === "completed")
      await this.#status(name, "Uploading", "Uploading generated training model");
    try {
      // A stopped job keeps what it saved in its grace period; one that saved nothing uploads nothing.
      if (outcome.kind === "completed" || (await this.#wroteModel(layouts))) {
        await this.#upload(name, jobDir, layouts, (line) => log("algo-1", line));
      }
    } catch (e) {
      await this.#finish(
        name,
        { kind: "failed", reason: `ClientError: Cannot upload the training output: ${(e as Error).message}` },
        started,
      );
      return;
    }
    await this.#finish(name, outcome, started);
  }

  /** Runs every host's container and waits for all of them. */
  async #train(
    name: string,
    layouts: readonly HostLayout[],
    log: (host: string, line: string) => void,
  ): Promise<Outcome> {
    const job = this.#job(name);
    const metrics = new MetricCollector(job.AlgorithmSpecification.MetricDefinitions ?? [], {
      builtinXGBoost: isBuiltinXGBoostImage(job.AlgorithmSpecification.TrainingImage ?? ""),
    });
    const grace = this.#o.stopGraceMs ?? LIMITS.trainingStopGraceSeconds * 1000;
    const network =
      layouts.length > 1 && job._runner === "docker" ? `sagebrew-local-${job.name.toLowerCase()}` : undefined;
    if (network) await this.#engine(["network", "create", network]);
    const hostsEnv = layouts.length > 1 && job._runner === "runtime" ? await loopbackHostsEnv(layouts) : {};
    const containers: RunningContainer[] = [];
    const pipes: Array<{ cancel(): void }> = [];
    const lastLines = new Map<string, string>();
    for (const l of layouts) {
      const containerName = `sagebrew-local-${job.name.toLowerCase()}-${l.host}`;
      const c = startContainer(
        {
          runner: job._runner,
          image: job.AlgorithmSpecification.TrainingImage ?? "",
          mlRoot: l.root,
          program: "train",
          env: {
            ...hostsEnv,
            ...(job.Environment ?? {}),
            TRAINING_JOB_NAME: job.TrainingJobName,
            TRAINING_JOB_ARN: job.TrainingJobArn,
          },
          name: containerName,
          ...(job.AlgorithmSpecification.ContainerEntrypoint
            ? { entrypoint: job.AlgorithmSpecification.ContainerEntrypoint }
            : {}),
          ...(job.AlgorithmSpecification.ContainerArguments
            ? { args: job.AlgorithmSpecification.ContainerArguments }
            : {}),
          ...(network ? { network: { name: network, hostname: l.host } } : {}),
          ...(l.checkpointMount ? { mounts: [l.checkpointMount] } : {}),
          onLine: (line) => {
            log(l.host, line);
            // The engine's own error ends with a pointer to its help (`See 'docker run --help'.`,
            // `Run 'docker run --help' for more information`), not with the reason.
            if (line.trim() && !line.includes("--help")) lastLines.set(l.host, line.trim());
            metrics.feed(line, this.#o.now());
          },
        },
        this.#o.containers,
      );
      containers.push(c);
      void this.#o.registry.add({ pid: c.pid, mlRoot: l.root, runner: job._runner, name: containerName });
      for (const p of l.pipes) {
        const scratch = join(l.root, "..", `.pipe-${l.host}-${basename(p.fifo)}`);
        pipes.push(feedPipe(p.fifo, p.objects, this.#o.storage, scratch));
      }
    }
    let stopReason: "StopTrainingJob" | "MaxRuntimeExceeded" | undefined;
    const terminate = (reason: "StopTrainingJob" | "MaxRuntimeExceeded") => {
      if (stopReason) return;
      stopReason = reason;
      for (const c of containers) c.terminate(grace);
    };
    this.#active.set(name.toLowerCase(), { containers, terminate });
    const maxRuntime = (job.StoppingCondition.MaxRuntimeInSeconds ?? 86_400) * 1000;
    const timer = setTimeout(() => {
      void this.#onMaxRuntime(name).then(() => terminate("MaxRuntimeExceeded"));
    }, maxRuntime);
    // A stop asked for between the layout and now.
    if (this.#job(name).TrainingJobStatus === "Stopping") terminate("StopTrainingJob");
    const results = await Promise.all(containers.map((c) => c.exited));
    clearTimeout(timer);
    if (network) await this.#engine(["network", "rm", network]);
    for (const p of pipes) p.cancel();
    this.#active.delete(name.toLowerCase());
    for (const l of layouts)
      void this.#o.registry.remove(`sagebrew-local-${job.name.toLowerCase()}-${l.host}`);
    const final = metrics.final();
    if (final.length)
      await this.#o.store.put("training-job", { ...this.#job(name), FinalMetricDataList: final });
    if (stopReason) return { kind: "stopped", reason: stopReason };
    const failedAt = results.findIndex((r) => r.code !== 0);
    if (failedAt === -1) return { kind: "completed" };
    const r = results[failedAt]!;
    const text = await failureText(layouts[failedAt]!.root);
    const host = layouts[failedAt]!.host;
    if (!text && job._runner === "docker" && r.code === DOCKER_RUN_FAILED) {
      // `docker run` itself failed (no such image, a pull refused, a bad mount): its last line says why.
      return {
        kind: "failed",
        reason:
          `ClientError: Cannot start image ${job.AlgorithmSpecification.TrainingImage ?? ""} on ${host}: ${lastLines.get(host) ?? `${this.#o.containers.engineCommand} run exited with code ${r.code}`}`.slice(
            0,
            1024,
          ),
      };
    }
    const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
    return {
      kind: "failed",
      reason:
        text ??
        `AlgorithmError: ${layouts[failedAt]!.host} ${how} and wrote no failure file; see the job's log stream ${TRAINING_LOG_GROUP}/${job.TrainingJobName}/${layouts[failedAt]!.host}-*`,
    };
  }

  /** Runs one container-engine command to its end (networks of multi-host Docker jobs). */
  #engine(args: readonly string[]): Promise<void> {
    return new Promise((done) => {
      const c = spawn(this.#o.containers.engineCommand, args, {
        stdio: "ignore",
        env: this.#o.containers.baseEnv,
      });
      c.once("error", () => done());
      c.once("close", () => done());
    });
  }

  async #onMaxRuntime(name: string): Promise<void> {
    const job = this.#job(name);
    if (job.TrainingJobStatus !== "InProgress") return;
    await this.#status(name, "Stopping", "Stopping the training job: it reached MaxRuntimeInSeconds", {
      TrainingJobStatus: "Stopping",
      _stop: "MaxRuntimeExceeded",
    });
  }

  async #wroteModel(layouts: readonly HostLayout[]): Promise<boolean> {
    for (const l of layouts) {
      // Anything there but regular files is for the upload to refuse, saying so.
      const files = await listFiles(mlPaths(l.root).modelDir).catch(() => ["?"]);
      if (files.length) return true;
    }
    return false;
  }

  /** Packs and uploads the model (and output data, checkpoints) of every host. */
  async #upload(
    name: string,
    jobDir: string,
    layouts: readonly HostLayout[],
    log: (line: string) => void,
  ): Promise<void> {
    const job = this.#job(name);
    const warn = (m: string) => log(`sagebrew local: ${m}`);
    const out = job.OutputDataConfig;
    const base = joinUri(out.S3OutputPath, job.TrainingJobName, "output");
    const merged = join(jobDir, "merged-model");
    const files = await mergeHosts(
      layouts,
      { dir: (r) => mlPaths(r).modelDir, shownAs: "/opt/ml/model" },
      merged,
      warn,
    );
    if (out.CompressionType === "NONE") {
      for (const f of await listFiles(merged))
        await this.#o.storage.upload(join(merged, f), joinUri(base, "model", f));
    } else {
      const archive = join(jobDir, "model.tar.gz");
      await packModelArchive(merged, archive);
      await this.#o.storage.upload(archive, joinUri(base, "model.tar.gz"));
    }
    log(`sagebrew local: uploaded ${files} model file(s) to ${job.ModelArtifacts.S3ModelArtifacts}`);
    const mergedData = join(jobDir, "merged-output-data");
    const outputData = { dir: (r: string) => mlPaths(r).outputDataDir, shownAs: "/opt/ml/output/data" };
    if ((await mergeHosts(layouts, outputData, mergedData, warn)) > 0) {
      const archive = join(jobDir, "output.tar.gz");
      await packModelArchive(mergedData, archive);
      await this.#o.storage.upload(archive, joinUri(base, "output.tar.gz"));
    }
    if (job.CheckpointConfig) {
      for (const l of layouts) {
        const shownAs = job.CheckpointConfig.LocalPath || "/opt/ml/checkpoints";
        for (const f of await jobFiles(
          l.checkpointDir,
          layouts.length > 1 ? `${l.host}:${shownAs}` : shownAs,
        )) {
          if (f.endsWith(".sagemaker-uploading") || f.endsWith(".sagemaker-ignore")) continue;
          await this.#o.storage.upload(join(l.checkpointDir, f), joinUri(job.CheckpointConfig.S3Uri, f));
        }
      }
    }
  }

  async #finish(name: string, outcome: Outcome, trainingStarted?: number): Promise<void> {
    await this.#o.logs.flush();
    const now = this.#o.now();
    const timing =
      trainingStarted !== undefined
        ? {
            TrainingEndTime: now,
            TrainingTimeInSeconds: Math.max(1, Math.round(now - trainingStarted)),
            BillableTimeInSeconds: Math.max(1, Math.round(now - trainingStarted)),
          }
        : { TrainingEndTime: now };
    if (outcome.kind === "completed") {
      await this.#status(name, "Completed", "Training job completed", {
        ...timing,
        TrainingJobStatus: "Completed",
      });
    } else if (outcome.kind === "failed") {
      await this.#status(name, "Failed", "Training job failed", {
        ...timing,
        TrainingJobStatus: "Failed",
        FailureReason: outcome.reason,
      });
    } else if (outcome.reason === "MaxRuntimeExceeded") {
      await this.#status(name, "MaxRuntimeExceeded", "Training job exceeded MaxRuntimeInSeconds provided", {
        ...timing,
        TrainingJobStatus: "Stopped",
      });
    } else {
      await this.#status(name, "Stopped", "Training job stopped", {
        ...timing,
        TrainingJobStatus: "Stopped",
      });
    }
  }
}
