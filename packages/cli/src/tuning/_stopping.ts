/**
 * The two rules that stop a trial while it trains, both fed one objective value per epoch (for
 * XGBoost: per boosting round, read from its evaluation line). Pure.
 *
 * - Early stopping `Auto` (DG automatic-model-tuning-early-stopping): after each epoch, the
 *   running average of the objective of every previous training job up to the same epoch; their
 *   median; a trial whose objective at that epoch is worse than the median is stopped. "Previous"
 *   is read as the trials that have ended and reached that epoch; sagebrew waits for
 *   `MEDIAN_MIN_TRIALS` of them before it judges (AWS does not publish a minimum; one or two
 *   earlier trials make a noisy median).
 * - Hyperband (AWS blog 2022, "Amazon SageMaker Automatic Model Tuning now supports Hyperband"):
 *   asynchronous successive halving between MinResource and MaxResource, in Hyperband's brackets
 *   (Li et al., 2018). Bracket 0's rungs sit at MinResource·η^k epochs below MaxResource (η = 3),
 *   bracket 1's start one rung later, and so on to a last bracket without rungs; a trial is drawn
 *   into a bracket with Hyperband's weights (η^s / (s + 1) for a bracket of s rungs), so most trials
 *   are judged early and a few are given the time a slow starter needs. A trial that reaches a
 *   rung of its bracket continues only when its objective there is among the best 1/η of the values
 *   its bracket recorded at that rung so far (itself included, rounded up, so the first trial at a
 *   rung always continues). Weak trials stop at their rung; the others train on to MaxResource.
 */

/** Hyperband's reduction factor η: a third of the trials at a rung go on to the next. */
export const HYPERBAND_ETA = 3;

/** Finished trials at an epoch before the median rule judges. */
export const MEDIAN_MIN_TRIALS = 3;

/** Larger is better after this: Minimize objectives are negated by the caller. */
type Curve = readonly number[];

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The median rule at the trial's latest epoch: true when it should stop. `finished` are the curves
 * of trials that have ended; values are oriented so that larger is better.
 */
export function medianRuleStops(curve: Curve, finished: readonly Curve[]): boolean {
  const epoch = curve.length;
  const current = curve[epoch - 1];
  if (current === undefined || !Number.isFinite(current)) return false;
  const averages: number[] = [];
  for (const other of finished) {
    if (other.length < epoch) continue;
    let sum = 0;
    for (let i = 0; i < epoch; i++) sum += other[i]!;
    if (Number.isFinite(sum)) averages.push(sum / epoch);
  }
  if (averages.length < MEDIAN_MIN_TRIALS) return false;
  return current < median(averages);
}

/** The rungs (epoch counts) between MinResource and MaxResource, MaxResource excluded. */
export function hyperbandRungs(minResource: number, maxResource: number, eta = HYPERBAND_ETA): number[] {
  const rungs: number[] = [];
  for (let r = minResource; r < maxResource; r = Math.max(r + 1, Math.round(r * eta))) rungs.push(r);
  return rungs;
}

/** Hyperband's brackets, most aggressive first: each one's rungs (the last bracket has none). */
export function hyperbandBrackets(minResource: number, maxResource: number, eta = HYPERBAND_ETA): number[][] {
  const all = hyperbandRungs(minResource, maxResource, eta);
  return [...all.map((_, i) => all.slice(i)), []];
}

/**
 * The bracket of a trial whose draw is `u` in [0, 1): Hyperband's share of trials per bracket,
 * η^s / (s + 1) for a bracket of s rungs.
 */
export function bracketOf(brackets: readonly (readonly number[])[], u: number, eta = HYPERBAND_ETA): number {
  const weights = brackets.map((r) => eta ** r.length / (r.length + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let at = u * total;
  for (let b = 0; b < weights.length; b++) {
    at -= weights[b]!;
    if (at < 0) return b;
  }
  return weights.length - 1;
}

/**
 * Hyperband's decision when a trial has just reached `epoch`: true when it should stop. `others`
 * are the curves of every other trial of its bracket (running or ended); one that reached the rung
 * recorded a value there.
 */
export function hyperbandStops(
  curve: Curve,
  others: readonly Curve[],
  rungs: readonly number[],
  eta = HYPERBAND_ETA,
): boolean {
  const epoch = curve.length;
  if (!rungs.includes(epoch)) return false;
  const value = curve[epoch - 1]!;
  if (!Number.isFinite(value)) return true;
  const recorded = others.filter((c) => c.length >= epoch).map((c) => c[epoch - 1]!);
  const keep = Math.ceil((recorded.length + 1) / eta);
  const better = recorded.filter((v) => v > value).length;
  return better >= keep;
}
