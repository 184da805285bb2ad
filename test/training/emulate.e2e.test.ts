/**
 * `SAGEBREW_EMULATE=sagemaker-xgboost:<version>` under the real `train` program: the job ends as
 * that version of SageMaker's XGBoost image ends it (its validation texts as `ClientError:` /
 * `AlgorithmError:` reasons, its reading of the data), and without the variable sagebrew's own
 * friendlier behaviour stays. The validation itself is checked case by case against the image's
 * code in packages/runtime/src/algorithms/xgboost/emulate/.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, rename } from "node:fs/promises";
import { after, describe, it } from "node:test";
import { IRIS_DIR, type MlDir, makeMlDir, TRAIN_BIN } from "../kit/ml-dir.js";
import { run } from "../kit/process.js";

const dirs: MlDir[] = [];
after(async () => {
  for (const d of dirs) await d.remove();
});

const CHANNEL = {
  TrainingInputMode: "File",
  S3DistributionType: "FullyReplicated",
  RecordWrapperType: "None",
};

/** The iris job with its channel named `train`, as SageMaker's image needs it. */
async function job(hp: Record<string, string>, contentType = "text/csv"): Promise<MlDir> {
  const d = await makeMlDir({ from: IRIS_DIR });
  dirs.push(d);
  await rename(d.file("input/data/training"), d.file("input/data/train"));
  await d.write("input/config/hyperparameters.json", JSON.stringify(hp));
  await d.write(
    "input/config/inputdataconfig.json",
    JSON.stringify({ train: { ContentType: contentType, ...CHANNEL } }),
  );
  return d;
}

const train = (d: MlDir, emulate?: string) =>
  run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root, SAGEBREW_EMULATE: emulate ?? "" } });

const failure = (d: MlDir) => readFile(d.file("output/failure"), "utf8");

const IRIS_HP = { objective: "multi:softprob", num_class: "3", num_round: "5" };

describe("train under SAGEBREW_EMULATE=sagemaker-xgboost:<version>", () => {
  for (const version of ["1.7-1", "3.0-5"]) {
    it(`${version}: class-name labels train as the image trains them, every row in class 0, and the log says so`, async () => {
      const d = await job(IRIS_HP);
      const r = await train(d, `sagemaker-xgboost:${version}`);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /150 labels are not a number \(line 1: "setosa"\); XGBoost's CSV parser/);
      assert.match(r.stdout, /data: 150 training rows, 4 features\n/, "no classes: the labels are numbers");
      const meta = JSON.parse(await readFile(d.file("model/.sagebrew.json"), "utf8")) as {
        classNames?: unknown;
      };
      assert.equal(meta.classNames, undefined);
    });
  }

  it("without it, sagebrew maps class names to classes and keeps them in the model", async () => {
    const d = await job(IRIS_HP);
    const r = await train(d);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /classes setosa, versicolor, virginica/);
  });

  it("a hyperparameter the version does not know fails as the image fails it; an older version knows it", async () => {
    const d = await job({ num_round: "5", silent: "0" });
    const r = await train(d, "sagemaker-xgboost:1.7-1");
    assert.equal(r.code, 1, r.stderr);
    assert.equal(await failure(d), "ClientError: Extraneous hyperparameter found: silent\n");
    assert.match(r.stderr, /train: error SB_EMULATED_CLIENT_ERROR \(user fault\): ClientError: Extraneous/);
    const old = await train(d, "sagemaker-xgboost:1.0-1");
    assert.equal(old.code, 0, old.stderr);
    assert.equal(existsSync(d.file("output/failure")), false);
  });

  it("the classic layout's `training` channel fails as the image fails it", async () => {
    const d = await makeMlDir({ from: IRIS_DIR });
    dirs.push(d);
    const r = await train(d, "sagemaker-xgboost:1.7-1");
    assert.equal(r.code, 1, r.stderr);
    assert.equal(await failure(d), "ClientError: Missing required channel: train\n");
  });

  it("XGBoost's own refusal is a ClientError when the image lists it as the user's", async () => {
    const d = await job({ num_round: "3", objective: "binary:logistic" });
    // Labels whose mean is in (0, 1): XGBoost 3.x estimates base_score from them first, and a mean
    // of 1 would fail that estimate before the label check this test is about.
    await d.write("input/data/train/iris.csv", "0,1,2\n0,2,3\n0,3,4\n2,3,4\n");
    const r = await train(d, "sagemaker-xgboost:1.7-1");
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      await failure(d),
      /^ClientError: .*label must be in (\[0,1\]|\(0, 1\)) for logistic regression/,
    );
  });

  it("where the image would crash, an AlgorithmError says why in a sentence", async () => {
    const d = await job({ num_round: "3", eval_metric: "rmse" });
    const r = await train(d, "sagemaker-xgboost:1.7-1");
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      await failure(d),
      /^AlgorithmError: Hyperparameter eval_metric: the container reads objective .*KeyError: 'objective'/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  });

  it("an unknown version is refused naming the versions there are", async () => {
    const d = await job(IRIS_HP);
    const r = await train(d, "sagemaker-xgboost:9.9-9");
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      await failure(d),
      /^Cannot use SAGEBREW_EMULATE="sagemaker-xgboost:9.9-9": expected sagemaker-xgboost:<version>, one of 0.90-1, .*1.7-1, 3.0-5\n$/,
    );
  });
});
