import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { fc } from "../../../../test/kit/property.js";
import { Booster, DMatrix, sharedPool } from "./index.js";
import { compileTreeModel, readUbj } from "./tree-predictor.js";

after(() => sharedPool().close());

function model(): Booster {
  const rows = 200;
  const values = Float32Array.from({ length: rows * 3 }, (_, i) => ((i * 7919) % 101) / 10 - 5);
  const labels = Float32Array.from({ length: rows }, (_, r) =>
    values[r * 3]! + values[r * 3 + 1]! > 0 ? 1 : 0,
  );
  const d = DMatrix.fromDense({ values, rows, cols: 3 }, { labels });
  const b = Booster.create([d], { objective: "binary:logistic", max_depth: 3, nthread: 1, seed: 1 });
  for (let i = 0; i < 3; i++) b.update(i, d);
  d.dispose();
  return b;
}

describe("the UBJ reader", () => {
  it("reads libxgboost's UBJ save as its JSON save, typed arrays for the typed ones", () => {
    const b = model();
    type Tree = { split_conditions: ArrayLike<number>; left_children: ArrayLike<number> };
    type Model = { learner: { objective: { name: string }; gradient_booster: { model: { trees: Tree[] } } } };
    const fromUbj = readUbj(b.save("ubj")) as unknown as Model;
    const fromJson = JSON.parse(b.save("json").toString("utf8")) as Model;
    const tree = (m: Model) => m.learner.gradient_booster.model.trees[0]!;
    assert.ok(tree(fromUbj).split_conditions instanceof Float32Array);
    assert.ok(tree(fromUbj).left_children instanceof Int32Array);
    assert.deepEqual(Array.from(tree(fromUbj).left_children), tree(fromJson).left_children);
    assert.deepEqual(
      Array.from(tree(fromUbj).split_conditions),
      Array.from(tree(fromJson).split_conditions, (v) => Math.fround(v)),
    );
    assert.equal(fromUbj.learner.objective.name, fromJson.learner.objective.name);
    assert.deepEqual(compileTreeModel(fromUbj)?.spec, compileTreeModel(fromJson)?.spec);
    b.dispose();
  });

  it("reads every UBJ type: scalars, strings, nested and typed containers, no-ops", () => {
    const bytes = Uint8Array.from([
      ...[0x7b], // {
      ...[0x55, 1, 0x61, 0x69, 0xfe], // a: int8 -2
      ...[0x55, 1, 0x62, 0x53, 0x55, 2, 0x68, 0x69], // b: "hi"
      ...[0x55, 1, 0x63, 0x5b, 0x54, 0x46, 0x5a, 0x4e, 0x44, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x5d], // c: [true, false, null, 1.5]
      ...[0x55, 1, 0x64, 0x5b, 0x24, 0x6c, 0x23, 0x55, 2, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff], // d: int32 [1, -1]
      ...[0x55, 1, 0x65, 0x5b, 0x24, 0x53, 0x23, 0x55, 1, 0x55, 1, 0x7a], // e: ["z"] (typed, not numeric)
      ...[0x55, 1, 0x66, 0x4c, 0, 0, 0, 0, 0, 0, 1, 0], // f: int64 256
      0x7d, // }
    ]);
    const v = readUbj(bytes) as Record<string, unknown>;
    assert.equal(v.a, -2);
    assert.equal(v.b, "hi");
    assert.deepEqual(v.c, [true, false, null, 1.5]);
    assert.deepEqual(v.d, Int32Array.of(1, -1));
    assert.deepEqual(v.e, ["z"]);
    assert.equal(v.f, 256);
  });

  it("throws a TypeError for any truncation or corruption of a model, and never anything else (property)", () => {
    const b = model();
    const bytes = new Uint8Array(b.save("ubj"));
    b.dispose();
    for (let cut = 0; cut < bytes.length; cut += 7) {
      assert.throws(() => readUbj(bytes.subarray(0, cut)), TypeError, `cut at ${cut}`);
    }
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (flips) => {
          const copy = bytes.slice();
          for (const [at, v] of flips) copy[at] = v;
          try {
            const m = readUbj(copy);
            compileTreeModel(m, "loop"); // whatever it read is judged, never crashes
            return true;
          } catch (e) {
            return e instanceof TypeError;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses counts larger than the bytes left, and nesting deeper than 64", () => {
    assert.throws(
      () => readUbj(Uint8Array.of(0x5b, 0x23, 0x6c, 0x7f, 0xff, 0xff, 0xff)),
      /elements in too few bytes/,
    );
    assert.throws(() => readUbj(new Uint8Array(100).fill(0x5b)), /nesting deeper than 64/);
    assert.throws(() => readUbj(Uint8Array.of(0x69, 1, 0x69)), /trailing bytes/);
  });
});
