/**
 * The pictures `train` leaves in output/data/: the training curve holds every metric of every
 * channel per round with the best round marked, and the feature importance equals what Python
 * XGBoost's `get_score` says of the same model (gain, weight, cover).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { after, describe, it } from "node:test";
import { DOMParser, type Element } from "@xmldom/xmldom";
import { IRIS_CSV, IRIS_DIR, type MlDir, makeMlDir, SYSTEM_PYTHON, TRAIN_BIN } from "../kit/ml-dir.js";
import { run } from "../kit/process.js";

const dirs: MlDir[] = [];
after(async () => {
  for (const d of dirs) await d.remove();
});

function parseSvg(text: string): Element {
  const errors: string[] = [];
  const doc = new DOMParser({
    onError: (level, message) => {
      if (level !== "warning") errors.push(message);
    },
  }).parseFromString(text, "image/svg+xml");
  assert.deepEqual(errors, []);
  assert.equal(doc.documentElement?.tagName, "svg");
  return doc.documentElement!;
}

const all = (root: Element, tag: string) => Array.from(root.getElementsByTagName(tag));

describe("train's pictures", () => {
  it("draws the curve of every metric of every channel and the best round, and XGBoost's feature importance", async () => {
    const d = await makeMlDir({ from: IRIS_DIR });
    dirs.push(d);
    await d.write("input/data/validation/iris.csv", await readFile(IRIS_CSV));
    await d.write(
      "input/config/hyperparameters.json",
      JSON.stringify({
        objective: "multi:softprob",
        num_class: "3",
        num_round: "200",
        early_stopping_rounds: "5",
        eval_metric: "mlogloss,merror",
        max_depth: "3",
      }),
    );
    await d.write("input/config/inputdataconfig.json", "{}");
    const r = await run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /pictures: .*output\/data\/training-curve\.svg, .*output\/data\/feature-importance\.svg/,
    );
    const metrics = JSON.parse(await readFile(d.file("output/data/metrics.json"), "utf8"));

    const curve = parseSvg(await readFile(d.file("output/data/training-curve.svg"), "utf8"));
    const series = all(curve, "path").filter((p) => p.getAttribute("class") === "series");
    assert.deepEqual(series.map((p) => p.getAttribute("data-series")).sort(), [
      "train-merror",
      "train-mlogloss",
      "validation-merror",
      "validation-mlogloss",
    ]);
    for (const p of series) assert.equal(Number(p.getAttribute("data-points")), metrics.rounds.length);
    const best = all(curve, "line").find((l) => l.getAttribute("class") === "best-round");
    assert.equal(Number(best?.getAttribute("data-best-round")), metrics.best_iteration);

    const importance = parseSvg(await readFile(d.file("output/data/feature-importance.svg"), "utf8"));
    const bars = all(importance, "rect").filter((b) => b.getAttribute("class") === "bar");
    const ours: Record<string, Record<string, number>> = {};
    for (const b of bars) {
      const m = b.getAttribute("data-measure")!;
      ours[m] ??= {};
      ours[m][b.getAttribute("data-feature")!] = Number(b.getAttribute("data-value"));
    }
    const py = spawnSync(
      SYSTEM_PYTHON,
      [
        "-c",
        [
          "import json, sys, xgboost as xgb",
          "b = xgb.Booster(); b.load_model(sys.argv[1])",
          "print(json.dumps({t: b.get_score(importance_type=t) for t in ('gain', 'weight', 'cover')}))",
        ].join("\n"),
        d.file("model/xgboost-model"),
      ],
      { encoding: "utf8" },
    );
    assert.equal(py.status, 0, py.stderr);
    const theirs = JSON.parse(py.stdout) as Record<string, Record<string, number>>;
    for (const measure of ["gain", "weight", "cover"]) {
      const features = Object.keys(theirs[measure]!).sort();
      assert.deepEqual(Object.keys(ours[measure] ?? {}).sort(), features, measure);
      for (const f of features) {
        const want = theirs[measure]![f]!;
        assert.ok(
          Math.abs(ours[measure]![f]! - want) <= 1e-4 * Math.max(1, Math.abs(want)),
          `${measure} ${f}: ${ours[measure]![f]} vs ${want}`,
        );
      }
    }
  });
});
