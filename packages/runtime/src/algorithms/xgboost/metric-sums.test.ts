import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CUSTOM_METRICS } from "./hyperparameters.js";
import { BINARY_ONLY_METRICS, computeMetric, metricFromSums, metricSums } from "./metrics.js";

/** Seeded labels and predictions for an objective. */
function sample(objective: string, rows: number, seed: number) {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const multi = objective.startsWith("multi:");
  const width = multi ? 3 : 1;
  const labels = new Float32Array(rows);
  const values = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    if (objective.startsWith("reg:squared")) {
      labels[r] = 100 + rnd() * 10;
      values[r] = labels[r]! + rnd() - 0.5;
    } else {
      labels[r] = Math.floor(rnd() * (multi ? 3 : 2));
      for (let k = 0; k < width; k++) values[r * width + k] = rnd();
    }
  }
  return { labels, predictions: { values, shape: multi ? [rows, 3] : [rows] }, width };
}

function slice(d: ReturnType<typeof sample>, from: number, to: number) {
  return {
    labels: d.labels.slice(from, to),
    predictions: {
      values: d.predictions.values.slice(from * d.width, to * d.width),
      shape: d.width > 1 ? [to - from, d.width] : [to - from],
    },
  };
}

describe("metricSums() and metricFromSums()", () => {
  const cases: Array<[string, readonly string[]]> = [
    ["binary:logistic", CUSTOM_METRICS.filter((m) => m !== "mse" && m !== "r2")],
    [
      "multi:softprob",
      CUSTOM_METRICS.filter((m) => m !== "mse" && m !== "r2" && !BINARY_ONLY_METRICS.has(m)),
    ],
    ["reg:squarederror", ["mse", "r2"]],
  ];
  for (const [objective, metrics] of cases) {
    it(`give ${objective}'s metrics over every host's rows, as computeMetric() over all of them`, () => {
      const all = sample(objective, 301, 7);
      const parts = [slice(all, 0, 100), slice(all, 100, 101), slice(all, 101, 301)];
      for (const m of metrics) {
        const sums = parts
          .map((p) => metricSums(m, objective, 3, p.labels, p.predictions))
          .reduce((a, b) => a.map((v, i) => v + b[i]!));
        const whole = computeMetric(m, objective, all.labels, all.predictions);
        const combined = metricFromSums(m, sums);
        assert.ok(
          Math.abs(combined - whole) <= 1e-9 * Math.max(1, Math.abs(whole)),
          `${m}: ${combined} vs ${whole}`,
        );
      }
    });
  }

  it("refuses a classification metric of a regression objective (its classes cannot be lined up)", () => {
    const d = sample("reg:squarederror", 10, 1);
    assert.throws(
      () => metricSums("accuracy", "reg:squarederror", undefined, d.labels, d.predictions),
      /across hosts/,
    );
  });
});
