/**
 * The Bayesian strategy: a Gaussian process over the finished trials (`_gp.ts`) and the point of
 * greatest expected improvement among candidates drawn across the space and around the best
 * trials so far, then refined by a short local search.
 *
 * Why a Gaussian process with expected improvement, not TPE: it is what AWS describes for
 * SageMaker's own optimizer (Perrone et al., "Amazon SageMaker Automatic Model Tuning: Scalable
 * Gradient-Free Optimization", KDD 2021: a GP with a Matérn 5/2 kernel and expected improvement),
 * so a job rehearsed here explores the way SageMaker's does; and a tuning job's budget (at most
 * 750 trials, usually tens) is where a GP is strongest and its cubic cost is small. TPE shines with
 * thousands of cheap trials and conditional spaces, which SageMaker's ranges do not have.
 *
 * Trials still running are accounted for by "kriging believer": each is added to the model at its
 * predicted value, so parallel proposals spread out instead of piling on one point. Pure.
 */
import { expectedImprovement, fitGp, type Gp, jitter, predict } from "./_gp.js";
import type { Uniform } from "./_rng.js";
import type { SearchSpace, Units } from "./_space.js";

/** A finished trial as the model sees it: its point and its objective, larger is better. */
export interface Observation {
  readonly units: Units;
  readonly value: number;
}

export interface BayesianInput {
  readonly space: SearchSpace;
  /** Finished trials (and warm-start parents), oldest first. */
  readonly observations: readonly Observation[];
  /** Points of trials still running. */
  readonly pending: readonly Units[];
  /** Keys (`SearchSpace.key`) of every point already proposed: never proposed again. */
  readonly taken: ReadonlySet<string>;
  readonly u: Uniform;
}

export interface BayesianProposal {
  readonly units: Units;
  /** The expected improvement at the point, in the objective's units (for convergence). */
  readonly expectedImprovement: number;
}

/** The model is fitted on at most this many trials: the best half and the newest half. */
export const MAX_MODEL_POINTS = 200;

const CANDIDATES = { uniform: 400, aroundBest: 5, perBest: 40, refine: 3, refineSteps: 30 } as const;

function modelData(observations: readonly Observation[]): readonly Observation[] {
  if (observations.length <= MAX_MODEL_POINTS) return observations;
  const half = MAX_MODEL_POINTS / 2;
  const order = observations.map((_, i) => i).sort((a, b) => observations[b]!.value - observations[a]!.value);
  const keep = new Set(order.slice(0, half));
  for (let i = observations.length - 1; keep.size < MAX_MODEL_POINTS; i--) keep.add(i);
  return [...keep].sort((a, b) => a - b).map((i) => observations[i]!);
}

/** Moves a point a little: numeric units by a Gaussian step, each category redrawn with some chance. */
function neighbour(space: SearchSpace, units: Units, sigma: number, u: Uniform): number[] {
  return space.ranges.map((r, i) =>
    r.kind === "Categorical" ? (u() < 0.25 ? u() : units[i]!) : jitter(u, units[i]!, sigma),
  );
}

/**
 * The next point to try, or undefined when the model cannot be fitted or every candidate was
 * already proposed (the caller falls back to a random draw).
 */
export function proposeBayesian(input: BayesianInput): BayesianProposal | undefined {
  const { space, u } = input;
  const data = modelData(input.observations);
  if (data.length === 0) return undefined;
  const x = data.map((o) => space.features(space.snap(o.units)));
  const y = data.map((o) => o.value);
  let gp: Gp | undefined = fitGp(x, y, { u });
  if (!gp) return undefined;
  const best = Math.max(...y);
  if (input.pending.length > 0) {
    const px = input.pending.map((p) => space.features(space.snap(p)));
    const believed = px.map((f) => predict(gp!, f).mean);
    gp = fitGp([...x, ...px], [...y, ...believed], { u, hyper: gp.hyper }) ?? gp;
  }
  const model = gp;
  const score = (units: Units): { units: Units; ei: number } | undefined => {
    const snapped = space.snap(units);
    if (input.taken.has(space.key(space.valuesAt(snapped)))) return undefined;
    const { mean, sd } = predict(model, space.features(snapped));
    return { units: snapped, ei: expectedImprovement(mean, sd, best) };
  };
  const scored: { units: Units; ei: number }[] = [];
  const consider = (units: Units) => {
    const s = score(units);
    if (s) scored.push(s);
  };
  for (let i = 0; i < CANDIDATES.uniform; i++) consider(space.sample(u));
  const top = data
    .map((o, i) => ({ o, i }))
    .sort((a, b) => b.o.value - a.o.value || a.i - b.i)
    .slice(0, CANDIDATES.aroundBest);
  const sigmas = [0.02, 0.05, 0.1, 0.2];
  for (const { o } of top) {
    for (let k = 0; k < CANDIDATES.perBest; k++) consider(neighbour(space, o.units, sigmas[k % 4]!, u));
  }
  if (scored.length === 0) return undefined;
  scored.sort((a, b) => b.ei - a.ei);
  let winner = scored[0]!;
  for (const start of scored.slice(0, CANDIDATES.refine)) {
    let current = start;
    let sigma = 0.1;
    for (let step = 0; step < CANDIDATES.refineSteps; step++) {
      const next = score(neighbour(space, current.units, sigma, u));
      if (next && next.ei > current.ei) current = next;
      else sigma = Math.max(0.005, sigma * 0.7);
    }
    if (current.ei > winner.ei) winner = current;
  }
  return { units: winner.units, expectedImprovement: winner.ei };
}
