/**
 * How `sagebrew local` decides where an image runs, from what the engine says of it: only images
 * that run the runtime's own code run on the host; a sagebrew image with the project's own code,
 * or one that does not say whose code it runs, goes to the engine. (The engine itself is exercised
 * for real by test/image/local-docker.e2e.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ContainerEngineCli, emulationEnv, type ImageConfig, planImage } from "./images.js";

const SAGEBREW_ENTRYPOINT = ["node", "/opt/sagebrew/entrypoint.mjs"];

function engine(configs: Record<string, ImageConfig>, available = true): ContainerEngineCli {
  return {
    command: "docker",
    available: async () => available,
    inspect: async (image) => configs[image],
  };
}

const sagebrewImage = (labels: Record<string, string>, more: Partial<ImageConfig> = {}): ImageConfig => ({
  labels: { "dev.sagebrew.version": "0.1.0", ...labels },
  env: ["PATH=/opt/sagebrew/bin:/usr/bin", "SAGEBREW_PROJECT=/opt/program"],
  entrypoint: SAGEBREW_ENTRYPOINT,
  ...more,
});

describe("planImage", () => {
  it("runs SageMaker's XGBoost image URIs on the runtime, engine or not", async () => {
    const plan = await planImage(
      "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1",
      engine({}, false),
    );
    assert.equal(plan.runner, "runtime");
  });

  it("runs a sagebrew image whose project brings no code on the runtime", async () => {
    const plan = await planImage(
      "iris:1",
      engine({ "iris:1": sagebrewImage({ "dev.sagebrew.code": "builtin" }) }),
    );
    assert.deepEqual(plan, { runner: "runtime", why: "image built by sagebrew 0.1.0 runs on its runtime" });
  });

  it("runs a sagebrew image with the project's own algorithm or handler in the engine", async () => {
    const plan = await planImage(
      "own:1",
      engine({ "own:1": sagebrewImage({ "dev.sagebrew.code": "project" }) }),
    );
    assert.deepEqual(plan, { runner: "docker" });
  });

  it("runs a sagebrew image that does not say whose code it runs in the engine", async () => {
    assert.deepEqual(await planImage("old:1", engine({ "old:1": sagebrewImage({}) })), { runner: "docker" });
  });

  it("runs a builtin-labelled image whose Dockerfile set a handler or another entrypoint in the engine", async () => {
    const configs = {
      "handler:1": sagebrewImage(
        { "dev.sagebrew.code": "builtin" },
        { env: ["SAGEBREW_HANDLER=/opt/program/handler.mjs"] },
      ),
      "algorithm:1": sagebrewImage(
        { "dev.sagebrew.code": "builtin" },
        { env: ["SAGEBREW_ALGORITHM=/opt/program/a.mjs"] },
      ),
      "entry:1": sagebrewImage({ "dev.sagebrew.code": "builtin" }, { entrypoint: ["python3", "serve.py"] }),
    };
    for (const image of Object.keys(configs)) {
      assert.deepEqual(await planImage(image, engine(configs)), { runner: "docker" }, image);
    }
  });

  it("runs an image with no sagebrew label, or one the engine does not have, in the engine", async () => {
    const e = engine({ "foreign:1": { labels: {}, env: [], entrypoint: [] } });
    assert.deepEqual(await planImage("foreign:1", e), { runner: "docker" });
    assert.deepEqual(await planImage("absent:1", e), { runner: "docker" });
  });

  it("refuses an image it cannot place when no engine answers, with a sentence", async () => {
    await assert.rejects(planImage("foreign:1", engine({}, false)), {
      message:
        /^Cannot run image foreign:1: it is neither SageMaker's built-in XGBoost image nor one built by sagebrew, and no container engine answers \(`docker info` failed\)/,
    });
  });

  it("runs SageMaker's published XGBoost tags as that version of the image (SAGEBREW_EMULATE)", async () => {
    const cases: Array<[string, string]> = [
      ["683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", "sagemaker-xgboost:1.7-1"],
      ["683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5", "sagemaker-xgboost:3.0-5"],
      [
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.0-1-cpu-py3",
        "sagemaker-xgboost:1.0-1",
      ],
      [
        "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.5-1-arm64",
        "sagemaker-xgboost:1.5-1",
      ],
      [
        "451049120500.dkr.ecr.cn-northwest-1.amazonaws.com.cn/sagemaker-xgboost:1.2-2",
        "sagemaker-xgboost:1.2-2",
      ],
      // newer than the emulated versions: the newest sagebrew emulates
      ["683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0", "sagemaker-xgboost:3.0-5"],
      // the legacy 0.72 algorithm, whose code is not public
      ["811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:1", "sagemaker-xgboost:0.90-1"],
    ];
    for (const [image, emulate] of cases) {
      assert.equal((await planImage(image, engine({}, false))).runner, "runtime", image);
      assert.deepEqual(emulationEnv(image), { SAGEBREW_EMULATE: emulate }, image);
    }
  });

  it("refuses a tag SageMaker does not publish, or an account in another region's name, as CreateTrainingJob does", async () => {
    for (const image of [
      "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:9.9-9",
      "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.0-1",
      "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost",
      "683313688378.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1",
      "811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:0.90-1",
    ]) {
      const tag = /:([^:/]+)$/.exec(image)?.[1] ?? "latest";
      await assert.rejects(planImage(image, engine({}, true)), {
        message: `Cannot find the requested image: ${image} with tag: ${tag} and digest: null. Please check if your ECR image exists and the role has proper pull permissions for SageMaker: ecr:BatchCheckLayerAvailability, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer`,
      });
      assert.deepEqual(emulationEnv(image), {});
    }
  });

  it("takes a sagemaker-xgboost repository in an account that is not SageMaker's for the user's own image", async () => {
    const image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
    assert.deepEqual(await planImage(image, engine({})), { runner: "docker" });
    assert.deepEqual(emulationEnv(image), {});
  });
});
