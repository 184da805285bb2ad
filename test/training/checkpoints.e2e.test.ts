/**
 * Checkpoints (spot training): an interrupted job resumes from its newest checkpoint and ends with
 * the same model as an uninterrupted one; old checkpoints are pruned except while uploading.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { after, describe, it } from "node:test";
import { Booster, parseCsv } from "@sagebrew/runtime";
import { IRIS_DIR, type MlDir, makeMlDir, TRAIN_BIN } from "../kit/ml-dir.js";
import { run, sigtermAfter } from "../kit/process.js";

const dirs: MlDir[] = [];
after(async () => {
  for (const d of dirs) await d.remove();
});

function data(): string {
  const rows: string[] = [];
  for (let i = 0; i < 20000; i++)
    rows.push(`${i % 2},${(i * 7) % 13},${Math.sin(i)},${Math.cos(i * 3)},${i % 5}`);
  return `${rows.join("\n")}\n`;
}

async function job(numRound: number, checkpoints: boolean): Promise<MlDir> {
  const d = await makeMlDir({ from: IRIS_DIR });
  dirs.push(d);
  await d.write("input/data/training/iris.csv", data());
  await d.write(
    "input/config/hyperparameters.json",
    JSON.stringify({
      num_round: String(numRound),
      objective: "binary:logistic",
      max_depth: "6",
      tree_method: "hist",
    }),
  );
  if (checkpoints)
    await d.write("input/config/checkpointconfig.json", JSON.stringify({ LocalPath: d.file("checkpoints") }));
  return d;
}

async function predictions(d: MlDir): Promise<number[]> {
  const b = await Booster.fromFile(d.file("model/xgboost-model"));
  const { features } = parseCsv(new TextEncoder().encode(data()), { source: "x", label: true });
  const p = features.kind === "dense" ? Array.from(b.predictDense(features).values) : [];
  b.dispose();
  return p;
}

describe("checkpoints", () => {
  it("resume after SIGTERM ends with the same model as an uninterrupted run", async () => {
    const whole = await job(20, false);
    assert.equal((await run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: whole.root } })).code, 0);

    const spot = await job(20, true);
    const stop = sigtermAfter("[3]");
    const first = await run(TRAIN_BIN, [], {
      env: { SAGEMAKER_BASE_DIR: spot.root },
      onStdout: stop.onStdout,
    });
    assert.equal(first.code, 143, first.stderr);
    const saved = (await readdir(spot.file("checkpoints"))).filter((n) =>
      n.startsWith("xgboost-checkpoint."),
    );
    assert.ok(saved.length >= 1 && saved.length <= 5, `checkpoints: ${saved.join(", ")}`);
    const second = await run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: spot.root } });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resuming from checkpoint .*xgboost-checkpoint\.\d+ \(\d+ rounds done\)/);
    assert.doesNotMatch(second.stdout, /^\[0\]\t/m, "round 0 is not trained again");
    assert.equal(existsSync(spot.file("output/failure")), false, "a resumed success clears the failure file");
    assert.deepEqual(await predictions(spot), await predictions(whole));
  });

  it("keeps the five newest checkpoints, but never one that is still uploading", async () => {
    const d = await job(3, true);
    await d.write("checkpoints/xgboost-checkpoint.0.sagemaker-uploading", "");
    assert.equal((await run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root } })).code, 0);
    await d.write(
      "input/config/hyperparameters.json",
      JSON.stringify({ num_round: "9", objective: "binary:logistic", max_depth: "6", tree_method: "hist" }),
    );
    assert.equal((await run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root } })).code, 0);
    const names = (await readdir(d.file("checkpoints")))
      .filter((n) => /^xgboost-checkpoint\.\d+$/.test(n))
      .sort();
    assert.deepEqual(names, [
      "xgboost-checkpoint.0",
      "xgboost-checkpoint.4",
      "xgboost-checkpoint.5",
      "xgboost-checkpoint.6",
      "xgboost-checkpoint.7",
      "xgboost-checkpoint.8",
    ]);
  });
});
