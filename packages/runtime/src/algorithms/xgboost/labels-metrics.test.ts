import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkLabels, classNamesOf, encodeLabels } from "./labels.js";
import { computeMetric, predictedLabels } from "./metrics.js";

describe("labels", () => {
  it("maps class names in sorted order", () => {
    const names = classNamesOf(["virginica", "setosa", "versicolor", "setosa"]);
    assert.deepEqual(names, ["setosa", "versicolor", "virginica"]);
    assert.deepEqual(Array.from(encodeLabels(["virginica", "setosa"], names, "t")), [2, 0]);
  });

  it("names the row of an unknown class", () => {
    assert.throws(
      () => encodeLabels(["setosa", "rose"], ["setosa"], "channel validation"),
      /label "rose" in row 2 of channel validation: it is not one of the training classes \(setosa\)/,
    );
  });

  const bad: Array<[string, number[], number | undefined, RegExp]> = [
    ["multi:softprob", [0, 3], 3, /label 3 in row 2 is not a class index in \[0, num_class=3\)/],
    ["multi:softmax", [0.5], 3, /label 0.5 in row 1 is not a class index/],
    ["binary:logistic", [0, 2], undefined, /label 2 in row 2 is outside \[0, 1\]/],
    ["count:poisson", [-1], undefined, /label -1 in row 1 is negative/],
    ["reg:gamma", [0], undefined, /label 0 in row 1 is not positive/],
  ];
  for (const [objective, labels, numClass, message] of bad) {
    it(`rejects labels ${JSON.stringify(labels)} for ${objective}`, () => {
      assert.throws(() => checkLabels(new Float32Array(labels), objective, numClass, "t"), message);
    });
  }
});

describe("metrics", () => {
  it("takes argmax of probabilities and thresholds binary outputs", () => {
    assert.deepEqual(
      Array.from(predictedLabels("multi:softprob", new Float32Array([0.1, 0.7, 0.2, 0.6, 0.3, 0.1]), [2, 3])),
      [1, 0],
    );
    assert.deepEqual(
      Array.from(predictedLabels("binary:logistic", new Float32Array([0.2, 0.8]), [2])),
      [0, 1],
    );
    assert.deepEqual(Array.from(predictedLabels("binary:logitraw", new Float32Array([-1, 2]), [2])), [0, 1]);
  });

  it("computes accuracy, precision, recall, F1 and balanced accuracy for binary labels", () => {
    const labels = new Float32Array([1, 1, 0, 0, 1]);
    const p = { values: new Float32Array([0.9, 0.2, 0.6, 0.1, 0.8]), shape: [5] };
    assert.equal(computeMetric("accuracy", "binary:logistic", labels, p), 0.6);
    assert.equal(computeMetric("precision", "binary:logistic", labels, p), 2 / 3);
    assert.equal(computeMetric("recall", "binary:logistic", labels, p), 2 / 3);
    assert.equal(computeMetric("f1_binary", "binary:logistic", labels, p), 2 / 3);
    assert.equal(computeMetric("f1", "binary:logistic", labels, p), (2 / 3 + 1 / 2) / 2);
    assert.equal(computeMetric("balanced_accuracy", "binary:logistic", labels, p), (2 / 3 + 1 / 2) / 2);
  });

  it("computes MSE and R²", () => {
    const labels = new Float32Array([1, 2, 3]);
    const p = { values: new Float32Array([1, 2, 4]), shape: [3] };
    assert.equal(computeMetric("mse", "reg:squarederror", labels, p), 1 / 3);
    assert.equal(computeMetric("r2", "reg:squarederror", labels, p), 1 - 1 / 2);
  });
});
