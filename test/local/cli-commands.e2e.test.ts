/**
 * sagebrew's own SageMaker commands against `sagebrew local` alone (issues 11 §4 and 19 §1):
 * `train --instance-type`, `deploy`, `predict --endpoint`, `logs`, `ls`, `transform --model-name`
 * and `delete`, each a real `sagebrew` process with nothing but AWS_ENDPOINT_URL set — its
 * SageMaker, Runtime, CloudWatch Logs, S3 (the default bucket, uploads) and STS (the account)
 * clients all reach `sagebrew local`, whose jobs read and write the same S3. (The same flow with
 * S3 elsewhere, AWS_ENDPOINT_URL_S3 at moto, is test/sagemaker/local.e2e.test.ts.)
 */
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BUILTIN_XGBOOST_IMAGE, localEnv, sagebrewCli } from "../kit/cli.js";
import { type RunningLocal, startLocal } from "../kit/local.js";
import { IRIS_BUILTIN_DIR, REPO } from "../kit/ml-dir.js";

const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";

let local: RunningLocal;
let work: string;

const sagebrew = (args: readonly string[]) =>
  sagebrewCli(args, { env: localEnv(local), cwd: work, timeoutMs: 300_000 });

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-cli-"));
  local = await startLocal(join(work, "state"), {
    env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") },
  });
  await cp(IRIS_BUILTIN_DIR, join(work, "test_dir"), { recursive: true });
  await mkdir(join(work, "batch"));
  await cp(
    join(REPO, "examples", "iris-xgboost", "local_test", "payload.csv"),
    join(work, "batch", "payload.csv"),
  );
});

after(async () => {
  await local?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test("train --instance-type → deploy → predict --endpoint → logs → ls → transform --model-name → delete", async () => {
  const trained = await sagebrew([
    "train",
    "test_dir",
    "--instance-type",
    "ml.m5.large",
    "--image",
    BUILTIN_XGBOOST_IMAGE,
    "--role",
    ROLE,
    "--download",
  ]);
  assert.equal(trained.code, 0, trained.stderr + local.stderr());
  assert.match(trained.stdout, /^training job test-dir-\S+: Completed$/m);
  assert.match(trained.stdout, /^ {2}train:mlogloss = 0\.0\d+$/m);
  // The job's log lines reached the command through sagebrew local's CloudWatch Logs.
  assert.match(trained.stderr + trained.stdout, /\[algo-1\] \[19\]\ttrain-mlogloss:/);
  // Its last line too: sagebrew local has every line when it says the job ended, and the command
  // reads them then (with no wait for late lines, as SageMaker's CloudWatch needs).
  assert.match(trained.stderr + trained.stdout, /\[algo-1\] sagebrew local: uploaded \d+ model file\(s\)/);
  assert.deepEqual((await readdir(join(work, "test_dir", "model"))).sort(), [
    ".sagebrew.json",
    "xgboost-model",
  ]);
  // The data went to SageMaker's default bucket of the account STS answered, in sagebrew local's S3.
  assert.match(trained.stderr, /created bucket s3:\/\/sagemaker-us-east-1-123456789012/);
  assert.deepEqual(await readdir(join(work, "state", "s3", "buckets")), ["sagemaker-us-east-1-123456789012"]);

  const deployed = await sagebrew([
    "deploy",
    "test_dir",
    "--name",
    "iris",
    "--image",
    BUILTIN_XGBOOST_IMAGE,
    "--role",
    ROLE,
    "--instance-type",
    "ml.m5.large",
  ]);
  assert.equal(deployed.code, 0, deployed.stderr + local.stderr());
  assert.match(
    deployed.stdout,
    /^endpoint iris is InService \(created; model (iris-\S+), s3:\/\/\S+\/model\.tar\.gz\)$/m,
  );
  const model = /model (iris-[^,]+),/.exec(deployed.stdout)![1]!;

  const predicted = await sagebrew(["predict", join(work, "batch", "payload.csv"), "--endpoint", "iris"]);
  assert.equal(predicted.code, 0, predicted.stderr);
  assert.match(predicted.stdout.split("\n")[0]!, /^0(\.0)?$/, "class 0 (setosa)");
  // A name nothing has is a wrong command line, as --help says.
  const missing = await sagebrew(["predict", join(work, "batch", "payload.csv"), "--endpoint", "irls"]);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /Cannot invoke endpoint irls: no endpoint has that name/);

  const logs = await sagebrew(["logs", "iris"]);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout + logs.stderr, /"msg":"model loaded and warmed"/);

  const listed = await sagebrew(["ls"]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^endpoint\s+iris\s+InService/m);
  assert.match(listed.stderr, /^1 endpoint\(s\) on instances cost money while they run \(iris\)/m);
  assert.match(listed.stdout, /^training-job\s+test-dir-\S+\s+Completed/m);

  const transformed = await sagebrew([
    "transform",
    "batch",
    "--model-name",
    model,
    "--instance-type",
    "ml.m5.large",
    "--split-type",
    "Line",
    "--assemble-with",
    "Line",
    "--download",
    "out",
  ]);
  assert.equal(transformed.code, 0, transformed.stderr + local.stderr());
  assert.match(transformed.stdout, /^transform job \S+: Completed$/m);
  // serve's last line, written as it stops, is in the job's log when the job ends.
  assert.match(transformed.stderr + transformed.stdout, /"msg":"signal received"/);
  assert.match(await readFile(join(work, "out", "payload.csv.out"), "utf8"), /^0(\.0)?\n$/);

  const deleted = await sagebrew(["delete", "iris", "--yes"]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stdout + deleted.stderr, /deleted endpoint iris/);
  // DeleteEndpoint answers at once, as SageMaker's does; the endpoint is listed as Deleting while
  // its container drains and stops, then not at all.
  let remaining = (await sagebrew(["ls"])).stdout;
  for (let i = 0; i < 120 && /^endpoint\s+iris\s/m.test(remaining); i++) {
    assert.match(remaining, /^endpoint\s+iris\s+Deleting\s/m);
    await new Promise((r) => setTimeout(r, 250));
    remaining = (await sagebrew(["ls"])).stdout;
  }
  assert.doesNotMatch(remaining, /^endpoint\s+iris/m);
});
