import assert from "node:assert/strict";
import { test } from "node:test";
import { fc } from "../../../../test/kit/property.js";
import { TuningMachine, type TuningState } from "./_machine.js";
import { bracketOf, hyperbandBrackets, hyperbandRungs } from "./_stopping.js";
import { bestOf, bowl, bowlRequest, machineFor, simulate } from "./testdata/simulate.js";

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

/** A Grid job over categorical ranges p0, p1, … of `sizes[i]` values each, `parallel` at a time. */
function gridMachine(sizes: readonly number[], parallel: number, seed: number) {
  const ranges = sizes.map((n, i) => ({
    Name: `p${i}`,
    Values: Array.from({ length: n }, (_, k) => `v${k}`),
  }));
  return machineFor(
    bowlRequest({
      Strategy: "Grid",
      ResourceLimits: { MaxParallelTrainingJobs: parallel },
      ParameterRanges: { CategoricalParameterRanges: ranges },
    }),
    seed,
  );
}

test("a trial gets the static and tuned hyperparameters and _tuning_objective_metric, under SageMaker's name scheme", () => {
  const m = machineFor(bowlRequest({ RandomSeed: 5 }, "xgb-tune"), 1);
  const t = m.propose(0)!;
  assert.match(t.name, /^xgb-tune-001-[0-9a-f]{8}$/);
  const hp = m.hyperParametersOf(t);
  assert.equal(hp.num_round, "30");
  assert.equal(hp._tuning_objective_metric, "validation:auc");
  assert.deepEqual(Object.keys(t.hyperParameters).sort(), ["eta", "max_depth", "subsample"]);
  assert.equal(m.propose(0), undefined, "MaxParallelTrainingJobs 1: no second trial while the first runs");
});

test("Grid runs every combination exactly once, whatever the parallelism", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 0, max: 1000 }),
      (sizes, parallel, seed) => {
        const m = gridMachine(sizes, parallel, seed);
        simulate(m, { landscape: () => 0.5, epochs: 3, seed });
        const seen = m.state.trials.map((t) => JSON.stringify(t.hyperParameters));
        const expected = sizes.reduce((a, b) => a * b, 1);
        assert.equal(seen.length, expected);
        assert.equal(new Set(seen).size, expected, "no combination twice");
        assert.equal(m.state.status, "Completed");
      },
    ),
  );
});

test("property: running trials never exceed MaxParallelTrainingJobs, nor trials MaxNumberOfTrainingJobs", () => {
  fc.assert(
    fc.property(
      fc.constantFrom("Bayesian", "Random", "Hyperband"),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 0, max: 10_000 }),
      fc.boolean(),
      (strategy, parallel, jobs, seed, early) => {
        const m = machineFor(
          bowlRequest({
            Strategy: strategy,
            ResourceLimits: { MaxParallelTrainingJobs: parallel, MaxNumberOfTrainingJobs: jobs },
            ...(strategy === "Hyperband"
              ? { StrategyConfig: { HyperbandStrategyConfig: { MinResource: 1, MaxResource: 9 } } }
              : early
                ? { TrainingJobEarlyStoppingType: "Auto" }
                : {}),
          }),
          seed,
        );
        simulate(m, {
          landscape: bowl,
          epochs: 9,
          seed,
          check: (x) => {
            assert.ok(x.running().length <= parallel, "parallel limit");
            assert.ok(x.state.trials.length <= jobs, "job limit");
          },
        });
        assert.equal(m.state.trials.length, jobs);
        const c = m.summary().trainingJobStatusCounters;
        assert.equal(c.Completed + c.Stopped + c.NonRetryableError, jobs);
        assert.equal(c.InProgress, 0);
      },
    ),
    { numRuns: 40 },
  );
});

test("RandomSeed makes every strategy's trials repeatable; the driver's seed stands in when it is absent", () => {
  for (const Strategy of ["Random", "Bayesian", "Hyperband"]) {
    const extra =
      Strategy === "Hyperband" ? { StrategyConfig: { HyperbandStrategyConfig: { MaxResource: 9 } } } : {};
    const run = (driverSeed: number, randomSeed?: number) => {
      const m = machineFor(
        bowlRequest({ Strategy, ...extra, ...(randomSeed !== undefined ? { RandomSeed: randomSeed } : {}) }),
        driverSeed,
      );
      simulate(m, { landscape: bowl, epochs: 9, seed: 3 });
      return m.state.trials.map((t) => t.hyperParameters);
    };
    assert.deepEqual(run(1, 42), run(2, 42), `${Strategy}: RandomSeed decides`);
    assert.deepEqual(run(7), run(7), `${Strategy}: same seed, same trials`);
    assert.notDeepEqual(run(7), run(8), `${Strategy}: another seed, other trials`);
  }
});

test("Bayesian finds a better objective than Random within 20 trials (median of 10 seeds)", () => {
  const best = (Strategy: string) =>
    Array.from({ length: 10 }, (_, seed) => {
      const m = machineFor(bowlRequest({ Strategy, RandomSeed: seed }), 0);
      simulate(m, { landscape: bowl, epochs: 5, seed });
      return bestOf(m);
    });
  const bayes = median(best("Bayesian"));
  const random = median(best("Random"));
  assert.ok(bayes > random, `Bayesian ${bayes} > Random ${random}`);
  assert.ok(bayes > 0.97, `Bayesian comes near the optimum 1: ${bayes}`);
});

test("Bayesian with parallel trials proposes distinct points while others run", () => {
  const m = machineFor(
    bowlRequest({
      ResourceLimits: { MaxNumberOfTrainingJobs: 16, MaxParallelTrainingJobs: 4 },
      RandomSeed: 3,
    }),
    0,
  );
  simulate(m, { landscape: bowl, epochs: 4, seed: 3 });
  const keys = m.state.trials.map((t) => JSON.stringify(t.hyperParameters));
  assert.equal(new Set(keys).size, keys.length);
});

test("early stopping Auto stops trials worse than the median of earlier trials' running averages", () => {
  const run = (early: "Auto" | "Off") => {
    const m = machineFor(
      bowlRequest({
        Strategy: "Random",
        TrainingJobEarlyStoppingType: early,
        RandomSeed: 11,
        ResourceLimits: { MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 2 },
      }),
      0,
    );
    return simulate(m, { landscape: bowl, epochs: 20, seed: 11 });
  };
  const on = run("Auto");
  const off = run("Off");
  const stopped = on.machine.state.trials.filter((t) => t.stopCause === "EarlyStopping");
  assert.ok(stopped.length >= 3, `some trials stopped early: ${stopped.length}`);
  for (const t of stopped) assert.equal(t.status, "Stopped");
  assert.ok(on.epochs < off.epochs, `fewer epochs trained: ${on.epochs} < ${off.epochs}`);
  assert.equal(off.machine.state.trials.filter((t) => t.stopCause).length, 0);
  // The first trials have nothing to compare with: none of the first three is stopped.
  assert.ok(
    on.machine.state.trials.slice(0, 3).every((t) => t.stopCause === undefined),
    "none of the first three is stopped",
  );
});

test("bracketOf() shares trials among brackets as Hyperband does: η^s / (s + 1)", () => {
  const brackets = hyperbandBrackets(1, 27);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 12_250; i++) counts[bracketOf(brackets, (i + 0.5) / 12_250)]! += 1;
  // Weights 27/4, 9/3, 3/2, 1/1 of 12.25.
  assert.deepEqual(counts, [6750, 3000, 1500, 1000]);
});

test("Hyperband stops weak trials at their rungs and trains the others to MaxResource", () => {
  assert.deepEqual(hyperbandRungs(1, 27), [1, 3, 9]);
  assert.deepEqual(hyperbandRungs(5, 50), [5, 15, 45]);
  const m = machineFor(
    bowlRequest({
      Strategy: "Hyperband",
      RandomSeed: 4,
      ResourceLimits: { MaxNumberOfTrainingJobs: 30, MaxParallelTrainingJobs: 3 },
      StrategyConfig: { HyperbandStrategyConfig: { MinResource: 1, MaxResource: 27 } },
    }),
    0,
  );
  const r = simulate(m, { landscape: bowl, epochs: 27, seed: 4 });
  assert.deepEqual(hyperbandBrackets(1, 27), [[1, 3, 9], [3, 9], [9], []]);
  const stopped = m.state.trials.filter((t) => t.stopCause === "Hyperband" && t.curve.length < 27);
  assert.ok(stopped.length >= 10, `most trials stop early: ${stopped.length}`);
  for (const t of stopped)
    assert.ok(
      m.brackets[t.bracket!]!.includes(t.curve.length),
      `stopped at a rung of its bracket: ${t.bracket} ${t.curve.length}`,
    );
  assert.ok(new Set(m.state.trials.map((t) => t.bracket)).size >= 3, "trials drawn into several brackets");
  assert.ok(
    m.state.trials.some((t) => t.curve.length === 27),
    "some trials reach MaxResource",
  );
  assert.ok(r.epochs < 30 * 27 * 0.5, `well under half the epochs of running all to the end: ${r.epochs}`);
});

test("TargetObjectiveMetricValue and BestObjectiveNotImproving end the job, stopping what runs", () => {
  const target = machineFor(
    bowlRequest({
      RandomSeed: 2,
      TuningJobCompletionCriteria: { TargetObjectiveMetricValue: 0.9 },
      ResourceLimits: { MaxNumberOfTrainingJobs: 50, MaxParallelTrainingJobs: 2 },
    }),
    0,
  );
  simulate(target, { landscape: bowl, epochs: 3, seed: 2 });
  assert.equal(target.state.status, "Completed");
  assert.match(target.summary().endReason!, /TargetObjectiveMetricValue 0.9 reached/);
  assert.ok(bestOf(target) >= 0.9, "bestOf(target) >= 0.9");
  assert.ok(target.state.trials.length < 50, "target.state.trials.length < 50");

  const flat = machineFor(
    bowlRequest({
      Strategy: "Random",
      RandomSeed: 2,
      TuningJobCompletionCriteria: { BestObjectiveNotImproving: { MaxNumberOfTrainingJobsNotImproving: 4 } },
      ResourceLimits: { MaxNumberOfTrainingJobs: 50, MaxParallelTrainingJobs: 1 },
    }),
    0,
  );
  simulate(flat, { landscape: () => 0.5, epochs: 2, seed: 2 });
  assert.equal(flat.state.trials.length, 5, "the first sets the best, the next four do not improve it");
  assert.match(flat.summary().endReason!, /BestObjectiveNotImproving: 4/);
});

test("ConvergenceDetected ends a Bayesian job once the model expects no 1% improvement", () => {
  const m = machineFor(
    bowlRequest({
      RandomSeed: 1,
      TuningJobCompletionCriteria: { ConvergenceDetected: { CompleteOnConvergence: "Enabled" } },
      ResourceLimits: { MaxNumberOfTrainingJobs: 200, MaxParallelTrainingJobs: 1 },
    }),
    0,
  );
  simulate(m, { landscape: bowl, epochs: 2, seed: 1 });
  assert.equal(m.state.status, "Completed");
  assert.ok(m.state.trials.length < 200, `ended before the budget: ${m.state.trials.length}`);
  assert.ok(m.summary().convergedAt !== undefined, "m.summary().convergedAt !== undefined");
});

test("stop() stops every running trial; the job is Stopping until they end, then Stopped", () => {
  const m = machineFor(
    bowlRequest({
      Strategy: "Random",
      ResourceLimits: { MaxNumberOfTrainingJobs: 10, MaxParallelTrainingJobs: 3 },
    }),
    9,
  );
  for (let i = 0; i < 3; i++) m.propose(0);
  m.observe(m.state.trials[0]!.name, 0.5);
  m.stop(1000);
  assert.equal(m.state.status, "Stopping");
  assert.deepEqual(
    m.toStop().map((t) => t.index),
    [1, 2, 3],
  );
  assert.equal(m.propose(1000), undefined, "nothing new starts");
  for (const t of m.toStop()) m.end(t.name, { status: "Stopped", now: 2000 });
  assert.equal(m.state.status, "Stopped");
  assert.equal(m.summary().trainingJobStatusCounters.Stopped, 3);
  assert.equal(m.summary().best?.name, m.state.trials[0]!.name, "a stopped trial with an objective counts");
});

test("the job fails when its first three training jobs fail, with the first reason", () => {
  const m = machineFor(
    bowlRequest({
      Strategy: "Random",
      ResourceLimits: { MaxNumberOfTrainingJobs: 10, MaxParallelTrainingJobs: 2 },
    }),
    1,
  );
  simulate(m, { landscape: bowl, epochs: 3, seed: 1, failing: new Set([1, 2, 3, 4]) });
  assert.equal(m.state.status, "Failed");
  assert.match(
    m.state.failureReason!,
    /The first 3 training jobs failed; the first said: AlgorithmError: trial \d failed/,
  );
  // At most the three plus what ran beside them (MaxParallelTrainingJobs 2), each stopped by the job.
  assert.ok(m.state.trials.length <= 5, `${m.state.trials.length} trials`);
  for (const t of m.state.trials.slice(3))
    assert.ok(t.status === "Failed" || t.stopCause === "TuningJob", t.name);
});

test("property: a trial that fails for an internal reason is run again under the next name; Grid still runs every combination once, and the budget is not spent on it", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 1, max: 4 }),
      fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 3 }),
      fc.integer({ min: 0, max: 1000 }),
      (sizes, parallel, cut, seed) => {
        const m = gridMachine(sizes, parallel, seed);
        simulate(m, {
          landscape: () => 0.5,
          epochs: 3,
          seed,
          internal: new Set(cut),
          check: (x) => assert.ok(x.running().length <= parallel, "parallel limit"),
        });
        const combinations = sizes.reduce((a, b) => a * b, 1);
        const failed = m.state.trials.filter((t) => t.status === "Failed");
        const completed = m.state.trials.filter((t) => t.status === "Completed");
        assert.equal(m.state.status, "Completed");
        assert.equal(completed.length, combinations, "every combination ran to its end");
        assert.equal(new Set(completed.map((t) => JSON.stringify(t.hyperParameters))).size, combinations);
        assert.equal(m.state.trials.length, combinations + failed.length, "one more trial per cut one");
        for (const f of failed) {
          const again = m.state.trials.find((t) => t.retryOf === f.name)!;
          assert.deepEqual(again.hyperParameters, f.hyperParameters, "the same point, run again");
          assert.ok(again.index > f.index && again.name !== f.name);
        }
        assert.equal(new Set(m.state.trials.map((t) => t.name)).size, m.state.trials.length);
        const c = m.summary().trainingJobStatusCounters;
        assert.deepEqual(
          [c.Completed, c.RetryableError, c.NonRetryableError],
          [combinations, failed.length, 0],
        );
      },
    ),
    { numRuns: 40 },
  );
});

test("a Random search cut short by internal failures tries the points it would have tried without them", () => {
  const run = (internal: ReadonlySet<number>) => {
    const m = machineFor(
      bowlRequest({
        Strategy: "Random",
        RandomSeed: 9,
        ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 1 },
      }),
      0,
    );
    simulate(m, { landscape: bowl, epochs: 2, seed: 4, internal });
    return m;
  };
  const clean = run(new Set());
  const cut = run(new Set([2, 3, 6]));
  const points = (m: TuningMachine) =>
    m.state.trials.filter((t) => t.status === "Completed").map((t) => t.hyperParameters);
  assert.deepEqual(points(cut), points(clean));
  assert.equal(cut.state.trials.length, 9);
  assert.deepEqual(cut.summary().trainingJobStatusCounters, {
    Completed: 6,
    InProgress: 0,
    RetryableError: 3,
    NonRetryableError: 0,
    Stopped: 0,
  });
  assert.equal(cut.summary().best?.final, clean.summary().best?.final);
});

test("a point is run again at most RetryStrategy.MaximumRetryAttempts times (3 without it); its last internal failure counts against the budget", () => {
  const run = (retries?: number) => {
    const request = bowlRequest({
      Strategy: "Random",
      ResourceLimits: { MaxNumberOfTrainingJobs: 10, MaxParallelTrainingJobs: 1 },
    });
    const m = machineFor(
      {
        ...request,
        TrainingJobDefinition: {
          ...request.TrainingJobDefinition,
          ...(retries !== undefined ? { RetryStrategy: { MaximumRetryAttempts: retries } } : {}),
        },
      },
      1,
    );
    // Every training job is cut short: each point runs 1 + retries times, then counts as failed,
    // and the job fails once its first three counted training jobs have.
    simulate(m, {
      landscape: bowl,
      epochs: 2,
      seed: 1,
      internal: new Set(Array.from({ length: 60 }, (_, i) => i + 1)),
    });
    return m;
  };
  for (const [retries, runs] of [
    [1, 2],
    [undefined, 4],
  ] as const) {
    const m = run(retries);
    assert.equal(m.state.status, "Failed");
    assert.match(
      m.state.failureReason!,
      /The first 3 training jobs failed; the first said: InternalServerError/,
    );
    assert.equal(m.state.trials.length, 3 * runs, `MaximumRetryAttempts ${retries}`);
    assert.equal(new Set(m.state.trials.map((t) => JSON.stringify(t.hyperParameters))).size, 3);
    assert.equal(m.summary().trainingJobStatusCounters.RetryableError, 3 * runs);
  }
});

test("MaxRuntimeInSeconds ends the job and stops its trials", () => {
  const m = machineFor(
    bowlRequest({
      Strategy: "Random",
      ResourceLimits: { MaxNumberOfTrainingJobs: 100, MaxParallelTrainingJobs: 2, MaxRuntimeInSeconds: 120 },
    }),
    1,
  );
  simulate(m, { landscape: bowl, epochs: 50, seed: 1 });
  assert.equal(m.state.status, "Completed");
  assert.match(m.summary().endReason!, /MaxRuntimeInSeconds 120/);
  assert.ok(m.state.trials.length < 100, "m.state.trials.length < 100");
});

test("a job resumed from its saved JSON state continues exactly as one that never stopped", () => {
  for (const Strategy of ["Bayesian", "Hyperband", "Random"]) {
    const req = bowlRequest({
      Strategy,
      ResourceLimits: { MaxNumberOfTrainingJobs: 14, MaxParallelTrainingJobs: 3 },
      ...(Strategy === "Hyperband"
        ? { StrategyConfig: { HyperbandStrategyConfig: { MaxResource: 9 } } }
        : { TrainingJobEarlyStoppingType: "Auto" }),
    });
    const whole = machineFor(req, 21);
    simulate(whole, { landscape: bowl, epochs: 9, seed: 5 });
    const first = machineFor(req, 21);
    const part = simulate(first, { landscape: bowl, epochs: 9, seed: 5, maxEvents: 40 });
    const saved = JSON.parse(JSON.stringify(first.state)) as TuningState;
    // The simulated order of events resumes where it left off by replaying its own draws.
    const resumed = new TuningMachine(saved);
    const again = machineFor(req, 21);
    simulate(again, { landscape: bowl, epochs: 9, seed: 5, maxEvents: 40 });
    assert.deepEqual(again.state, resumed.state, `${Strategy}: the saved state is the state`);
    simulate(again, { landscape: bowl, epochs: 9, seed: 5 }, part.events);
    assert.deepEqual(
      again.state.trials.map((t) => [t.name, t.hyperParameters, t.status, t.curve.length]),
      whole.state.trials.map((t) => [t.name, t.hyperParameters, t.status, t.curve.length]),
      Strategy,
    );
  }
});

test("warm start: parents seed the Bayesian model, and IdenticalDataAndAlgorithm reports the overall best", () => {
  const parents = Array.from({ length: 8 }, (_, i) => {
    const hp = {
      eta: String(0.03 + i * 0.03),
      max_depth: String(3 + (i % 6)),
      subsample: String(0.6 + 0.05 * i),
      num_round: "30",
    };
    return {
      tuningJob: "parent-1",
      trainingJob: `parent-1-00${i}-abcdef01`,
      hyperParameters: hp,
      final: bowl(hp),
    };
  });
  const request = (seed: number, type: string) => ({
    ...bowlRequest(
      { RandomSeed: seed, ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 1 } },
      "child",
    ),
    WarmStartConfig: {
      ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: "parent-1" }],
      WarmStartType: type,
    },
  });
  for (const type of ["TransferLearning", "IdenticalDataAndAlgorithm"]) {
    const warm: number[] = [];
    const cold: number[] = [];
    for (let seed = 0; seed < 5; seed++) {
      const w = machineFor(request(seed, type), 0, parents);
      simulate(w, { landscape: bowl, epochs: 2, seed });
      warm.push(bestOf(w));
      const c = machineFor({ ...request(seed, type), WarmStartConfig: undefined }, 0);
      simulate(c, { landscape: bowl, epochs: 2, seed });
      cold.push(bestOf(c));
      if (type === "IdenticalDataAndAlgorithm") {
        const overall = w.summary().overallBest!;
        assert.equal(
          overall.final,
          Math.max(bestOf(w), ...parents.map((p) => p.final)),
          "the best of the job and its parents",
        );
      } else {
        assert.equal(w.summary().overallBest, undefined, "TransferLearning reports no overall best");
      }
    }
    assert.ok(median(warm) > median(cold), `${type}: ${median(warm)} > ${median(cold)} after 6 trials`);
  }
});
