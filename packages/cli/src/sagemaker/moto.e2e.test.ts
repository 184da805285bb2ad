/**
 * The AWS adapters and the deploy/delete/ls/invoke flows against moto_server (the AWS API emulator)
 * with the real SDK clients, pointed there by AWS_ENDPOINT_URL: request shapes read back with the
 * SDK, S3 uploads (multipart above 8 MiB) and downloads, default bucket creation, re-deploy as
 * UpdateEndpoint, delete, ls by tag, and the error mapping.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, test } from "node:test";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { HeadBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListModelsCommand,
  ListTagsCommand,
  SageMakerClient,
} from "@aws-sdk/client-sagemaker";
import { captureIo } from "../../../../test/kit/capture-io.js";
import {
  MOTO_ACCOUNT,
  type Moto,
  queueEndpointResults,
  startMoto,
  useMotoEnv,
} from "../../../../test/kit/moto.js";
import { sageMakerApiFromClient } from "../aws/index.js";
import { main } from "../main.js";
import { resolveBucket } from "./bucket.js";
import { type AwsClients, CREATED_BY_TAG, type LogLine, type Reporter, sdkClients } from "./context.js";
import { deploy } from "./deploy.js";
import { deleteResources, invokeEndpoint, planDelete } from "./endpoint.js";
import { listResources } from "./list.js";
import { LogTail } from "./log-tail.js";
import { packModel } from "./model-archive.js";
import { trainOnSageMaker, waitForTrainingJob } from "./training-job.js";
import { runTransformJob, waitForTransformJob } from "./transform-job.js";
import { digestForS3, syncDirectory } from "./upload.js";

const BUCKET = `sagemaker-us-east-1-${MOTO_ACCOUNT}`;
const ROLE = `arn:aws:iam::${MOTO_ACCOUNT}:role/SageMakerRole`;
const IMAGE = `${MOTO_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/iris@sha256:${"a".repeat(64)}`;

let moto: Moto;
let clients: AwsClients;
let work: string;
const sm = () => new SageMakerClient({});

before(async () => {
  moto = await startMoto();
  useMotoEnv(moto);
  clients = sdkClients();
  work = await mkdtemp(join(tmpdir(), "sagebrew-moto-"));
});
after(async () => {
  await moto?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});
beforeEach(() => moto.reset());

/** An in-process CommandIo that keeps what is written. */

function recorder(): Reporter & { lines: string[]; logs: LogLine[] } {
  const lines: string[] = [];
  const logs: LogLine[] = [];
  return { lines, logs, info: (l) => lines.push(l), log: (l) => logs.push(l) };
}

async function modelDir(name: string, content = "model bytes"): Promise<string> {
  const dir = join(work, name);
  await mkdir(join(dir, "code"), { recursive: true });
  await writeFile(join(dir, "xgboost-model"), content);
  await writeFile(join(dir, "code", "handler.js"), "export default {};\n");
  return dir;
}

test("resolveBucket() creates sagemaker-<region>-<account> when missing and reuses it after", async () => {
  const r = recorder();
  assert.equal(await resolveBucket(clients, undefined, r), BUCKET);
  assert.deepEqual(r.lines, [`created bucket s3://${BUCKET}`]);
  await new S3Client({}).send(new HeadBucketCommand({ Bucket: BUCKET }));
  const again = recorder();
  assert.equal(await resolveBucket(clients, undefined, again), BUCKET);
  assert.deepEqual(again.lines, []);
  await assert.rejects(resolveBucket(clients, "no-such-bucket-here", again), {
    code: "SB_AWS",
    message: /Cannot use bucket no-such-bucket-here: it does not exist: create it, or leave out --bucket/,
  });
});

test("S3 uploads: a 10 MiB file goes multipart with the predicted ETag, downloads byte for byte, and is skipped when unchanged", async () => {
  await resolveBucket(clients, undefined, recorder());
  const dir = join(work, "channel");
  await mkdir(join(dir, "part"), { recursive: true });
  const big = Buffer.alloc(10 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
  await writeFile(join(dir, "big.bin"), big);
  await writeFile(join(dir, "part", "small.csv"), "1,2,3\n");
  await writeFile(join(dir, ".hidden"), "skipped");
  const progress: number[] = [];
  const first = await syncDirectory(clients.s3, dir, BUCKET, "sagebrew/inputs/t/train/", {
    onProgress: (p) => progress.push(p.sent),
  });
  assert.deepEqual(
    { ...first, bytes: undefined },
    { uploaded: 2, skipped: 0, removed: 0, bytes: undefined, totalBytes: big.length + 6 },
  );
  assert.ok(
    progress.some((p) => p > 0 && p < big.length),
    "progress is reported while the big file uploads",
  );
  const listed = await new S3Client({}).send(
    new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "sagebrew/inputs/t/" }),
  );
  const etags = Object.fromEntries((listed.Contents ?? []).map((o) => [o.Key, o.ETag?.replaceAll('"', "")]));
  assert.match(etags["sagebrew/inputs/t/train/big.bin"] ?? "", /-2$/, "8 MiB parts: 10 MiB is 2 parts");
  assert.equal(etags["sagebrew/inputs/t/train/big.bin"], (await digestForS3(join(dir, "big.bin"))).etag);
  assert.equal(
    etags["sagebrew/inputs/t/train/part/small.csv"],
    createHash("md5").update("1,2,3\n").digest("hex"),
  );

  const { body, size } = await clients.s3.download(BUCKET, "sagebrew/inputs/t/train/big.bin");
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  assert.equal(size, big.length);
  assert.ok(Buffer.concat(chunks).equals(big));

  const second = await syncDirectory(clients.s3, dir, BUCKET, "sagebrew/inputs/t/train/");
  assert.deepEqual(
    { uploaded: second.uploaded, skipped: second.skipped, removed: second.removed },
    { uploaded: 0, skipped: 2, removed: 0 },
  );

  await unlink(join(dir, "part", "small.csv"));
  await writeFile(join(dir, "new.csv"), "4,5,6\n");
  const third = await syncDirectory(clients.s3, dir, BUCKET, "sagebrew/inputs/t/train/");
  assert.deepEqual(
    { uploaded: third.uploaded, skipped: third.skipped, removed: third.removed },
    { uploaded: 1, skipped: 1, removed: 1 },
  );
  const keys = (await clients.s3.list(BUCKET, "sagebrew/inputs/t/")).map((o) => o.key);
  assert.deepEqual(keys, ["sagebrew/inputs/t/train/big.bin", "sagebrew/inputs/t/train/new.csv"]);
});

test("deploy() of a local model: model.tar.gz at a content-addressed key, CreateModel/EndpointConfig/Endpoint as read back, every resource tagged", async () => {
  const dir = await modelDir("m1");
  const r = recorder();
  const result = await deploy(
    clients,
    {
      name: "iris",
      model: { kind: "directory", path: dir },
      image: IMAGE,
      role: ROLE,
      instanceType: "ml.m5.large",
      instanceCount: 2,
      startupTimeoutSeconds: 600,
      environment: { SAGEMAKER_MODEL_SERVER_WORKERS: "2" },
      tags: { team: "ml" },
      pollSeconds: 0.05,
    },
    r,
  );
  assert.equal(result.outcome, "in-service");
  assert.equal(result.action, "created");
  assert.match(
    result.modelDataUrl,
    new RegExp(`^s3://${BUCKET}/sagebrew/models/[0-9a-f]{32}/model\\.tar\\.gz$`),
  );
  const model = await sm().send(new DescribeModelCommand({ ModelName: result.model }));
  assert.equal(model.PrimaryContainer?.Image, IMAGE);
  assert.equal(model.PrimaryContainer?.ModelDataUrl, result.modelDataUrl);
  assert.deepEqual(model.PrimaryContainer?.Environment, { SAGEMAKER_MODEL_SERVER_WORKERS: "2" });
  assert.equal(model.ExecutionRoleArn, ROLE);
  const config = await sm().send(
    new DescribeEndpointConfigCommand({ EndpointConfigName: result.endpointConfig }),
  );
  assert.equal(config.ProductionVariants?.length, 1);
  const variant = config.ProductionVariants?.[0];
  assert.equal(variant?.ModelName, result.model);
  assert.equal(variant?.InstanceType, "ml.m5.large");
  assert.equal(variant?.InitialInstanceCount, 2);
  const endpoint = await sm().send(new DescribeEndpointCommand({ EndpointName: "iris" }));
  assert.equal(endpoint.EndpointConfigName, result.endpointConfig);
  for (const arn of [model.ModelArn, endpoint.EndpointArn]) {
    const tags = (await sm().send(new ListTagsCommand({ ResourceArn: arn }))).Tags ?? [];
    assert.ok(
      tags.some((t) => t.Key === CREATED_BY_TAG && t.Value?.startsWith("sagebrew ")),
      `${arn} carries sagebrew's tag`,
    );
    assert.ok(tags.some((t) => t.Key === "team" && t.Value === "ml"));
  }
  assert.ok(r.lines.some((l) => l.includes("uploaded to")));
  assert.ok(r.lines.includes("endpoint iris: InService"));

  // The same model again: the archive is byte-identical, so nothing is uploaded.
  const again = recorder();
  const d2 = await deploy(
    clients,
    { name: "iris-2", model: { kind: "directory", path: dir }, image: IMAGE, role: ROLE, pollSeconds: 0.05 },
    again,
  );
  assert.equal(d2.modelDataUrl, result.modelDataUrl);
  assert.ok(
    again.lines.some((l) => l.includes("already at")),
    again.lines.join("\n"),
  );
});

test("deploy() to an existing endpoint calls UpdateEndpoint: moto 5.2.1 answers it with HTTP 500, which is reported as such, and the new model and config are removed", async () => {
  const first = await deploy(
    clients,
    {
      name: "iris",
      model: { kind: "directory", path: await modelDir("v1", "one") },
      image: IMAGE,
      role: ROLE,
      pollSeconds: 0.05,
    },
    recorder(),
  );
  assert.equal(first.outcome, "in-service");
  await assert.rejects(
    deploy(
      clients,
      {
        name: "iris",
        model: { kind: "directory", path: await modelDir("v2", "two") },
        image: IMAGE,
        role: ROLE,
        pollSeconds: 0.05,
      },
      recorder(),
    ),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, "SB_AWS");
      assert.equal(
        e.message,
        "Cannot update endpoint iris: the sagemaker API answered UpdateEndpoint with HTTP 500 and no AWS error code: the service failed (or an emulator does not implement UpdateEndpoint); run the command again later",
      );
      return true;
    },
  );
  // The endpoint still runs the first deployment, and only its model is left.
  const endpoint = await sm().send(new DescribeEndpointCommand({ EndpointName: "iris" }));
  assert.equal(endpoint.EndpointConfigName, first.endpointConfig);
  const models = (await sm().send(new ListModelsCommand({}))).Models?.map((m) => m.ModelName);
  assert.deepEqual(models, [first.model]);
});

test("planDelete() and deleteResources() remove the endpoint, its config and its model; a second delete finds nothing", async () => {
  const d = await deploy(
    clients,
    {
      name: "iris",
      model: { kind: "directory", path: await modelDir("del") },
      image: IMAGE,
      role: ROLE,
      pollSeconds: 0.05,
    },
    recorder(),
  );
  const plan = await planDelete(clients, "iris");
  assert.deepEqual(plan, {
    kind: "endpoint",
    endpoint: "iris",
    endpointConfig: d.endpointConfig,
    models: [d.model],
    status: "InService",
  });
  const done = await deleteResources(clients, plan);
  assert.deepEqual(done, [`endpoint iris`, `endpoint config ${d.endpointConfig}`, `model ${d.model}`]);
  assert.equal(await clients.sagemaker.describeEndpoint("iris"), undefined);
  assert.equal(await clients.sagemaker.describeModel(d.model), undefined);
  await assert.rejects(planDelete(clients, "iris"), {
    code: "SB_USAGE",
    message: /Cannot delete iris: no endpoint, model/,
  });
  // the model archive stays in S3
  assert.ok(await clients.s3.head(BUCKET, d.modelDataUrl.slice(`s3://${BUCKET}/`.length)));
});

test("listResources() finds what carries sagebrew's tag and nothing else", async () => {
  const d = await deploy(
    clients,
    {
      name: "iris",
      model: { kind: "directory", path: await modelDir("ls") },
      image: IMAGE,
      role: ROLE,
      pollSeconds: 0.05,
    },
    recorder(),
  );
  await clients.sagemaker.createModel({
    ModelName: "not-ours",
    ExecutionRoleArn: ROLE,
    PrimaryContainer: { Image: IMAGE },
  });
  const rows = await listResources(clients);
  assert.deepEqual(
    rows.map((r) => [r.kind, r.name]),
    [
      ["endpoint", "iris"],
      ["model", d.model],
    ],
  );
});

test("invokeEndpoint() sends the payload through the runtime client and returns the answer", async () => {
  await queueEndpointResults(moto, [
    { Body: "setosa\n", ContentType: "text/csv", InvokedProductionVariant: "AllTraffic" },
  ]);
  const r = await invokeEndpoint(clients, "iris", Buffer.from("5.1,3.5,1.4,0.2\n"), {
    contentType: "text/csv",
  });
  assert.equal(r.status, 200);
  assert.equal(Buffer.from(r.body).toString(), "setosa\n");
  assert.equal(r.contentType, "text/csv");
  assert.equal(r.invokedVariant, "AllTraffic");
  await assert.rejects(invokeEndpoint(clients, "iris", new Uint8Array(6 * 1024 * 1024 + 1)), {
    code: "SB_USAGE",
    message: /over SageMaker's 6 MiB limit/,
  });
});

test("a ValidationException from SageMaker is printed verbatim, after what was being done", async () => {
  await assert.rejects(
    clients.sagemaker.createEndpointConfig({
      EndpointConfigName: "c",
      ProductionVariants: [
        {
          VariantName: "AllTraffic",
          ModelName: "missing",
          InitialInstanceCount: 1,
          InstanceType: "ml.m5.large",
        },
      ],
    }),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, "SB_AWS");
      assert.match(e.message, /^Cannot create endpoint config c: ValidationException: Could not find model/);
      return true;
    },
  );
});

test("Describe calls tell a missing resource by SageMaker's error type: ValidationException for a valid name, ResourceNotFound too", async () => {
  // moto, as SageMaker, answers these with ValidationException ("Could not find model …").
  assert.equal(await clients.sagemaker.describeModel("no-such-model"), undefined);
  assert.equal(await clients.sagemaker.describeEndpoint("no-such-endpoint"), undefined);
  assert.equal(await clients.sagemaker.describeEndpointConfig("no-such-config"), undefined);
  assert.equal(await clients.sagemaker.describeTrainingJob("no-such-job"), undefined);
  assert.equal(await clients.sagemaker.describeTransformJob("no-such-job"), undefined);
});

test("a request SageMaker's API table refuses is refused with SageMaker's own words, and never sent", async () => {
  const sent: object[] = [];
  const sdk = await import("@aws-sdk/client-sagemaker");
  const api = sageMakerApiFromClient(
    {
      send: async (command: object) => {
        sent.push(command);
        return {};
      },
    },
    sdk,
  );
  await assert.rejects(api.describeModel("bad_name"), {
    code: "SB_USAGE",
    message:
      "Cannot describe model bad_name: ValidationException: 1 validation error detected: Value 'bad_name' at 'modelName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?",
  });
  await assert.rejects(
    api.createModel({ ModelName: "m", ExecutionRoleArn: "role", PrimaryContainer: { Image: "i" } }),
    {
      code: "SB_USAGE",
      message:
        /^Cannot create model m: ValidationException: 2 validation errors detected: Value 'role' at 'executionRoleArn' failed to satisfy constraint: Member must have length greater than or equal to 20; /,
    },
  );
  assert.equal(sent.length, 0);
  // The same name is sent once valid, and the SDK's own commands carry it.
  await api.describeModel("good-name");
  assert.equal(sent.length, 1);
});

test("LogTail reads events seeded in moto's CloudWatch Logs, stream by stream, merged in time order", async () => {
  const logs = new CloudWatchLogsClient({});
  const group = "/aws/sagemaker/TrainingJobs";
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  const t = Date.now() - 10_000;
  for (const [host, offset] of [
    ["algo-1", 0],
    ["algo-2", 1],
  ] as const) {
    const stream = `job-1/${host}-1700000000`;
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: stream,
        logEvents: [0, 2, 4].map((i) => ({ timestamp: t + i + offset, message: `${host} line ${i}` })),
      }),
    );
  }
  const tail = new LogTail(clients.logs, group, "job-1/");
  const lines = await tail.poll();
  assert.deepEqual(
    lines.map((l) => `${l.source}: ${l.message}`),
    [
      "algo-1: algo-1 line 0",
      "algo-2: algo-2 line 0",
      "algo-1: algo-1 line 2",
      "algo-2: algo-2 line 2",
      "algo-1: algo-1 line 4",
      "algo-2: algo-2 line 4",
    ],
  );
  assert.deepEqual(await tail.poll(), [], "nothing is read twice");
  assert.deepEqual(
    await new LogTail(clients.logs, "/aws/sagemaker/Endpoints/none", "AllTraffic/").poll(),
    [],
  );
});

test("trainOnSageMaker() from the iris directory: channels synced to S3, CreateTrainingJob as read back (string hyperparameters, spot, checkpoints, limits, environment, tags), unchanged data not sent again, --download unpacks the artifact", async () => {
  const dir = join(work, "iris");
  await mkdir(join(dir, "input", "config"), { recursive: true });
  await mkdir(join(dir, "input", "data", "training"), { recursive: true });
  await mkdir(join(dir, "input", "data", "validation"), { recursive: true });
  await writeFile(
    join(dir, "input", "config", "hyperparameters.json"),
    JSON.stringify({ objective: "multi:softprob", num_class: 3, num_round: "20", eta: 0.3, verbose: true }),
  );
  await writeFile(
    join(dir, "input", "config", "inputdataconfig.json"),
    JSON.stringify({
      training: { ContentType: "text/csv", TrainingInputMode: "File", S3DistributionType: "ShardedByS3Key" },
    }),
  );
  await writeFile(join(dir, "input", "data", "training", "iris.csv"), "setosa,5.1,3.5,1.4,0.2\n");
  await writeFile(join(dir, "input", "data", "validation", "iris.csv"), "setosa,5.0,3.4,1.5,0.2\n");
  const r = recorder();
  const options = {
    dir,
    image: IMAGE,
    role: ROLE,
    instanceType: "ml.m5.xlarge",
    instanceCount: 2,
    volumeSizeGb: 50,
    maxRuntimeSeconds: 3600,
    spot: true,
    environment: { SAGEBREW_LOG_LEVEL: "debug" },
    tags: { project: "iris" },
    hyperparameters: { max_depth: 3 },
    wait: false,
  } as const;
  const created = await trainOnSageMaker(clients, options, r);
  assert.equal(created.outcome, "not-waited");
  const job = await clients.sagemaker.describeTrainingJob(created.jobName);
  assert.ok(job);
  assert.deepEqual(job.HyperParameters, {
    objective: "multi:softprob",
    num_class: "3",
    num_round: "20",
    eta: "0.3",
    verbose: "true",
    max_depth: "3",
  });
  assert.deepEqual(job.ResourceConfig, {
    InstanceType: "ml.m5.xlarge",
    InstanceCount: 2,
    VolumeSizeInGB: 50,
  });
  assert.deepEqual(job.StoppingCondition, { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 });
  assert.equal(job.EnableManagedSpotTraining, true);
  assert.match(
    job.CheckpointConfig?.S3Uri ?? "",
    new RegExp(`^s3://${BUCKET}/sagebrew/iris/checkpoints/${created.jobName}/$`),
  );
  // moto keeps neither Environment nor MetricDefinitions: training.test.ts checks them on the wire.
  assert.equal(job.OutputDataConfig?.S3OutputPath, `s3://${BUCKET}/sagebrew/iris/output`);
  assert.equal(job.AlgorithmSpecification?.TrainingImage, IMAGE);
  const channels = job.InputDataConfig ?? [];
  assert.deepEqual(
    channels.map((c) => [c.ChannelName, c.ContentType, c.DataSource?.S3DataSource?.S3DataDistributionType]),
    [
      ["training", "text/csv", "ShardedByS3Key"],
      ["validation", undefined, "FullyReplicated"],
    ],
  );
  const trainingUri = channels[0]?.DataSource?.S3DataSource?.S3Uri ?? "";
  assert.match(trainingUri, new RegExp(`^s3://${BUCKET}/sagebrew/inputs/iris-[0-9a-f]{8}/training/$`));
  assert.deepEqual(
    (await clients.s3.list(BUCKET, trainingUri.slice(`s3://${BUCKET}/`.length))).map((o) =>
      o.key.split("/").pop(),
    ),
    ["iris.csv"],
  );
  const tags = await clients.sagemaker.listTags(job.TrainingJobArn ?? "");
  assert.equal(tags.project, "iris");
  assert.ok(tags[CREATED_BY_TAG]);
  assert.ok(r.lines.some((l) => /^channel training: 1 file\(s\) uploaded/.test(l)));

  // Again: the data is already there.
  const again = recorder();
  const second = await trainOnSageMaker(clients, options, again);
  assert.ok(
    again.lines.some((l) => /^channel training: 0 file\(s\) uploaded \(0 bytes\), 1 unchanged/.test(l)),
    again.lines.join("\n"),
  );

  // moto completes jobs at once but writes no artifact: put one where it says, then follow and download.
  const artifact =
    (await clients.sagemaker.describeTrainingJob(second.jobName))?.ModelArtifacts?.S3ModelArtifacts ?? "";
  const packed = await packModel(await modelDir("trained", "trained model"), join(work, "artifact.tar.gz"));
  await clients.s3.upload(BUCKET, artifact.slice(`s3://${BUCKET}/`.length), await readFile(packed.file), {
    size: packed.size,
  });
  const done = recorder();
  const result = await waitForTrainingJob(clients, second.jobName, {
    deadline: Date.now() + 60_000,
    pollSeconds: 0.05,
    downloadTo: dir,
    reporter: done,
  });
  assert.equal(result.outcome, "completed");
  assert.equal(result.modelArtifact, artifact);
  assert.deepEqual(result.metrics, [{ name: "train:progress", value: 100 }]);
  assert.equal(await readFile(join(dir, "model", "xgboost-model"), "utf8"), "trained model");
  assert.equal(result.downloadedTo, join(dir, "model"));
});

test("runTransformJob() from a local folder: input synced, CreateTransformJob as read back, the .out files brought back; an unknown model is refused first", async () => {
  const d = await deploy(
    clients,
    {
      name: "iris",
      model: { kind: "directory", path: await modelDir("tx") },
      image: IMAGE,
      role: ROLE,
      waitSeconds: 0,
    },
    recorder(),
  );
  const input = join(work, "batch-in");
  await mkdir(join(input, "part"), { recursive: true });
  await writeFile(join(input, "a.csv"), "5.1,3.5,1.4,0.2\n");
  await writeFile(join(input, "part", "b.csv"), "6.7,3.0,5.2,2.3\n");
  const r = recorder();
  const created = await runTransformJob(
    clients,
    {
      input,
      modelName: d.model,
      instanceType: "ml.m5.large",
      instanceCount: 2,
      contentType: "text/csv",
      accept: "text/csv",
      splitType: "Line",
      batchStrategy: "MultiRecord",
      maxPayloadMb: 6,
      maxConcurrentTransforms: 4,
      assembleWith: "Line",
      joinSource: "Input",
      outputFilter: "$[0,-1]",
      waitSeconds: 0,
    },
    r,
  );
  assert.equal(created.outcome, "not-waited");
  assert.match(
    created.outputS3Uri,
    new RegExp(`^s3://${BUCKET}/sagebrew/transform/batch-in-\\d{8}-\\d{6}-\\d{3}/$`),
  );
  const job = await clients.sagemaker.describeTransformJob(created.jobName);
  assert.equal(job?.ModelName, d.model);
  assert.deepEqual(job?.TransformResources, { InstanceType: "ml.m5.large", InstanceCount: 2 });
  assert.equal(job?.TransformInput?.SplitType, "Line");
  assert.equal(job?.TransformInput?.ContentType, "text/csv");
  const inputUri = job?.TransformInput?.DataSource?.S3DataSource?.S3Uri ?? "";
  assert.match(inputUri, new RegExp(`^s3://${BUCKET}/sagebrew/transform-inputs/batch-in-[0-9a-f]{8}/$`));
  assert.deepEqual(
    (await clients.s3.list(BUCKET, inputUri.slice(`s3://${BUCKET}/`.length))).map((o) =>
      o.key.split("/").slice(-2).join("/"),
    ),
    ["batch-in-" + inputUri.split("batch-in-")[1]!.slice(0, 8) + "/a.csv", "part/b.csv"],
  );
  assert.equal(job?.TransformOutput?.AssembleWith, "Line");
  assert.equal(job?.BatchStrategy, "MultiRecord");

  // moto completes at once but writes no output: put the .out files where SageMaker would.
  const outPrefix = created.outputS3Uri.slice(`s3://${BUCKET}/`.length);
  await clients.s3.upload(BUCKET, `${outPrefix}a.csv.out`, Buffer.from("setosa\n"), { size: 7 });
  await clients.s3.upload(BUCKET, `${outPrefix}part/b.csv.out`, Buffer.from("virginica\n"), { size: 10 });
  const out = join(work, "batch-out");
  const done = await waitForTransformJob(clients, created.jobName, {
    deadline: Date.now() + 60_000,
    pollSeconds: 0.05,
    downloadTo: out,
    reporter: recorder(),
  });
  assert.equal(done.outcome, "completed");
  assert.deepEqual(done.downloaded, ["a.csv.out", "part/b.csv.out"]);
  assert.equal(await readFile(join(out, "part", "b.csv.out"), "utf8"), "virginica\n");

  await assert.rejects(runTransformJob(clients, { input, modelName: "nope", instanceType: "ml.m5.large" }), {
    code: "SB_USAGE",
    message: /Cannot transform with model nope: no such SageMaker model/,
  });
});

test("`sagebrew logs JOB` prints every host's seeded lines in time order; an unknown name says what it looked for", async () => {
  const created = await trainOnSageMaker(
    clients,
    {
      s3Channels: { train: "s3://b/t/" },
      outputS3Uri: "s3://b/o",
      image: IMAGE,
      role: ROLE,
      instanceType: "ml.m5.large",
      wait: false,
    },
    recorder(),
  );
  const logs = new CloudWatchLogsClient({});
  const group = "/aws/sagemaker/TrainingJobs";
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  const t = Date.now() - 5000;
  for (const [host, lines] of [
    ["algo-1", ["[0]\ttrain-rmse:0.5", "[1]\ttrain-rmse:0.4"]],
    ["algo-2", ["joined"]],
  ] as const) {
    const stream = `${created.jobName}/${host}-1700000000`;
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: stream,
        logEvents: lines.map((message, i) => ({
          timestamp: t + i * 2 + (host === "algo-2" ? 1 : 0),
          message,
        })),
      }),
    );
  }
  const c = captureIo({ cwd: work, env: process.env });
  assert.equal(await main(["logs", created.jobName], c.io), 0);
  assert.equal(c.out(), "[algo-1] [0]\ttrain-rmse:0.5\n[algo-2] joined\n[algo-1] [1]\ttrain-rmse:0.4\n");
  assert.equal(c.err(), `training job ${created.jobName}: Completed\n`);
  const missing = captureIo({ cwd: work, env: process.env });
  assert.equal(await main(["logs", "no-such-thing"], missing.io), 2);
  assert.match(
    missing.err(),
    /Cannot show the logs of no-such-thing: no training job, transform job or endpoint has that name/,
  );
});
