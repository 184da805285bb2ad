import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isSagebrewError } from "../errors/index.js";
import { loadXGBoost } from "./_library.js";
import { Booster, DMatrix, sharedPool, XGBoostPool, xgboostVersion } from "./index.js";

after(() => sharedPool().close());

function dataset(rows: number, cols: number, seed = 1) {
  const values = new Float32Array(rows * cols);
  const labels = new Float32Array(rows);
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) values[r * cols + c] = rnd() * 2 - 1;
    labels[r] = values[r * cols]! + values[r * cols + 1]! > 0 ? 1 : 0;
  }
  return { values, labels, rows, cols };
}

describe("the XGBoost binding", () => {
  it("reports the library version (1.7 or newer)", () => {
    const [major, minor] = xgboostVersion();
    assert.ok(major > 1 || (major === 1 && minor >= 7));
  });

  it("names the install command when the library is missing", () => {
    assert.throws(
      () => loadXGBoost("/nonexistent/libxgboost.so"),
      (e: unknown) =>
        isSagebrewError(e, "SB_XGBOOST_MISSING") && /apt-get install libxgboost0/.test(e.message),
    );
  });

  it("builds dense and CSR matrices with missing values, labels and weights", () => {
    const dense = DMatrix.fromDense(
      { values: new Float32Array([1, Number.NaN, 3, 4, 5, Number.NaN]), rows: 2, cols: 3 },
      { labels: new Float32Array([0, 1]), weights: new Float32Array([1, 2]) },
    );
    assert.equal(dense.rows, 2);
    assert.equal(dense.cols, 3);
    const csr = DMatrix.fromCsr({
      indptr: new Uint32Array([0, 2, 3]),
      indices: new Uint32Array([0, 2, 1]),
      values: new Float32Array([1, 3, 5]),
      rows: 2,
      cols: 3,
    });
    assert.equal(csr.rows, 2);
    assert.equal(csr.cols, 3);
    dense.dispose();
    csr.dispose();
    dense.dispose(); // idempotent
    assert.throws(() => dense.rows, /used after dispose/);
  });

  it("builds a QuantileDMatrix from batches on a pool thread, which keeps none of their memory", async () => {
    const pool = new XGBoostPool(1);
    try {
      const parts = [dataset(100_000, 20, 1), dataset(60_000, 20, 2)];
      const copy = parts.map((p) => ({ ...p, values: p.values.slice(), labels: p.labels.slice() }));
      const dmat = await DMatrix.fromBatchesAsync(parts, { pool, nthread: 1 });
      const same = DMatrix.fromBatches(copy, { nthread: 1 });
      assert.equal(dmat.rows, 160_000);
      assert.equal(parts[0]!.values.length, 0, "the batches are handed over, not copied");
      // V8 reports collected objects a little after collecting them: ask a few times.
      let held = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 40 && held > 0; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 50));
        held = await pool.run<number>({ op: "heldBatches" });
      }
      assert.equal(held, 0, "the pool thread still holds batches after the build");
      const params = { objective: "binary:logistic", tree_method: "hist", nthread: 1, seed: 3 };
      const predictions = [dmat, same].map((d) => {
        const b = Booster.create([d], params);
        for (let i = 0; i < 3; i++) b.update(i, d);
        const p = b.predict(d);
        b.dispose();
        return p;
      });
      assert.deepEqual(predictions[0], predictions[1]);
      dmat.dispose();
      same.dispose();
    } finally {
      await pool.close();
    }
  });

  it("spills the batches to a file after XGBoost's first pass: freed at once, the same matrix, no file left", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sagebrew-spill-test-"));
    try {
      const parts = () => [dataset(50_000, 12, 5), dataset(30_000, 12, 6), dataset(20_000, 12, 7)];
      const spilled = parts();
      const kept = parts();
      const viaFile = DMatrix.fromBatches(spilled, { nthread: 1, spillDir: dir });
      const inMemory = DMatrix.fromBatches(kept, { nthread: 1 });
      // Handed to XGBoost in views of 1,000 rows (12,000 values) and fewer, each part freed after its last.
      const small = parts();
      const inViews = DMatrix.fromBatches(small, { nthread: 1, spillDir: dir, spillChunkBytes: 48_000 });
      assert.deepEqual(
        small.map((p) => p.values.byteLength),
        [0, 0, 0],
      );
      // Freed as the first pass moved on (detached, not waiting for V8), where without a spill
      // directory only the last pass drops the batches, to V8's collector.
      assert.deepEqual(
        spilled.map((p) => p.values.byteLength),
        [0, 0, 0],
      );
      assert.equal(kept[0]!.values.byteLength, 50_000 * 12 * 4);
      assert.deepEqual(readdirSync(dir), [], "the spill file is gone");
      // An unwritable directory: built in memory all the same.
      const fallback = DMatrix.fromBatches(parts(), { nthread: 1, spillDir: join(dir, "missing", "deeper") });
      const params = { objective: "binary:logistic", tree_method: "hist", nthread: 1, seed: 3 };
      const models = [viaFile, inMemory, fallback, inViews].map((d) => {
        const b = Booster.create([d], params);
        for (let i = 0; i < 4; i++) b.update(i, d);
        const bytes = b.save("ubj");
        b.dispose();
        d.dispose();
        return bytes;
      });
      assert.deepEqual(models[0], models[1], "the same model from spilled batches");
      assert.deepEqual(models[2], models[1]);
      assert.deepEqual(models[3], models[1], "the same model from batches handed over in views");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs jobs alone on a thread each, one after the other, each thread gone after its job", async () => {
    const pool = new XGBoostPool(1);
    try {
      const jobs = [1, 2, 3].map(() => pool.runAlone<number>({ op: "heldBatches" }));
      let most = 0;
      let done = false;
      void Promise.all(jobs).then(() => {
        done = true;
      });
      while (!done) {
        most = Math.max(most, pool.aloneThreads);
        await new Promise((r) => setImmediate(r));
      }
      assert.deepEqual(await Promise.all(jobs), [0, 0, 0]);
      assert.equal(most, 1, "never two at once");
      assert.equal(pool.aloneThreads, 0, "each thread ended after its job");
    } finally {
      await pool.close();
    }
  });

  it("computes on at most the CPU count of threads, whatever the pool's size", async () => {
    const wide = new XGBoostPool(64);
    assert.equal(wide.parallelism, Math.min(64, availableParallelism()));
    assert.equal(new XGBoostPool(1).parallelism, 1);
    await wide.close();
  });

  it("rejects a label count that does not match the rows", () => {
    assert.throws(
      () =>
        DMatrix.fromDense({ values: new Float32Array(4), rows: 2, cols: 2 }, { labels: new Float32Array(3) }),
      /Cannot set label: 3 values for 2 rows/,
    );
  });

  it("frees a booster and its matrix disposed while a round runs on the pool once the round ends", async () => {
    const d = dataset(2000, 6);
    const m = DMatrix.fromDense(d, { labels: d.labels });
    const b = Booster.create([m], { objective: "binary:logistic", tree_method: "hist" });
    const round = b.updateAsync(0, m);
    b.dispose();
    m.dispose();
    assert.ok(b.disposed && m.disposed);
    assert.throws(() => b.predict(m), /used after dispose/);
    await round; // the round finishes on handles that stayed alive for it
    assert.throws(() => b.handle, /Booster used after dispose/);
  });

  it("trains the same model synchronously and on the pool, reproducibly with sampling", async () => {
    const d = dataset(2000, 6);
    const params = {
      objective: "binary:logistic",
      tree_method: "hist",
      subsample: 0.7,
      colsample_bytree: 0.8,
      seed: 5,
    };
    const trainOnce = async (async: boolean) => {
      const m = DMatrix.fromDense(d, { labels: d.labels });
      const b = Booster.create([m], params);
      const lines: string[] = [];
      for (let i = 0; i < 5; i++) {
        if (async) await b.updateAsync(i, m);
        else b.update(i, m);
        lines.push(async ? await b.evalAsync(i, [[m, "train"]]) : b.eval(i, [[m, "train"]]));
      }
      const bytes = b.save("json");
      b.dispose();
      m.dispose();
      return { lines, bytes: bytes.toString() };
    };
    const a = await trainOnce(false);
    const b = await trainOnce(true);
    const c = await trainOnce(true);
    assert.match(a.lines[0]!, /^\[0\]\ttrain-logloss:\d+\.\d+$/);
    assert.deepEqual(b.lines, a.lines);
    assert.equal(c.bytes, b.bytes);
  });

  it("predicts the same from a DMatrix, in place from dense and CSR, and on the pool", async () => {
    const d = dataset(300, 4);
    const m = DMatrix.fromDense(d, { labels: d.labels });
    const b = Booster.create([m], { objective: "binary:logistic" });
    for (let i = 0; i < 3; i++) b.update(i, m);
    const fromDMatrix = b.predict(m).values;
    const inPlace = b.predictDense(d).values;
    const pooled = (await b.predictDenseAsync(d)).values;
    const indptr = new Uint32Array(d.rows + 1);
    const indices = new Uint32Array(d.rows * d.cols);
    for (let r = 0; r < d.rows; r++) {
      indptr[r + 1] = (r + 1) * d.cols;
      for (let c = 0; c < d.cols; c++) indices[r * d.cols + c] = c;
    }
    const csr = b.predictCsr({ indptr, indices, values: d.values, rows: d.rows, cols: d.cols }).values;
    assert.deepEqual(Array.from(inPlace), Array.from(fromDMatrix));
    assert.deepEqual(Array.from(pooled), Array.from(fromDMatrix));
    assert.deepEqual(Array.from(csr), Array.from(fromDMatrix));
    const margin = b.predictDense(d, { type: 1 }).values;
    assert.ok(Math.abs(1 / (1 + Math.exp(-margin[0]!)) - inPlace[0]!) < 1e-6);
    assert.throws(
      () => b.predictDense({ values: new Float32Array(3), rows: 1, cols: 3 }),
      /expects 4 features per row, the input has 3/,
    );
    b.dispose();
    m.dispose();
  });

  it("predicts in place through one reused proxy: no call sees another's rows, width or kind", () => {
    // One proxy DMatrix serves every in-place prediction of a thread (`_ops.ts`): boosters of
    // different widths, dense and CSR, many rows then one, must each answer as from a DMatrix.
    const wide = dataset(120, 6);
    const narrow = dataset(80, 2);
    const fit = (d: ReturnType<typeof dataset>) => {
      const m = DMatrix.fromDense(d, { labels: d.labels });
      const b = Booster.create([m], { objective: "binary:logistic" });
      for (let i = 0; i < 3; i++) b.update(i, m);
      const expected = Array.from(b.predict(m).values);
      m.dispose();
      return { b, expected };
    };
    const w = fit(wide);
    const n = fit(narrow);
    const csrOf = (d: ReturnType<typeof dataset>, rows: number) => {
      const indptr = new Uint32Array(rows + 1);
      const indices = new Uint32Array(rows * d.cols);
      for (let r = 0; r < rows; r++) {
        indptr[r + 1] = (r + 1) * d.cols;
        for (let c = 0; c < d.cols; c++) indices[r * d.cols + c] = c;
      }
      return { indptr, indices, values: d.values.subarray(0, rows * d.cols), rows, cols: d.cols };
    };
    const one = (d: ReturnType<typeof dataset>, r: number) => ({
      values: d.values.slice(r * d.cols, (r + 1) * d.cols),
      rows: 1,
      cols: d.cols,
    });
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(Array.from(w.b.predictDense(wide).values), w.expected);
      assert.deepEqual(Array.from(n.b.predictCsr(csrOf(narrow, narrow.rows)).values), n.expected);
      assert.deepEqual(Array.from(n.b.predictDense(one(narrow, 7)).values), [n.expected[7]]);
      assert.deepEqual(Array.from(w.b.predictCsr(csrOf(wide, 5)).values), w.expected.slice(0, 5));
      assert.deepEqual(Array.from(w.b.predictDense(one(wide, 119)).values), [w.expected[119]]);
      assert.deepEqual(Array.from(n.b.predictDense(narrow).values), n.expected);
    }
    w.b.dispose();
    n.b.dispose();
  });

  it("saves and loads JSON and UBJ, to buffers and files, keeping attributes", async () => {
    const d = dataset(200, 3);
    const m = DMatrix.fromDense(d, { labels: d.labels });
    const b = Booster.create([m], { objective: "binary:logistic" });
    for (let i = 0; i < 4; i++) b.update(i, m);
    b.setAttr("sagebrew_class_names", '["no","yes"]');
    const expected = Array.from(b.predictDense(d).values);
    const dir = await mkdtemp(join(tmpdir(), "sb-xgb-"));
    try {
      for (const format of ["json", "ubj"] as const) {
        const bytes = b.save(format);
        if (format === "json")
          assert.equal(JSON.parse(bytes.toString()).learner.attributes.sagebrew_class_names, '["no","yes"]');
        const fromBuffer = Booster.fromBuffer(bytes);
        assert.deepEqual(Array.from(fromBuffer.predictDense(d).values), expected);
        assert.equal(fromBuffer.getAttr("sagebrew_class_names"), '["no","yes"]');
        assert.equal(fromBuffer.boostedRounds, 4);
        assert.equal(fromBuffer.numFeatures, 3);
        fromBuffer.dispose();
        const path = join(dir, `model.${format}`);
        await b.saveFile(path);
        assert.deepEqual(await readFile(path), bytes);
        const fromFile = await Booster.fromFile(path);
        assert.deepEqual(Array.from(fromFile.predictDense(d).values), expected);
        fromFile.dispose();
      }
      const sliced = b.slice(0, 2);
      assert.equal(sliced.boostedRounds, 2);
      sliced.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
      b.dispose();
      m.dispose();
    }
  });

  it("carries XGBoost's own error text in one line, from the calling thread and from the pool", async () => {
    const d = dataset(50, 2);
    const m = DMatrix.fromDense(d, { labels: d.labels });
    const b = Booster.create([m], { objective: "no:such" });
    assert.throws(
      () => b.update(0, m),
      (e: unknown) =>
        isSagebrewError(e, "SB_XGBOOST") && /Unknown objective function: `no:such`/.test(e.message),
    );
    const b2 = Booster.create([m], { objective: "no:such" });
    await assert.rejects(b2.updateAsync(0, m), /Unknown objective function: `no:such`/);
    assert.throws(
      () => Booster.fromBuffer(new Uint8Array([1, 2, 3])),
      // One line: XGBoost's native backtrace ("Stack trace: [bt] (0) …") is left out.
      (e: unknown) => isSagebrewError(e, "SB_XGBOOST") && !/Stack trace|\[bt\]|\n/.test(e.message),
    );
    b.dispose();
    b2.dispose();
    m.dispose();
  });

  it("keeps the event loop free while a round runs on the pool", async () => {
    const d = dataset(200_000, 20);
    const m = DMatrix.fromDense(d, { labels: d.labels });
    const b = Booster.create([m], { objective: "binary:logistic", max_depth: 10, tree_method: "exact" });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await b.updateAsync(0, m);
    clearInterval(timer);
    assert.ok(ticks > 0, "timers ran while XGBoost computed");
    b.dispose();
    m.dispose();
  });
});
