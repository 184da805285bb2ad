/**
 * How `sagebrew local` decides where an image runs, from what the engine says of it: only images
 * that run the runtime's own code run on the host; a sagebrew image with the project's own code,
 * or one that does not say whose code it runs, goes to the engine. (The engine itself is exercised
 * for real by test/image/local-docker.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ContainerEngineCli, type ImageConfig, planImage } from "./images.js";

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
});
