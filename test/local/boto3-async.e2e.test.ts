/**
 * Asynchronous and serverless endpoints with boto3 (the machine's Python 3.11), unchanged, against
 * `sagebrew local` with only AWS_ENDPOINT_URL set: `boto3_async.py` uploads an iris model and its
 * input to sagebrew local's S3, invokes asynchronously and reads the answer back with boto3's own
 * waiter, and prints what it saw; this file checks it (the answer equal to the real-time endpoint's).
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { packModelArchive } from "../../packages/cli/src/local/model-archive.js";
import { irisModelBytes } from "../kit/iris.js";
import { hasBoto3, type RunningLocal, runPythonJson, startLocal } from "../kit/local.js";

const SCRIPT = fileURLToPath(new URL("./boto3_async.py", import.meta.url));
const skip = hasBoto3() ? false : "boto3 is not importable by the python3 on PATH";

let work: string;
let local: RunningLocal;

function run(model: string) {
  return runPythonJson([SCRIPT, model], { local, cwd: work, label: "boto3_async.py" });
}

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-py-async-"));
  local = await startLocal(join(work, "state"), {
    env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine"), AWS_ENDPOINT_URL_S3: "" },
  });
});

after(async () => {
  await local?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("asynchronous and serverless endpoints with boto3", { skip }, () => {
  it("invoke_endpoint_async answers where the output will be, and the output in S3 is the model's answer", async () => {
    const src = join(work, "model");
    await mkdir(src);
    await writeFile(join(src, "xgboost-model"), await irisModelBytes());
    await packModelArchive(src, join(work, "model.tar.gz"));
    const r = await run(join(work, "model.tar.gz"));

    assert.equal(r.async.status, 202);
    assert.equal(
      r.async.outputLocation,
      `s3://sagemaker-async-example/async-output/${r.async.inferenceId}.out`,
    );
    assert.equal(
      r.async.failureLocation,
      `s3://sagemaker-async-example/async-failures/${r.async.inferenceId}-error.out`,
    );
    assert.equal(r.async.output.body, r.realtime, "the same answer as the real-time endpoint's");
    assert.equal(r.async.output.body.trim().split("\n").length, 2);
    // The container's own content type (the XGBoost image's, as SageMaker's notifications show it).
    assert.equal(r.async.output.contentType, "text/csv; charset=utf-8");
    assert.deepEqual(r.describedAsync.OutputConfig.NotificationConfig, {
      SuccessTopic: "arn:aws:sns:us-east-1:123456789012:done",
    });
    // The container's refusal of the bad rows (the XGBoost image's words) is the failure object.
    assert.match(
      r.failure.body,
      /^Loading csv data failed with Exception, please ensure data is in csv format:/,
    );
    assert.match(r.failure.body, /could not convert string to float: 'not'/);

    assert.equal(r.realtimeOnAsync.code, "ValidationError");
    assert.match(r.realtimeOnAsync.message, /asynchronous inference endpoint/);
    assert.equal(r.asyncOnRealtime.code, "ValidationError");
    assert.match(r.asyncOnRealtime.message, /is not an asynchronous inference endpoint/);
    assert.equal(r.badTimeout.code, "ValidationError");
    assert.match(
      r.badTimeout.message,
      /'invocationTimeoutSeconds' failed to satisfy constraint: Member must have value less than or equal to 3600/,
    );

    assert.deepEqual(r.describedServerless.CurrentServerlessConfig, {
      MemorySizeInMB: 2048,
      MaxConcurrency: 5,
    });
    assert.equal(r.describedServerless.CurrentInstanceCount, undefined);
    assert.equal(r.serverless, r.realtime);
    assert.equal(r.serverlessTooBig.status, 413);
    assert.equal(r.badMemory.code, "ValidationException");
    assert.match(r.badMemory.message, /MemorySizeInMB 1536 .* is not a serverless memory size/);
  });
});
