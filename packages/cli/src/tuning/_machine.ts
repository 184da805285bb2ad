/**
 * A tuning job as a state machine over plain data: it proposes trials within the job's limits,
 * reads each trial's objective per epoch (deciding early stopping and Hyperband's rungs), records
 * how each trial ended, applies the completion criteria, and says what SageMaker's
 * DescribeHyperParameterTuningJob says (status counters, best training job). It runs nothing and
 * keeps no clock: a driver — `sagebrew tune` on this machine, or a tuning-job resource of
 * `sagebrew local` — starts and stops the training jobs, feeds their metric lines and end states
 * and the time, and saves `state` (JSON) to resume after a restart. Pure.
 */
import { SagebrewError } from "@sagebrew/runtime/core";
import { isBetter, oriented } from "./_objective.js";
import { type Observed, proposeTrial } from "./_propose.js";
import { rngStream } from "./_rng.js";
import { SearchSpace } from "./_space.js";
import type { TuningSpec } from "./_spec.js";
import { bracketOf, hyperbandBrackets, hyperbandStops, medianRuleStops } from "./_stopping.js";

export type TrialStatus = "InProgress" | "Completed" | "Failed" | "Stopped";
export type TuningStatus = "InProgress" | "Stopping" | "Completed" | "Stopped" | "Failed";
/** Why the tuning job stopped a trial. */
export type StopCause = "EarlyStopping" | "Hyperband" | "TuningJob";

export interface TrialState {
  /** 1-based, in the order trials were proposed. */
  readonly index: number;
  /** The training job's name: `<tuning job>-<index>-<8 hex>`, as SageMaker names them. */
  readonly name: string;
  /** The tuned hyperparameters (`TunedHyperParameters`). */
  readonly hyperParameters: Readonly<Record<string, string>>;
  status: TrialStatus;
  /** The objective at each epoch, as read from the log. */
  curve: number[];
  /** The last objective value read (`FinalHyperParameterTuningJobObjectiveMetric`). */
  final?: number;
  stopCause?: StopCause;
  failureReason?: string;
  /**
   * Failed for the platform's reason, not the algorithm's (an InternalServerError: a restart of
   * `sagebrew local` cut it short): the job runs its point again, as a new trial, without spending
   * MaxNumberOfTrainingJobs on it (`TrainingJobStatusCounters.RetryableError`).
   */
  retryable?: boolean;
  /** The trial whose point this one runs again (a retryable failure's). */
  readonly retryOf?: string;
  /** How many times the point has been run again before this trial; absent for its first run. */
  readonly retries?: number;
  /** Hyperband: the bracket the trial was drawn into (0: the first rung at MinResource). */
  readonly bracket?: number;
  readonly createdAt: number;
  endedAt?: number;
}

/** A training job of a warm-start parent tuning job. */
export interface ParentTrial {
  readonly tuningJob: string;
  readonly trainingJob: string;
  /** Its hyperparameters, tuned and static. */
  readonly hyperParameters: Readonly<Record<string, string>>;
  readonly final: number;
}

export interface TuningState {
  readonly version: 1;
  readonly spec: TuningSpec;
  /** RandomSeed, or the one chosen at creation. */
  readonly seed: number;
  status: TuningStatus;
  trials: TrialState[];
  readonly parents: readonly ParentTrial[];
  /** Set when the job decided to end: what it ends as, and why. */
  ending?: { readonly status: "Completed" | "Stopped" | "Failed"; readonly reason: string };
  failureReason?: string;
  /** Finished trials in a row that did not improve the best by 1 % or more. */
  notImproving: number;
  /** Bayesian proposals in a row whose expected improvement was under 1 % of the best. */
  converging: number;
  convergedAt?: number;
  readonly createdAt: number;
  endedAt?: number;
}

/** The summary of a training job as DescribeHyperParameterTuningJob and its list show it. */
export interface TrialSummary {
  readonly name: string;
  readonly tuningJob: string;
  readonly status: TrialStatus;
  readonly hyperParameters: Readonly<Record<string, string>>;
  readonly objectiveStatus: "Succeeded" | "Pending" | "Failed";
  readonly final?: number;
  readonly failureReason?: string;
  readonly createdAt: number;
  readonly endedAt?: number;
}

export interface TuningSummary {
  readonly status: TuningStatus;
  readonly trainingJobStatusCounters: {
    Completed: number;
    InProgress: number;
    RetryableError: number;
    NonRetryableError: number;
    Stopped: number;
  };
  readonly objectiveStatusCounters: { Succeeded: number; Pending: number; Failed: number };
  readonly best?: TrialSummary;
  /** Warm start (IdenticalDataAndAlgorithm): the best of this job and its parents. */
  readonly overallBest?: TrialSummary;
  readonly notImproving: number;
  readonly convergedAt?: number;
  readonly endReason?: string;
  readonly failureReason?: string;
}

/** The improvement (relative to the best) under which a trial "does not improve" (botocore). */
const IMPROVEMENT = 0.01;
/** Bayesian proposals in a row below it before the job counts as converged. */
const CONVERGED_AFTER = 3;
/** When the first this many trials all fail, the tuning job fails (sagebrew's rule; see docs/tuning.md). */
export const FAIL_FAST_TRIALS = 3;
/**
 * How many times a point whose trial failed for an internal reason is run again when the training
 * job definition has no RetryStrategy (sagebrew's choice: SageMaker does not publish its own).
 */
export const DEFAULT_INTERNAL_RETRIES = 3;

const ENDED = new Set<TrialStatus>(["Completed", "Failed", "Stopped"]);

function trialName(job: string, seed: number, index: number): string {
  const u = rngStream(seed, 0x7fff0000 + index);
  const hex = Math.floor(u() * 0x100000000)
    .toString(16)
    .padStart(8, "0");
  return `${job}-${String(index).padStart(3, "0")}-${hex}`;
}

export class TuningMachine {
  readonly state: TuningState;
  readonly #space: SearchSpace;
  readonly #brackets: readonly (readonly number[])[];

  /** Resumes a job from its saved state. */
  constructor(state: TuningState) {
    if (state.version !== 1)
      throw new SagebrewError("SB_TUNING", `Cannot resume tuning state version ${String(state.version)}`);
    this.state = state;
    this.#space = new SearchSpace(state.spec.ranges);
    const hb = state.spec.hyperband;
    this.#brackets = hb ? hyperbandBrackets(hb.minResource, hb.maxResource) : [];
  }

  /**
   * A new job. `seed` is used when the spec has no RandomSeed (the driver draws one); `parents`
   * are the warm-start parents' training jobs with an objective.
   */
  static create(
    spec: TuningSpec,
    options: { seed: number; now: number; parents?: readonly ParentTrial[] },
  ): TuningMachine {
    return new TuningMachine({
      version: 1,
      spec,
      seed: spec.randomSeed ?? options.seed >>> 0,
      status: "InProgress",
      trials: [],
      parents: options.parents ?? [],
      notImproving: 0,
      converging: 0,
      createdAt: options.now,
    });
  }

  get spec(): TuningSpec {
    return this.state.spec;
  }

  /** Hyperband's brackets, each one's rungs (epoch counts at which weak trials stop); empty for other strategies. */
  get brackets(): readonly (readonly number[])[] {
    return this.#brackets;
  }

  trial(name: string): TrialState | undefined {
    return this.state.trials.find((t) => t.name === name);
  }

  running(): TrialState[] {
    return this.state.trials.filter((t) => t.status === "InProgress");
  }

  #observed(): Observed[] {
    const own = this.state.trials
      .filter((t) => t.status !== "Failed" && t.status !== "InProgress" && t.final !== undefined)
      .map((t) => ({
        hyperParameters: { ...this.spec.staticHyperParameters, ...t.hyperParameters },
        value: t.final!,
      }));
    const parents = this.state.parents.map((p) => ({
      hyperParameters: p.hyperParameters,
      value: p.final,
      parent: p.tuningJob,
    }));
    return [...parents, ...own];
  }

  /**
   * The next trial to start, registered as InProgress; undefined when none may start now (the
   * parallel limit is reached, the budget is spent, or the job is ending).
   */
  propose(now: number): TrialState | undefined {
    const s = this.state;
    if (s.status !== "InProgress" || s.ending) return undefined;
    if (this.running().length >= this.spec.maxParallel) return undefined;
    const index = s.trials.length + 1;
    const again = this.#awaitingRetry()[0];
    if (again) {
      const trial: TrialState = {
        index,
        name: trialName(this.spec.name, s.seed, index),
        hyperParameters: again.hyperParameters,
        ...(again.bracket !== undefined ? { bracket: again.bracket } : {}),
        retryOf: again.name,
        retries: (again.retries ?? 0) + 1,
        status: "InProgress",
        curve: [],
        createdAt: now,
      };
      s.trials.push(trial);
      return trial;
    }
    if (this.#spent() >= this.spec.maxJobs) return undefined;
    // The n-th point of the search (Grid's n-th combination, Random's n-th draw) whatever was run
    // again before it: a trial's index counts the runs, `draw` the points.
    const draw = s.trials.filter((t) => t.retryOf === undefined).length + 1;
    const proposal = proposeTrial({
      spec: this.spec,
      space: this.#space,
      seed: s.seed,
      index: draw,
      observed: this.#observed(),
      running: this.running().map((t) => t.hyperParameters),
      taken: new Set(s.trials.map((t) => this.#space.key(t.hyperParameters))),
    });
    if (!proposal) return undefined;
    if (this.spec.completion.convergence && proposal.expectedImprovement !== undefined) {
      const best = this.#best()?.final;
      const small = best !== undefined && proposal.expectedImprovement < IMPROVEMENT * Math.abs(best);
      s.converging = small ? s.converging + 1 : 0;
      if (s.converging >= CONVERGED_AFTER) {
        s.convergedAt = now;
        this.#end("Completed", "ConvergenceDetected: the model expects no improvement of 1% or more", now);
        return undefined;
      }
    }
    const trial: TrialState = {
      index,
      name: trialName(this.spec.name, s.seed, index),
      hyperParameters: proposal.hyperParameters,
      ...(this.spec.hyperband
        ? { bracket: bracketOf(this.#brackets, rngStream(s.seed, 0x40000000 + draw)()) }
        : {}),
      status: "InProgress",
      curve: [],
      createdAt: now,
    };
    s.trials.push(trial);
    return trial;
  }

  /** The retries a point may have: RetryStrategy.MaximumRetryAttempts, else sagebrew's default. */
  get #maxRetries(): number {
    return this.spec.maxRetryAttempts ?? DEFAULT_INTERNAL_RETRIES;
  }

  /** A retryable failure whose point may run again: it does not spend a training job of the budget. */
  #willRetry(t: TrialState): boolean {
    return t.status === "Failed" && t.retryable === true && (t.retries ?? 0) < this.#maxRetries;
  }

  /** Retryable failures whose point is to run again and has not yet, oldest first. */
  #awaitingRetry(): TrialState[] {
    const retried = new Set(this.state.trials.map((t) => t.retryOf));
    return this.state.trials.filter((t) => this.#willRetry(t) && !retried.has(t.name));
  }

  /** The trials that count against MaxNumberOfTrainingJobs: all but those whose point runs again. */
  #counted(): TrialState[] {
    return this.state.trials.filter((t) => !this.#willRetry(t));
  }

  #spent(): number {
    return this.#counted().length;
  }

  /**
   * The full hyperparameters a trial's training job receives: the static ones, the tuned ones, and
   * `_tuning_objective_metric` as SageMaker adds it (DG automatic-model-tuning-define-ranges).
   */
  hyperParametersOf(trial: TrialState): Record<string, string> {
    return {
      ...this.spec.staticHyperParameters,
      ...trial.hyperParameters,
      _tuning_objective_metric: this.spec.objective.metricName,
    };
  }

  /**
   * One objective value read from a trial's log (its next epoch). Resolves to "stop" when the
   * trial should be stopped now: early stopping, a Hyperband rung, or the job ending.
   */
  observe(name: string, value: number): "continue" | "stop" {
    const t = this.trial(name);
    if (!t || t.status !== "InProgress") return "continue";
    t.curve.push(value);
    if (t.stopCause || this.state.ending || this.state.status !== "InProgress") return "stop";
    const type = this.spec.objective.type;
    const orient = (c: readonly number[]) =>
      c.map((v) => (Number.isNaN(v) ? Number.NEGATIVE_INFINITY : oriented(type, v)));
    const mine = orient(t.curve);
    if (this.spec.earlyStopping === "Auto") {
      const finished = this.state.trials
        .filter((o) => o !== t && (o.status === "Completed" || o.status === "Stopped"))
        .map((o) => orient(o.curve));
      if (medianRuleStops(mine, finished)) t.stopCause = "EarlyStopping";
    }
    if (this.spec.hyperband) {
      const bracket = t.bracket ?? 0;
      const others = this.state.trials
        .filter((o) => o !== t && (o.bracket ?? 0) === bracket)
        .map((o) => orient(o.curve));
      // A job that reaches MaxResource is stopped (botocore, HyperbandStrategyConfig.MaxResource).
      if (
        t.curve.length >= this.spec.hyperband.maxResource ||
        hyperbandStops(mine, others, this.#brackets[bracket] ?? [])
      )
        t.stopCause = "Hyperband";
    }
    return t.stopCause ? "stop" : "continue";
  }

  /** Records how a trial's training job ended; the objective is the last value read. */
  end(
    name: string,
    outcome: {
      status: Exclude<TrialStatus, "InProgress">;
      failureReason?: string;
      /** A Failed trial failed for an internal reason: its point runs again (see `retryable`). */
      retryable?: boolean;
      now: number;
    },
  ): void {
    const t = this.trial(name);
    if (!t || ENDED.has(t.status)) return;
    const before = this.#best();
    t.status = outcome.status;
    t.endedAt = outcome.now;
    if (outcome.failureReason) t.failureReason = outcome.failureReason;
    if (outcome.status === "Failed" && outcome.retryable) t.retryable = true;
    const last = t.curve.at(-1);
    if (last !== undefined && outcome.status !== "Failed") t.final = last;
    if (t.final !== undefined && Number.isFinite(t.final)) this.#afterSuccess(t, before?.final, outcome.now);
    this.#failFast(outcome.now);
    this.#settle(outcome.now);
  }

  #afterSuccess(t: TrialState, before: number | undefined, now: number): void {
    const s = this.state;
    const type = this.spec.objective.type;
    const gain =
      before === undefined ? Number.POSITIVE_INFINITY : oriented(type, t.final!) - oriented(type, before);
    s.notImproving = gain >= IMPROVEMENT * Math.abs(before ?? 0) && gain > 0 ? 0 : s.notImproving + 1;
    const { target, notImproving } = this.spec.completion;
    if (target !== undefined && !isBetter(type, target, t.final!)) {
      this.#end("Completed", `TargetObjectiveMetricValue ${target} reached by ${t.name} (${t.final})`, now);
    } else if (notImproving !== undefined && s.notImproving >= notImproving) {
      this.#end(
        "Completed",
        `BestObjectiveNotImproving: ${s.notImproving} training jobs without a 1% improvement`,
        now,
      );
    }
  }

  #failFast(now: number): void {
    // A failure whose point runs again says nothing yet about the training job definition.
    const first = this.#counted().slice(0, FAIL_FAST_TRIALS);
    const needed = Math.min(FAIL_FAST_TRIALS, this.spec.maxJobs);
    if (first.length >= needed && first.every((t) => t.status === "Failed")) {
      const reason = first[0]?.failureReason ?? "no failure reason";
      this.#end("Failed", `The first ${needed} training jobs failed; the first said: ${reason}`, now);
    }
  }

  /** The user's StopHyperParameterTuningJob: every running trial is to be stopped. */
  stop(now: number): void {
    if (this.state.status !== "InProgress") return;
    this.state.status = "Stopping";
    // A job already ending (its criteria met) is stopped all the same: the user's word is last.
    this.state.ending = undefined;
    this.#end("Stopped", "Stopped by the user", now);
  }

  /** The clock: past MaxRuntimeInSeconds the job ends (its running trials are stopped). */
  tick(now: number): void {
    const max = this.spec.maxRuntimeSeconds;
    if (max !== undefined && !this.state.ending && now - this.state.createdAt >= max * 1000)
      this.#end("Completed", `MaxRuntimeInSeconds ${max} reached`, now);
    this.#settle(now);
  }

  #end(status: "Completed" | "Stopped" | "Failed", reason: string, now: number): void {
    if (this.state.ending) return;
    this.state.ending = { status, reason };
    for (const t of this.running()) t.stopCause ??= "TuningJob";
    this.#settle(now);
  }

  /** Training jobs the driver must stop now (it may be told again until they end). */
  toStop(): TrialState[] {
    return this.running().filter((t) => t.stopCause !== undefined);
  }

  /** Moves the job to its final status once nothing runs and nothing more will start. */
  #settle(now: number): void {
    const s = this.state;
    if (s.status !== "InProgress" && s.status !== "Stopping") return;
    if (this.running().length > 0) return;
    if (!s.ending && (this.#spent() < this.spec.maxJobs || this.#awaitingRetry().length > 0)) {
      // Grid may have run out of combinations before the count (it never does: maxJobs is its size).
      return;
    }
    const succeeded = s.trials.some((t) => t.status !== "Failed" && t.final !== undefined);
    if (s.ending) {
      s.status = s.ending.status;
      if (s.ending.status === "Failed") s.failureReason = s.ending.reason;
    } else if (succeeded) {
      s.status = "Completed";
    } else {
      s.status = "Failed";
      s.failureReason = "No training job reported the objective metric: every one failed or printed no value";
    }
    s.endedAt = now;
  }

  /** True once the job has reached its final status. */
  get finished(): boolean {
    return ["Completed", "Stopped", "Failed"].includes(this.state.status);
  }

  #best(): TrialState | undefined {
    let best: TrialState | undefined;
    for (const t of this.state.trials) {
      if (
        t.status === "Failed" ||
        t.status === "InProgress" ||
        t.final === undefined ||
        !Number.isFinite(t.final)
      )
        continue;
      if (!best || isBetter(this.spec.objective.type, t.final, best.final!)) best = t;
    }
    return best;
  }

  #summaryOf(t: TrialState): TrialSummary {
    return {
      name: t.name,
      tuningJob: this.spec.name,
      status: t.status,
      hyperParameters: t.hyperParameters,
      objectiveStatus:
        t.status === "InProgress"
          ? "Pending"
          : t.status !== "Failed" && t.final !== undefined
            ? "Succeeded"
            : "Failed",
      ...(t.final !== undefined ? { final: t.final } : {}),
      ...(t.failureReason ? { failureReason: t.failureReason } : {}),
      createdAt: t.createdAt,
      ...(t.endedAt !== undefined ? { endedAt: t.endedAt } : {}),
    };
  }

  /** Every trial as the list of a tuning job's training jobs shows it, in order. */
  trials(): TrialSummary[] {
    return this.state.trials.map((t) => this.#summaryOf(t));
  }

  /** What DescribeHyperParameterTuningJob says of the job. */
  summary(): TuningSummary {
    const s = this.state;
    const count = (status: TrialStatus) => s.trials.filter((t) => t.status === status).length;
    const rows = this.trials();
    const best = this.#best();
    let overallBest: TrialSummary | undefined;
    if (this.spec.warmStart?.type === "IdenticalDataAndAlgorithm") {
      overallBest = best ? this.#summaryOf(best) : undefined;
      for (const p of s.parents) {
        if (!overallBest || isBetter(this.spec.objective.type, p.final, overallBest.final!)) {
          overallBest = {
            name: p.trainingJob,
            tuningJob: p.tuningJob,
            status: "Completed",
            hyperParameters: p.hyperParameters,
            objectiveStatus: "Succeeded",
            final: p.final,
            createdAt: s.createdAt,
          };
        }
      }
    }
    return {
      status: s.status,
      trainingJobStatusCounters: {
        Completed: count("Completed"),
        InProgress: count("InProgress"),
        RetryableError: s.trials.filter((t) => t.status === "Failed" && t.retryable).length,
        NonRetryableError: s.trials.filter((t) => t.status === "Failed" && !t.retryable).length,
        Stopped: count("Stopped"),
      },
      objectiveStatusCounters: {
        Succeeded: rows.filter((r) => r.objectiveStatus === "Succeeded").length,
        Pending: rows.filter((r) => r.objectiveStatus === "Pending").length,
        Failed: rows.filter((r) => r.objectiveStatus === "Failed").length,
      },
      ...(best ? { best: this.#summaryOf(best) } : {}),
      ...(overallBest ? { overallBest } : {}),
      notImproving: s.notImproving,
      ...(s.convergedAt !== undefined ? { convergedAt: s.convergedAt } : {}),
      ...(s.ending ? { endReason: s.ending.reason } : {}),
      ...(s.failureReason ? { failureReason: s.failureReason } : {}),
    };
  }
}
