import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSagebrewError } from "../../errors/index.js";
import { checkOutputKeys, keyValue, labelIndex, type OutputModel } from "./_output.js";

const iris: OutputModel = {
  objective: "multi:softprob",
  numClass: 3,
  classNames: ["setosa", "versicolor", "virginica"],
};
const binary: OutputModel = { objective: "binary:logistic", numClass: 0, classNames: undefined };
const reg: OutputModel = { objective: "reg:squarederror", numClass: 0, classNames: undefined };
const f = (...v: number[]) => Float32Array.from(v);

describe("selectable output keys (SAGEMAKER_INFERENCE_OUTPUT, docs/serving.md)", () => {
  it("gives class names, probabilities and scores for multi:softprob", () => {
    const row = f(0.1, 0.7, 0.2);
    assert.equal(keyValue("predicted_label", row, iris), "versicolor");
    assert.deepEqual(keyValue("labels", row, iris), ["setosa", "versicolor", "virginica"]);
    assert.equal(keyValue("probability", row, iris), Math.fround(0.7));
    assert.deepEqual(keyValue("probabilities", row, iris), Array.from(row));
    assert.ok(Number.isNaN(keyValue("predicted_score", row, iris) as number));
  });

  it("thresholds binary:logistic at 0.5 and gives [1-p, p]", () => {
    assert.equal(keyValue("predicted_label", f(0.75), binary), 1);
    assert.equal(labelIndex(f(0.25), binary), 0);
    assert.deepEqual(keyValue("probabilities", f(0.75), binary), [0.25, 0.75]);
    assert.deepEqual(keyValue("labels", f(0.75), binary), [0, 1]);
  });

  it("derives raw_score and raw_scores from XGBoost's default output, not the margin, as SageMaker's container does", () => {
    // sagemaker-xgboost-container test_serve_utils: binary:logistic p = 0.6 → raw_score 0.6, raw_scores [0.4, 0.6].
    const p = Math.fround(0.6);
    assert.equal(keyValue("raw_score", f(0.6), binary), p);
    assert.deepEqual(keyValue("raw_scores", f(0.6), binary), [1 - p, p]);
    assert.equal(keyValue("raw_score", f(0.1, 0.5, 0.4), iris), Math.fround(0.5));
    const logitraw: OutputModel = { objective: "binary:logitraw", numClass: 0, classNames: undefined };
    assert.equal(keyValue("raw_score", f(-7.5), logitraw), -7.5);
  });

  it("gives raw_scores as [1 - v, v] for binary:logitraw, binary:hinge and multi:softmax, as SageMaker's container does", () => {
    // sagemaker-xgboost-container serve_utils._get_raw_scores; test_serve_utils: binary:hinge 1 → [0, 1].
    const one = (objective: string): OutputModel => ({ objective, numClass: 3, classNames: undefined });
    assert.deepEqual(keyValue("raw_scores", f(1), one("binary:hinge")), [0, 1]);
    assert.deepEqual(keyValue("raw_scores", f(-7.5), one("binary:logitraw")), [8.5, -7.5]);
    assert.deepEqual(keyValue("raw_scores", f(2), one("multi:softmax")), [-1, 2]);
    assert.equal(keyValue("raw_score", f(2), one("multi:softmax")), 2);
    assert.equal(keyValue("predicted_label", f(2), one("multi:softmax")), 2);
  });

  it("gives only predicted_score for regression", () => {
    assert.equal(keyValue("predicted_score", f(2.5), reg), 2.5);
    assert.ok(Number.isNaN(keyValue("predicted_label", f(2.5), reg) as number));
  });

  it("rejects unknown keys and objectives without selectable output at load", () => {
    assert.throws(
      () => checkOutputKeys(["predicted_labels"], "multi:softprob"),
      (e: unknown) => isSagebrewError(e, "SB_ENV_INVALID") && /predicted_labels/.test(e.message),
    );
    assert.throws(() => checkOutputKeys(["predicted_label"], "rank:pairwise"), /objective rank:pairwise/);
    assert.deepEqual(checkOutputKeys(["labels"], "multi:softmax"), ["labels"]);
  });
});
