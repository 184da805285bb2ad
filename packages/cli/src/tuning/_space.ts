/**
 * The search space of a tuning job: its ranges in order, a point as one number in [0, 1] per
 * range (its "units"), the hyperparameter strings a point stands for, and the features a model
 * sees (numeric ranges as they are, a categorical range one-hot). Random draws, grid enumeration
 * and the Bayesian model all work through it. Pure.
 */
import { cardinality, type ParameterRange, unitOf, valueAt } from "./_ranges.js";
import type { Uniform } from "./_rng.js";

/** One point: a unit value per range, in the ranges' order. */
export type Units = readonly number[];

export class SearchSpace {
  readonly ranges: readonly ParameterRange[];
  /** Features per point: 1 per numeric range, one per value of a categorical one. */
  readonly featureCount: number;

  constructor(ranges: readonly ParameterRange[]) {
    this.ranges = ranges;
    this.featureCount = ranges.reduce((n, r) => n + (r.kind === "Categorical" ? r.values.length : 1), 0);
  }

  /** A point drawn uniformly on every range's scale. */
  sample(u: Uniform): Units {
    return this.ranges.map(() => u());
  }

  /** The hyperparameters a point stands for (`TunedHyperParameters`). */
  valuesAt(units: Units): Record<string, string> {
    const out: Record<string, string> = {};
    this.ranges.forEach((r, i) => {
      out[r.name] = valueAt(r, units[i] ?? 0.5);
    });
    return out;
  }

  /** The point of these hyperparameters, or undefined when a range lacks its value or does not hold it. */
  unitsOf(values: Readonly<Record<string, string>>): Units | undefined {
    const out: number[] = [];
    for (const r of this.ranges) {
      const v = values[r.name];
      const unit = v === undefined ? undefined : unitOf(r, v);
      if (unit === undefined) return undefined;
      out.push(unit);
    }
    return out;
  }

  /** The point moved to where its values sit (an integer or category: the middle of its share). */
  snap(units: Units): Units {
    return this.unitsOf(this.valuesAt(units))!;
  }

  /** What the model sees of a point: numeric units as they are, a categorical range one-hot. */
  features(units: Units): number[] {
    const out: number[] = [];
    this.ranges.forEach((r, i) => {
      if (r.kind !== "Categorical") {
        out.push(units[i]!);
        return;
      }
      const at = Math.min(r.values.length - 1, Math.floor(units[i]! * r.values.length));
      for (let k = 0; k < r.values.length; k++) out.push(k === at ? 1 : 0);
    });
    return out;
  }

  /** A key equal for points that stand for the same hyperparameters. */
  key(values: Readonly<Record<string, string>>): string {
    return JSON.stringify(this.ranges.map((r) => values[r.name] ?? null));
  }

  /** How many distinct points the space holds (Infinity with a continuous range). */
  size(): number {
    return this.ranges.reduce((n, r) => n * cardinality(r), 1);
  }
}
