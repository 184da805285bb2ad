/**
 * Feature importance of a tree model, as XGBoost's `get_score` defines it: `weight` = the splits
 * on a feature, `gain` and `cover` = the average loss reduction and average hessian sum of those
 * splits. Read from the model's JSON (the C API's feature-score call is newer than some of the
 * libxgboost versions sagebrew runs on).
 */
import type { FeatureImportance } from "../../training/index.js";
import type { Booster } from "../../xgboost/index.js";

interface JsonTree {
  readonly split_indices: readonly number[];
  readonly loss_changes: readonly number[];
  readonly sum_hessian: readonly number[];
  readonly left_children: readonly number[];
}

function treesOf(model: unknown): readonly JsonTree[] | undefined {
  const gb = (model as { learner?: { gradient_booster?: Record<string, unknown> } }).learner
    ?.gradient_booster;
  const direct = (gb?.model as { trees?: JsonTree[] } | undefined)?.trees;
  if (direct) return direct;
  // dart nests its gbtree
  return (gb?.gbtree as { model?: { trees?: JsonTree[] } } | undefined)?.model?.trees;
}

/** Importance per feature (`f0`…), or undefined for a model without trees (gblinear). */
export function featureImportance(booster: Booster, numFeatures: number): FeatureImportance | undefined {
  let trees: readonly JsonTree[] | undefined;
  try {
    trees = treesOf(JSON.parse(booster.save("json").toString("utf8")));
  } catch {
    return undefined;
  }
  if (!trees || trees.length === 0) return undefined;
  return importanceOfTrees(trees, numFeatures);
}

function growTo(n: number, ...arrays: number[][]): void {
  for (const a of arrays) while (a.length < n) a.push(0);
}

/** The measures from parsed trees. */
export function importanceOfTrees(trees: readonly JsonTree[], numFeatures: number): FeatureImportance {
  const weight = new Array<number>(numFeatures).fill(0);
  const totalGain = new Array<number>(numFeatures).fill(0);
  const totalCover = new Array<number>(numFeatures).fill(0);
  for (const t of trees) {
    for (let n = 0; n < t.left_children.length; n++) {
      if (t.left_children[n] === -1) continue; // a leaf
      const f = t.split_indices[n]!;
      if (f >= weight.length) growTo(f + 1, weight, totalGain, totalCover);
      weight[f]!++;
      totalGain[f]! += t.loss_changes[n] ?? 0;
      totalCover[f]! += t.sum_hessian[n] ?? 0;
    }
  }
  const avg = (total: number[]) => total.map((v, i) => (weight[i]! > 0 ? v / weight[i]! : 0));
  return {
    features: weight.map((_, i) => `f${i}`),
    measures: { gain: avg(totalGain), weight, cover: avg(totalCover) },
  };
}
