/**
 * k-fold cross-validation (`_kfold`, `_num_cv_round`) with the real `train` program, on the cases
 * of SageMaker XGBoost's own integration test (test/integration/local/test_kfold.py: abalone as
 * regression, binary and 4-class, 5 folds, 1 to 3 repeats): the fold models and predictions.csv,
 * and every number in predictions.csv recomputed by Python XGBoost from the fold models — and one
 * fold retrained in Python from the same rows and parameters.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { after, describe, it } from "node:test";
import { parseLibsvm } from "@sagebrew/runtime";
import { kFoldSplits } from "../../packages/runtime/src/algorithms/xgboost/cross-validation.js";
import { toCsr } from "../../packages/runtime/src/codecs/concat.js";
import { IRIS_DIR, type MlDir, makeMlDir, SYSTEM_PYTHON, TRAIN_BIN } from "../kit/ml-dir.js";
import { run } from "../kit/process.js";
import { startServeProcess } from "../kit/serve-process.js";
import { sendHttp } from "../kit/serving-drivers.js";

const ABALONE = new URL("./testdata/abalone/", import.meta.url);
const FILES = ["train/abalone.train_0", "train/abalone.train_1", "validation/abalone.validation"];
const dirs: MlDir[] = [];
after(async () => {
  for (const d of dirs) await d.remove();
});

type Relabel = (rings: number) => number;
const AS_IS: Relabel = (rings) => rings;
// Upstream's abalone-binary and abalone-multiclass relabel the same rows by ring count.
const BINARY: Relabel = (rings) => (rings >= 16 ? 1 : 0);
const FOUR: Relabel = (rings) => (rings <= 6 ? 0 : rings <= 12 ? 1 : rings <= 15 ? 2 : 3);

/** An /opt/ml tree holding abalone, relabelled, with upstream's hyperparameters and `extra`. */
async function abaloneDir(relabel: Relabel, extra: Record<string, string>): Promise<MlDir> {
  const d = await makeMlDir();
  dirs.push(d);
  for (const f of FILES) {
    const text = await readFile(new URL(f, ABALONE), "utf8");
    const lines = text
      .trimEnd()
      .split("\n")
      .map((l) => {
        const [label, ...rest] = l.split(" ");
        return [String(relabel(Number(label))), ...rest].join(" ");
      });
    await d.write(`input/data/${f}`, `${lines.join("\n")}\n`);
  }
  await d.write(
    "input/config/hyperparameters.json",
    JSON.stringify({
      max_depth: "5",
      eta: "0.2",
      gamma: "4",
      min_child_weight: "6",
      subsample: "0.7",
      num_round: "50",
      ...extra,
    }),
  );
  return d;
}

/** The rows as sagebrew reads the channels: train's files in order, then validation's. */
async function rows(d: MlDir): Promise<{ features: number[][]; labels: number[] }> {
  const features: number[][] = [];
  const labels: number[] = [];
  for (const f of FILES) {
    const data = parseLibsvm(await readFile(d.file(`input/data/${f}`)), { source: f, label: true });
    const csr = toCsr(data.features);
    for (let r = 0; r < csr.rows; r++) {
      const row = new Array<number>(9).fill(Number.NaN);
      for (let k = csr.indptr[r]!; k < csr.indptr[r + 1]!; k++) row[csr.indices[k]!] = csr.values[k]!;
      features.push(row);
      labels.push(data.labels![r]!);
    }
  }
  return { features, labels };
}

const PYTHON = `
import json, sys
import numpy as np
import xgboost as xgb
spec = json.load(sys.stdin)
X = np.array(spec["features"], dtype=np.float32)
y = np.array(spec["labels"], dtype=np.float32)
out = {"folds": []}
for i, held in enumerate(spec["held"]):
    b = xgb.Booster(model_file=spec["models"][i])
    out["folds"].append(b.predict(xgb.DMatrix(X[held])).tolist())
train = [r for r in range(len(y)) if r not in set(spec["held"][0])]
params = dict(spec["params"])
b = xgb.train(params, xgb.DMatrix(X[train], label=y[train]), num_boost_round=spec["num_round"])
out["retrained_fold_0"] = b.predict(xgb.DMatrix(X[spec["held"][0]])).tolist()
print(json.dumps(out))
`;

interface Case {
  readonly name: string;
  readonly relabel: Relabel;
  readonly hp: Record<string, string>;
  readonly params: Record<string, string | number>;
  readonly models: number;
  readonly classes?: number;
}

const CASES: Case[] = [
  {
    name: "regression, 5 folds",
    relabel: AS_IS,
    hp: { objective: "reg:squarederror", _kfold: "5" },
    params: { objective: "reg:squarederror" },
    models: 5,
  },
  {
    name: "binary:logistic, 5 folds",
    relabel: BINARY,
    hp: { objective: "binary:logistic", _kfold: "5" },
    params: { objective: "binary:logistic" },
    models: 5,
    classes: 2,
  },
  {
    name: "multi:softprob (4 classes), 5 folds",
    relabel: FOUR,
    hp: { objective: "multi:softprob", num_class: "4", _kfold: "5" },
    params: { objective: "multi:softprob", num_class: 4 },
    models: 5,
    classes: 4,
  },
  {
    name: "regression, 5 folds x 2 repeats",
    relabel: AS_IS,
    hp: { objective: "reg:squarederror", _kfold: "5", _num_cv_round: "2" },
    params: { objective: "reg:squarederror" },
    models: 10,
  },
  {
    name: "multi:softprob (4 classes), 5 folds x 3 repeats",
    relabel: FOUR,
    hp: { objective: "multi:softprob", num_class: "4", _kfold: "5", _num_cv_round: "3" },
    params: { objective: "multi:softprob", num_class: 4 },
    models: 15,
    classes: 4,
  },
];

describe("train with _kfold (SageMaker XGBoost's k-fold cases)", () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.models} fold models and predictions.csv, recomputed by Python XGBoost`, async (t) => {
      const d = await abaloneDir(c.relabel, c.hp);
      const r = await run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root } });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.equal(existsSync(d.file("output/failure")), false);
      const models = (await readdir(d.file("model")))
        .filter((f) => !f.startsWith("."))
        .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
      assert.deepEqual(
        models,
        Array.from({ length: c.models }, (_, i) => `xgboost-model-${i}`),
      );
      const { features, labels } = await rows(d);
      const csv = (await readFile(d.file("output/data/predictions.csv"), "utf8"))
        .trimEnd()
        .split("\n")
        .map((l) => l.split(",").map(Number));
      assert.equal(csv.length, 1000);
      assert.ok(csv.every((row) => row.length === (c.classes ? 3 : 2)));
      assert.deepEqual(
        csv.map((row) => row[0]),
        labels,
        "the label column, rows in channel order",
      );
      assert.match(
        r.stdout,
        /^\[49\]\ttrain-\S+:[\d.]+\tvalidation-\S+:[\d.]+$/m,
        "the mean metric line, as HPO reads it",
      );

      if (!existsSync(SYSTEM_PYTHON)) return t.skip("no /usr/bin/python3");
      const repeats = c.models / 5;
      const folds = kFoldSplits(1000, {
        folds: 5,
        repeats,
        seed: 0,
        ...(c.classes ? { strata: Float32Array.from(labels) } : {}),
      });
      const held = folds.map((f) => Array.from(f.validation));
      const py = await run(SYSTEM_PYTHON, ["-c", PYTHON], {
        input: JSON.stringify({
          features,
          labels,
          held,
          models: models.map((m) => d.file(`model/${m}`)),
          params: { max_depth: 5, eta: 0.2, gamma: 4, min_child_weight: 6, subsample: 0.7, ...c.params },
          num_round: 50,
        }),
      });
      assert.equal(py.code, 0, py.stderr);
      const out = JSON.parse(py.stdout) as {
        folds: Array<Array<number | number[]>>;
        retrained_fold_0: Array<number | number[]>;
      };
      const expected = labels.map(() => ({ value: 0, probability: 0, votes: new Map<number, number>() }));
      folds.forEach((f, i) => {
        Array.from(f.validation).forEach((row, j) => {
          const p = out.folds[i]![j]!;
          const e = expected[row]!;
          if (!c.classes) e.value += (p as number) / repeats;
          else {
            const probs = Array.isArray(p) ? p : [1 - p, p];
            const label = probs.indexOf(Math.max(...probs));
            e.probability += (Array.isArray(p) ? probs[label]! : p) / repeats;
            e.votes.set(label, (e.votes.get(label) ?? 0) + 1);
          }
        });
      });
      expected.forEach((e, row) => {
        const got = csv[row]!;
        if (!c.classes) {
          assert.ok(Math.abs(got[1]! - e.value) <= 2e-6, `row ${row}: ${got[1]} vs ${e.value}`);
          return;
        }
        assert.ok(Math.abs(got[1]! - e.probability) <= 2e-6, `row ${row}: ${got[1]} vs ${e.probability}`);
        const majority = [...e.votes.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
        assert.equal(got[2], majority, `row ${row}`);
      });
      // Fold 0's model is the model Python XGBoost trains on the same rows.
      const ours = out.folds[0]!.flat();
      const theirs = out.retrained_fold_0.flat();
      assert.ok(
        ours.every((v, i) => Math.abs(v - theirs[i]!) <= 1e-6),
        "fold 0 retrained in Python",
      );
    });
  }

  it("serves the fold models as one ensemble (iris with class names, 3 folds)", async () => {
    const d = await makeMlDir({ from: IRIS_DIR });
    dirs.push(d);
    await d.write(
      "input/config/hyperparameters.json",
      JSON.stringify({ objective: "multi:softprob", num_class: "3", num_round: "10", _kfold: "3" }),
    );
    const r = await run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root } });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const p = await startServeProcess({ SAGEMAKER_BASE_DIR: d.root }, { built: true });
    try {
      await p.waitForLog((l) => l.msg === "model loaded and warmed");
      const answer = await sendHttp(p.port, "/invocations", {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: "5.1,3.5,1.4,0.2\n6.3,3.3,6.0,2.5",
      });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.text, "setosa\nvirginica\n");
      const loaded = p.logs.find((l) => l.msg === "xgboost model loaded");
      assert.deepEqual(loaded?.files, ["xgboost-model-0", "xgboost-model-1", "xgboost-model-2"]);
    } finally {
      p.kill();
    }
  });

  it("rejects _num_cv_round without _kfold, and more folds than rows", async () => {
    const d = await abaloneDir(AS_IS, { objective: "reg:squarederror", _num_cv_round: "2" });
    const r = await run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root } });
    assert.equal(r.code, 1);
    assert.match(
      await readFile(d.file("output/failure"), "utf8"),
      /^Hyperparameter _num_cv_round: repeats k-fold cross-validation, which needs _kfold/,
    );
    const big = await abaloneDir(AS_IS, { objective: "reg:squarederror", _kfold: "1001" });
    const r2 = await run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: big.root } });
    assert.equal(r2.code, 1);
    assert.match(
      await readFile(big.file("output/failure"), "utf8"),
      /^Hyperparameter _kfold: 1001 folds need at least 1001 rows, and train and validation hold 1000/,
    );
  });
});
