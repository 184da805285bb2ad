import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSagebrewError } from "../../errors/index.js";
import { validateHyperparameters } from "./hyperparameters.js";

const ok = (hp: Record<string, string>) => validateHyperparameters({ num_round: "10", ...hp });

describe("validateHyperparameters()", () => {
  it("resolves aliases and passes XGBoost parameters through as strings", () => {
    const p = ok({
      learning_rate: "0.1",
      reg_lambda: "2",
      min_split_loss: "0.5",
      reg_alpha: "1",
      max_depth: "4",
    });
    assert.equal(p.numRound, 10);
    assert.deepEqual(p.booster, {
      eta: "0.1",
      lambda: "2",
      gamma: "0.5",
      alpha: "1",
      max_depth: "4",
      objective: "reg:squarederror",
    });
  });

  it("keeps SageMaker-only settings out of the booster parameters", () => {
    const p = ok({
      objective: "binary:logistic",
      early_stopping_rounds: "5",
      csv_weights: "1",
      save_model_on_termination: "true",
      eval_metric: "auc,error@0.3,accuracy",
    });
    assert.equal(p.earlyStoppingRounds, 5);
    assert.equal(p.csvWeights, true);
    assert.equal(p.saveModelOnTermination, true);
    assert.deepEqual(p.evalMetrics, ["auc", "error@0.3", "accuracy"]);
    assert.deepEqual(Object.keys(p.booster), ["objective"]);
  });

  it("adds the tuning objective's metric", () => {
    const p = ok({
      objective: "binary:logistic",
      eval_metric: "logloss",
      _tuning_objective_metric: "validation:auc",
    });
    assert.deepEqual(p.evalMetrics, ["logloss", "auc"]);
    assert.equal(p.tuningObjectiveMetric, "auc");
  });

  it("accepts constraints in SageMaker's syntax", () => {
    const p = ok({
      tree_method: "hist",
      monotone_constraints: "(1,0,-1)",
      interaction_constraints: "[[0,1],[2]]",
    });
    assert.equal(p.booster.monotone_constraints, "(1,0,-1)");
  });

  // aws/sagemaker-xgboost-container test/unit/algorithm_mode/test_algorithm_mode.py and
  // test_hyperparameter_validation.py: the sets upstream accepts.
  const UPSTREAM_ACCEPTS: Array<Record<string, string>> = [
    {
      max_depth: "5",
      eta: "0.2",
      gamma: "4",
      min_child_weight: "6",
      subsample: "0.8",
      objective: "binary:logistic",
      num_round: "100",
    },
    {
      eval_metric: "auc",
      objective: "binary:logistic",
      num_round: "100",
      rate_drop: "0.3",
      tweedie_variance_power: "1.4",
    },
    {
      max_depth: "5",
      eta: "0.2",
      gamma: "4",
      min_child_weight: "6",
      subsample: "0.7",
      objective: "reg:squarederror",
      num_round: "50",
    },
    {
      max_depth: "5",
      eta: "0.2",
      gamma: "4",
      min_child_weight: "6",
      objective: "multi:softmax",
      num_class: "10",
      num_round: "10",
    },
    {
      max_depth: "5",
      eta: "0.2",
      gamma: "4",
      min_child_weight: "6",
      tree_method: "exact",
      objective: "multi:softmax",
      num_class: "10",
      num_round: "10",
      monotone_constraints: "(1,0)",
      interaction_constraints: "[[1,2,4],[3,5]]",
    },
    {
      max_depth: "5",
      learning_rate: "0.2",
      gamma: "4",
      min_child_weight: "6",
      tree_method: "approx",
      objective: "multi:softmax",
      num_class: "10",
      num_round: "10",
      interaction_constraints: "[[1,2,4],[3,5]]",
    },
    {
      max_depth: "5",
      eta: "0.2",
      min_split_loss: "4",
      min_child_weight: "6",
      tree_method: "approx",
      objective: "multi:softmax",
      num_class: "10",
      num_round: "10",
    },
    {
      max_depth: "5",
      eta: "0.2",
      gamma: "4",
      reg_lambda: "10",
      reg_alpha: "10",
      min_child_weight: "6",
      objective: "multi:softmax",
      num_class: "10",
      num_round: "10",
    },
    { num_round: "1", verbosity: "0" },
    { num_round: "1", verbosity: "3" },
    { num_round: "5", num_parallel_tree: "10" },
    { num_round: "5", save_model_on_termination: "false" },
    { num_round: "1", eval_metric: "aft-nloglik", objective: "survival:aft" },
    // Edge cases upstream accepts, found by running its validator.
    { num_round: " +10 ", eta: ".5", gamma: "4.", alpha: "1e-3" },
    { num_round: "1", objective: "binary:logistic", eval_metric: "error@1e-1,error@0.7" },
    {
      num_round: "1",
      objective: "multi:softprob",
      num_class: "3",
      _tuning_objective_metric: "validation:auc",
    },
    {
      num_round: "1",
      objective: "multi:softprob",
      num_class: "2",
      eval_metric: "precision,recall,f1_binary",
    },
    { num_round: "1", tree_method: "hist", monotone_constraints: "(1)" },
    { num_round: "1", prob_buffer_row: "2" },
  ];
  for (const hp of UPSTREAM_ACCEPTS) {
    it(`accepts ${JSON.stringify(hp)}, as SageMaker's container does`, () => {
      validateHyperparameters(hp);
    });
  }

  it("reads a monotone_constraints list or trailing comma in the form XGBoost takes", () => {
    for (const [given, passed] of [
      ["[1,0,-1]", "(1,0,-1)"],
      ["(1,)", "(1)"],
      ["( 1, -1 )", "(1,-1)"],
    ]) {
      assert.equal(
        ok({ tree_method: "hist", monotone_constraints: given! }).booster.monotone_constraints,
        passed,
      );
    }
  });

  const rejects: Array<[Record<string, string>, RegExp]> = [
    // Upstream parses integers with Python's int() and numbers with float().
    [{ num_round: "10.0" }, /^Hyperparameter num_round: could not parse value "10.0" as an integer$/],
    [{ num_round: "1e1" }, /^Hyperparameter num_round: could not parse value "1e1" as an integer$/],
    [{ num_round: "0x10" }, /^Hyperparameter num_round: could not parse value "0x10" as an integer$/],
    [{ eta: "0x1" }, /^Hyperparameter eta: could not parse value "0x1" as a number$/],
    [{ eta: "Infinity" }, /^Hyperparameter eta: could not parse value "Infinity" as a number$/],
    [
      { prob_buffer_row: "1.5" },
      /^Hyperparameter prob_buffer_row: could not parse value "1.5" as an integer$/,
    ],
    [
      { objective: "multi:softprob", num_class: "3", eval_metric: "precision" },
      /^Hyperparameter eval_metric: precision scores the positive class of a binary problem, and objective multi:softprob has 3 classes; use precision_macro or precision_micro$/,
    ],
    [
      { objective: "multi:softmax", num_class: "4", _tuning_objective_metric: "validation:f1_binary" },
      /^Hyperparameter _tuning_objective_metric: f1_binary scores the positive class .* has 4 classes; use f1 or f1_macro$/,
    ],
    [
      { objective: "multi:softprob", num_class: "3", eval_metric: "recall" },
      /^Hyperparameter eval_metric: recall scores the positive class/,
    ],
    [
      { updater: "shotgun" },
      /^Hyperparameter updater: shotgun updates linear models; with booster gbtree use tree updaters/,
    ],
    [
      { updater: "grow_skmaker" },
      /^Hyperparameter updater: grow_skmaker is no longer part of XGBoost; use one of grow_colmaker/,
    ],
    [{ eval_metric: "error@abc" }, /^Hyperparameter eval_metric: "error@abc" is not a known metric/],
    [{ eval_metric: "error@0.5-" }, /^Hyperparameter eval_metric: "error@0.5-" is not a known metric/],
    [{ num_round: "0" }, /^Hyperparameter num_round: 0 is not in \[1, inf\)$/],
    [{ num_round: "2.5" }, /^Hyperparameter num_round: could not parse value "2.5" as an integer$/],
    [{ eta: "abc" }, /^Hyperparameter eta: could not parse value "abc" as a number$/],
    [{ eta: "1.5" }, /^Hyperparameter eta: 1.5 is not in \[0, 1\]$/],
    [{ subsample: "0" }, /^Hyperparameter subsample: 0 is not in \(0, 1\]$/],
    [{ tweedie_variance_power: "2" }, /^Hyperparameter tweedie_variance_power: 2 is not in \(1, 2\)$/],
    [
      { objective: "multi:softmax" },
      /^Hyperparameter num_class: missing; it is required for objective multi:softmax/,
    ],
    [{ objective: "reg:nope" }, /^Hyperparameter objective: "reg:nope" is not one of binary:logistic/],
    [
      { max_dpeth: "3" },
      /^Hyperparameter max_dpeth: not a hyperparameter of the XGBoost algorithm \(did you mean max_depth\?\)$/,
    ],
    [
      { eval_metric: "rmse,acuracy" },
      /^Hyperparameter eval_metric: "acuracy" is not a known metric \(did you mean accuracy\?\)$/,
    ],
    [
      { eval_metric: "auc" },
      /^Hyperparameter eval_metric: auc needs a binary:\* or rank:\* objective, not reg:squarederror$/,
    ],
    [{ verbosity: "4" }, /^Hyperparameter verbosity: 4 is not in \[0, 3\]$/],
    [
      { save_model_on_termination: "yes" },
      /^Hyperparameter save_model_on_termination: "yes" is not true or false$/,
    ],
    [
      { monotone_constraints: "(2,0)" },
      /^Hyperparameter monotone_constraints: "\(2,0\)" is not a tuple of -1, 0 and 1/,
    ],
    [{ monotone_constraints: "(1,0)", tree_method: "approx" }, /needs tree_method exact or hist, not approx/],
    [{ interaction_constraints: "[[a]]" }, /is not a list of lists of feature indices/],
    [
      { booster: "gblinear", updater: "grow_colmaker" },
      /with booster gblinear must be exactly one of shotgun, coord_descent/,
    ],
    [{ eta: "0.1", learning_rate: "0.2" }, /^Hyperparameter eta: given twice/],
    [
      { _num_cv_round: "2" },
      /^Hyperparameter _num_cv_round: repeats k-fold cross-validation, which needs _kfold/,
    ],
  ];
  for (const [hp, message] of rejects) {
    it(`rejects ${JSON.stringify(hp)}`, () => {
      assert.throws(
        () => validateHyperparameters({ num_round: "10", ...hp }),
        (e: unknown) => isSagebrewError(e, "SB_HYPERPARAMETER") && message.test(e.message),
      );
    });
  }

  it("requires num_round", () => {
    assert.throws(() => validateHyperparameters({}), /Hyperparameter num_round: missing; it is required/);
  });
});
