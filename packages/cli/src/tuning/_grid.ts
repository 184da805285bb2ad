/**
 * Grid search as SageMaker runs it (DG automatic-model-tuning-how-it-works, "Grid search"): every
 * combination of the categorical ranges' values, each exactly once; the number of training jobs
 * is the number of combinations. The order is the ranges' order with the first range changing
 * slowest, so the n-th trial of a job is always the same combination. Pure.
 */
import type { ParameterRange } from "./_ranges.js";

/** How many combinations the categorical ranges make. */
export function gridSize(ranges: readonly ParameterRange[]): number {
  return ranges.reduce((n, r) => n * (r.kind === "Categorical" ? r.values.length : 1), 1);
}

/**
 * The `index`-th combination (0-based), or undefined past the last one.
 *
 * @example gridPoint([{ kind: "Categorical", name: "a", values: ["x", "y"] }], 1) // { a: "y" }
 */
export function gridPoint(
  ranges: readonly ParameterRange[],
  index: number,
): Record<string, string> | undefined {
  if (!Number.isInteger(index) || index < 0 || index >= gridSize(ranges)) return undefined;
  const out: Record<string, string> = {};
  let rest = index;
  for (let i = ranges.length - 1; i >= 0; i--) {
    const r = ranges[i]!;
    if (r.kind !== "Categorical") continue;
    out[r.name] = r.values[rest % r.values.length]!;
    rest = Math.floor(rest / r.values.length);
  }
  // In the ranges' order, for readable hyperparameters.
  return Object.fromEntries(ranges.map((r) => [r.name, out[r.name]!]));
}
