import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSagebrewError } from "../../errors/index.js";
import { kFoldSplits, predictionsCsv } from "./cross-validation.js";

describe("kFoldSplits()", () => {
  it("holds every row out exactly once per repeat, folds within one row of each other (KFold)", () => {
    const folds = kFoldSplits(23, { folds: 5, repeats: 3, seed: 7 });
    assert.equal(folds.length, 15);
    for (let repeat = 0; repeat < 3; repeat++) {
      const mine = folds.filter((f) => f.repeat === repeat);
      assert.deepEqual(
        mine.map((f) => f.validation.length),
        [5, 5, 5, 4, 4],
      );
      const all = mine.flatMap((f) => Array.from(f.validation)).sort((a, b) => a - b);
      assert.deepEqual(
        all,
        Array.from({ length: 23 }, (_, i) => i),
      );
      for (const f of mine)
        assert.deepEqual(
          Array.from(f.validation),
          [...f.validation].sort((a, b) => a - b),
        );
    }
    assert.notDeepEqual(folds[0]!.validation, folds[5]!.validation, "each repeat shuffles anew");
  });

  it("gives every fold its share of each class (StratifiedKFold)", () => {
    const strata = Float32Array.from({ length: 60 }, (_, i) => (i < 30 ? 0 : i < 50 ? 1 : 2));
    for (const f of kFoldSplits(60, { folds: 5, repeats: 2, seed: 1, strata })) {
      const counts = [0, 0, 0];
      for (const r of f.validation) counts[strata[r]!]!++;
      assert.deepEqual(counts, [6, 4, 2]);
    }
  });

  it("is the same for the same seed, and differs for another", () => {
    const a = kFoldSplits(50, { folds: 5, repeats: 1, seed: 3 });
    assert.deepEqual(a, kFoldSplits(50, { folds: 5, repeats: 1, seed: 3 }));
    assert.notDeepEqual(a, kFoldSplits(50, { folds: 5, repeats: 1, seed: 4 }));
  });

  it("refuses more folds than rows", () => {
    assert.throws(
      () => kFoldSplits(3, { folds: 5, repeats: 1, seed: 0 }),
      (e: unknown) =>
        isSagebrewError(e, "SB_HYPERPARAMETER") &&
        e.message === "Hyperparameter _kfold: 5 folds need at least 5 rows, and train and validation hold 3",
    );
  });
});

// aws/sagemaker-xgboost-container test/unit/test_prediction_utils.py: the recorder's cases, each
// recorded prediction p of a binary:logistic model being (label p > 0.5, probability p).
describe("predictionsCsv() on SageMaker XGBoost's prediction-recorder cases", () => {
  const binary = (ps: number[]) => ps.map((p) => ({ label: p > 0.5 ? 1 : 0, probability: p }));
  const rows = (csv: string) =>
    csv
      .trimEnd()
      .split("\n")
      .map((l) => l.split(",").map(Number));

  it("one repeat", () => {
    const csv = predictionsCsv(Float32Array.from([1, 0, 1, 0]), [binary([1, 0, 1, 1])], true);
    assert.deepEqual(rows(csv), [
      [1, 1, 1],
      [0, 0, 0],
      [1, 1, 1],
      [0, 1, 1],
    ]);
    assert.equal(csv.split("\n")[0], "1.000000,1.000000,1.000000");
  });

  it("three repeats: the mean probability and the most common class", () => {
    const csv = predictionsCsv(
      Float32Array.from([1, 0, 1, 0]),
      [binary([0.6, 0, 0.6, 0.6]), binary([0.7, 0, 0.7, 0.4]), binary([0.8, 0, 0.8, 0.2])],
      true,
    );
    const got = rows(csv);
    const want = [
      [1, 0.7, 1],
      [0, 0, 0],
      [1, 0.7, 1],
      [0, 0.4, 0],
    ];
    for (const [i, r] of got.entries()) {
      for (const [j, v] of r.entries()) assert.ok(Math.abs(v - want[i]![j]!) < 1e-6, csv);
    }
  });

  it("regression, three repeats: the mean prediction", () => {
    const value = (vs: number[]) => vs.map((v) => ({ label: v, probability: Number.NaN }));
    const csv = predictionsCsv(
      Float32Array.from([0.8, 0, 1, 0]),
      [value([0.6, 0, 0.6, 0.6]), value([0.7, 0, 0.7, 0.4]), value([0.8, 0, 0.8, 0.2])],
      false,
    );
    assert.equal(csv, "0.800000,0.700000\n0.000000,0.000000\n1.000000,0.700000\n0.000000,0.400000\n");
  });
});
