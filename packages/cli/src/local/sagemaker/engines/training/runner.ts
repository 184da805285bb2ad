/**
 * Runs training jobs as SageMaker does (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo.html):
 * the input data laid out per host, every host's container run, the output uploaded, and each step
 * reported to the training job's state machine (resources/training-job), which alone writes the
 * status. Every job ends: a layout, a container or an upload that fails, a host that cannot start
 * or dies, and anything unforeseen report `failed` with the reason; StopTrainingJob and
 * `MaxRuntimeInSeconds` (any length up to SageMaker's 28 days) send SIGTERM and SIGKILL after
 * SageMaker's 120 s grace. Every host's output goes to the log stream `<job>/algo-<n>-<epoch>` of
 * `/aws/sagemaker/TrainingJobs`; `FailureReason` is the failure file's text.
 */
import { join } from "node:path";
import { LIMITS } from "@sagebrew/runtime/core";
import type { TrainingJobDoc } from "../../docs.js";
import type { LogStore } from "../../logs/index.js";
import type {
  TrainingEngine,
  TrainingJobEvent,
  TrainingJobLedger,
  TrainingWatch,
} from "../../resources/index.js";
import type { ObjectStorage } from "../../storage/index.js";
import {
  afterDelay,
  type ContainerDeps,
  isBuiltinXGBoostImage,
  type ProcessRegistry,
} from "../containers/index.js";
import { type RunningHosts, startHosts, TRAINING_LOG_GROUP } from "./_hosts.js";
import { uploadOutput, wroteModel } from "./_output.js";
import { type HostLayout, layoutTrainingJob } from "./layout.js";
import { MetricCollector } from "./metrics.js";

export { TRAINING_LOG_GROUP } from "./_hosts.js";

/** The default `MaxRuntimeInSeconds` (one day). */
const DEFAULT_MAX_RUNTIME_S = 86_400;

export interface TrainingRunnerOptions {
  /** The training jobs: their documents, and their state machine to report to. */
  readonly jobs: TrainingJobLedger;
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

export class TrainingRunner implements TrainingEngine {
  readonly #o: TrainingRunnerOptions;
  readonly #active = new Map<string, RunningHosts>();
  readonly #finished = new Map<string, Promise<void>>();
  #closing = false;

  constructor(options: TrainingRunnerOptions) {
    this.#o = options;
  }

  start(job: TrainingJobDoc, watch?: TrainingWatch): void {
    const key = job.name.toLowerCase();
    const run = this.#run(job.name, watch)
      .catch(async (e: Error) => {
        // Whatever went wrong, the job ends, saying so.
        this.#o.warn(`training job ${job.name}: ${e.stack ?? e.message}`);
        await this.#report(job.name, { type: "failed", reason: `InternalServerError: ${e.message}` }).catch(
          () => undefined,
        );
      })
      .finally(() => watch?.ended());
    this.#finished.set(key, run);
  }

  stop(job: TrainingJobDoc): void {
    this.#active.get(job.name.toLowerCase())?.terminate(this.#grace);
  }

  /** Resolves once the job's run (if any) has ended. */
  async settled(name: string): Promise<void> {
    await this.#finished.get(name.toLowerCase());
  }

  /** Jobs that were running when `sagebrew local` last stopped cannot resume: they end, saying so. */
  async recover(): Promise<void> {
    for (const job of this.#o.jobs.list()) {
      if (job.TrainingJobStatus !== "InProgress" && job.TrainingJobStatus !== "Stopping") continue;
      await this.#o.jobs.apply(job.name, { type: "interrupted" });
    }
  }

  /** Stops every running job (SIGTERM, then SIGKILL after `graceMs`) and waits for them. */
  async close(graceMs: number): Promise<void> {
    this.#closing = true;
    for (const hosts of this.#active.values()) hosts.terminate(graceMs);
    await Promise.allSettled([...this.#finished.values()]);
  }

  get #grace(): number {
    return this.#o.stopGraceMs ?? LIMITS.trainingStopGraceSeconds * 1000;
  }

  #report(name: string, event: TrainingJobEvent) {
    return this.#o.jobs.report(name, event);
  }

  /** True when the job was asked to stop (or is gone); the caller then ends it as stopped. */
  #stopping(name: string): boolean {
    const job = this.#o.jobs.get(name);
    return job?.TrainingJobStatus !== "InProgress";
  }

  async #run(name: string, watch: TrainingWatch | undefined): Promise<void> {
    const job = this.#o.jobs.get(name);
    if (!job) return;
    const jobDir = join(this.#o.workDir, job.name.toLowerCase());
    const epoch = Math.floor(this.#o.now());
    const log = (host: string, line: string) =>
      this.#o.logs.write(TRAINING_LOG_GROUP, `${job.TrainingJobName}/${host}-${epoch}`, line);
    if (!("doc" in (await this.#report(name, { type: "download-started" })))) {
      await this.#report(name, { type: "stopped" });
      return;
    }
    let layouts: HostLayout[];
    try {
      layouts = await layoutTrainingJob(job, {
        jobDir,
        storage: this.#o.storage,
        runner: job._runner,
        log: (line) => log("algo-1", line),
      });
    } catch (e) {
      await this.#report(name, {
        type: "failed",
        reason: `ClientError: Cannot download the input data: ${(e as Error).message}`,
      });
      return;
    }
    if (
      this.#closing ||
      this.#stopping(name) ||
      !("doc" in (await this.#report(name, { type: "training-started" })))
    ) {
      await this.#report(name, { type: "stopped" });
      return;
    }
    const outcome = await this.#train(job, layouts, log, watch);
    if (outcome.kind === "failed") {
      await this.#report(name, { type: "failed", reason: outcome.reason });
      return;
    }
    const stopped = outcome.kind === "stopped";
    if (!stopped) await this.#report(name, { type: "upload-started" });
    try {
      // A stopped job keeps what it saved in its grace period; one that saved nothing uploads nothing.
      if (!stopped || (await wroteModel(layouts))) {
        await uploadOutput(job, {
          jobDir,
          layouts,
          storage: this.#o.storage,
          log: (line) => log("algo-1", line),
        });
      }
    } catch (e) {
      await this.#report(name, {
        type: "failed",
        reason: `ClientError: Cannot upload the training output: ${(e as Error).message}`,
      });
      return;
    }
    await this.#o.logs.flush();
    await this.#report(name, { type: stopped ? "stopped" : "completed" });
  }

  /** Runs every host's container until all have ended, stopped early by a stop or `MaxRuntimeInSeconds`. */
  async #train(
    job: TrainingJobDoc,
    layouts: readonly HostLayout[],
    log: (host: string, line: string) => void,
    watch: TrainingWatch | undefined,
  ): Promise<{ kind: "completed" | "stopped" } | { kind: "failed"; reason: string }> {
    const name = job.name;
    const metrics = new MetricCollector(job.AlgorithmSpecification.MetricDefinitions ?? [], {
      builtinXGBoost: isBuiltinXGBoostImage(job.AlgorithmSpecification.TrainingImage ?? ""),
    });
    const hosts = await startHosts(
      job,
      layouts,
      {
        containers: this.#o.containers,
        registry: this.#o.registry,
        storage: this.#o.storage,
        log,
      },
      {
        graceMs: this.#grace,
        onLine: (line) => {
          metrics.feed(line, this.#o.now());
          watch?.line(line);
        },
      },
    );
    this.#active.set(name.toLowerCase(), hosts);
    const maxRuntimeS = job.StoppingCondition.MaxRuntimeInSeconds ?? DEFAULT_MAX_RUNTIME_S;
    const cancelTimer = afterDelay(maxRuntimeS * 1000, () => {
      void this.#o.jobs
        .apply(name, { type: "stop-requested", by: "MaxRuntimeExceeded" })
        .catch(() => undefined)
        .finally(() => hosts.terminate(this.#grace));
    });
    // A stop asked for between the layout and now.
    if (this.#stopping(name) || this.#closing) hosts.terminate(this.#grace);
    const ended = await hosts.ended;
    cancelTimer();
    this.#active.delete(name.toLowerCase());
    const final = metrics.final();
    if (final.length) await this.#report(name, { type: "metrics", final });
    if (this.#stopping(name)) return { kind: "stopped" };
    if (this.#closing)
      return {
        kind: "failed",
        reason: "InternalServerError: sagebrew local stopped while the job was running",
      };
    return ended;
  }
}
