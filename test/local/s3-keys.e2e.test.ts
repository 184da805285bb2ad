/**
 * S3 keys that would leave their directory, against moto_server with real objects at such keys
 * (`train/../../…/escaped`): a training channel, a checkpoint prefix, a transform job's input and
 * an endpoint's uncompressed model data each fail with a sentence naming the key
 * (`ClientError: …` for the jobs), and nothing is written outside — the key is aimed at a file of
 * this test's own temporary directory, which must not appear.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  type CreateTrainingJobCommandInput,
  CreateTransformJobCommand,
  DescribeEndpointCommand,
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
  SageMakerClient,
} from "@aws-sdk/client-sagemaker";
import { packModelArchive } from "../../packages/cli/src/local/model-archive.js";
import { type LocalSageMaker, startLocalSageMaker } from "../../packages/cli/src/local/sagemaker/index.js";
import { irisModelBytes } from "../kit/iris.js";
import { type Moto, startMoto, useMotoEnv } from "../kit/moto.js";

const IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const BUCKET = "sagebrew-keys";
const IRIS_ROWS = "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n";
const IRIS_LABELLED = "setosa,5.1,3.5,1.4,0.2\nvirginica,6.7,3.0,5.2,2.3\n";

let work: string;
let moto: Moto;
let local: LocalSageMaker;
let s3: S3Client;
let sm: SageMakerClient;
let modelUrl: string;

/** A key under `prefix` that climbs to `/` and comes down to `<work>/<name>`. */
const escaping = (prefix: string, name: string) =>
  `${prefix}/${"../".repeat(40)}${join(work, name).slice(1)}`;

async function put(key: string, body: string | Uint8Array): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-s3-keys-"));
  moto = await startMoto();
  // sagebrew local's S3 client takes its credentials where the SDK looks: this process's environment.
  useMotoEnv(moto);
  const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };
  s3 = new S3Client({ endpoint: moto.url, forcePathStyle: true, region: "us-east-1", credentials });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  local = await startLocalSageMaker({
    port: 0,
    stateDir: join(work, "state"),
    env: {
      ...process.env,
      AWS_ENDPOINT_URL_S3: moto.url,
      SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine"),
    },
    log: () => undefined,
  });
  sm = new SageMakerClient({ endpoint: local.url, region: "us-east-1", credentials });
  const src = join(work, "model-src");
  await mkdir(src, { recursive: true });
  await writeFile(join(src, "xgboost-model"), await irisModelBytes());
  await packModelArchive(src, join(work, "model.tar.gz"));
  modelUrl = pathToFileURL(join(work, "model.tar.gz")).href;
});

after(async () => {
  await local?.close();
  await moto?.stop();
  await rm(work, { recursive: true, force: true });
});

function trainingJob(name: string, over: Partial<CreateTrainingJobCommandInput> = {}) {
  return new CreateTrainingJobCommand({
    TrainingJobName: name,
    RoleArn: ROLE,
    AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: "File" },
    HyperParameters: { objective: "multi:softprob", num_class: "3", num_round: "2" },
    InputDataConfig: [
      {
        ChannelName: "train",
        ContentType: "text/csv",
        DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: `s3://${BUCKET}/${name}/train` } },
      },
    ],
    OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/out` },
    ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 5 },
    StoppingCondition: { MaxRuntimeInSeconds: 600 },
    ...over,
  });
}

async function poll<T>(get: () => Promise<T>, done: (t: T) => boolean): Promise<T> {
  for (let i = 0; i < 1200; i++) {
    const t = await get();
    if (done(t)) return t;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the resource never settled");
}

const jobEnded = (name: string) =>
  poll(
    () => sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name })),
    (d) => d.TrainingJobStatus !== "InProgress" && d.TrainingJobStatus !== "Stopping",
  );

describe("S3 keys that would leave their directory", () => {
  it("fail a training job whose channel holds one, with ClientError naming the key", async () => {
    const key = escaping("dots/train", "escaped-train");
    await put("dots/train/iris.csv", IRIS_LABELLED);
    await put(key, "planted,1,2,3,4\n");
    await sm.send(trainingJob("dots"));
    const d = await jobEnded("dots");
    assert.equal(d.TrainingJobStatus, "Failed");
    assert.ok(
      d.FailureReason!.startsWith(
        `ClientError: Cannot download the input data: the object s3://${BUCKET}/${key} (relative key "../`,
      ),
      d.FailureReason,
    );
    assert.match(
      d.FailureReason!,
      /would not stay inside the directory of channel train: its key has a "\.\." segment$/,
    );
    assert.equal(existsSync(join(work, "escaped-train")), false);
  });

  it("fail a training job whose checkpoint prefix holds one", async () => {
    const key = escaping("ckpt/checkpoints", "escaped-checkpoint");
    await put("ckpt/train/iris.csv", IRIS_LABELLED);
    await put(key, "planted");
    await sm.send(
      trainingJob("ckpt", {
        CheckpointConfig: { S3Uri: `s3://${BUCKET}/ckpt/checkpoints`, LocalPath: "/opt/ml/checkpoints" },
      }),
    );
    const d = await jobEnded("ckpt");
    assert.equal(d.TrainingJobStatus, "Failed");
    assert.match(
      d.FailureReason!,
      /^ClientError: Cannot download the input data: the object s3:\/\/.*escaped-checkpoint/,
    );
    assert.match(d.FailureReason!, /would not stay inside the checkpoint directory/);
    assert.equal(existsSync(join(work, "escaped-checkpoint")), false);
  });

  it("fail a transform job whose input holds one, before any instance runs", async () => {
    const key = escaping("batch/in", "escaped-transform");
    await put("batch/in/rows.csv", IRIS_ROWS);
    await put(key, IRIS_ROWS);
    await sm.send(
      new CreateModelCommand({
        ModelName: "iris",
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: modelUrl },
      }),
    );
    await sm.send(
      new CreateTransformJobCommand({
        TransformJobName: "batch",
        ModelName: "iris",
        TransformInput: {
          DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: `s3://${BUCKET}/batch/in` } },
          ContentType: "text/csv",
          SplitType: "Line",
        },
        TransformOutput: { S3OutputPath: pathToFileURL(join(work, "batch-out")).href },
        TransformResources: { InstanceType: "ml.m5.large", InstanceCount: 1 },
      }),
    );
    const d = await poll(
      () => sm.send(new DescribeTransformJobCommand({ TransformJobName: "batch" })),
      (t) => t.TransformJobStatus !== "InProgress" && t.TransformJobStatus !== "Stopping",
    );
    assert.equal(d.TransformJobStatus, "Failed");
    assert.equal(
      d.FailureReason,
      `ClientError: Cannot download the input data: the object s3://${BUCKET}/${key} (relative key ${JSON.stringify(key.slice("batch/in/".length))}) would not stay inside the transform job's input directory: its key has a ".." segment`,
    );
    assert.equal(existsSync(join(work, "escaped-transform")), false);
    assert.equal(existsSync(join(work, "batch-out")), false);
  });

  it("fail an endpoint whose uncompressed model data holds one", async () => {
    const key = escaping("uncompressed/model", "escaped-model");
    await put("uncompressed/model/xgboost-model", await irisModelBytes());
    await put(key, "planted");
    await sm.send(
      new CreateModelCommand({
        ModelName: "uncompressed",
        ExecutionRoleArn: ROLE,
        PrimaryContainer: {
          Image: IMAGE,
          ModelDataSource: {
            S3DataSource: {
              S3Uri: `s3://${BUCKET}/uncompressed/model/`,
              S3DataType: "S3Prefix",
              CompressionType: "None",
            },
          },
        },
      }),
    );
    await sm.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: "uncompressed",
        ProductionVariants: [
          {
            VariantName: "AllTraffic",
            ModelName: "uncompressed",
            InitialInstanceCount: 1,
            InstanceType: "ml.m5.large",
          },
        ],
      }),
    );
    await sm.send(
      new CreateEndpointCommand({ EndpointName: "uncompressed", EndpointConfigName: "uncompressed" }),
    );
    const d = await poll(
      () => sm.send(new DescribeEndpointCommand({ EndpointName: "uncompressed" })),
      (e) => e.EndpointStatus !== "Creating",
    );
    assert.equal(d.EndpointStatus, "Failed");
    assert.match(
      d.FailureReason!,
      /^Cannot place the model data: the object s3:\/\/.*escaped-model \(relative key "\.\.\//,
    );
    assert.match(
      d.FailureReason!,
      /would not stay inside the model directory: its key has a "\.\." segment$/,
    );
    assert.equal(existsSync(join(work, "escaped-model")), false);
  });
});
