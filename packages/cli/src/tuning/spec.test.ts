import assert from "node:assert/strict";
import { test } from "node:test";
import { fc } from "../../../../test/kit/property.js";
import { type TuningJobRequest, tuningSpec } from "./_spec.js";

type Config = NonNullable<TuningJobRequest["HyperParameterTuningJobConfig"]>;

function request(config: Partial<Config> = {}, statics: Record<string, string> = {}): TuningJobRequest {
  return {
    HyperParameterTuningJobName: "xgb-tune",
    HyperParameterTuningJobConfig: {
      Strategy: "Bayesian",
      HyperParameterTuningJobObjective: { Type: "Maximize", MetricName: "validation:auc" },
      ResourceLimits: { MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 2 },
      ParameterRanges: {
        ContinuousParameterRanges: [{ Name: "eta", MinValue: "0.01", MaxValue: "0.5" }],
        IntegerParameterRanges: [{ Name: "max_depth", MinValue: "2", MaxValue: "8" }],
      },
      ...config,
    },
    TrainingJobDefinition: {
      StaticHyperParameters: { objective: "binary:logistic", num_round: "50", ...statics },
    },
  };
}

test("tuningSpec() reads a Bayesian request with its defaults", () => {
  const spec = tuningSpec(request());
  assert.equal(spec.strategy, "Bayesian");
  assert.deepEqual(spec.objective, { type: "Maximize", metricName: "validation:auc" });
  assert.equal(spec.maxJobs, 20);
  assert.equal(spec.maxParallel, 2);
  assert.equal(spec.earlyStopping, "Off");
  assert.deepEqual(spec.completion, { convergence: false });
  assert.equal(spec.objectiveDefinition.Name, "validation:auc");
  assert.match(spec.objectiveDefinition.Regex, /validation-auc/);
  assert.deepEqual(spec.staticHyperParameters, { objective: "binary:logistic", num_round: "50" });
  assert.equal(spec.maxRetryAttempts, undefined, "no RetryStrategy: sagebrew's default number of retries");
  const retried = tuningSpec({
    ...request(),
    TrainingJobDefinition: { ...request().TrainingJobDefinition, RetryStrategy: { MaximumRetryAttempts: 2 } },
  });
  assert.equal(retried.maxRetryAttempts, 2);
});

test("tuningSpec() takes Grid over categorical ranges only, and the job count is the number of combinations", () => {
  const grid = (extra: Partial<Config> = {}) =>
    request({
      Strategy: "Grid",
      ParameterRanges: {
        CategoricalParameterRanges: [
          { Name: "max_depth", Values: ["2", "4", "6"] },
          { Name: "eta", Values: ["0.1", "0.3"] },
        ],
      },
      ResourceLimits: { MaxParallelTrainingJobs: 2 },
      ...extra,
    });
  assert.equal(tuningSpec(grid()).maxJobs, 6);
  assert.equal(
    tuningSpec(grid({ ResourceLimits: { MaxParallelTrainingJobs: 2, MaxNumberOfTrainingJobs: 6 } })).maxJobs,
    6,
  );
  assert.throws(
    () => tuningSpec(grid({ ResourceLimits: { MaxParallelTrainingJobs: 2, MaxNumberOfTrainingJobs: 5 } })),
    {
      code: "SB_TUNING",
      message: /MaxNumberOfTrainingJobs 5: the ranges make 6 combinations, and Grid runs each once/,
    },
  );
  assert.throws(
    () => tuningSpec(request({ Strategy: "Grid", ResourceLimits: { MaxParallelTrainingJobs: 1 } })),
    {
      message: /Cannot run Grid search over (eta|max_depth): Grid takes categorical ranges only/,
    },
  );
});

test("tuningSpec() holds Hyperband's rules: early stopping Off, MaxResource given or inferred from an epochs key", () => {
  const hb = tuningSpec(
    request({
      Strategy: "Hyperband",
      StrategyConfig: { HyperbandStrategyConfig: { MinResource: 5, MaxResource: 50 } },
    }),
  );
  assert.deepEqual(hb.hyperband, { minResource: 5, maxResource: 50 });
  assert.deepEqual(tuningSpec(request({ Strategy: "Hyperband" }, { epochs: "30" })).hyperband, {
    minResource: 1,
    maxResource: 30,
  });
  assert.throws(() => tuningSpec(request({ Strategy: "Hyperband" })), {
    message:
      /Hyperband without MaxResource: .* epochs, numepochs, n-epochs, n_epochs, num_epochs .*num_round/,
  });
  assert.throws(
    () =>
      tuningSpec(
        request({
          Strategy: "Hyperband",
          TrainingJobEarlyStoppingType: "Auto",
          StrategyConfig: { HyperbandStrategyConfig: { MaxResource: 50 } },
        }),
      ),
    { message: /TrainingJobEarlyStoppingType Auto with Hyperband: .* must be Off/ },
  );
  assert.throws(
    () => tuningSpec(request({ StrategyConfig: { HyperbandStrategyConfig: { MaxResource: 50 } } })),
    {
      message: /StrategyConfig with the Bayesian strategy: it configures Hyperband only/,
    },
  );
  assert.throws(
    () =>
      tuningSpec(
        request({
          Strategy: "Hyperband",
          StrategyConfig: { HyperbandStrategyConfig: { MaxResource: 20_001 } },
        }),
      ),
    { message: /MaxResource 20001: a whole number from 1 to 20000/ },
  );
  assert.throws(
    () =>
      tuningSpec(
        request({
          Strategy: "Hyperband",
          StrategyConfig: { HyperbandStrategyConfig: { MinResource: 60, MaxResource: 50 } },
        }),
      ),
    { message: /MinResource 60 is above MaxResource 50/ },
  );
});

test("tuningSpec() refuses what SageMaker refuses, naming the field", () => {
  const cases: [TuningJobRequest, RegExp][] = [
    [
      { ...request(), HyperParameterTuningJobName: "bad_name" },
      /tuning job name "bad_name": 1 to 32 letters, digits and hyphens/,
    ],
    [{ ...request(), HyperParameterTuningJobName: "x".repeat(33) }, /tuning job name/],
    [request({ Strategy: "Annealing" }), /Strategy "Annealing": one of Bayesian, Random, Hyperband, Grid/],
    [
      request({ ResourceLimits: { MaxParallelTrainingJobs: 1 } }),
      /Bayesian search without ResourceLimits.MaxNumberOfTrainingJobs/,
    ],
    [
      request({ ResourceLimits: { MaxNumberOfTrainingJobs: 751, MaxParallelTrainingJobs: 1 } }),
      /MaxNumberOfTrainingJobs 751: a whole number from 1 to 750/,
    ],
    [
      request({ ResourceLimits: { MaxNumberOfTrainingJobs: 5, MaxParallelTrainingJobs: 0 } }),
      /MaxParallelTrainingJobs 0/,
    ],
    [
      request({ ResourceLimits: { MaxNumberOfTrainingJobs: 5, MaxParallelTrainingJobs: 101 } }),
      /MaxParallelTrainingJobs 101/,
    ],
    [
      request({
        ResourceLimits: { MaxNumberOfTrainingJobs: 5, MaxParallelTrainingJobs: 1, MaxRuntimeInSeconds: 60 },
      }),
      /MaxRuntimeInSeconds 60: a whole number from 120 to 15768000/,
    ],
    [
      request({ HyperParameterTuningJobObjective: { Type: "Best", MetricName: "validation:auc" } }),
      /objective Type "Best"/,
    ],
    [
      request({ HyperParameterTuningJobObjective: { Type: "Maximize", MetricName: "my-score" } }),
      /Cannot tune on my-score: no MetricDefinitions entry/,
    ],
    [
      request({ TrainingJobEarlyStoppingType: "Sometimes" }),
      /TrainingJobEarlyStoppingType "Sometimes": one of Off, Auto/,
    ],
    [
      request({
        TuningJobCompletionCriteria: {
          BestObjectiveNotImproving: { MaxNumberOfTrainingJobsNotImproving: 2 },
        },
      }),
      /MaxNumberOfTrainingJobsNotImproving 2: a whole number from 3/,
    ],
    [
      request({ TuningJobCompletionCriteria: { ConvergenceDetected: { CompleteOnConvergence: "Yes" } } }),
      /CompleteOnConvergence "Yes"/,
    ],
    [request({ RandomSeed: -1 }), /RandomSeed -1/],
    [request({ ParameterRanges: {} }), /at least one range/],
    [request({}, { eta: "0.3" }), /Cannot tune eta: it is also a static hyperparameter/],
    [
      request({}, Object.fromEntries(Array.from({ length: 96 }, (_, i) => [`k${i}`, "1"]))),
      /101 hyperparameters \(static, tuned and _tuning_objective_metric\): SageMaker takes at most 100/,
    ],
    [
      {
        ...request(),
        WarmStartConfig: { ParentHyperParameterTuningJobs: [], WarmStartType: "TransferLearning" },
      },
      /warm start from 0 parent tuning jobs: 1 to 5/,
    ],
    [
      {
        ...request(),
        WarmStartConfig: {
          ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: "p" }],
          WarmStartType: "Both",
        },
      },
      /WarmStartType "Both"/,
    ],
    [{ ...request(), TrainingJobDefinition: undefined }, /without a TrainingJobDefinition/],
    [
      {
        ...request(),
        TrainingJobDefinition: {
          ...request().TrainingJobDefinition,
          RetryStrategy: { MaximumRetryAttempts: 31 },
        },
      },
      /MaximumRetryAttempts 31: a whole number from 1 to 30/,
    ],
  ];
  for (const [req, message] of cases)
    assert.throws(() => tuningSpec(req), { code: "SB_TUNING", message }, String(message));
});

test("tuningSpec() reads a custom metric through its MetricDefinitions entry", () => {
  const req = request({ HyperParameterTuningJobObjective: { Type: "Minimize", MetricName: "loss" } });
  const spec = tuningSpec({
    ...req,
    TrainingJobDefinition: {
      ...req.TrainingJobDefinition,
      AlgorithmSpecification: { MetricDefinitions: [{ Name: "loss", Regex: "loss=([0-9.]+)" }] },
    },
  });
  assert.deepEqual(spec.objectiveDefinition, { Name: "loss", Regex: "loss=([0-9.]+)" });
  assert.throws(
    () =>
      tuningSpec({
        ...req,
        TrainingJobDefinition: {
          AlgorithmSpecification: { MetricDefinitions: [{ Name: "loss", Regex: "loss=([0-9.]+" }] },
        },
      }),
    { message: /Cannot read metric loss: its Regex does not compile/ },
  );
});

test("property: any request, however malformed, is read or refused with SB_TUNING, never a crash", () => {
  const field = <T>(a: fc.Arbitrary<T>) => fc.option(fc.oneof(a, fc.anything()), { nil: undefined });
  const range = fc.record(
    {
      Name: field(fc.constantFrom("eta", "max_depth", "", "x".repeat(300))),
      MinValue: field(fc.constantFrom("0", "1", "-1", "1e-3", "abc", "0.5")),
      MaxValue: field(fc.constantFrom("0", "10", "0.9", "1", "NaN", "")),
      ScalingType: field(fc.constantFrom("Auto", "Linear", "Logarithmic", "ReverseLogarithmic", "log")),
      Values: field(fc.array(fc.string(), { maxLength: 4 })),
    },
    { requiredKeys: [] },
  );
  const request = fc.record(
    {
      HyperParameterTuningJobName: field(fc.constantFrom("job", "bad_name", "")),
      HyperParameterTuningJobConfig: field(
        fc.record(
          {
            Strategy: field(fc.constantFrom("Bayesian", "Random", "Grid", "Hyperband", "Other")),
            HyperParameterTuningJobObjective: field(
              fc.record(
                {
                  Type: field(fc.constantFrom("Maximize", "Minimize")),
                  MetricName: field(fc.constantFrom("validation:auc", "loss")),
                },
                { requiredKeys: [] },
              ),
            ),
            ResourceLimits: field(
              fc.record(
                {
                  MaxNumberOfTrainingJobs: field(fc.integer({ min: -2, max: 800 })),
                  MaxParallelTrainingJobs: field(fc.integer({ min: -1, max: 120 })),
                },
                { requiredKeys: [] },
              ),
            ),
            ParameterRanges: field(
              fc.record(
                {
                  IntegerParameterRanges: field(fc.array(range, { maxLength: 3 })),
                  ContinuousParameterRanges: field(fc.array(range, { maxLength: 3 })),
                  CategoricalParameterRanges: field(fc.array(range, { maxLength: 3 })),
                },
                { requiredKeys: [] },
              ),
            ),
            StrategyConfig: field(
              fc.record(
                {
                  HyperbandStrategyConfig: field(
                    fc.record(
                      { MinResource: field(fc.integer()), MaxResource: field(fc.integer()) },
                      { requiredKeys: [] },
                    ),
                  ),
                },
                { requiredKeys: [] },
              ),
            ),
            TrainingJobEarlyStoppingType: field(fc.constantFrom("Off", "Auto")),
            RandomSeed: field(fc.integer()),
          },
          { requiredKeys: [] },
        ),
      ),
      TrainingJobDefinition: field(
        fc.record(
          { StaticHyperParameters: field(fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 })) },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(request, (req) => {
      try {
        const spec = tuningSpec(req as TuningJobRequest);
        assert.ok(spec.ranges.length > 0 && spec.maxJobs >= 1, "a spec that was read is usable");
      } catch (e) {
        assert.equal((e as { code?: string }).code, "SB_TUNING", String(e));
      }
    }),
    { numRuns: 300 },
  );
});
