/**
 * From the command line, against moto_server: train iris locally → `sagebrew deploy` →
 * `sagebrew predict --endpoint` → `sagebrew ls` → `sagebrew delete`, each a real `sagebrew` process
 * whose AWS SDK reaches moto through AWS_ENDPOINT_URL; the result is read back with the SDK.
 */
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  DescribeEndpointCommand,
  DescribeModelCommand,
  ListModelsCommand,
  SageMakerClient,
} from "@aws-sdk/client-sagemaker";
import { main } from "../../packages/cli/src/main.js";
import { captureIo } from "../kit/capture-io.js";
import { sagebrewCli } from "../kit/cli.js";
import { IRIS_DIR } from "../kit/ml-dir.js";
import { MOTO_ACCOUNT, type Moto, queueEndpointResults, startMoto, useMotoEnv } from "../kit/moto.js";

const ROLE = `arn:aws:iam::${MOTO_ACCOUNT}:role/SageMakerRole`;
const IMAGE = `${MOTO_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/iris-xgboost@sha256:${"c".repeat(64)}`;

let moto: Moto;
let work: string;

/** `sagebrew …` as a child process in the work directory, its AWS SDK pointed at moto. */
const sagebrew = (args: readonly string[]) =>
  sagebrewCli(args, { env: { ...moto.env }, cwd: work, timeoutMs: 120_000 });

before(async () => {
  moto = await startMoto();
  useMotoEnv(moto);
  work = await mkdtemp(join(tmpdir(), "sagebrew-e2e-aws-"));
  await cp(IRIS_DIR, join(work, "test_dir"), { recursive: true });
  // The role comes from the project config file, as a team would keep it.
  await writeFile(join(work, "sagebrew.json"), JSON.stringify({ aws: { role: ROLE } }));
});
after(async () => {
  await moto?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test("train locally, and on SageMaker → deploy → predict --endpoint → ls → delete, against moto, read back with the SDK", async () => {
  const dir = join(work, "test_dir");
  const trained = await sagebrew(["train", dir, "--plain"]);
  assert.equal(trained.code, 0, trained.stderr);

  // The same directory on SageMaker (moto completes the job at once).
  const onSageMaker = await sagebrew([
    "train",
    "test_dir",
    "--instance-type",
    "ml.m5.large",
    "--image",
    IMAGE,
    "--spot",
    "--max-run",
    "600",
  ]);
  assert.equal(onSageMaker.code, 0, onSageMaker.stderr);
  assert.match(
    onSageMaker.stderr,
    new RegExp(`^created bucket s3://sagemaker-us-east-1-${MOTO_ACCOUNT}$`, "m"),
  );
  assert.match(
    onSageMaker.stderr,
    /^channel training: 1 file\(s\) uploaded \(\d+ bytes\), 0 unchanged → s3:\/\/sagemaker-us-east-1-\d+\/sagebrew\/inputs\/test-dir-[0-9a-f]{8}\/training\/$/m,
  );
  assert.match(
    onSageMaker.stderr,
    /^created training job test-dir-\d{8}-\d{6}-\d{3} \(1 × ml\.m5\.large, spot, 1 metric definitions\)$/m,
  );
  assert.match(
    onSageMaker.stdout,
    /^training job test-dir-\S+: Completed\n {2}train:progress = 100\n {2}model: s3:\/\/\S+\/output\/model\.tar\.gz\n/m,
  );
  const usage = captureIo({ cwd: work });
  assert.equal(await main(["train", join(work, "test_dir"), "--spot"], usage.io), 2);
  assert.match(usage.err(), /--spot trains on SageMaker: add --instance-type ml\.<type>/);
  // Types, counts and sizes are checked against SageMaker's API table before any call.
  const badType = captureIo({ cwd: work });
  assert.equal(
    await main(["train", "test_dir", "--instance-type", "ml.m5.larg", "--image", IMAGE], badType.io),
    2,
  );
  assert.match(
    badType.err(),
    /Cannot use instance type ml\.m5\.larg: SageMaker has no such type for training .* Did you mean ml\.m5\.large\?/,
  );
  const badCount = captureIo({ cwd: work });
  assert.equal(
    await main(
      ["train", "test_dir", "--instance-type", "ml.m5.large", "--image", IMAGE, "--instance-count", "two"],
      badCount.io,
    ),
    2,
  );
  assert.match(badCount.err(), /--instance-count two is not a whole number/);
  const badMemory = captureIo({ cwd: work });
  assert.equal(
    await main(
      ["deploy", "test_dir", "--name", "iris", "--image", IMAGE, "--serverless-memory", "1000"],
      badMemory.io,
    ),
    2,
  );
  assert.match(
    badMemory.err(),
    /Cannot use serverless memory \(MB\) 1000: it must have value greater than or equal to 1024/,
  );

  const deployed = await sagebrew(["deploy", "test_dir", "--name", "iris", "--image", IMAGE, "--wait", "1"]);
  assert.equal(deployed.code, 0, deployed.stderr);
  assert.match(
    deployed.stdout,
    /^endpoint iris is InService \(created; model iris-\d{8}-\d{6}-\d{3}, s3:\/\/\S+\/model\.tar\.gz\)$/m,
  );
  assert.match(deployed.stdout, /sagebrew delete iris/);

  // Read back: the model points at the uploaded archive, which holds exactly the trained model.
  const sm = new SageMakerClient({});
  const endpoint = await sm.send(new DescribeEndpointCommand({ EndpointName: "iris" }));
  assert.equal(endpoint.EndpointStatus, "InService");
  const models = (await sm.send(new ListModelsCommand({}))).Models ?? [];
  assert.equal(models.length, 1);
  const model = await sm.send(new DescribeModelCommand({ ModelName: models[0]!.ModelName }));
  assert.equal(model.ExecutionRoleArn, ROLE);
  assert.equal(model.PrimaryContainer?.Image, IMAGE);
  const url = model.PrimaryContainer?.ModelDataUrl ?? "";
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(url) ?? [];
  const object = await new S3Client({}).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const archive = join(work, "downloaded.tar.gz");
  await writeFile(archive, await object.Body!.transformToByteArray());
  const { unpackModel } = await import("../../packages/cli/src/sagemaker/model-archive.js");
  const out = join(work, "unpacked");
  const files = await unpackModel(archive, out);
  assert.ok(files.includes("xgboost-model"));
  assert.ok(
    (await readFile(join(out, "xgboost-model"))).equals(await readFile(join(dir, "model", "xgboost-model"))),
  );

  await queueEndpointResults(moto, [
    { Body: "setosa\n", ContentType: "text/csv", InvokedProductionVariant: "AllTraffic" },
  ]);
  await writeFile(join(work, "payload.csv"), "5.1,3.5,1.4,0.2\n");
  const predicted = await sagebrew(["predict", "payload.csv", "--endpoint", "iris"]);
  assert.equal(predicted.code, 0, predicted.stderr);
  assert.equal(predicted.stdout, "setosa\n");
  assert.match(predicted.stderr, /^200 OK · text\/csv · 7 bytes · [\d.]+ ms · variant AllTraffic\n$/);

  const listed = await sagebrew(["ls"]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^KIND +NAME +STATUS +CREATED\nendpoint +iris +InService /);
  assert.match(listed.stdout, /^training-job +test-dir-\S+ +Completed /m);
  assert.match(listed.stdout, /^model\s+iris-\d{8}/m);

  // No terminal and no --yes: nothing is deleted.
  const refused = await sagebrew(["delete", "iris"]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /would delete endpoint iris \(InService\), its endpoint config iris-\S+ and its model iris-\S+: not a terminal, so nothing was done; pass --yes/,
  );
  assert.equal(
    (await sm.send(new DescribeEndpointCommand({ EndpointName: "iris" }))).EndpointStatus,
    "InService",
  );

  const deleted = await sagebrew(["delete", "iris", "--yes"]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stdout, /^deleted: endpoint iris, endpoint config iris-\S+, model iris-\S+\n$/);
  await assert.rejects(
    sm.send(new DescribeEndpointCommand({ EndpointName: "iris" })),
    /Could not find endpoint/,
  );
  assert.deepEqual((await sm.send(new ListModelsCommand({}))).Models, []);
  // What is left costs nothing: the ended training job.
  const after = await sagebrew(["ls"]);
  assert.match(
    after.stdout,
    /^KIND +NAME +STATUS +CREATED\ntraining-job +test-dir-\S+ +Completed +[\d-]+ [\d:]+\n$/,
  );
});
