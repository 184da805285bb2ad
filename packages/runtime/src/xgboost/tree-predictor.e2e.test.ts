import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fc } from "../../../../test/kit/property.js";
import { Booster, DMatrix, firstMismatch, sharedPool, XGBoostPool } from "./index.js";
import {
  compileTreeModel,
  parseBaseScore,
  probeBatch,
  readUbj,
  type TreePredictor,
  treeModelSupport,
  treePredictorFromSpec,
} from "./tree-predictor.js";

after(() => sharedPool().close());

const COLS = 6;

/** Seeded rows in [-2, 2] with ~10% missing, and labels for `kind` (classes, or a positive target). */
function dataset(rows: number, kind: { classes: number } | "positive" | "real", seed = 3) {
  let s = seed;
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const values = Float32Array.from({ length: rows * COLS }, () => (rnd() < 0.1 ? Number.NaN : rnd() * 4 - 2));
  const labels = Float32Array.from({ length: rows }, (_, r) => {
    const x = (c: number) => values[r * COLS + c] || 0;
    const v = x(0) + x(1) * x(2) + 0.5 * Math.sin(3 * x(3)) + 0.2 * rnd();
    if (kind === "real") return v;
    if (kind === "positive") return Math.exp(v / 2) * 3; // > 0, as reg:gamma requires
    const k = kind.classes;
    return k === 2 ? (v > 0 ? 1 : 0) : Math.max(0, Math.min(k - 1, Math.floor(((v + 3) / 6) * k)));
  });
  return { values, labels, rows, cols: COLS };
}

type Params = Record<string, string | number | boolean>;

function train(params: Params, kind: Parameters<typeof dataset>[1], rounds = 12): Booster {
  const d = dataset(400, kind);
  const dtrain = DMatrix.fromDense(d, { labels: d.labels });
  const b = Booster.create([dtrain], { tree_method: "hist", seed: 1, nthread: 1, ...params });
  for (let i = 0; i < rounds; i++) b.update(i, dtrain);
  dtrain.dispose();
  return b;
}

const modelJson = (b: Booster): Record<string, unknown> =>
  JSON.parse(b.save("json").toString("utf8")) as Record<string, unknown>;

/**
 * Asserts that both walkers of `p`'s spec (generated and loop) give libxgboost's margins bit for
 * bit, and its outputs within 1e-6, on fresh rows and on the probe batch.
 */
function assertParity(b: Booster, p: TreePredictor): void {
  const fresh = dataset(300, "real", 99);
  const probe = probeBatch(p);
  for (const kernel of ["generated", "loop"] as const) {
    const q = treePredictorFromSpec(p.spec, kernel);
    assert.equal(q.kernel, kernel);
    for (const { values, rows } of [fresh, probe]) {
      const margins = b.predictDense({ values, rows, cols: COLS }, { type: 1 }).values;
      assert.equal(firstMismatch(q.margins(values, rows), margins, 0), undefined, `${kernel} margins`);
      const native = b.predictDense({ values, rows, cols: COLS }).values;
      assert.equal(firstMismatch(q.predict(values, rows), native), undefined, `${kernel} outputs`);
    }
  }
}

/** The model's walkers, read from its UBJ save (checked to be the JSON save's trees too). */
function compiled(b: Booster): TreePredictor {
  const ubj = readUbj(b.save("ubj"));
  const p = compileTreeModel(ubj);
  assert.ok(p, `expected the model to compile: ${treeModelSupport(ubj)}`);
  assert.deepEqual(compileTreeModel(modelJson(b))?.spec, p.spec, "UBJ and JSON give the same spec");
  return p;
}

describe("the JavaScript tree predictor", () => {
  const objectives: Array<[string, Params, Parameters<typeof dataset>[1]]> = [
    ["binary:logistic", {}, { classes: 2 }],
    ["binary:logitraw", {}, { classes: 2 }],
    ["binary:hinge", {}, { classes: 2 }],
    ["reg:logistic", {}, { classes: 2 }],
    ["multi:softprob", { num_class: 3 }, { classes: 3 }],
    ["multi:softmax", { num_class: 3 }, { classes: 3 }],
    ["reg:squarederror", {}, "real"],
    ["reg:absoluteerror", {}, "real"],
    ["count:poisson", {}, "positive"],
    ["reg:gamma", {}, "positive"],
    ["reg:tweedie", {}, "positive"],
  ];
  for (const [objective, extra, kind] of objectives) {
    it(`matches native for ${objective}, with missing values`, () => {
      const b = train({ objective, max_depth: 4, ...extra }, kind);
      const p = compiled(b);
      assert.equal(p.objective, objective);
      assert.equal(p.width, objective === "multi:softprob" ? 3 : 1);
      assertParity(b, p);
      b.dispose();
    });
  }

  it("matches native for every depth from 1 to 8", () => {
    for (let depth = 1; depth <= 8; depth++) {
      const b = train({ objective: "binary:logistic", max_depth: depth }, { classes: 2 }, 6);
      assertParity(b, compiled(b));
      b.dispose();
    }
  });

  it("matches native with num_parallel_tree > 1 (a boosted random forest)", () => {
    const params = { num_parallel_tree: 4, subsample: 0.7, colsample_bynode: 0.6, max_depth: 5 };
    for (const [objective, kind] of [
      ["reg:squarederror", "real"],
      ["multi:softprob", { classes: 4 }],
    ] as const) {
      const b = train(
        { objective, ...(objective === "multi:softprob" ? { num_class: 4 } : {}), ...params },
        kind,
        5,
      );
      const p = compiled(b);
      assert.equal(p.numTrees, 5 * 4 * (objective === "multi:softprob" ? 4 : 1));
      assertParity(b, p);
      b.dispose();
    }
  });

  it("matches native with many classes (12, softprob and softmax)", () => {
    for (const objective of ["multi:softprob", "multi:softmax"]) {
      const b = train({ objective, num_class: 12, max_depth: 3 }, { classes: 12 }, 8);
      const p = compiled(b);
      assert.equal(p.numTrees, 8 * 12);
      assertParity(b, p);
      b.dispose();
    }
  });

  it("matches native with base_score set explicitly (probability space for logistic, log for poisson)", () => {
    const cases: Array<[Params, Parameters<typeof dataset>[1]]> = [
      [{ objective: "binary:logistic", base_score: 0.2 }, { classes: 2 }],
      [{ objective: "binary:logitraw", base_score: 0.3 }, { classes: 2 }],
      [{ objective: "reg:squarederror", base_score: 2.5 }, "real"],
      [{ objective: "count:poisson", base_score: 3 }, "positive"],
      [{ objective: "multi:softprob", num_class: 3, base_score: 0.9 }, { classes: 3 }],
    ];
    for (const [params, kind] of cases) {
      const b = train({ max_depth: 3, ...params }, kind, 4);
      assertParity(b, compiled(b));
      b.dispose();
    }
  });

  it("reads base_score as XGBoost 3.1 writes it (a vector string)", () => {
    assert.deepEqual(parseBaseScore("5E-1"), [0.5]);
    assert.deepEqual(parseBaseScore("[5E-1]"), [0.5]);
    assert.deepEqual(parseBaseScore("[1E0, 2E0]"), [1, 2]);
    assert.equal(parseBaseScore("[]"), undefined);
    assert.equal(parseBaseScore("abc"), undefined);
    const b = train({ objective: "binary:logistic", base_score: 0.25, max_depth: 3 }, { classes: 2 }, 3);
    const json = modelJson(b) as { learner: { learner_model_param: { base_score: string } } };
    const written = json.learner.learner_model_param.base_score;
    if (!written.startsWith("[")) json.learner.learner_model_param.base_score = `[${written}]`; // 1.7–3.0 write a scalar
    const p = compileTreeModel(json);
    assert.ok(p);
    assertParity(b, p);
    b.dispose();
  });

  it("agrees with native on random rows (property: any float32 values, NaN and ±∞ included)", () => {
    const b = train({ objective: "multi:softprob", num_class: 3, max_depth: 6 }, { classes: 3 }, 10);
    const p = compiled(b);
    const cell = fc.oneof(
      fc.float({ noDefaultInfinity: false, noNaN: false }),
      fc.float({ min: -3, max: 3, noNaN: true }),
      fc.constant(Number.NaN),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(cell, { minLength: 8 * COLS, maxLength: 8 * COLS }),
        (rows, cells) => {
          const values = Float32Array.from(cells.slice(0, rows * COLS));
          const native = b.predictDense({ values, rows, cols: COLS }).values;
          return firstMismatch(p.predict(values, rows), native) === undefined;
        },
      ),
      { numRuns: 300 },
    );
    b.dispose();
  });

  it("builds a probe batch that reaches every leaf of every tree", () => {
    const b = train({ objective: "binary:logistic", max_depth: 6 }, { classes: 2 }, 8);
    const json = modelJson(b) as {
      learner: {
        gradient_booster: { model: { trees: Array<{ left_children: number[]; parents: number[] }> } };
      };
    };
    const trees = json.learner.gradient_booster.model.trees;
    const probe = probeBatch(compiled(b));
    // Native leaf indices (prediction type 6), one per row and tree.
    // A DMatrix refuses ±∞; ±3.4e38 takes the same branches.
    const finite = probe.values.map((v) =>
      Number.isFinite(v) || Number.isNaN(v) ? v : Math.sign(v) * 3.4e38,
    );
    const dmat = DMatrix.fromDense({ values: finite, rows: probe.rows, cols: COLS });
    const leaves = b.predict(dmat, { type: 6 }).values;
    dmat.dispose();
    for (const [t, tree] of trees.entries()) {
      const expected = new Set(
        tree.left_children.flatMap((l, n) =>
          l === -1 && (n === 0 || tree.parents[n] !== 2147483647) ? [n] : [],
        ),
      );
      const reached = new Set<number>();
      for (let r = 0; r < probe.rows; r++) reached.add(leaves[r * trees.length + t]!);
      assert.deepEqual(
        [...reached].sort((x, y) => x - y),
        [...expected].sort((x, y) => x - y),
        `tree ${t}`,
      );
    }
    b.dispose();
  });

  it("declines iteration ranges (native handles them)", () => {
    const b = train({ objective: "binary:logistic", max_depth: 2 }, { classes: 2 }, 3);
    const p = compiled(b);
    assert.equal(p.predict(new Float32Array(COLS), 1, { iterationEnd: 2 }), undefined);
    assert.ok(p.predict(new Float32Array(COLS), 1, { iterationBegin: 0, iterationEnd: 0 }));
    b.dispose();
  });

  it("declines what it does not reproduce: dart, gblinear, categorical splits, multi-target, other objectives", () => {
    const dart = train(
      { objective: "binary:logistic", booster: "dart", rate_drop: 0.1, max_depth: 3 },
      { classes: 2 },
      3,
    );
    assert.equal(compileTreeModel(modelJson(dart)), undefined);
    assert.match(treeModelSupport(modelJson(dart)) ?? "", /booster dart/);
    dart.dispose();
    const linear = train({ objective: "reg:squarederror", booster: "gblinear" }, "real", 3);
    assert.equal(compileTreeModel(modelJson(linear)), undefined);
    assert.match(treeModelSupport(modelJson(linear)) ?? "", /booster gblinear/);
    linear.dispose();

    const b = train({ objective: "binary:logistic", max_depth: 3 }, { classes: 2 }, 3);
    type Tree = { split_type: number[]; tree_param: Record<string, string> };
    type Model = {
      learner: {
        objective: { name: string };
        learner_model_param: Record<string, string>;
        gradient_booster: { model: { trees: Tree[] } };
      };
    };
    const edit = (change: (m: Model) => void) => {
      const m = modelJson(b) as Model;
      change(m);
      return treeModelSupport(m);
    };
    assert.match(
      edit((m) => {
        m.learner.gradient_booster.model.trees[1]!.split_type[0] = 1;
      }) ?? "",
      /categorical/,
    );
    assert.match(
      edit((m) => {
        m.learner.learner_model_param.num_target = "2";
      }) ?? "",
      /num_target/,
    );
    assert.match(
      edit((m) => {
        m.learner.gradient_booster.model.trees[0]!.tree_param.size_leaf_vector = "2";
      }) ?? "",
      /multi-target/,
    );
    assert.match(
      edit((m) => {
        m.learner.objective.name = "rank:pairwise";
      }) ?? "",
      /rank:pairwise/,
    );
    assert.match(
      edit((m) => {
        m.learner.objective.name = "survival:aft";
      }) ?? "",
      /survival:aft/,
    );
    assert.equal(compileTreeModel({ nope: 1 }), undefined);
    assert.equal(compileTreeModel(null), undefined);
    b.dispose();
  });

  it("runs the trees as generated functions of about 1024 nodes each, and matches native", () => {
    const b = train({ objective: "multi:softprob", num_class: 3, max_depth: 6 }, { classes: 3 }, 30);
    const p = compiled(b);
    assert.equal(p.kernel, "generated");
    assert.ok(p.numNodes > 3 * 1024, `only ${p.numNodes} nodes`);
    assertParity(b, p);
    b.dispose();
  });

  it("walks any number of rows with the loop walker (blocks of 64, four rows side by side, the rest one by one)", () => {
    const b = train({ objective: "multi:softprob", num_class: 3, max_depth: 5 }, { classes: 3 }, 8);
    const p = treePredictorFromSpec(compiled(b).spec, "loop");
    const { values } = dataset(131, "real", 21);
    for (let rows = 1; rows <= 131; rows++) {
      const part = values.subarray(0, rows * COLS);
      const margins = b.predictDense({ values: part, rows, cols: COLS }, { type: 1 }).values;
      assert.equal(firstMismatch(p.margins(part, rows), margins, 0), undefined, `${rows} rows`);
    }
    b.dispose();
  });

  it("packs only the nodes a walk reaches (XGBoost keeps pruned ones in its arrays)", () => {
    const b = train({ objective: "binary:logistic", max_depth: 3 }, { classes: 2 }, 2);
    type Tree = Record<string, unknown[]>;
    const m = modelJson(b) as { learner: { gradient_booster: { model: { trees: Tree[] } } } };
    const tree = m.learner.gradient_booster.model.trees[0]!;
    const before = compileTreeModel(m)!;
    // One unreachable leaf appended to every per-node array.
    const n = tree.left_children!.length;
    for (const key of Object.keys(tree)) {
      const a = tree[key];
      if (Array.isArray(a) && a.length === n) a.push(key.endsWith("children") ? -1 : 0);
    }
    assert.equal(tree.split_conditions!.length, n + 1);
    const after = compileTreeModel(m)!;
    assert.equal(after.numNodes, before.numNodes);
    assert.deepEqual(after.spec.nodes, before.spec.nodes);
    b.dispose();
  });

  it("refuses a spec whose walk could loop or read out of range, whoever made it", () => {
    const b = train({ objective: "binary:logistic", max_depth: 3 }, { classes: 2 }, 2);
    const spec = compiled(b).spec;
    const edited = (change: (nodes: Int32Array, roots: Int32Array) => void) => {
      const nodes = spec.nodes.slice();
      const roots = spec.roots.slice();
      change(nodes, roots);
      return () => treePredictorFromSpec({ ...spec, nodes, roots }, "loop");
    };
    assert.throws(
      edited((n) => {
        n[1] = 0;
      }),
      /node 0 has its children at 0/,
      "a child before its parent: a loop",
    );
    assert.throws(
      edited((n) => {
        n[1] = n.length - 3;
      }),
      /children at/,
      "a right child past the end",
    );
    assert.throws(
      edited((n) => {
        n[0] = 2 * COLS;
      }),
      /feature 6/,
    );
    assert.throws(
      edited((_, r) => {
        r[1] = 4;
      }),
      /root at 4/,
    );
    assert.throws(() => treePredictorFromSpec({ ...spec, treeGroups: Int32Array.of(0, 1) }), /group 1/);
    b.dispose();
  });

  it("is rebuilt from its spec after a structured clone (as a pool thread gets it), bit for bit", () => {
    const b = train({ objective: "multi:softprob", num_class: 3, max_depth: 4 }, { classes: 3 });
    const p = compiled(b);
    const copy = treePredictorFromSpec(structuredClone(p.spec));
    const { values, rows } = dataset(500, "real", 7);
    assert.deepEqual(copy.predict(values, rows), p.predict(values, rows));
    assert.throws(() => treePredictorFromSpec({ ...p.spec, objective: "rank:pairwise" }), /rank:pairwise/);
    // Only whole numbers reach the generated source.
    const sneaky = { ...p.spec, numFeatures: "4) + process.exit(3" as unknown as number };
    assert.throws(() => treePredictorFromSpec(sneaky), /features/);
    b.dispose();
  });

  it("runs on pool threads, each building it once from the spec, and again after it is forgotten", async () => {
    const b = train({ objective: "multi:softprob", num_class: 3, max_depth: 4 }, { classes: 3 });
    const p = compiled(b);
    const pool = new XGBoostPool(2);
    try {
      pool.start();
      const { values, rows } = dataset(2000, "real", 5);
      const expected = p.predict(values, rows)!;
      const both = await Promise.all([
        pool.predictTrees(p, values, rows),
        pool.predictTrees(p, values, rows),
      ]);
      for (const got of both) assert.deepEqual(got, expected);
      assert.deepEqual(await pool.predictTrees(p, values, rows), expected, "a thread reuses its predictor");
      assert.equal(values.length, rows * COLS, "the rows are copied, not moved");
      pool.forgetTrees(p);
      assert.deepEqual(await pool.predictTrees(p, values.subarray(COLS), rows - 1), expected.subarray(3));
    } finally {
      await pool.close();
      b.dispose();
    }
  });

  it("walks the trees with a loop where code generation is refused, with the same values", () => {
    const b = train({ objective: "binary:logistic", max_depth: 5 }, { classes: 2 });
    const dir = mkdtempSync(join(tmpdir(), "sb-trees-"));
    try {
      const { values, rows } = dataset(200, "real", 11);
      writeFileSync(join(dir, "model.json"), b.save("json"));
      writeFileSync(join(dir, "rows.f32"), values); // NaN (missing) survives, as JSON would not keep it
      const script = `
        import { readFileSync } from "node:fs";
        const { compileTreeModel } = await import(${JSON.stringify(new URL("./tree-predictor.ts", import.meta.url).href)});
        const p = compileTreeModel(JSON.parse(readFileSync(${JSON.stringify(join(dir, "model.json"))}, "utf8")));
        const bytes = readFileSync(${JSON.stringify(join(dir, "rows.f32"))});
        const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
        process.stdout.write(JSON.stringify({ kernel: p.kernel, out: Array.from(p.predict(values, ${rows})) }));`;
      const child = JSON.parse(
        execFileSync(
          process.execPath,
          ["--disallow-code-generation-from-strings", "--import", "tsx", "--input-type=module", "-e", script],
          { encoding: "utf8" },
        ),
      ) as { kernel: string; out: number[] };
      assert.equal(child.kernel, "loop");
      assert.equal(compiled(b).kernel, "generated");
      assert.deepEqual(Float32Array.from(child.out), compiled(b).predict(values, rows));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      b.dispose();
    }
  });

  it("rejects malformed trees rather than looping or reading out of range", () => {
    const b = train({ objective: "binary:logistic", max_depth: 3 }, { classes: 2 }, 2);
    type Tree = { left_children: number[]; right_children: number[]; split_indices: number[] };
    const edit = (change: (t: Tree) => void) => {
      const m = modelJson(b) as { learner: { gradient_booster: { model: { trees: Tree[] } } } };
      change(m.learner.gradient_booster.model.trees[0]!);
      return treeModelSupport(m);
    };
    assert.match(
      edit((t) => {
        t.left_children[1] = 0;
      }) ?? "",
      /tree 0/,
    );
    assert.match(
      edit((t) => {
        t.right_children[0] = 999;
      }) ?? "",
      /tree 0/,
    );
    assert.match(
      edit((t) => {
        t.split_indices[0] = COLS;
      }) ?? "",
      /feature/,
    );
    assert.match(
      edit((t) => {
        t.left_children.pop();
      }) ?? "",
      /length/,
    );
    b.dispose();
  });
});
