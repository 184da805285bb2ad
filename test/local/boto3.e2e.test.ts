/**
 * End to end with boto3 (the machine's Python 3.11), unchanged, against `sagebrew local`:
 * `boto3_cycle.py` runs each phase and prints what it saw; this file checks it.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { hasBoto3, type RunningLocal, runPythonJson, startLocal } from "../kit/local.js";

const SCRIPT = fileURLToPath(new URL("./boto3_cycle.py", import.meta.url));
/** Iris with numeric labels: SageMaker's XGBoost image reads CSV labels as numbers (docs/compatibility.md). */
const IRIS = fileURLToPath(new URL("../kit/iris-numeric.csv", import.meta.url));
/** The class ids of a CSV answer (`0` or the image's `0.0`, one per line). */
const ids = (text: string) => text.trim().split("\n").map(Number);
const skip = hasBoto3() ? false : "boto3 is not importable by the python3 on PATH";

let work: string;
let state: string;
let local: RunningLocal;

/** Runs one phase of the boto3 script; resolves to the JSON it printed last. */
function phase(name: string) {
  return runPythonJson([SCRIPT, name, local.url, work, IRIS], {
    local,
    inherit: true,
    label: `boto3 phase ${name}`,
  });
}

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-py-"));
  state = join(work, "state");
  local = await startLocal(state, { env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") } });
});

after(async () => {
  await local?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("sagebrew local with boto3", { skip }, () => {
  it("runs the whole cycle: train → deploy → invoke → stream → update under load → transform → delete", async () => {
    const r = await phase("cycle");
    assert.equal(r.training.status, "Completed");
    assert.deepEqual(r.training.secondary, ["Starting", "Downloading", "Training", "Uploading", "Completed"]);
    assert.equal(r.training.arn, "arn:aws:sagemaker:us-east-1:123456789012:training-job/iris-py");
    assert.equal(r.training.artifacts, `file://${join(work, "out", "iris-py", "output", "model.tar.gz")}`);
    assert.equal(r.logs.streams.length, 1);
    assert.match(r.logs.streams[0], /^iris-py\/algo-1-\d+$/);
    assert.ok(r.logs.lines.some((l: string) => l.startsWith("[19]\ttrain-mlogloss:")));
    assert.equal(r.invoke.contentType, "application/json");
    assert.equal(r.invoke.variant, "AllTraffic");
    const answer = JSON.parse(r.invoke.body) as { predictions: Array<{ score: number }> };
    assert.deepEqual(
      answer.predictions.map((p) => p.score),
      [0, 2],
    );
    assert.equal(r.modelError.code, "ModelError");
    assert.equal(r.modelError.status, 424);
    assert.equal(r.modelError.extra.OriginalStatusCode, 400);
    // SageMaker's image's own words (a row wider than the model).
    assert.match(
      r.modelError.extra.OriginalMessage,
      /^Unable to evaluate payload provided: .*Number of columns does not match number of features in booster/,
    );
    assert.deepEqual(ids(r.stream), [0]);
    assert.equal(r.updating, "Updating");
    assert.equal(r.update.failed, 0);
    assert.ok(r.update.csv > 0 && r.update.json > 0, JSON.stringify(r.update));
    assert.equal(r.update.config, "iris-py-2");
    assert.equal(r.transform.status, "Completed");
    assert.deepEqual(ids(r.transform.out), [0, 2, 1]);
    assert.equal(r.deleted.code, "ValidationException");
    assert.equal(r.endpointLogStreams, 2);
  });

  it("reports failing and stopped jobs and SageMaker's validation errors", async () => {
    const r = await phase("failures");
    assert.equal(r.failed.status, "Failed");
    // SageMaker's image's own words for it.
    assert.equal(
      r.failed.reason,
      "ClientError: Hyperparameter eta: could not parse value (caused by ValueError)",
    );
    assert.deepEqual(r.stopped, { status: "Stopped", secondary: "Stopped" });
    assert.equal(r.badName.code, "ValidationException");
    assert.match(r.badName.message, /Value 'under_score' at 'trainingJobName' failed to satisfy constraint/);
    assert.equal(r.duplicate.code, "ResourceInUse");
    assert.equal(r.noModel.code, "ValidationException");
    assert.equal(
      r.noModel.message,
      'Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/ghost".',
    );
    assert.deepEqual(
      [r.notFound.code, r.notFound.message],
      ["ValidationException", "Requested resource not found."],
    );
    assert.deepEqual(
      [r.noEndpoint.code, r.noEndpoint.message],
      ["ValidationError", "Endpoint ghost of account 123456789012 not found."],
    );
  });

  it("keeps endpoints, tags and jobs across a restart of sagebrew local", async () => {
    const before = await phase("restart-before");
    assert.deepEqual(ids(before.answer), [2]);
    assert.equal(await local.stop(), 0);
    local = await startLocal(state, { env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") } });
    const r = await phase("restart-after");
    assert.equal(r.status, "InService");
    assert.deepEqual(ids(r.answer), [2]);
    assert.deepEqual(r.tags, [{ Key: "team", Value: "ml" }]);
    assert.deepEqual(r.jobs, ["iris-py", "iris-py-bad", "iris-py-stop"]);
  });
});
