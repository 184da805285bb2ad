/**
 * Parity with Python XGBoost (Debian python3-xgboost): the model sagebrew's `train` writes loads in
 * Python and predicts the same to 1e-6, and a model trained in Python on the same data and
 * parameters predicts the same as sagebrew's.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Booster, parseCsv } from "@sagebrew/runtime";
import { IRIS_DIR, type MlDir, makeMlDir, REPO, SYSTEM_PYTHON, TRAIN_BIN } from "../kit/ml-dir.js";
import { run } from "../kit/process.js";

const dirs: MlDir[] = [];
after(async () => {
  for (const d of dirs) await d.remove();
});

const PARITY_PY = join(REPO, "test", "training", "parity.py");

interface Case {
  name: string;
  csv?: string;
  hyperparameters: Record<string, string>;
  /** The same settings as Python XGBoost parameters. */
  params: Record<string, string | number>;
}

function syntheticCsv(): string {
  const rows: string[] = [];
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let i = 0; i < 3000; i++) {
    const f = Array.from({ length: 8 }, () => rnd() * 4 - 2);
    const y = f[0]! + f[1]! * f[2]! - f[3]! > 0 ? 1 : 0;
    const cells = f.map((v, j) => (j === 5 && rnd() < 0.1 ? "" : v.toPrecision(9)));
    rows.push([String(y), ...cells].join(","));
  }
  return `${rows.join("\n")}\n`;
}

const CASES: Case[] = [
  {
    name: "iris, multi:softprob with class names",
    hyperparameters: {
      objective: "multi:softprob",
      num_class: "3",
      num_round: "20",
      max_depth: "3",
      eta: "0.3",
    },
    params: { objective: "multi:softprob", num_class: 3, max_depth: 3, eta: 0.3 },
  },
  {
    name: "binary:logistic, hist, depth 6, missing values",
    csv: syntheticCsv(),
    hyperparameters: {
      objective: "binary:logistic",
      num_round: "30",
      tree_method: "hist",
      max_depth: "6",
      subsample: "0.8",
      colsample_bytree: "0.9",
      seed: "3",
    },
    params: {
      objective: "binary:logistic",
      tree_method: "hist",
      max_depth: 6,
      subsample: 0.8,
      colsample_bytree: 0.9,
      seed: 3,
    },
  },
];

describe("parity with Python XGBoost", { skip: !existsSync(SYSTEM_PYTHON) && "no /usr/bin/python3" }, () => {
  for (const c of CASES) {
    it(`${c.name}: same predictions to 1e-6 both ways`, async () => {
      const d = await makeMlDir({ from: IRIS_DIR });
      dirs.push(d);
      if (c.csv) await d.write("input/data/training/iris.csv", c.csv);
      await d.write("input/config/hyperparameters.json", JSON.stringify(c.hyperparameters));
      const t = await run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root } });
      assert.equal(t.code, 0, t.stderr);
      const csvPath = d.file("input/data/training/iris.csv");
      const modelPath = d.file("model/xgboost-model");
      const py = await run(SYSTEM_PYTHON, [PARITY_PY], {
        input: JSON.stringify({
          csv: csvPath,
          model: modelPath,
          params: c.params,
          num_round: Number(c.hyperparameters.num_round),
        }),
      });
      assert.equal(py.code, 0, `python failed (is python3-xgboost installed?): ${py.stderr}`);
      const out = JSON.parse(py.stdout) as { python_model: number[]; sagebrew_model_in_python: number[] };

      const data = parseCsv(await readFile(csvPath), { source: "parity.csv", label: true });
      assert.equal(data.features.kind, "dense");
      if (data.features.kind !== "dense") return;
      const booster = await Booster.fromFile(modelPath);
      const ours = Array.from(booster.predictDense(data.features).values);
      booster.dispose();

      assert.equal(ours.length, out.python_model.length);
      const maxDiff = (a: number[], b: number[]) =>
        a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
      assert.ok(
        maxDiff(ours, out.sagebrew_model_in_python) <= 1e-6,
        "sagebrew's model predicts the same in Python",
      );
      assert.ok(
        maxDiff(ours, out.python_model) <= 1e-6,
        `Python-trained model differs by ${maxDiff(ours, out.python_model)}`,
      );
    });
  }
});
