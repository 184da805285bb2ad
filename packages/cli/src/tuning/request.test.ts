import assert from "node:assert/strict";
import { test } from "node:test";
import { type DeclaredHyperparameter, defaultTuningJobName, parseRange, tuningRequest } from "./_request.js";
import { TUNING_JOB_NAME, tuningSpec } from "./_spec.js";

const xgb: Record<string, DeclaredHyperparameter> = {
  eta: { type: "float", tunable: [0.1, 0.5] },
  max_depth: { type: "int", tunable: [0, 10] },
  alpha: { type: "float" },
  booster: { type: "enum", values: ["gbtree", "gblinear", "dart"] },
};
const declared = (name: string) => xgb[name];

test("parseRange() reads the --range forms, typing numbers by the algorithm's declarations", () => {
  assert.deepEqual(parseRange("eta=0.01:0.3:log", declared), {
    kind: "Continuous",
    name: "eta",
    min: 0.01,
    max: 0.3,
    scaling: "Logarithmic",
  });
  assert.deepEqual(parseRange("alpha=0:10", declared), {
    kind: "Continuous",
    name: "alpha",
    min: 0,
    max: 10,
    scaling: "Auto",
  });
  assert.deepEqual(parseRange("max_depth=2:8"), {
    kind: "Integer",
    name: "max_depth",
    min: 2,
    max: 8,
    scaling: "Auto",
  });
  assert.deepEqual(parseRange("custom=0:1"), {
    kind: "Integer",
    name: "custom",
    min: 0,
    max: 1,
    scaling: "Auto",
  });
  assert.deepEqual(parseRange("custom=0.0:1"), {
    kind: "Continuous",
    name: "custom",
    min: 0,
    max: 1,
    scaling: "Auto",
  });
  assert.deepEqual(parseRange("m=0:0.99:reverse-log"), {
    kind: "Continuous",
    name: "m",
    min: 0,
    max: 0.99,
    scaling: "ReverseLogarithmic",
  });
  assert.deepEqual(parseRange("objective=reg:squarederror,reg:pseudohubererror"), {
    kind: "Categorical",
    name: "objective",
    values: ["reg:squarederror", "reg:pseudohubererror"],
  });
  assert.deepEqual(parseRange("booster=dart", declared), {
    kind: "Categorical",
    name: "booster",
    values: ["dart"],
  });
  assert.deepEqual(parseRange("eta", declared), {
    kind: "Continuous",
    name: "eta",
    min: 0.1,
    max: 0.5,
    scaling: "Auto",
  });
  assert.deepEqual(parseRange("max_depth", declared), {
    kind: "Integer",
    name: "max_depth",
    min: 0,
    max: 10,
    scaling: "Auto",
  });
  assert.deepEqual(parseRange("booster", declared), {
    kind: "Categorical",
    name: "booster",
    values: ["gbtree", "gblinear", "dart"],
  });
});

test("parseRange() says what is wrong with a range", () => {
  const cases: [string, RegExp][] = [
    ["=1:2", /expected NAME=MIN:MAX\[:log\], NAME=a,b,c or NAME/],
    ["eta=", /the values after = are missing/],
    ["eta=a:b", /MIN and MAX must be numbers; a list of values is separated by commas/],
    ["eta=0.1:0.2:cubic", /the scale cubic is not log, linear, reverse-log or auto/],
    ["eta=0.1:0.2:log:x", /a list of values is separated by commas/],
    ["max_depth=1.5:3", /max_depth takes whole numbers/],
    ["x=1,,2", /an empty value in the list/],
    ["gamma", /no suggested range is known for gamma/],
  ];
  for (const [text, message] of cases)
    assert.throws(() => parseRange(text, declared), { code: "SB_TUNING", message }, text);
});

test("defaultTuningJobName() stays within SageMaker's name rule", () => {
  const at = new Date("2026-03-01T10:20:30Z");
  assert.equal(defaultTuningJobName("iris xgboost", at), "iris-xgboost-260301-102030");
  assert.equal(defaultTuningJobName("test_dir", at), "test-dir-260301-102030");
  for (const base of ["a".repeat(80), "---", "", "ü ö", "x--y"]) {
    const name = defaultTuningJobName(base, at);
    assert.match(name, TUNING_JOB_NAME, name);
  }
});

test("tuningRequest() builds the request SageMaker takes, and tuningSpec() accepts it", () => {
  const request = tuningRequest(
    {
      name: "iris-tune",
      strategy: "Hyperband",
      objective: "validation:mlogloss",
      ranges: [parseRange("eta=0.05:0.5:log", declared), parseRange("max_depth=2:6", declared)],
      maxJobs: 12,
      maxParallel: 3,
      completion: { maxJobsNotImproving: 5 },
      randomSeed: 7,
    },
    { staticHyperParameters: { num_round: "27", eta: "0.3", objective: "multi:softprob" } },
  );
  assert.deepEqual(request.HyperParameterTuningJobConfig, {
    Strategy: "Hyperband",
    StrategyConfig: { HyperbandStrategyConfig: { MaxResource: 27 } },
    HyperParameterTuningJobObjective: { Type: "Minimize", MetricName: "validation:mlogloss" },
    ResourceLimits: { MaxNumberOfTrainingJobs: 12, MaxParallelTrainingJobs: 3 },
    ParameterRanges: {
      IntegerParameterRanges: [{ Name: "max_depth", MinValue: "2", MaxValue: "6", ScalingType: "Auto" }],
      ContinuousParameterRanges: [
        { Name: "eta", MinValue: "0.05", MaxValue: "0.5", ScalingType: "Logarithmic" },
      ],
    },
    TrainingJobEarlyStoppingType: "Off",
    TuningJobCompletionCriteria: { BestObjectiveNotImproving: { MaxNumberOfTrainingJobsNotImproving: 5 } },
    RandomSeed: 7,
  });
  assert.deepEqual(
    request.TrainingJobDefinition?.StaticHyperParameters,
    { num_round: "27", objective: "multi:softprob" },
    "a tuned hyperparameter is not also static",
  );
  const spec = tuningSpec(request);
  assert.deepEqual(spec.hyperband, { minResource: 1, maxResource: 27 });
  const grid = tuningRequest(
    { name: "g", strategy: "Grid", objective: "validation:auc", ranges: [parseRange("max_depth=2,4")] },
    { staticHyperParameters: {} },
  );
  assert.deepEqual(grid.HyperParameterTuningJobConfig?.ResourceLimits, { MaxParallelTrainingJobs: 1 });
  assert.equal(tuningSpec(grid).maxJobs, 2);
});
