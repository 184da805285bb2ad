import assert from "node:assert/strict";
import { test } from "node:test";
import { fc } from "../../../../test/kit/property.js";
import { type ParameterRange, parseParameterRanges, scaleOf, unitOf, valueAt } from "./_ranges.js";
import { rngStream } from "./_rng.js";

test("parseParameterRanges() reads the three kinds, with Auto as the default scale", () => {
  const ranges = parseParameterRanges({
    IntegerParameterRanges: [{ Name: "max_depth", MinValue: "1", MaxValue: "10" }],
    ContinuousParameterRanges: [
      { Name: "eta", MinValue: "0.01", MaxValue: "0.5", ScalingType: "Logarithmic" },
    ],
    CategoricalParameterRanges: [{ Name: "tree_method", Values: ["hist", "approx"] }],
  });
  assert.deepEqual(ranges, [
    { kind: "Integer", name: "max_depth", min: 1, max: 10, scaling: "Auto" },
    { kind: "Continuous", name: "eta", min: 0.01, max: 0.5, scaling: "Logarithmic" },
    { kind: "Categorical", name: "tree_method", values: ["hist", "approx"] },
  ]);
});

test("parseParameterRanges() holds SageMaker's scaling rules and limits, naming the range", () => {
  const cases: [Parameters<typeof parseParameterRanges>[0], RegExp][] = [
    [
      {
        ContinuousParameterRanges: [
          { Name: "alpha", MinValue: "0", MaxValue: "10", ScalingType: "Logarithmic" },
        ],
      },
      /alpha on a Logarithmic scale: it works only for ranges above 0, and MinValue is 0/,
    ],
    [
      { IntegerParameterRanges: [{ Name: "d", MinValue: "0", MaxValue: "5", ScalingType: "Logarithmic" }] },
      /d on a Logarithmic scale/,
    ],
    [
      {
        ContinuousParameterRanges: [
          { Name: "m", MinValue: "0.5", MaxValue: "1", ScalingType: "ReverseLogarithmic" },
        ],
      },
      /m on a ReverseLogarithmic scale: it works only for ranges within 0 <= x < 1, and the range is \[0.5, 1\]/,
    ],
    [
      {
        ContinuousParameterRanges: [
          { Name: "m", MinValue: "-0.1", MaxValue: "0.5", ScalingType: "ReverseLogarithmic" },
        ],
      },
      /within 0 <= x < 1/,
    ],
    [
      {
        IntegerParameterRanges: [
          { Name: "n", MinValue: "0", MaxValue: "1", ScalingType: "ReverseLogarithmic" },
        ],
      },
      /n on a ReverseLogarithmic scale: it is for continuous ranges only/,
    ],
    [
      { IntegerParameterRanges: [{ Name: "n", MinValue: "1.5", MaxValue: "3" }] },
      /MinValue "1.5" is not an integer/,
    ],
    [
      { ContinuousParameterRanges: [{ Name: "x", MinValue: "abc", MaxValue: "3" }] },
      /MinValue "abc" is not a number/,
    ],
    [
      { ContinuousParameterRanges: [{ Name: "x", MinValue: "3", MaxValue: "1" }] },
      /MinValue 3 is greater than MaxValue 1/,
    ],
    [
      { ContinuousParameterRanges: [{ Name: "x", MinValue: "0", MaxValue: "1", ScalingType: "Log" }] },
      /ScalingType "Log" is not one of/,
    ],
    [{ CategoricalParameterRanges: [{ Name: "c", Values: [] }] }, /at least one value/],
    [
      { CategoricalParameterRanges: [{ Name: "c", Values: Array.from({ length: 31 }, (_, i) => `v${i}`) }] },
      /31 values, over SageMaker's 30/,
    ],
    [{ CategoricalParameterRanges: [{ Name: "c", Values: ["a", "a"] }] }, /listed twice/],
    [
      {
        IntegerParameterRanges: [{ Name: "x", MinValue: "1", MaxValue: "2" }],
        CategoricalParameterRanges: [{ Name: "x", Values: ["a"] }],
      },
      /Cannot tune x twice/,
    ],
    [
      {
        ContinuousParameterRanges: Array.from({ length: 31 }, (_, i) => ({
          Name: `p${i}`,
          MinValue: "0",
          MaxValue: "1",
        })),
      },
      /31 ContinuousParameterRanges: SageMaker takes at most 30/,
    ],
    [
      {
        ContinuousParameterRanges: Array.from({ length: 16 }, (_, i) => ({
          Name: `p${i}`,
          MinValue: "0",
          MaxValue: "1",
        })),
        IntegerParameterRanges: Array.from({ length: 15 }, (_, i) => ({
          Name: `q${i}`,
          MinValue: "0",
          MaxValue: "1",
        })),
      },
      /31 hyperparameters: SageMaker searches at most 30/,
    ],
  ];
  for (const [shape, message] of cases) {
    assert.throws(() => parseParameterRanges(shape), { code: "SB_TUNING", message }, JSON.stringify(shape));
  }
});

test("scaleOf() decides Auto: logarithmic for positive ranges spanning two decades, else linear", () => {
  const r = (min: number, max: number): ParameterRange => ({
    kind: "Continuous",
    name: "x",
    min,
    max,
    scaling: "Auto",
  });
  assert.equal(scaleOf(r(0.001, 0.1) as never), "Logarithmic");
  assert.equal(scaleOf(r(10, 1000) as never), "Logarithmic");
  assert.equal(scaleOf(r(0.01, 0.5) as never), "Linear");
  assert.equal(scaleOf(r(0, 1000) as never), "Linear");
  assert.equal(scaleOf({ ...r(0, 0.9), scaling: "ReverseLogarithmic" } as never), "ReverseLogarithmic");
});

test("valueAt() draws each scale with its own density: log per decade, reverse log per decade of 1 - x", () => {
  const u = rngStream(1, 1);
  const log: ParameterRange = { kind: "Continuous", name: "l", min: 0.001, max: 1, scaling: "Logarithmic" };
  const rev: ParameterRange = {
    kind: "Continuous",
    name: "r",
    min: 0,
    max: 0.999,
    scaling: "ReverseLogarithmic",
  };
  const decades = [0, 0, 0];
  const revDecades = [0, 0, 0];
  for (let i = 0; i < 3000; i++) {
    const v = Number(valueAt(log, u()));
    decades[Math.min(2, Math.floor(-Math.log10(v)))]! += 1;
    const w = 1 - Number(valueAt(rev, u()));
    revDecades[Math.min(2, Math.floor(-Math.log10(w)))]! += 1;
  }
  for (const d of [...decades, ...revDecades])
    assert.ok(d > 850 && d < 1150, `about a third each: ${decades} ${revDecades}`);
});

test("an integer range gives every integer the same share, its ends included", () => {
  const r: ParameterRange = { kind: "Integer", name: "d", min: 1, max: 4, scaling: "Linear" };
  const counts = new Map<string, number>();
  const u = rngStream(3, 3);
  for (let i = 0; i < 4000; i++) {
    const v = valueAt(r, u());
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  assert.deepEqual([...counts.keys()].sort(), ["1", "2", "3", "4"]);
  for (const c of counts.values()) assert.ok(c > 900 && c < 1100, String([...counts]));
});

const numericRange = fc
  .record({
    kind: fc.constantFrom("Integer" as const, "Continuous" as const),
    a: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    b: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    scaling: fc.constantFrom("Auto" as const, "Linear" as const, "Logarithmic" as const),
  })
  .map(({ kind, a, b, scaling }): ParameterRange => {
    let [min, max] = a <= b ? [a, b] : [b, a];
    if (kind === "Integer") [min, max] = [Math.ceil(min), Math.max(Math.ceil(min), Math.floor(max))];
    if (scaling === "Logarithmic") {
      min = kind === "Integer" ? Math.max(1, Math.abs(min)) : Math.max(1e-6, Math.abs(min));
      max = Math.max(min, Math.abs(max));
    }
    return { kind, name: "x", min, max, scaling };
  });

test("property: valueAt() stays inside its range, and unitOf() finds where a value sits", () => {
  fc.assert(
    fc.property(numericRange, fc.double({ min: 0, max: 1, noNaN: true }), (range, u) => {
      const v = valueAt(range, u);
      const n = Number(v);
      assert.ok(
        range.kind !== "Categorical" && n >= range.min && n <= range.max,
        `${v} in ${JSON.stringify(range)}`,
      );
      if (range.kind === "Integer") assert.ok(Number.isInteger(n), "Number.isInteger(n)");
      const back = unitOf(range, v);
      assert.ok(back !== undefined && back >= 0 && back <= 1, "back !== undefined && back >= 0 && back <= 1");
      // The value at the found unit is the value itself (a round trip through the scale).
      assert.equal(valueAt(range, back), v);
    }),
  );
});

test("property: unitOf() refuses values a range does not hold", () => {
  fc.assert(
    fc.property(numericRange, fc.double({ noNaN: true }), (range, x) => {
      if (range.kind === "Categorical") return;
      const inside = x >= range.min && x <= range.max && (range.kind === "Continuous" || Number.isInteger(x));
      if (!inside) assert.equal(unitOf(range, String(x)), undefined);
    }),
  );
  assert.equal(unitOf({ kind: "Categorical", name: "c", values: ["a", "b"] }, "c"), undefined);
  assert.equal(unitOf({ kind: "Categorical", name: "c", values: ["a", "b"] }, "b"), 0.75);
});
