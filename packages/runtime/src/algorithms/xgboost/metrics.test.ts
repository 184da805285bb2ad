/**
 * The custom metrics against the cases of SageMaker's XGBoost container
 * (aws/sagemaker-xgboost-container test/unit/algorithm_mode/test_custom_metrics.py), whose expected
 * values are scikit-learn's. Upstream feeds those functions margins (binary) or class ids
 * (multi-class); the same predictions are given here as XGBoost's output for an objective that
 * yields them (binary:logitraw margins, multi:softmax class ids, a softprob matrix).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSagebrewError } from "../../errors/index.js";
import { computeMetric } from "./metrics.js";

const f32 = (v: number[]) => Float32Array.from(v);
const margin = Math.fround(Math.log(0.7 / 0.3) - 0.5);
const binaryLabels = f32([1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
const binaryMargins = { values: f32(Array(10).fill(margin)), shape: [10] };
const binaryTwoColumns = {
  values: f32(
    Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? Math.log(0.1 / 0.9) : Math.log(0.9 / 0.1)) - 0.5),
  ),
  shape: [10, 2],
};
const multiLabels = f32([0, 0, 1, 1, 1, 1, 1, 2, 2, 2]);
const multiIds = { values: f32(Array(10).fill(1)), shape: [10] };
const softprob = {
  values: f32(
    [
      [0.9, 0.05, 0.05],
      [0.4, 0.5, 0.1],
      [0.2, 0.1, 0.7],
      [0.8, 0.1, 0.1],
      [0.6, 0.2, 0.2],
      [0.9, 0.08, 0.02],
      [0.4, 0.3, 0.3],
      [0.5, 0.25, 0.25],
      [0.8, 0.1, 0.1],
      [0.6, 0.2, 0.2],
    ].flat(),
  ),
  shape: [10, 3],
};

type Case = [metric: string, objective: string, labels: Float32Array, p: typeof softprob, expected: number];
const UPSTREAM: Case[] = [
  ["accuracy", "binary:logitraw", binaryLabels, binaryMargins, 0.5],
  ["balanced_accuracy", "binary:logitraw", binaryLabels, binaryMargins, 0.5],
  ["accuracy", "binary:logitraw", binaryLabels, binaryTwoColumns, 0.5],
  ["f1", "binary:logitraw", binaryLabels, binaryMargins, 1 / 3],
  ["f1", "binary:logitraw", binaryLabels, binaryTwoColumns, 1 / 3],
  ["f1_binary", "binary:logitraw", binaryLabels, binaryMargins, 2 / 3],
  ["f1_binary", "binary:logitraw", binaryLabels, binaryTwoColumns, 2 / 3],
  ["precision", "binary:logitraw", binaryLabels, binaryMargins, 0.5],
  ["recall", "binary:logitraw", binaryLabels, binaryMargins, 1],
  ["accuracy", "multi:softmax", multiLabels, multiIds, 0.5],
  ["balanced_accuracy", "multi:softmax", multiLabels, multiIds, 1 / 3],
  ["accuracy", "multi:softprob", multiLabels, softprob, 0.1],
  ["f1", "multi:softmax", multiLabels, multiIds, 2 / 9],
  ["f1", "multi:softprob", multiLabels, softprob, 1 / 15],
  ["f1_macro", "multi:softmax", multiLabels, multiIds, 2 / 9],
  ["f1_macro", "multi:softprob", multiLabels, softprob, 1 / 15],
  ["precision_macro", "multi:softmax", multiLabels, multiIds, 1 / 6],
  ["precision_micro", "multi:softmax", multiLabels, multiIds, 1 / 2],
  ["recall_macro", "multi:softmax", multiLabels, multiIds, 1 / 3],
  ["recall_micro", "multi:softmax", multiLabels, multiIds, 1 / 2],
  ["mse", "reg:squarederror", binaryLabels, { values: f32(Array(10).fill(1)), shape: [10] }, 0.5],
  ["r2", "reg:squarederror", binaryLabels, { values: f32(Array(10).fill(1)), shape: [10] }, -1],
];

describe("computeMetric() on SageMaker XGBoost's own test cases", () => {
  for (const [metric, objective, labels, p, expected] of UPSTREAM) {
    it(`${metric} for ${objective} (${p.shape.join("x")}) is ${expected}`, () => {
      assert.ok(Math.abs(computeMetric(metric, objective, labels, p) - expected) < 1e-12);
    });
  }
});

describe("computeMetric()", () => {
  it("averages macro metrics over every class seen in labels or predictions, as scikit-learn does", () => {
    // Class 2 is only ever predicted: it counts (with 0) in the macro averages, not in balanced accuracy.
    const labels = f32([0, 0, 1, 1]);
    const p = { values: f32([0, 2, 1, 1]), shape: [4] };
    assert.equal(computeMetric("recall_macro", "multi:softmax", labels, p), (0.5 + 1 + 0) / 3);
    assert.equal(computeMetric("precision_macro", "multi:softmax", labels, p), (1 + 1 + 0) / 3);
    assert.equal(computeMetric("f1_macro", "multi:softmax", labels, p), (2 / 3 + 1 + 0) / 3);
    assert.equal(computeMetric("balanced_accuracy", "multi:softmax", labels, p), (0.5 + 1) / 2);
  });

  it("thresholds probabilities at 0.5 and margins at 0", () => {
    const labels = f32([0, 1, 1]);
    assert.equal(
      computeMetric("accuracy", "binary:logistic", labels, { values: f32([0.3, 0.6, 0.4]), shape: [3] }),
      2 / 3,
    );
    assert.equal(
      computeMetric("accuracy", "binary:logitraw", labels, { values: f32([-0.3, 0.6, -0.4]), shape: [3] }),
      2 / 3,
    );
  });

  for (const metric of ["precision", "recall", "f1_binary"]) {
    it(`rejects ${metric} on more than two classes, as scikit-learn's average="binary" does`, () => {
      assert.throws(
        () => computeMetric(metric, "multi:softprob", multiLabels, softprob),
        (e: unknown) =>
          isSagebrewError(e, "SB_LABEL") &&
          new RegExp(
            `^Cannot compute metric ${metric}: it scores the positive class of a binary problem, and the labels and predictions hold 3 classes \\(0, 1, 2\\); use ${metric === "f1_binary" ? "f1_macro" : `${metric}_macro or ${metric}_micro`}$`,
          ).test(e.message),
      );
    });
  }

  it("rejects classification metrics on labels that are not whole numbers", () => {
    assert.throws(
      () =>
        computeMetric("accuracy", "binary:logistic", f32([0, 0.25]), { values: f32([0.1, 0.9]), shape: [2] }),
      /Cannot compute metric accuracy: label 0\.25 in row 2 is not a class; classification metrics need whole-number labels$/,
    );
  });
});
