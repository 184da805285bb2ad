/**
 * Runs hyperparameter tuning jobs: each job's tuning core (`TuningMachine`) lives here while the
 * job runs, proposes trials within MaxParallelTrainingJobs and MaxNumberOfTrainingJobs, and each
 * trial runs as an ordinary training job of this `sagebrew local` (the training engine). Every
 * line a trial prints is read for the objective as it is printed, so that early stopping and
 * Hyperband decide at the epoch they see (the stop is queued before the job's end can be written,
 * so a trial told to stop ends Stopped even when its last round was already done); each trial's
 * end is fed back; the clock is read every second for MaxRuntimeInSeconds.
 *
 * What the job is — its status, every trial, the objective curves — is reported to the tuning
 * job's state machine (resources/tuning-job) as the core's state: before a trial's training job
 * is created, when a trial ends, when the job stops or ends, and at most every two seconds while
 * only objective values arrive. After a restart, `recover` resumes each job from that state: the
 * trials that were running have ended as every interrupted training job does (Failed, with an
 * InternalServerError), each is recorded so, and the job goes on: it runs their points again as new
 * trials — a trial that failed for an internal reason is retryable, as on SageMaker, and does not
 * spend MaxNumberOfTrainingJobs — and proposes the rest (a Stopping job ends Stopped).
 */

import { metricReader, type TrialState, TuningMachine } from "../../../../tuning/index.js";
import type { TrainingJobDoc, TuningJobDoc } from "../../docs.js";
import type {
  TrainingEngine,
  TrainingJobLedger,
  TuningEngine,
  TuningJobLedger,
} from "../../resources/index.js";

export interface TuningRunnerOptions {
  /** The tuning jobs: their documents, and their state machine to report to. */
  readonly jobs: TuningJobLedger;
  /** The training jobs: trials are stopped through their state machine. */
  readonly trainingJobs: TrainingJobLedger;
  readonly training: TrainingEngine;
  /** Stores a new training job; false when the name is taken. */
  readonly createTrainingJob: (doc: TrainingJobDoc) => Promise<boolean>;
  /** The training job document of a trial (resources/tuning-job's `trialJob`). */
  readonly trialJob: (
    job: TuningJobDoc,
    name: string,
    hyperParameters: Readonly<Record<string, string>>,
    now: number,
  ) => TrainingJobDoc;
  /** Seconds since the epoch. */
  readonly now: () => number;
  readonly warn: (message: string) => void;
  /** How often the clock is read (MaxRuntimeInSeconds). Default 1 s. */
  readonly tickMs?: number;
  /** The least time between writes of the state when only objective values changed. Default 2 s. */
  readonly saveEveryMs?: number;
}

/** A tuning job that runs. */
interface Live {
  readonly name: string;
  readonly machine: TuningMachine;
  readonly read: (line: string) => number | undefined;
  /** Trials whose training job was started and has not ended. */
  readonly running: Set<string>;
  /** Trials asked to stop. */
  readonly stopping: Set<string>;
  /** Pumps and saves, one after the other. */
  queue: Promise<void>;
  pending: boolean;
  saved: string;
  savedShape: string;
  savedAt: number;
}

/** What must be written at once when it changes: statuses, trials, the job's end (not the curves). */
function shapeOf(m: TuningMachine): string {
  const s = m.state;
  return JSON.stringify([
    s.status,
    s.ending?.status,
    s.trials.map((t) => [t.status, t.stopCause ?? ""]),
    s.convergedAt,
  ]);
}

const UNSTARTED = "InternalServerError: sagebrew local stopped before the training job started";

const ENDED = new Set(["Completed", "Failed", "Stopped"]);

/**
 * A training job that failed for the platform's reason, not the algorithm's: SageMaker's
 * `InternalServerError:` (sagebrew local stopped while it ran, or could not start or run it).
 */
function internalFailure(reason: string | undefined): boolean {
  return reason?.startsWith("InternalServerError:") === true;
}

export class TuningRunner implements TuningEngine {
  readonly #o: TuningRunnerOptions;
  readonly #live = new Map<string, Live>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closing = false;

  constructor(options: TuningRunnerOptions) {
    this.#o = options;
  }

  start(job: TuningJobDoc): void {
    this.#schedule(this.#adopt(job));
  }

  async stop(job: TuningJobDoc): Promise<void> {
    // The job as it is now: one that ended since the request read it has nothing to stop.
    const current = this.#o.jobs.get(job.name);
    if (!current || current.HyperParameterTuningJobStatus !== "InProgress") return;
    const live = this.#live.get(job.name.toLowerCase()) ?? this.#adopt(current);
    live.machine.stop(this.#nowMs());
    this.#stopTrials(live);
    // Stopping is written before the request is answered.
    await this.#serial(live, () => this.#save(live, true));
    this.#schedule(live);
  }

  /**
   * Resumes the tuning jobs `sagebrew local` was running when it stopped (after the training
   * engine has ended their interrupted training jobs), and removes those left Deleting.
   */
  async recover(): Promise<void> {
    for (const doc of this.#o.jobs.list()) {
      const status = doc.HyperParameterTuningJobStatus;
      if (status === "Deleting") {
        await this.#o.jobs.apply(doc.name, { type: "deleted" });
        continue;
      }
      if (status !== "InProgress" && status !== "Stopping") continue;
      let live: Live;
      try {
        live = this.#adopt(doc);
      } catch (e) {
        // A state this version cannot resume: the job is left as it is, saying why.
        this.#o.warn(`cannot resume tuning job ${doc.name}: ${(e as Error).message}`);
        continue;
      }
      for (const t of live.machine.running()) {
        if (!this.#o.trainingJobs.get(t.name)) await this.#recordUnstarted(live, doc, t);
        this.#reconcile(live, t);
      }
      // Written before the server answers anyone: a Describe sees the trials as they ended.
      await this.#serial(live, () => this.#save(live, true));
      this.#schedule(live);
    }
  }

  /** Stops proposing and following trials (the training engine stops them) and writes each job's state. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.allSettled(
      [...this.#live.values()].map((live) => this.#serial(live, () => this.#save(live, true))),
    );
  }

  #nowMs(): number {
    return this.#o.now() * 1000;
  }

  #adopt(doc: TuningJobDoc): Live {
    const key = doc.name.toLowerCase();
    const existing = this.#live.get(key);
    if (existing) return existing;
    const machine = new TuningMachine(structuredClone(doc._state));
    const saved = JSON.stringify(machine.state);
    const live: Live = {
      name: doc.name,
      machine,
      read: metricReader(machine.spec.objectiveDefinition),
      running: new Set(),
      stopping: new Set(),
      queue: Promise.resolve(),
      pending: false,
      saved,
      savedShape: shapeOf(machine),
      savedAt: Date.now(),
    };
    this.#live.set(key, live);
    this.#timer ??= setInterval(() => {
      for (const l of this.#live.values()) this.#schedule(l);
    }, this.#o.tickMs ?? 1000);
    this.#timer.unref?.();
    return live;
  }

  /**
   * A trial the state names whose training job was never created: the state is written before the
   * job, and a kill -9 can fall between the two. The job is created now, Failed for the internal
   * reason, so that every trial ListTrainingJobsForHyperParameterTuningJob names is a training job
   * DescribeTrainingJob finds, as on SageMaker. When it cannot be created, `#reconcile` still
   * ends the trial.
   */
  async #recordUnstarted(live: Live, doc: TuningJobDoc, t: TrialState): Promise<void> {
    try {
      const job = this.#o.trialJob(doc, t.name, live.machine.hyperParametersOf(t), this.#o.now());
      if (!(await this.#o.createTrainingJob(job))) return;
      await this.#o.trainingJobs.report(t.name, { type: "failed", reason: UNSTARTED });
    } catch (e) {
      this.#o.warn(`tuning job ${live.name}: cannot record training job ${t.name}: ${(e as Error).message}`);
    }
  }

  /** A trial the state says runs, found after a restart: its training job has ended (or never was). */
  #reconcile(live: Live, t: TrialState): void {
    const job = this.#o.trainingJobs.get(t.name);
    const now = this.#nowMs();
    if (!job || !ENDED.has(job.TrainingJobStatus)) {
      live.machine.end(t.name, {
        status: "Failed",
        failureReason: job?.FailureReason ?? UNSTARTED,
        retryable: true,
        now,
      });
      return;
    }
    // The objective the job published last, in case the state was written before its last epochs.
    const final = job.FinalMetricDataList?.find(
      (m) => m.MetricName === live.machine.spec.objective.metricName,
    );
    if (final && job.TrainingJobStatus !== "Failed" && t.curve.at(-1) !== final.Value)
      t.curve.push(final.Value);
    live.machine.end(t.name, {
      status: job.TrainingJobStatus as "Completed" | "Failed" | "Stopped",
      ...(job.FailureReason ? { failureReason: job.FailureReason } : {}),
      retryable: job.TrainingJobStatus === "Failed" && internalFailure(job.FailureReason),
      now,
    });
  }

  #serial(live: Live, work: () => Promise<void>): Promise<void> {
    const run = live.queue.then(work);
    live.queue = run.catch((e: Error) => this.#o.warn(`tuning job ${live.name}: ${e.stack ?? e.message}`));
    return run;
  }

  /** Queues one pump of the job (one is enough when one is already waiting). */
  #schedule(live: Live): void {
    if (live.pending) return;
    live.pending = true;
    void this.#serial(live, async () => {
      live.pending = false;
      await this.#pump(live);
    }).catch(() => undefined);
  }

  /** Reads the clock, stops what must stop, starts what may start, writes what changed. */
  async #pump(live: Live): Promise<void> {
    if (this.#closing || this.#live.get(live.name.toLowerCase()) !== live) return;
    const m = live.machine;
    const now = this.#nowMs();
    m.tick(now);
    this.#stopTrials(live);
    const proposed: TrialState[] = [];
    for (let t = m.propose(now); t; t = m.propose(now)) proposed.push(t);
    // The trials are in the tuning job's state before their training jobs exist.
    await this.#save(live, false);
    for (const t of proposed) await this.#launch(live, t);
    this.#stopTrials(live);
    if (proposed.length) await this.#save(live, false);
    if (m.finished && live.running.size === 0) {
      await this.#save(live, true);
      this.#forget(live);
    }
  }

  #forget(live: Live): void {
    if (this.#live.get(live.name.toLowerCase()) === live) this.#live.delete(live.name.toLowerCase());
    if (this.#live.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Writes the core's state when its shape changed, or when `force`, or its curves after a while. */
  async #save(live: Live, force: boolean): Promise<void> {
    const shape = shapeOf(live.machine);
    const text = JSON.stringify(live.machine.state);
    if (text === live.saved) return;
    const due = Date.now() - live.savedAt >= (this.#o.saveEveryMs ?? 2000);
    if (!force && shape === live.savedShape && !due) return;
    const applied = await this.#o.jobs.report(live.name, {
      type: "progress",
      state: JSON.parse(text) as TuningJobDoc["_state"],
    });
    if ("refused" in applied && !this.#closing) {
      this.#o.warn(`tuning job ${live.name}: ${applied.refused}`);
      // The document has moved on (ended, or gone): nothing here follows it any more.
      const doc = this.#o.jobs.get(live.name);
      if (!doc || !["InProgress", "Stopping"].includes(doc.HyperParameterTuningJobStatus)) this.#forget(live);
    }
    live.saved = text;
    live.savedShape = shape;
    live.savedAt = Date.now();
  }

  /** Creates and starts a proposed trial's training job; a trial that cannot be created fails. */
  async #launch(live: Live, t: TrialState): Promise<void> {
    const m = live.machine;
    const doc = this.#o.jobs.get(live.name);
    let why = `a training job named ${t.name} exists`;
    let created = false;
    let job: TrainingJobDoc | undefined;
    if (doc) {
      try {
        job = this.#o.trialJob(doc, t.name, m.hyperParametersOf(t), this.#o.now());
        created = await this.#o.createTrainingJob(job);
      } catch (e) {
        why = (e as Error).message;
      }
    } else why = "the tuning job is gone";
    if (!created || !job) {
      m.end(t.name, {
        status: "Failed",
        failureReason: `InternalServerError: Cannot create training job ${t.name}: ${why}`,
        // Run again under the next name (a training job of the user's may hold this one); a tuning
        // job that is gone runs nothing more.
        retryable: doc !== undefined,
        now: this.#nowMs(),
      });
      return;
    }
    live.running.add(t.name);
    this.#o.training.start(job, {
      line: (line) => this.#line(live, t.name, line),
      ended: () => this.#ended(live, t.name),
    });
  }

  /** One line of a trial, as it is printed: the objective, when the line carries it. */
  #line(live: Live, name: string, line: string): void {
    const value = live.read(line);
    if (value === undefined) return;
    if (live.machine.observe(name, value) === "stop") this.#stopTrial(live, name);
    if (Date.now() - live.savedAt >= (this.#o.saveEveryMs ?? 2000)) this.#schedule(live);
  }

  #ended(live: Live, name: string): void {
    live.running.delete(name);
    live.stopping.delete(name);
    // Closing: the trial was cut short by the server's stop; a restart records how it ended.
    if (this.#closing) return;
    const t = live.machine.trial(name);
    if (t?.status === "InProgress") this.#reconcile(live, t);
    this.#schedule(live);
  }

  #stopTrials(live: Live): void {
    for (const t of live.machine.toStop()) this.#stopTrial(live, t.name);
  }

  /**
   * Stops a trial's training job as StopTrainingJob does. The stop is queued on the job's document
   * at once (before the end the training engine will report), so the job ends Stopped.
   */
  #stopTrial(live: Live, name: string): void {
    if (!live.running.has(name) || live.stopping.has(name)) return;
    live.stopping.add(name);
    void this.#o.trainingJobs
      .report(name, { type: "stop-requested", by: "StopTrainingJob" })
      .then((applied) => {
        if ("doc" in applied) this.#o.training.stop(applied.doc);
      })
      .catch((e: Error) => this.#o.warn(`tuning job ${live.name}: cannot stop ${name}: ${e.message}`));
  }
}
