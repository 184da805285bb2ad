/**
 * The control plane in-process, over a real store in a temporary directory, with fake engines that
 * record what they are asked: concurrent creates of one name, write-before-answer, and requests
 * that move a resource through its state machine.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { EndpointDoc, TrainingJobDoc, TransformJobDoc } from "../docs.js";
import { ApiError } from "../protocol/index.js";
import { ResourceStore } from "../state/index.js";
import type { ObjectStorage } from "../storage/index.js";
import type { OpContext } from "./context.js";
import { runSageMakerOperation } from "./control-plane.js";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

interface Calls {
  started: string[];
  stopped: string[];
  deployed: string[];
  removed: string[];
}

async function controlPlane(): Promise<{ ctx: OpContext; calls: Calls; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "sagebrew-ops-"));
  dirs.push(dir);
  const store = await ResourceStore.open(dir, { warn: () => {} });
  const calls: Calls = { started: [], stopped: [], deployed: [], removed: [] };
  const storage: ObjectStorage = {
    // Every prefix holds one object, found after a pause (as a real S3 answers).
    list: async (uri) => {
      await new Promise((r) => setTimeout(r, 5));
      return [{ uri: `${uri}/a.csv`, rel: "a.csv", size: 1 }];
    },
    download: async () => {},
    upload: async () => {},
    read: async () => Buffer.from(""),
    write: async () => {},
  };
  let clock = 1_000;
  const ctx: OpContext = {
    store,
    logs: undefined as never,
    storage,
    training: {
      start: (j: TrainingJobDoc) => calls.started.push(j.name),
      stop: (j: TrainingJobDoc) => calls.stopped.push(`${j.name}:${j.TrainingJobStatus}`),
    },
    transforms: { start: (j: TransformJobDoc) => calls.started.push(j.name), stop: () => {} },
    endpoints: {
      deploy: (e: EndpointDoc) =>
        calls.deployed.push(`${e.name}:${e.EndpointStatus}:${e._pending?.generation}`),
      remove: (e: EndpointDoc) => calls.removed.push(`${e.name}:${e.EndpointStatus}`),
    },
    tuning: { start: () => {}, stop: async () => {} },
    planImage: async () => {
      await new Promise((r) => setTimeout(r, 5));
      return { runner: "runtime", why: "test" };
    },
    now: () => ++clock,
    maxInstances: 8,
    storageCheckMs: 1_000,
    region: "us-east-1",
    account: "111122223333",
  };
  return { ctx, calls, dir };
}

const op = (ctx: OpContext, operation: string, body: unknown) => runSageMakerOperation(operation, body, ctx);

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e;
  }
  throw new Error("expected a refusal");
}

const trainingJob = {
  TrainingJobName: "iris",
  RoleArn: "arn:aws:iam::123456789012:role/r",
  AlgorithmSpecification: { TrainingImage: "sagebrew-iris:latest", TrainingInputMode: "File" },
  InputDataConfig: [
    { ChannelName: "train", DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: "s3://b/in" } } },
  ],
  OutputDataConfig: { S3OutputPath: "s3://b/out" },
  ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 1 },
  StoppingCondition: { MaxRuntimeInSeconds: 600 },
};
const model = {
  ModelName: "m",
  PrimaryContainer: { Image: "sagebrew-iris:latest", ModelDataUrl: "s3://b/m.tar.gz" },
};

describe("the control plane, in-process with fake engines", () => {
  it("lets one of 20 concurrent CreateTrainingJob of one name through; the others get ResourceInUse", async () => {
    const { ctx, calls } = await controlPlane();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => op(ctx, "CreateTrainingJob", trainingJob)),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) {
      if (r.status === "rejected") assert.equal((r.reason as ApiError).type, "ResourceInUse");
    }
    assert.deepEqual(calls.started, ["iris"], "one job started");
  });

  it("lets one of 20 concurrent CreateModel (and CreateEndpointConfig) of one name through", async () => {
    const { ctx } = await controlPlane();
    const models = await Promise.allSettled(Array.from({ length: 20 }, () => op(ctx, "CreateModel", model)));
    assert.equal(models.filter((r) => r.status === "fulfilled").length, 1);
    const config = {
      EndpointConfigName: "c",
      ProductionVariants: [
        { VariantName: "v", ModelName: "m", InstanceType: "ml.m5.large", InitialInstanceCount: 1 },
      ],
    };
    const configs = await Promise.allSettled(
      Array.from({ length: 20 }, () => op(ctx, "CreateEndpointConfig", config)),
    );
    assert.equal(configs.filter((r) => r.status === "fulfilled").length, 1);
  });

  it("answers InternalFailure (500) with the reason when the state cannot be written, and shows nothing", async () => {
    const { ctx, dir } = await controlPlane();
    const models = join(dir, "resources", "model");
    await rm(models, { recursive: true });
    await writeFile(models, "a file where the directory was: every write fails");
    const e = await refusal(op(ctx, "CreateModel", model));
    assert.equal(e.type, "InternalFailure");
    assert.equal(e.status, 500);
    assert.match(e.message, /^Cannot save model m in .*: ENOTDIR/);
    assert.equal((await refusal(op(ctx, "DescribeModel", { ModelName: "m" }))).type, "ValidationException");
    await rm(models);
    await mkdir(models);
    const reopened = await ResourceStore.open(dir, { warn: () => {} });
    assert.equal(reopened.get("model", "m"), undefined);
  });

  it("StopTrainingJob moves the job to Stopping before the engine hears of it; a second stop is refused", async () => {
    const { ctx, calls } = await controlPlane();
    await op(ctx, "CreateTrainingJob", trainingJob);
    await op(ctx, "StopTrainingJob", { TrainingJobName: "IRIS" });
    assert.deepEqual(calls.stopped, ["iris:Stopping"]);
    const described = (await op(ctx, "DescribeTrainingJob", { TrainingJobName: "iris" })) as TrainingJobDoc;
    assert.deepEqual([described.TrainingJobStatus, described.SecondaryStatus], ["Stopping", "Stopping"]);
    const e = await refusal(op(ctx, "StopTrainingJob", { TrainingJobName: "iris" }));
    assert.equal(e.message, "The request was rejected because the training job is in status Stopping.");
    assert.equal(
      (await refusal(op(ctx, "StopTrainingJob", { TrainingJobName: "nope" }))).message,
      "Requested resource not found.",
    );
  });

  it("UpdateEndpoint and DeleteEndpoint go through the endpoint's state machine, then to the engine", async () => {
    const { ctx, calls } = await controlPlane();
    await op(ctx, "CreateModel", model);
    const variant = {
      VariantName: "v",
      ModelName: "m",
      InstanceType: "ml.m5.large",
      InitialInstanceCount: 1,
    };
    await op(ctx, "CreateEndpointConfig", { EndpointConfigName: "c", ProductionVariants: [variant] });
    await op(ctx, "CreateEndpoint", { EndpointName: "e", EndpointConfigName: "c" });
    assert.deepEqual(calls.deployed, ["e:Creating:1"]);
    const e = await refusal(op(ctx, "UpdateEndpoint", { EndpointName: "e", EndpointConfigName: "c" }));
    assert.match(e.message, /^Cannot update in-progress endpoint/);
    await op(ctx, "DeleteEndpoint", { EndpointName: "e" });
    assert.deepEqual(calls.removed, ["e:Deleting"]);
    const missing = await refusal(op(ctx, "DeleteEndpoint", { EndpointName: "gone" }));
    assert.match(missing.message, /^Could not find endpoint/);
  });

  it("names the server's account in every ARN it answers; ListTags finds a resource by it, not by another account's", async () => {
    const { ctx } = await controlPlane();
    const arns: string[] = [];
    const arn = (o: unknown, field: string) => {
      const a = (o as Record<string, string>)[field]!;
      arns.push(a);
      return a;
    };
    arn(await op(ctx, "CreateTrainingJob", trainingJob), "TrainingJobArn");
    arn(await op(ctx, "DescribeTrainingJob", { TrainingJobName: "iris" }), "TrainingJobArn");
    arn(await op(ctx, "CreateModel", model), "ModelArn");
    const variant = {
      VariantName: "v",
      ModelName: "m",
      InstanceType: "ml.m5.large",
      InitialInstanceCount: 1,
    };
    arn(
      await op(ctx, "CreateEndpointConfig", { EndpointConfigName: "c", ProductionVariants: [variant] }),
      "EndpointConfigArn",
    );
    const endpoint = arn(
      await op(ctx, "CreateEndpoint", { EndpointName: "E", EndpointConfigName: "c" }),
      "EndpointArn",
    );
    const transform = {
      TransformJobName: "t",
      ModelName: "m",
      TransformInput: { DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: "s3://b/in" } } },
      TransformOutput: { S3OutputPath: "s3://b/out" },
      TransformResources: { InstanceType: "ml.m5.large", InstanceCount: 1 },
    };
    arn(await op(ctx, "CreateTransformJob", transform), "TransformJobArn");
    assert.deepEqual(arns, [
      "arn:aws:sagemaker:us-east-1:111122223333:training-job/iris",
      "arn:aws:sagemaker:us-east-1:111122223333:training-job/iris",
      "arn:aws:sagemaker:us-east-1:111122223333:model/m",
      "arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/c",
      "arn:aws:sagemaker:us-east-1:111122223333:endpoint/e",
      "arn:aws:sagemaker:us-east-1:111122223333:transform-job/t",
    ]);
    await op(ctx, "AddTags", { ResourceArn: endpoint, Tags: [{ Key: "team", Value: "ml" }] });
    assert.deepEqual(await op(ctx, "ListTags", { ResourceArn: endpoint }), {
      Tags: [{ Key: "team", Value: "ml" }],
    });
    const elsewhere = endpoint.replace("111122223333", "123456789012");
    assert.equal(
      (await refusal(op(ctx, "ListTags", { ResourceArn: elsewhere }))).message,
      `Could not find resource "${elsewhere}".`,
    );
  });
});
