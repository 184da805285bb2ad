/**
 * A driver for the tuning machine in tests: training jobs simulated as curves of a known objective,
 * advanced one epoch at a time in an order drawn from a seed, so that parallel trials interleave
 * as real ones do. No clock, no processes.
 */
import { rngStream } from "../_rng.js";
import { type TuningJobRequest, tuningSpec } from "../_spec.js";
import { type ParentTrial, TuningMachine } from "../_machine.js";

/** The objective a trial's hyperparameters reach at the end, and how its curve gets there. */
export type Landscape = (hp: Readonly<Record<string, string>>) => number;

/** A smooth landscape with its optimum at eta = 0.1, max_depth = 6, booster = gbtree (value 1). */
export const bowl: Landscape = (hp) => {
  const eta = Math.log10(Number(hp.eta ?? 0.1)) + 1;
  const depth = (Number(hp.max_depth ?? 6) - 6) / 4;
  const sub = Number(hp.subsample ?? 0.8) - 0.8;
  const booster = hp.booster === undefined || hp.booster === "gbtree" ? 0 : 0.15;
  return 1 - 0.5 * eta * eta - 0.3 * depth * depth - 0.8 * sub * sub - booster;
};

/** The value at epoch k (1-based) of a trial that ends at `final` after `epochs`: rising towards it. */
export function curveAt(final: number, k: number, epochs: number): number {
  return final - 0.4 * Math.exp((-4 * k) / epochs) + 0.4 * Math.exp(-4);
}

export interface SimOptions {
  readonly landscape: Landscape;
  /** Epochs of a trial that is not stopped. */
  readonly epochs: number;
  readonly seed: number;
  /** Trial indexes whose training job fails at its first epoch. */
  readonly failing?: ReadonlySet<number>;
  /**
   * Trial indexes whose training job fails at its first epoch for an internal reason (a restart of
   * sagebrew local cut it short): retryable.
   */
  readonly internal?: ReadonlySet<number>;
  /** Stop after this many events (to test restarts); undefined: until the job ends. */
  readonly maxEvents?: number;
  /** Called after every event with the machine (invariant checks). */
  readonly check?: (m: TuningMachine) => void;
}

export interface SimResult {
  readonly machine: TuningMachine;
  readonly events: number;
  /** Epochs trained by every trial together. */
  readonly epochs: number;
}

/** Runs (or continues) a job until it ends or `maxEvents` events. Time is the event count, in seconds. */
export function simulate(machine: TuningMachine, options: SimOptions, startEvent = 0): SimResult {
  let events = startEvent;
  let epochs = 0;
  const now = () => events * 1000;
  while (!machine.finished && (options.maxEvents === undefined || events < options.maxEvents)) {
    for (let t = machine.propose(now()); t; t = machine.propose(now())) options.check?.(machine);
    const running = machine.running();
    if (running.length === 0) {
      machine.tick(now());
      if (!machine.finished) throw new Error("simulation stuck: nothing running and the job is not finished");
      break;
    }
    events++;
    // Anything the job asked to stop stops first, as a driver would.
    const stop = machine.toStop()[0];
    if (stop) {
      machine.end(stop.name, { status: "Stopped", now: now() });
      options.check?.(machine);
      continue;
    }
    // A stream per event: a job resumed at event n draws what an uninterrupted one draws there.
    const t = running[Math.floor(rngStream(options.seed, 1000 + events)() * running.length)]!;
    if (options.internal?.has(t.index)) {
      machine.end(t.name, {
        status: "Failed",
        failureReason: `InternalServerError: trial ${t.index} was cut short`,
        retryable: true,
        now: now(),
      });
      options.check?.(machine);
      continue;
    }
    if (options.failing?.has(t.index)) {
      machine.end(t.name, { status: "Failed", failureReason: `AlgorithmError: trial ${t.index} failed`, now: now() });
      options.check?.(machine);
      continue;
    }
    const k = t.curve.length + 1;
    const value = curveAt(options.landscape({ ...machine.spec.staticHyperParameters, ...t.hyperParameters }), k, options.epochs);
    epochs++;
    const decision = machine.observe(t.name, value);
    if (decision === "stop") machine.end(t.name, { status: "Stopped", now: now() });
    else if (k >= options.epochs) machine.end(t.name, { status: "Completed", now: now() });
    machine.tick(now());
    options.check?.(machine);
  }
  return { machine, events, epochs };
}

type Config = NonNullable<TuningJobRequest["HyperParameterTuningJobConfig"]>;

/** A request over eta (log), max_depth and subsample, maximising the bowl. */
export function bowlRequest(config: Partial<Config> = {}, name = "sim"): TuningJobRequest {
  return {
    HyperParameterTuningJobName: name,
    HyperParameterTuningJobConfig: {
      Strategy: "Bayesian",
      HyperParameterTuningJobObjective: { Type: "Maximize", MetricName: "validation:auc" },
      ResourceLimits: { MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 1 },
      ParameterRanges: {
        ContinuousParameterRanges: [
          { Name: "eta", MinValue: "0.001", MaxValue: "1", ScalingType: "Logarithmic" },
          { Name: "subsample", MinValue: "0.5", MaxValue: "1" },
        ],
        IntegerParameterRanges: [{ Name: "max_depth", MinValue: "1", MaxValue: "12" }],
      },
      ...config,
    },
    TrainingJobDefinition: { StaticHyperParameters: { num_round: "30" } },
  };
}

/** A machine for `request`. */
export function machineFor(
  request: TuningJobRequest,
  seed: number,
  parents: readonly ParentTrial[] = [],
): TuningMachine {
  return TuningMachine.create(tuningSpec(request), { seed, now: 0, parents });
}

/** The best final objective of a finished job. */
export function bestOf(m: TuningMachine): number {
  return m.summary().best?.final ?? Number.NEGATIVE_INFINITY;
}
