/**
 * Every SageMaker command from the command line against `sagebrew local` (SageMaker's API served on
 * this machine: real training jobs, endpoints, transform jobs and their logs, with SageMaker's
 * status sequences) for SageMaker, SageMaker Runtime and CloudWatch Logs, and moto_server for S3
 * and STS: train on "SageMaker" → --download → deploy the job → predict → re-deploy (UpdateEndpoint)
 * → transform → logs → ls → delete; and a job that fails. Each command is a real `sagebrew`
 * process whose SDK clients are pointed by AWS_ENDPOINT_URL_<SERVICE>.
 */
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  DescribeEndpointCommand,
  ListEndpointConfigsCommand,
  SageMakerClient,
} from "@aws-sdk/client-sagemaker";
import { BUILTIN_XGBOOST_IMAGE, sagebrewCli } from "../kit/cli.js";
import { type RunningLocal, startLocal } from "../kit/local.js";
import { IRIS_BUILTIN_DIR } from "../kit/ml-dir.js";
import { MOTO_ACCOUNT, type Moto, startMoto } from "../kit/moto.js";

const ROLE = `arn:aws:iam::${MOTO_ACCOUNT}:role/SageMakerRole`;

let moto: Moto;
let local: RunningLocal;
let work: string;
let env: Record<string, string>;

const sagebrew = (args: readonly string[]) => sagebrewCli(args, { env, cwd: work, timeoutMs: 240_000 });

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-aws-"));
  moto = await startMoto();
  // sagebrew local reads the channels from, and writes the model to, moto's S3.
  local = await startLocal(join(work, "state"), {
    env: {
      ...moto.env,
      AWS_ENDPOINT_URL: "",
      AWS_ENDPOINT_URL_S3: moto.url,
      SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine"),
    },
  });
  env = {
    ...moto.env,
    AWS_ENDPOINT_URL_SAGEMAKER: local.url,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: local.url,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: local.url,
    SAGEBREW_POLL_SECONDS: "0.5",
    SAGEBREW_ROLE_ARN: ROLE,
  };
  await cp(IRIS_BUILTIN_DIR, join(work, "test_dir"), { recursive: true });
});
after(async () => {
  await local?.stop();
  await moto?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test("train on SageMaker with live statuses and logs → --download → deploy the job → predict → re-deploy → transform → logs → ls → delete, against sagebrew local", async () => {
  const trained = await sagebrew([
    "train",
    "test_dir",
    "--instance-type",
    "ml.m5.large",
    "--image",
    BUILTIN_XGBOOST_IMAGE,
    "--download",
    "--job-name",
    "iris-job",
  ]);
  assert.equal(trained.code, 0, `${trained.stdout}\n${trained.stderr}`);
  // Secondary statuses as SageMaker moves through them, each once.
  const statuses = [...trained.stderr.matchAll(/^\d\d:\d\d:\d\d (\w+) - /gm)].map((m) => m[1]);
  assert.deepEqual(statuses, ["Starting", "Downloading", "Training", "Uploading", "Completed"]);
  // The container's evaluation lines, from CloudWatch, with the host in front.
  assert.match(trained.stdout, /^\[algo-1\] \[19\]\ttrain-mlogloss:[\d.]+$/m);
  assert.match(trained.stdout, /^training job iris-job: Completed\n/m);
  // The final status once, after the job's last log lines.
  assert.equal(
    (`${trained.stdout}${trained.stderr}`.match(/training job iris-job: Completed/g) ?? []).length,
    1,
  );
  assert.ok(
    trained.stdout.lastIndexOf("[algo-1]") < trained.stdout.indexOf("training job iris-job: Completed"),
  );
  assert.match(trained.stdout, /^ {2}billable: \d+ instance-seconds \(\d+ s × 1 instance\)$/m);
  assert.match(trained.stdout, /^ {2}train:mlogloss = 0\.\d+$/m);
  assert.match(
    trained.stdout,
    new RegExp(
      `^ {2}model: s3://sagemaker-us-east-1-${MOTO_ACCOUNT}/sagebrew/test-dir/output/iris-job/output/model\\.tar\\.gz$`,
      "m",
    ),
  );
  assert.match(trained.stdout, /unpacked into .*test_dir\/model/);
  const meta = JSON.parse(await readFile(join(work, "test_dir", "model", ".sagebrew.json"), "utf8"));
  assert.ok(meta, "the model SageMaker trained is in test_dir/model");

  const deployed = await sagebrew(["deploy", "iris-job", "--name", "iris", "--wait", "5"]);
  assert.equal(deployed.code, 0, `${deployed.stdout}\n${deployed.stderr}`);
  assert.match(deployed.stderr, /^endpoint iris: Creating$/m);
  assert.match(deployed.stderr, /^endpoint iris: InService$/m);
  assert.match(
    deployed.stdout,
    /^\[i-[0-9a-f]+\] .*model loaded and warmed/m,
    "the endpoint's container log lines while it starts",
  );
  assert.match(
    deployed.stdout,
    /^endpoint iris is InService \(created; model iris-\S+, s3:\/\/\S+\/iris-job\/output\/model\.tar\.gz\)$/m,
  );

  await writeFile(join(work, "payload.csv"), "5.1,3.5,1.4,0.2\n");
  const predicted = await sagebrew(["predict", "payload.csv", "--endpoint", "iris"]);
  assert.equal(predicted.code, 0, predicted.stderr);
  assert.match(predicted.stdout, /^0(\.0)?\n$/, "class 0 (setosa)");
  // SageMaker's image answers as its Flask app does (docs/compatibility.md).
  assert.match(
    predicted.stderr,
    /^200 OK · text\/csv; charset=utf-8 · \d bytes · [\d.]+ ms · variant AllTraffic\n$/m,
  );
  const bad = await writeFile(join(work, "wide.csv"), "5.1,3.5,1.4,0.2,9.9\n").then(() =>
    sagebrew(["predict", "wide.csv", "--endpoint", "iris"]),
  );
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /Number of columns does not match number of features in booster/);
  assert.match(
    bad.stderr,
    /^424 ModelError · no Content-Type · \d+ bytes · [\d.]+ ms · ModelError: the container answered 400 Bad Request/m,
  );

  // Re-deploying rolls the downloaded model out with UpdateEndpoint; the previous config goes.
  const redeployed = await sagebrew([
    "deploy",
    "test_dir",
    "--name",
    "iris",
    "--image",
    BUILTIN_XGBOOST_IMAGE,
    "--wait",
    "5",
  ]);
  assert.equal(redeployed.code, 0, `${redeployed.stdout}\n${redeployed.stderr}`);
  assert.match(redeployed.stderr, /^updating endpoint iris \(was iris-\S+\)$/m);
  assert.match(redeployed.stderr, /^removed the previous endpoint config iris-\S+ and model iris-\S+$/m);
  assert.match(redeployed.stdout, /^endpoint iris is InService \(updated; /m);
  const sm = new SageMakerClient({
    endpoint: local.url,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  const endpoint = await sm.send(new DescribeEndpointCommand({ EndpointName: "iris" }));
  const configs = (await sm.send(new ListEndpointConfigsCommand({}))).EndpointConfigs?.map(
    (c) => c.EndpointConfigName,
  );
  assert.deepEqual(configs, [endpoint.EndpointConfigName]);
  const again = await sagebrew(["predict", "payload.csv", "--endpoint", "iris"]);
  assert.match(again.stdout, /^0(\.0)?\n$/);

  const model = endpoint.EndpointConfigName!; // deploy names the model and its config alike
  await writeFile(join(work, "batch.csv"), "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n");
  const transformed = await sagebrew([
    "transform",
    "batch.csv",
    "--model-name",
    model,
    "--instance-type",
    "ml.m5.large",
    "--split-type",
    "Line",
    "--batch-strategy",
    "MultiRecord",
    "--assemble-with",
    "Line",
    "--download",
    "batch-out",
  ]);
  assert.equal(transformed.code, 0, `${transformed.stdout}\n${transformed.stderr}`);
  assert.match(
    transformed.stdout,
    /\ntransform job batch-csv-\S+: Completed\n {2}output: s3:\/\/\S+\n {2}downloaded: batch\.csv\.out\n$/,
  );
  assert.match(
    transformed.stdout,
    /^\[i-[0-9a-f]+\] ok batch\.csv \(2 records\)$/m,
    "the instance's log lines",
  );
  assert.match(await readFile(join(work, "batch-out", "batch.csv.out"), "utf8"), /^0(\.0)?\n2(\.0)?\n$/);

  const logs = await sagebrew(["logs", "iris-job"]);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stderr, /^training job iris-job: Completed\n/);
  assert.match(logs.stdout, /^\[algo-1\] \[0\]\ttrain-mlogloss:/m);

  const listed = await sagebrew(["ls"]);
  assert.match(listed.stdout, /^KIND +NAME +STATUS +CREATED\nendpoint +iris +InService /);
  assert.match(listed.stdout, /^training-job +iris-job +Completed /m);
  assert.match(listed.stdout, /^transform-job +batch-csv-\S+ +Completed /m);
  assert.match(listed.stdout, /^model +iris-\S+ +- /m);

  const deleted = await sagebrew(["delete", "iris", "--yes"]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stdout, /^deleted: endpoint iris, endpoint config iris-\S+, model iris-\S+\n$/);
});

test("a training job that fails prints its log lines once, then SageMaker's FailureReason verbatim, and exits 1", async () => {
  const dir = join(work, "bad_dir");
  await cp(IRIS_BUILTIN_DIR, dir, { recursive: true });
  await writeFile(
    join(dir, "input", "config", "hyperparameters.json"),
    JSON.stringify({ objective: "multi:softprob", num_round: "5" }),
  );
  const res = await sagebrew([
    "train",
    "bad_dir",
    "--instance-type",
    "ml.m5.large",
    "--image",
    BUILTIN_XGBOOST_IMAGE,
    "--job-name",
    "iris-bad",
  ]);
  assert.equal(res.code, 1, `${res.stdout}\n${res.stderr}`);
  assert.match(res.stderr, /^training job iris-bad: Failed/m);
  assert.match(
    res.stderr,
    /^ {2}FailureReason: ClientError: Require input for parameter 'num_class' for multi-classification$/m,
  );
  assert.doesNotMatch(`${res.stdout}${res.stderr}`, /model: s3:/, "a failed job has no model to name");
  // The job's lines were shown as they came, and are not shown again after the reason.
  assert.match(res.stdout, /^\[algo-1\] /m);
  assert.doesNotMatch(res.stderr, /last log lines|^ {2}\[algo-1\] /m);
});

test("AWS_DEFAULT_REGION is honoured, as boto3 and the AWS CLI read it, when AWS_REGION is unset", async () => {
  const listed = await sagebrewCli(["ls"], {
    env: { ...env, AWS_REGION: "", AWS_DEFAULT_REGION: "us-east-1" },
    cwd: work,
    timeoutMs: 120_000,
  });
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^KIND +NAME +STATUS +CREATED$/m);
});
