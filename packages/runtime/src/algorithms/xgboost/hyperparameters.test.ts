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

  const rejects: Array<[Record<string, string>, RegExp]> = [
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
    [{ _kfold: "5" }, /k-fold cross-validation is not supported by sagebrew yet/],
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
