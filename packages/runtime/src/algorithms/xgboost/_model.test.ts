/**
 * Loading model files SageMaker's XGBoost container loads: XGBoost's legacy binary format and
 * Python pickles of a Booster (testdata/README.md says where each file comes from). Predictions
 * are checked against Python XGBoost's for the same files.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isSagebrewError } from "../../errors/index.js";
import { DMatrix, xgboostVersion } from "../../xgboost/index.js";
import { loadModelFile, loadXGBoostDir } from "./_model.js";
import { looksLikePickle, readPickledBooster } from "./_pickle.js";

const TESTDATA = fileURLToPath(new URL("./testdata/", import.meta.url));
const file = (name: string) => join(TESTDATA, name);
const expected = JSON.parse(await readFile(file("pickles.json"), "utf8")) as {
  probe: number[][];
  best_rounds: number[];
  all_rounds: number[];
  rounds: number;
  best_iteration: number;
  upstream_probe: number[][];
  upstream_expected: number[];
  xgb33_expected: number[];
  xgb33_expected_by_xgboost_1_7: number[];
};
const [major, minor] = xgboostVersion();
/** XGBoost 3.1 removed its legacy binary format (and the serialization old pickles hold). */
const readsLegacy = major < 3 || (major === 3 && minor < 1);

function predict(booster: Awaited<ReturnType<typeof loadModelFile>>, rows: number[][]): number[] {
  const d = DMatrix.fromDense({
    rows: rows.length,
    cols: rows[0]!.length,
    values: Float32Array.from(rows.flat()),
  });
  try {
    return Array.from(booster.predict(d).values);
  } finally {
    d.dispose();
  }
}

const close = (a: number[], b: number[]) =>
  a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) < 1e-6);

describe("readPickledBooster()", () => {
  for (const name of [
    "early-stopped-booster-p0.pkl",
    "early-stopped-booster-p2.pkl",
    "early-stopped-booster-p5.pkl",
    "upstream-pickled-booster.pkl",
    "xgb33-booster-p5.pkl",
  ]) {
    it(`finds the Booster's serialized model in ${name}`, async () => {
      const bytes = await readFile(file(name));
      assert.ok(looksLikePickle(bytes));
      const p = readPickledBooster(bytes);
      assert.equal(p.pickledAs, "xgboost.core.Booster");
      assert.ok(p.raw.length > 1000);
      const best: Record<string, number | undefined> = { upstream: 19, xgb33: undefined };
      assert.equal(
        p.bestIteration,
        name.split("-")[0]! in best ? best[name.split("-")[0]!] : expected.best_iteration,
      );
    });
  }

  it("names what a pickle of something else holds, and runs nothing", async () => {
    assert.throws(
      () => readPickledBooster(new Uint8Array(Buffer.from("cos\nsystem\n(Vtouch /tmp/pwned\ntR."))),
      /^Error: it is a Python pickle of a os\.system object, not of an XGBoost Booster$/,
    );
    assert.throws(
      () => readPickledBooster(Uint8Array.from([0x80, 0x04, 0x7d, 0x94, 0x2e])),
      /pickle of a dict/,
    );
  });

  it("says where a truncated or foreign pickle stops", async () => {
    const bytes = await readFile(file("early-stopped-booster-p5.pkl"));
    assert.throws(() => readPickledBooster(bytes.subarray(0, 5000)), /the pickle is truncated at byte \d+/);
    assert.throws(
      () => readPickledBooster(new Uint8Array([0x80, 0x04, 0x51, 0x2e])),
      /opcode 0x51 at byte 2 is not one a Booster's pickle uses/,
    );
  });

  it("tells pickles from XGBoost's own formats", async () => {
    assert.equal(looksLikePickle(await readFile(file("upstream-legacy-binary.model"))), false);
    assert.equal(looksLikePickle(new Uint8Array(Buffer.from('{"learner":{}}'))), false);
  });
});

describe("loadModelFile()", () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  for (const name of [
    "early-stopped-booster-p0.pkl",
    "early-stopped-booster-p2.pkl",
    "early-stopped-booster-p5.pkl",
  ]) {
    it(`loads ${name} and predicts with its best rounds, as SageMaker's container does`, async (t) => {
      if (!readsLegacy)
        return t.skip(`libxgboost ${xgboostVersion().join(".")} reads no legacy serialization`);
      const b = await loadModelFile(file(name));
      try {
        assert.equal(b.boostedRounds, expected.best_iteration + 1);
        assert.ok(close(predict(b, expected.probe), expected.best_rounds));
        assert.ok(!close(expected.best_rounds, expected.all_rounds));
      } finally {
        b.dispose();
      }
    });
  }

  for (const name of ["upstream-pickled-booster.pkl", "upstream-legacy-binary.model"]) {
    it(`loads SageMaker XGBoost's test model ${name} and predicts as Python XGBoost does`, async (t) => {
      if (!readsLegacy) return t.skip(`libxgboost ${xgboostVersion().join(".")} reads no legacy formats`);
      const b = await loadModelFile(file(name));
      try {
        assert.ok(close(predict(b, expected.upstream_probe), expected.upstream_expected));
      } finally {
        b.dispose();
      }
    });
  }

  it("loads a pickle written by Python XGBoost 3.3 (UBJ inside) on every supported XGBoost", async () => {
    const b = await loadModelFile(file("xgb33-booster-p5.pkl"));
    try {
      assert.equal(b.boostedRounds, 5);
      // An older XGBoost reads a newer model's intercept its own way: compare with what Python
      // XGBoost of the same version predicts (recorded for 1.7 and 3.3).
      const want =
        major === 1
          ? expected.xgb33_expected_by_xgboost_1_7
          : major === 3 && minor >= 3
            ? expected.xgb33_expected
            : undefined;
      if (want) assert.ok(close(predict(b, expected.probe), want));
    } finally {
      b.dispose();
    }
  });

  it("names the format when this libxgboost cannot read it", async (t) => {
    if (readsLegacy) return t.skip("this libxgboost reads the legacy formats");
    await assert.rejects(loadModelFile(file("upstream-pickled-booster.pkl")), (e: unknown) => {
      assert.ok(isSagebrewError(e, "SB_MODEL_LOAD"));
      assert.match(
        e.message,
        /upstream-pickled-booster\.pkl: it is a Python pickle of xgboost\.core\.Booster holding XGBoost's legacy serialization, which libxgboost 3\.\d+\.\d+ cannot read \(XGBoost 3\.1 removed it/,
      );
      return true;
    });
    await assert.rejects(
      loadModelFile(file("upstream-legacy-binary.model")),
      /upstream-legacy-binary\.model: it is in XGBoost's legacy binary format, which libxgboost 3\.\d+\.\d+ cannot read/,
    );
  });

  it("says a pickle of something else is not a Booster", async () => {
    await assert.rejects(loadModelFile(file("dict.pkl")), (e: unknown) => {
      assert.ok(isSagebrewError(e, "SB_MODEL_LOAD"));
      assert.match(e.message, /dict\.pkl: it is a Python pickle of a dict, not of an XGBoost Booster$/);
      return true;
    });
  });

  it("serves a directory holding a pickled model, as SageMaker's container does", async (t) => {
    if (!readsLegacy) return t.skip("this libxgboost reads no legacy serialization");
    const dir = await mkdtemp(join(tmpdir(), "sb-pickle-"));
    dirs.push(dir);
    await writeFile(join(dir, "xgboost-model"), await readFile(file("upstream-pickled-booster.pkl")));
    const m = await loadXGBoostDir(dir, { ensemble: true });
    try {
      assert.equal(m.objective, "multi:softprob");
      assert.equal(m.numClass, 3);
      assert.equal(m.numFeatures, 4);
    } finally {
      for (const b of m.boosters) b.dispose();
    }
  });
});
