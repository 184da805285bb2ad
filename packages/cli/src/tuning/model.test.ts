import assert from "node:assert/strict";
import { test } from "node:test";
import { XGBOOST_TUNING_METRICS } from "@sagebrew/runtime/core";
import { fc } from "../../../../test/kit/property.js";
import { cholesky, expectedImprovement, fitGp, normalCdf, predict, solveLower, solveUpper } from "./_gp.js";
import { leaderboardLines } from "./_leaderboard.js";
import { metricReader, objectiveDefinition, parseObjective } from "./_objective.js";
import { rngStream } from "./_rng.js";
import { hyperbandStops, medianRuleStops } from "./_stopping.js";

test("property: cholesky() factors a symmetric positive definite matrix, and the solves invert it", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 64, maxLength: 64 }),
      (n, raw) => {
        // A = B Bᵀ + n·I is symmetric positive definite.
        const a = new Float64Array(n * n);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) {
            let s = i === j ? n : 0;
            for (let k = 0; k < n; k++) s += raw[i * 8 + k]! * raw[j * 8 + k]!;
            a[i * n + j] = s;
          }
        const l = cholesky(a, n)!;
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let k = 0; k < n; k++) s += l[i * n + k]! * l[j * n + k]!;
            assert.ok(
              Math.abs(s - a[i * n + j]!) < 1e-8 * (1 + Math.abs(a[i * n + j]!)),
              `L Lᵀ = A at ${i},${j}`,
            );
          }
        const b = Array.from({ length: n }, (_, i) => raw[i]! + 1);
        const x = solveUpper(l, n, solveLower(l, n, b));
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += a[i * n + k]! * x[k]!;
          assert.ok(Math.abs(s - b[i]!) < 1e-7 * (1 + Math.abs(b[i]!)), `A x = b at ${i}`);
        }
      },
    ),
  );
  assert.equal(cholesky(new Float64Array([1, 2, 2, 1]), 2), undefined, "not positive definite");
});

test("the Gaussian process interpolates what it saw and is unsure far from it", () => {
  const u = rngStream(1, 2);
  const x = [[0.1], [0.3], [0.5], [0.7], [0.9]];
  const f = (v: number) => Math.sin(6 * v);
  const gp = fitGp(
    x,
    x.map((p) => f(p[0]!)),
    { u },
  )!;
  for (const p of x) {
    const { mean, sd } = predict(gp, p);
    assert.ok(Math.abs(mean - f(p[0]!)) < 0.05, `mean at ${p}: ${mean}`);
    assert.ok(sd < 0.1, `sure at a seen point: ${sd}`);
  }
  assert.ok(predict(gp, [0.4]).sd < predict(gp, [2]).sd, "less sure far away");
});

test("expectedImprovement() and normalCdf() against known values", () => {
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7, "Φ(0)");
  assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6, "Φ(1.96)");
  assert.ok(Math.abs(normalCdf(-1.959964) - 0.025) < 1e-6, "Φ(-1.96)");
  assert.equal(expectedImprovement(1, 0, 0.5), 0.5);
  assert.equal(expectedImprovement(0, 0, 0.5), 0);
  // At the incumbent with sd 1: EI = φ(0) = 0.3989…
  assert.ok(Math.abs(expectedImprovement(0, 1, 0) - 0.398942) < 1e-5, "EI at z = 0");
});

test("medianRuleStops() compares the epoch's value with the median of finished trials' running averages", () => {
  const finished = [
    [0.5, 0.6, 0.7],
    [0.6, 0.7, 0.8],
    [0.7, 0.8, 0.9],
  ];
  // At epoch 2 the running averages are 0.55, 0.65, 0.75: median 0.65.
  assert.equal(medianRuleStops([0.1, 0.6], finished), true);
  assert.equal(medianRuleStops([0.1, 0.7], finished), false);
  assert.equal(medianRuleStops([0.1, 0.6], finished.slice(0, 2)), false, "too few finished trials to judge");
  assert.equal(medianRuleStops([0.1, 0.1, 0.1, 0.1], finished), false, "none of them reached epoch 4");
});

test("hyperbandStops() keeps the best third at a rung, the first arrival always", () => {
  const rungs = [1, 3, 9];
  assert.equal(hyperbandStops([0.5], [], rungs), false, "first at the rung");
  assert.equal(hyperbandStops([0.5], [[0.9]], rungs), true, "two at the rung: only the better goes on");
  assert.equal(hyperbandStops([0.95], [[0.9]], rungs), false);
  assert.equal(hyperbandStops([0.5, 0.6], [[0.9, 0.95]], rungs), false, "epoch 2 is no rung");
  // Five recorded at epoch 1 plus this one: the best two go on.
  const others = [[0.1], [0.2], [0.3], [0.4], [0.5]];
  assert.equal(hyperbandStops([0.45], others, rungs), false);
  assert.equal(hyperbandStops([0.35], others, rungs), true);
});

test("parseObjective() takes the built-in metrics' own direction and asks it of any other", () => {
  assert.deepEqual(parseObjective("validation:auc"), { type: "Maximize", metricName: "validation:auc" });
  assert.deepEqual(parseObjective("validation:rmse"), { type: "Minimize", metricName: "validation:rmse" });
  assert.deepEqual(parseObjective("validation:f1"), { type: "Maximize", metricName: "validation:f1" });
  assert.deepEqual(parseObjective("validation:error@0.3"), {
    type: "Minimize",
    metricName: "validation:error@0.3",
  });
  assert.deepEqual(parseObjective("validation:auc:min"), { type: "Minimize", metricName: "validation:auc" });
  assert.deepEqual(parseObjective("loss:min"), { type: "Minimize", metricName: "loss" });
  assert.throws(() => parseObjective("my-score"), {
    code: "SB_TUNING",
    message:
      /not a metric of the built-in XGBoost algorithm \(AWS lists validation:accuracy, validation:auc, .*validation:rmse\), so say which way is better: my-score:max or my-score:min/,
  });
  // Every metric AWS lists for tuning XGBoost has the direction AWS gives it.
  for (const m of XGBOOST_TUNING_METRICS) assert.equal(parseObjective(m.name).type, m.type, m.name);
  assert.throws(() => parseObjective(":max"), { code: "SB_TUNING" });
});

test("metricReader() reads the objective from evaluation lines as printed and as CloudWatch shows them", () => {
  const read = metricReader(objectiveDefinition({ type: "Maximize", metricName: "validation:auc" }));
  assert.equal(read("[3]\ttrain-auc:0.91\tvalidation-auc:0.875"), 0.875);
  assert.equal(read("[3]#011train-auc:0.91#011validation-auc:0.875"), 0.875);
  assert.equal(read("[3]\ttrain-auc:0.91"), undefined);
  assert.ok(Number.isNaN(read("[4]\tvalidation-auc:nan")!), "nan is a value");
  const custom = metricReader({ Name: "loss", Regex: "loss=([-0-9.e]+)" });
  assert.equal(custom("epoch 2 loss=0.25"), 0.25);
  assert.equal(custom("no metric here"), undefined);
});

test("leaderboardLines() ranks by the objective, marks the best, and lists running and failed trials after", () => {
  const lines = leaderboardLines(
    [
      { name: "t-001", status: "Completed", hyperParameters: { eta: "0.1" }, final: 0.8 },
      { name: "t-002", status: "Failed", hyperParameters: { eta: "0.9" } },
      { name: "t-003", status: "Completed", hyperParameters: { eta: "0.3" }, final: 0.9 },
      {
        name: "t-004",
        status: "InProgress",
        hyperParameters: { eta: "0.2" },
        latest: { value: 0.7, epoch: 4 },
      },
    ],
    { type: "Maximize", metricName: "validation:auc" },
    ["eta"],
  );
  assert.deepEqual(lines, [
    "   training job  status      validation:auc  eta",
    "*  t-003         Completed   0.9             0.3",
    "   t-001         Completed   0.8             0.1",
    "   t-002         Failed      -               0.9",
    "   t-004         InProgress  0.7 @4          0.2",
  ]);
});
