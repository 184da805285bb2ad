/**
 * The next trial's hyperparameters under each strategy, from the job's state: Grid's next
 * combination, a seeded random draw (Random and Hyperband), or the Bayesian model's choice once
 * the job has observed enough trials. Pure: the same state and seed propose the same point.
 */
import { proposeBayesian } from "./_bayesian.js";
import { gridPoint } from "./_grid.js";
import { oriented } from "./_objective.js";
import { rngStream, type Uniform } from "./_rng.js";
import type { SearchSpace, Units } from "./_space.js";
import type { TuningSpec } from "./_spec.js";

/** A finished trial, or a warm-start parent, as the strategies see it. */
export interface Observed {
  readonly hyperParameters: Readonly<Record<string, string>>;
  readonly value: number;
  /** Warm start: the parent tuning job (TransferLearning standardises each parent apart). */
  readonly parent?: string;
}

export interface ProposeInput {
  readonly spec: TuningSpec;
  readonly space: SearchSpace;
  readonly seed: number;
  /** 1-based index of the trial to propose. */
  readonly index: number;
  readonly observed: readonly Observed[];
  /** Hyperparameters of the trials still running. */
  readonly running: readonly Readonly<Record<string, string>>[];
  /** Keys of every point already proposed by this job. */
  readonly taken: ReadonlySet<string>;
}

export interface Proposal {
  readonly hyperParameters: Record<string, string>;
  /** Bayesian: the expected improvement at the point, in the objective's units. */
  readonly expectedImprovement?: number;
}

/** Random draws before the Bayesian model takes over: one more than the ranges, from 3 to 10. */
export function initialRandomTrials(spec: TuningSpec): number {
  return Math.min(spec.maxJobs, Math.max(3, Math.min(10, spec.ranges.length + 1)));
}

/** A random point not yet taken (up to 50 draws; a space that small may hold none). */
function randomPoint(space: SearchSpace, u: Uniform, taken: ReadonlySet<string>): Record<string, string> {
  let values = space.valuesAt(space.sample(u));
  for (let i = 0; i < 50 && taken.has(space.key(values)); i++) values = space.valuesAt(space.sample(u));
  return values;
}

function standardisedByParent(spec: TuningSpec, observed: readonly Observed[]): Observed[] {
  if (spec.warmStart?.type !== "TransferLearning") return [...observed];
  // Parents trained on other data: their values say where the good regions are, not how good.
  // Each parent's values are standardised, then put on this job's scale once it has its own.
  const own = observed.filter((o) => o.parent === undefined).map((o) => o.value);
  const stats = (v: readonly number[]) => {
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length) || 1;
    return { mean, sd };
  };
  const target = own.length >= 2 ? stats(own) : { mean: 0, sd: 1 };
  const byParent = new Map<string, number[]>();
  for (const o of observed)
    if (o.parent !== undefined) byParent.set(o.parent, [...(byParent.get(o.parent) ?? []), o.value]);
  const parentStats = new Map([...byParent].map(([p, v]) => [p, stats(v)]));
  return observed.map((o) => {
    const s = o.parent === undefined ? undefined : parentStats.get(o.parent);
    return s ? { ...o, value: target.mean + ((o.value - s.mean) / s.sd) * target.sd } : o;
  });
}

/**
 * The next trial's point, or undefined when Grid has run every combination.
 *
 * @example proposeTrial({ spec, space, seed: 7, index: 1, observed: [], running: [], taken: new Set() })
 */
export function proposeTrial(input: ProposeInput): Proposal | undefined {
  const { spec, space, index } = input;
  if (spec.strategy === "Grid") {
    const values = gridPoint(spec.ranges, index - 1);
    return values ? { hyperParameters: values } : undefined;
  }
  const u = rngStream(input.seed, index);
  if (spec.strategy !== "Bayesian") return { hyperParameters: randomPoint(space, u, input.taken) };
  const usable = standardisedByParent(spec, input.observed)
    .map((o) => ({ units: space.unitsOf(o.hyperParameters), value: oriented(spec.objective.type, o.value) }))
    .filter((o): o is { units: Units; value: number } => o.units !== undefined && Number.isFinite(o.value));
  if (usable.length < initialRandomTrials(spec))
    return { hyperParameters: randomPoint(space, u, input.taken) };
  const proposal = proposeBayesian({
    space,
    observations: usable,
    pending: input.running.map((r) => space.unitsOf(r)).filter((p): p is Units => p !== undefined),
    taken: input.taken,
    u,
  });
  if (!proposal) return { hyperParameters: randomPoint(space, u, input.taken) };
  return {
    hyperParameters: space.valuesAt(proposal.units),
    expectedImprovement: proposal.expectedImprovement,
  };
}
