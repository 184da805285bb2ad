/**
 * `sagebrew local`'s endpoints and hosts beyond the main cycle, with the AWS SDK for JavaScript:
 * multi-model endpoints loading from their prefix, weighted variants, a model that cannot load
 * (Failed with the container's words), an update that fails (the old containers keep serving), and
 * a training job on two hosts with a ShardedByS3Key channel, trained together.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  DescribeEndpointCommand,
  DescribeTrainingJobCommand,
  type ProductionVariant,
  SageMakerClient,
  UpdateEndpointCommand,
  waitUntilEndpointInService,
  waitUntilTrainingJobCompletedOrStopped,
} from "@aws-sdk/client-sagemaker";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { packModelArchive } from "../../packages/cli/src/local/model-archive.js";
import { type LocalSageMaker, startLocalSageMaker } from "../../packages/cli/src/local/sagemaker/index.js";
import { irisModelBytes, irisRows } from "../kit/iris.js";

const IMAGE = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1";
const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";

let work: string;
let local: LocalSageMaker;
let sm: SageMakerClient;
let rt: SageMakerRuntimeClient;
let logs: CloudWatchLogsClient;
let irisArchive: string;

/** A model.tar.gz of `files` (name → content) under `dir`. */
async function archive(
  dir: string,
  name: string,
  files: Record<string, string | Uint8Array>,
): Promise<string> {
  const src = join(work, `src-${name.replaceAll("/", "-")}`);
  for (const [f, content] of Object.entries(files)) {
    await mkdir(join(src, f, ".."), { recursive: true });
    await writeFile(join(src, f), content);
  }
  const out = join(dir, name);
  await mkdir(join(out, ".."), { recursive: true });
  await packModelArchive(src, out);
  return out;
}

async function invoke(endpoint: string, body: string, extra: Record<string, string> = {}) {
  const r = await rt.send(
    new InvokeEndpointCommand({
      EndpointName: endpoint,
      ContentType: "text/csv",
      Body: Buffer.from(body),
      ...extra,
    }),
  );
  return { body: Buffer.from(r.Body!).toString(), variant: r.InvokedProductionVariant };
}

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a failure");
}

async function endpoint(name: string, variants: ProductionVariant[]) {
  await sm.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: variants }));
  await sm.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
  await waitUntilEndpointInService(
    { client: sm, maxWaitTime: 300, minDelay: 1, maxDelay: 2 },
    { EndpointName: name },
  ).catch(() => undefined);
  return sm.send(new DescribeEndpointCommand({ EndpointName: name }));
}

const variant = (name: string, model: string, weight = 1): ProductionVariant => ({
  VariantName: name,
  ModelName: model,
  InitialInstanceCount: 1,
  InstanceType: "ml.m5.large",
  InitialVariantWeight: weight,
});

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-endpoints-"));
  local = await startLocalSageMaker({
    port: 0,
    stateDir: join(work, "state"),
    env: { ...process.env, SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") },
    log: () => undefined,
  });
  const config = {
    endpoint: local.url,
    region: "eu-west-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  };
  sm = new SageMakerClient(config);
  rt = new SageMakerRuntimeClient(config);
  logs = new CloudWatchLogsClient(config);
  irisArchive = await archive(join(work, "models"), "iris.tar.gz", {
    "xgboost-model": await irisModelBytes(),
  });
  await sm.send(
    new CreateModelCommand({
      ModelName: "iris",
      ExecutionRoleArn: ROLE,
      PrimaryContainer: { Image: IMAGE, ModelDataUrl: pathToFileURL(irisArchive).href },
    }),
  );
});

after(async () => {
  await local?.close();
  await rm(work, { recursive: true, force: true });
});

describe("sagebrew local endpoints", () => {
  it("serves a multi-model endpoint, loading each target model from the prefix on first use", async () => {
    const prefix = join(work, "mme");
    await archive(prefix, "iris.tar.gz", { "xgboost-model": await irisModelBytes() });
    await archive(prefix, "nested/echo.tar.gz", {
      "code/handler.mjs":
        'export default { name: "echo", load: () => ({}), transform: (m, body) => ({ body: "echo:" + Buffer.from(body).toString(), contentType: "text/plain" }) };\n',
    });
    await sm.send(
      new CreateModelCommand({
        ModelName: "mme",
        ExecutionRoleArn: ROLE,
        PrimaryContainer: {
          Image: IMAGE,
          Mode: "MultiModel",
          ModelDataUrl: `${pathToFileURL(prefix).href}/`,
        },
      }),
    );
    const d = await endpoint("mme", [variant("AllTraffic", "mme")]);
    assert.equal(d.EndpointStatus, "InService", d.FailureReason);
    assert.deepEqual(
      await invoke("mme", "5.1,3.5,1.4,0.2\n", { TargetModel: "iris.tar.gz", Accept: "text/csv" }),
      {
        body: "setosa\n",
        variant: "AllTraffic",
      },
    );
    assert.equal((await invoke("mme", "hello", { TargetModel: "nested/echo.tar.gz" })).body, "echo:hello");
    assert.equal(
      (await invoke("mme", "6.7,3.1,5.6,2.4\n", { TargetModel: "iris.tar.gz", Accept: "text/csv" })).body,
      "virginica\n",
    );
    const missing = await failure(invoke("mme", "1", { TargetModel: "missing.tar.gz" }));
    assert.equal(missing.name, "ValidationError");
    assert.match(missing.message, /^Failed to download model data from file:\/\/.*missing\.tar\.gz/);
    const untargeted = await failure(invoke("mme", "1"));
    assert.equal(untargeted.name, "ValidationError");
    assert.match(untargeted.message, /multi-model endpoint: name the model to invoke with TargetModel/);
  });

  it("routes by TargetVariant, and by weight otherwise", async () => {
    await sm.send(
      new CreateModelCommand({
        ModelName: "iris-json",
        ExecutionRoleArn: ROLE,
        PrimaryContainer: {
          Image: IMAGE,
          ModelDataUrl: pathToFileURL(irisArchive).href,
          Environment: { SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: "application/json" },
        },
      }),
    );
    const d = await endpoint("two", [variant("Csv", "iris", 3), variant("Json", "iris-json", 1)]);
    assert.equal(d.EndpointStatus, "InService", d.FailureReason);
    assert.deepEqual(
      d.ProductionVariants?.map((v) => [v.VariantName, v.CurrentWeight]),
      [
        ["Csv", 3],
        ["Json", 1],
      ],
    );
    assert.equal((await invoke("two", "5.1,3.5,1.4,0.2\n", { TargetVariant: "Json" })).variant, "Json");
    const counts = { Csv: 0, Json: 0 } as Record<string, number>;
    for (let i = 0; i < 8; i++) counts[(await invoke("two", "5.1,3.5,1.4,0.2\n")).variant!]!++;
    assert.deepEqual(counts, { Csv: 6, Json: 2 });
    const unknown = await failure(invoke("two", "1", { TargetVariant: "Nope" }));
    assert.equal(unknown.name, "ValidationError");
  });

  it("fails an endpoint whose model cannot load, with the container's own words; a failed update keeps the old one serving", async () => {
    const broken = await archive(join(work, "models"), "broken.tar.gz", { "xgboost-model": "not a model" });
    await sm.send(
      new CreateModelCommand({
        ModelName: "broken",
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: pathToFileURL(broken).href },
      }),
    );
    const d = await endpoint("broken", [variant("AllTraffic", "broken")]);
    assert.equal(d.EndpointStatus, "Failed");
    assert.match(
      d.FailureReason ?? "",
      /^The primary container for production variant AllTraffic did not pass the ping health check: /,
    );
    assert.match(d.FailureReason ?? "", /Cannot load model .*xgboost-model/);
    const e = await failure(
      sm.send(new UpdateEndpointCommand({ EndpointName: "broken", EndpointConfigName: "two" })),
    );
    assert.match(e.message, /^Cannot update failed endpoint/);

    await sm.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: "broken-2",
        ProductionVariants: [variant("AllTraffic", "broken")],
      }),
    );
    await sm.send(new UpdateEndpointCommand({ EndpointName: "two", EndpointConfigName: "broken-2" }));
    await waitUntilEndpointInService(
      { client: sm, maxWaitTime: 300, minDelay: 1, maxDelay: 2 },
      { EndpointName: "two" },
    );
    const after = await sm.send(new DescribeEndpointCommand({ EndpointName: "two" }));
    assert.equal(after.EndpointConfigName, "two");
    assert.match(after.FailureReason ?? "", /did not pass the ping health check/);
    // SageMaker's image answers the three probabilities (the model's class names are sagebrew's own).
    const p = (await invoke("two", "5.1,3.5,1.4,0.2\n", { TargetVariant: "Csv" })).body
      .trim()
      .split(",")
      .map(Number);
    assert.equal(p.indexOf(Math.max(...p)), 0, "setosa");
  });

  it("trains on two hosts algo-1 and algo-2, each with its own /opt/ml and its share of a ShardedByS3Key channel", async () => {
    const data = join(work, "sharded");
    await mkdir(data, { recursive: true });
    const { features, labels } = irisRows();
    const names = ["setosa", "versicolor", "virginica"];
    const rows = features.map((f, i) => `${names[labels[i]!]},${f.join(",")}`);
    await writeFile(join(data, "part-a.csv"), `${rows.filter((_, i) => i % 2 === 0).join("\n")}\n`);
    await writeFile(join(data, "part-b.csv"), `${rows.filter((_, i) => i % 2 === 1).join("\n")}\n`);
    await sm.send(
      new CreateTrainingJobCommand({
        TrainingJobName: "two-hosts",
        RoleArn: ROLE,
        AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: "File" },
        HyperParameters: { objective: "multi:softprob", num_class: "3", num_round: "10" },
        InputDataConfig: [
          {
            ChannelName: "train",
            ContentType: "text/csv",
            DataSource: {
              S3DataSource: {
                S3DataType: "S3Prefix",
                S3Uri: pathToFileURL(data).href,
                S3DataDistributionType: "ShardedByS3Key",
              },
            },
          },
        ],
        OutputDataConfig: { S3OutputPath: pathToFileURL(join(work, "out")).href },
        ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 2, VolumeSizeInGB: 5 },
      }),
    );
    await waitUntilTrainingJobCompletedOrStopped(
      { client: sm, maxWaitTime: 300, minDelay: 1, maxDelay: 2 },
      { TrainingJobName: "two-hosts" },
    );
    const d = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "two-hosts" }));
    assert.equal(d.TrainingJobStatus, "Completed", d.FailureReason);
    const jobDir = join(local.stateDir, "training-jobs", "two-hosts");
    for (const [host, file] of [
      ["algo-1", "part-a.csv"],
      ["algo-2", "part-b.csv"],
    ] as const) {
      const rc = JSON.parse(
        await readFile(join(jobDir, host, "input", "config", "resourceconfig.json"), "utf8"),
      );
      assert.equal(rc.current_host, host);
      assert.deepEqual(rc.hosts, ["algo-1", "algo-2"]);
      assert.deepEqual(await readdir(join(jobDir, host, "input", "data", "train")), [file]);
      const idc = JSON.parse(
        await readFile(join(jobDir, host, "input", "config", "inputdataconfig.json"), "utf8"),
      );
      assert.equal(idc.train.S3DistributionType, "ShardedByS3Key");
    }
    const streams = await logs.send(
      new DescribeLogStreamsCommand({
        logGroupName: "/aws/sagemaker/TrainingJobs",
        logStreamNamePrefix: "two-hosts/",
      }),
    );
    assert.deepEqual(
      streams.logStreams?.map((s) => s.logStreamName?.replace(/-\d+$/, "")),
      ["two-hosts/algo-1", "two-hosts/algo-2"],
    );
    // Both hosts train one model together (XGBoost's collective): each prints every round's
    // metrics, reduced over both shards, so the two logs hold the same evaluation lines.
    const rounds: string[][] = [];
    for (const s of streams.logStreams ?? []) {
      const events = await logs.send(
        new GetLogEventsCommand({
          logGroupName: "/aws/sagemaker/TrainingJobs",
          logStreamName: s.logStreamName!,
          startFromHead: true,
        }),
      );
      rounds.push(
        (events.events ?? []).map((e) => e.message ?? "").filter((m) => /^\[\d+\](#011|\t)train-/.test(m)),
      );
    }
    assert.equal(rounds[0]!.length, 10, `algo-1's log: ${rounds[0]!.join(" | ")}`);
    assert.deepEqual(rounds[1], rounds[0]);
    await readFile(join(work, "out", "two-hosts", "output", "model.tar.gz"));
  });

  it("reads Pipe-mode and manifest channels, writes checkpoints and an uncompressed model, and serves an uncompressed ModelDataSource", async () => {
    const data = join(work, "pipe-data");
    await mkdir(data, { recursive: true });
    const { features, labels } = irisRows();
    // numeric labels: SageMaker's XGBoost image reads CSV labels as numbers
    await writeFile(
      join(data, "iris.csv"),
      `${features.map((f, i) => `${labels[i]},${f.join(",")}`).join("\n")}\n`,
    );
    const manifest = join(work, "validation.manifest");
    await writeFile(manifest, JSON.stringify([{ prefix: `${pathToFileURL(data).href}/` }, "iris.csv"]));
    const out = join(work, "out-none");
    await sm.send(
      new CreateTrainingJobCommand({
        TrainingJobName: "pipe-and-manifest",
        RoleArn: ROLE,
        AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: "Pipe" },
        HyperParameters: {
          objective: "multi:softprob",
          num_class: "3",
          num_round: "6",
        },
        InputDataConfig: [
          {
            ChannelName: "train",
            ContentType: "text/csv",
            DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: pathToFileURL(data).href } },
          },
          {
            ChannelName: "validation",
            ContentType: "text/csv",
            InputMode: "File",
            DataSource: { S3DataSource: { S3DataType: "ManifestFile", S3Uri: pathToFileURL(manifest).href } },
          },
        ],
        OutputDataConfig: { S3OutputPath: pathToFileURL(out).href, CompressionType: "NONE" },
        CheckpointConfig: { S3Uri: pathToFileURL(join(work, "ckpt")).href },
        ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 5 },
      }),
    );
    await waitUntilTrainingJobCompletedOrStopped(
      { client: sm, maxWaitTime: 300, minDelay: 1, maxDelay: 2 },
      { TrainingJobName: "pipe-and-manifest" },
    );
    const d = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "pipe-and-manifest" }));
    assert.equal(d.TrainingJobStatus, "Completed", d.FailureReason);
    assert.ok(d.FinalMetricDataList?.some((m) => m.MetricName === "validation:mlogloss"));
    const jobDir = join(local.stateDir, "training-jobs", "pipe-and-manifest", "algo-1");
    assert.deepEqual((await readdir(join(jobDir, "input", "data"))).sort(), ["train_0", "validation"]);
    assert.equal(
      d.ModelArtifacts?.S3ModelArtifacts,
      `${pathToFileURL(out).href}/pipe-and-manifest/output/model/`,
    );
    const model = join(out, "pipe-and-manifest", "output", "model");
    assert.deepEqual((await readdir(model)).sort(), [".sagebrew.json", "xgboost-model"]);
    assert.ok((await readdir(join(work, "ckpt"))).some((f) => f.startsWith("xgboost-checkpoint")));

    await sm.send(
      new CreateModelCommand({
        ModelName: "uncompressed",
        ExecutionRoleArn: ROLE,
        PrimaryContainer: {
          Image: IMAGE,
          ModelDataSource: {
            S3DataSource: {
              S3Uri: `${pathToFileURL(model).href}/`,
              S3DataType: "S3Prefix",
              CompressionType: "None",
            },
          },
        },
      }),
    );
    const e = await endpoint("uncompressed", [variant("AllTraffic", "uncompressed")]);
    assert.equal(e.EndpointStatus, "InService", e.FailureReason);
    // multi:softprob: the three probabilities, virginica's the largest
    const p = (await invoke("uncompressed", "6.7,3.1,5.6,2.4\n")).body.trim().split(",").map(Number);
    assert.equal(p.length, 3);
    assert.equal(p.indexOf(Math.max(...p)), 2);
  });
});
