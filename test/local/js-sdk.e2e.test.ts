/**
 * End to end with the AWS SDK for JavaScript v3, unchanged, against `sagebrew local` (the CLI, on
 * a free port): train with SageMaker's built-in XGBoost image URI on file:// data → model →
 * endpoint config → endpoint → InvokeEndpoint (compared with the same request sent straight to
 * the container program) → response stream → UpdateEndpoint under load with no failed request →
 * transform job → DeleteEndpoint; failing, stopped and timed-out jobs; SageMaker's validation
 * errors; the logs; a clean restart and a kill -9.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  type CreateTrainingJobCommandInput,
  CreateTransformJobCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DeleteTagsCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  ListTagsCommand,
  ListTrainingJobsCommand,
  ListTransformJobsCommand,
  SageMakerClient,
  StopTrainingJobCommand,
  StopTransformJobCommand,
  UpdateEndpointCommand,
  waitUntilEndpointDeleted,
  waitUntilEndpointInService,
  waitUntilTrainingJobCompletedOrStopped,
  waitUntilTransformJobCompletedOrStopped,
} from "@aws-sdk/client-sagemaker";
import {
  InvokeEndpointCommand,
  InvokeEndpointWithResponseStreamCommand,
  SageMakerRuntimeClient,
} from "@aws-sdk/client-sagemaker-runtime";
import { extractModelArchive, listFiles } from "../../packages/cli/src/local/model-archive.js";
import { startServe } from "../../packages/cli/src/local/transform/index.js";
import { type RunningLocal, startLocal } from "../kit/local.js";
import { processesUnder, SERVE_FROM_SOURCE } from "../kit/process.js";

const IMAGE = "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1";
const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
/** Iris with numeric labels: SageMaker's XGBoost image reads CSV labels as numbers (docs/compatibility.md). */
const IRIS = pathToFileURL(fileURLToPath(new URL("../kit/iris-numeric.csv", import.meta.url))).href;
const HYPERPARAMETERS = { objective: "multi:softmax", num_class: "3", num_round: "20", max_depth: "3" };
/** The class ids of a CSV answer (`0` or the image's `0.0`, one per line). */
const ids = (text: string) => text.trim().split("\n").map(Number);
const credentials = { accessKeyId: "x", secretAccessKey: "x" };
const waiter = (client: SageMakerClient) => ({ client, maxWaitTime: 300, minDelay: 1, maxDelay: 2 });

let work: string;
let state: string;
let local: RunningLocal;
let sm: SageMakerClient;
let rt: SageMakerRuntimeClient;
let logs: CloudWatchLogsClient;

function clients(url: string): void {
  const config = { endpoint: url, region: "us-west-2", credentials };
  sm = new SageMakerClient(config);
  rt = new SageMakerRuntimeClient(config);
  logs = new CloudWatchLogsClient(config);
}

function trainingJob(
  name: string,
  over: Partial<CreateTrainingJobCommandInput> = {},
): CreateTrainingJobCommandInput {
  return {
    TrainingJobName: name,
    RoleArn: ROLE,
    AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: "File" },
    HyperParameters: HYPERPARAMETERS,
    InputDataConfig: [
      {
        ChannelName: "train",
        ContentType: "text/csv",
        DataSource: {
          S3DataSource: { S3DataType: "S3Prefix", S3Uri: IRIS, S3DataDistributionType: "FullyReplicated" },
        },
      },
    ],
    OutputDataConfig: { S3OutputPath: pathToFileURL(join(work, "out")).href },
    ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 5 },
    StoppingCondition: { MaxRuntimeInSeconds: 600 },
    ...over,
  };
}

async function train(name: string, over: Partial<CreateTrainingJobCommandInput> = {}) {
  await sm.send(new CreateTrainingJobCommand(trainingJob(name, over)));
  await waitUntilTrainingJobCompletedOrStopped(waiter(sm), { TrainingJobName: name }).catch(() => undefined);
  return sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
}

/** Polls DescribeTrainingJob until `ok` holds (bounded). */
async function until(name: string, ok: (status: string, secondary: string) => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const d = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
    if (ok(d.TrainingJobStatus!, d.SecondaryStatus!)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`training job ${name} never reached the expected status`);
}

async function rejects(
  p: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number; raw: unknown }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return {
      name: err.name,
      message: err.message,
      ...(err.$metadata?.httpStatusCode ? { status: err.$metadata.httpStatusCode } : {}),
      raw: e,
    };
  }
  throw new Error("expected the call to fail");
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-js-"));
  state = join(work, "state");
  // No container engine: foreign images must be refused the same way on every machine.
  local = await startLocal(state, { env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") } });
  clients(local.url);
});

after(async () => {
  await local?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("sagebrew local with the AWS SDK for JavaScript v3", () => {
  let modelUrl: string;

  it("trains with the built-in XGBoost image URI on file:// data, as SageMaker reports it", async () => {
    const d = await train("iris-js");
    assert.equal(d.TrainingJobStatus, "Completed", d.FailureReason);
    assert.equal(d.SecondaryStatus, "Completed");
    assert.equal(d.TrainingJobArn, "arn:aws:sagemaker:us-west-2:123456789012:training-job/iris-js");
    assert.deepEqual(
      d.SecondaryStatusTransitions?.map((t) => t.Status),
      ["Starting", "Downloading", "Training", "Uploading", "Completed"],
    );
    assert.ok(d.CreationTime instanceof Date && d.TrainingEndTime instanceof Date);
    assert.ok((d.TrainingTimeInSeconds ?? 0) >= 1);
    assert.ok(d.FinalMetricDataList?.some((m) => m.MetricName === "train:mlogloss" && (m.Value ?? 1) < 0.2));
    modelUrl = d.ModelArtifacts!.S3ModelArtifacts!;
    assert.equal(modelUrl, pathToFileURL(join(work, "out", "iris-js", "output", "model.tar.gz")).href);
    const dir = join(work, "model-js");
    await extractModelArchive(fileURLToPath(modelUrl), dir);
    assert.deepEqual(await listFiles(dir), [".sagebrew.json", "xgboost-model"]);
    const jobs = await sm.send(new ListTrainingJobsCommand({ NameContains: "iris-js" }));
    assert.deepEqual(
      jobs.TrainingJobSummaries?.map((j) => j.TrainingJobStatus),
      ["Completed"],
    );
  });

  it("serves the job's log stream under SageMaker's names", async () => {
    const streams = await logs.send(
      new DescribeLogStreamsCommand({
        logGroupName: "/aws/sagemaker/TrainingJobs",
        logStreamNamePrefix: "iris-js/",
      }),
    );
    assert.equal(streams.logStreams?.length, 1);
    const name = streams.logStreams![0]!.logStreamName!;
    assert.match(name, /^iris-js\/algo-1-\d{10}$/);
    const events = await logs.send(
      new GetLogEventsCommand({
        logGroupName: "/aws/sagemaker/TrainingJobs",
        logStreamName: name,
        startFromHead: true,
      }),
    );
    const lines = events.events!.map((e) => e.message);
    assert.ok(
      lines.some((l) => l?.startsWith("[19]\ttrain-mlogloss:")),
      lines.join("\n"),
    );
    const again = await logs.send(
      new GetLogEventsCommand({
        logGroupName: "/aws/sagemaker/TrainingJobs",
        logStreamName: name,
        nextToken: events.nextForwardToken!,
        startFromHead: true,
      }),
    );
    assert.equal(again.events?.length, 0);
    const filtered = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: "/aws/sagemaker/TrainingJobs",
        logStreamNamePrefix: "iris-js/",
        filterPattern: "[19]",
      }),
    );
    assert.equal(filtered.events?.length, 1);
    const missing = await rejects(
      logs.send(new DescribeLogStreamsCommand({ logGroupName: "/aws/sagemaker/Nothing" })),
    );
    assert.equal(missing.name, "ResourceNotFoundException");
  });

  it("deploys, answers as the container does, streams, updates under load without a failed request, transforms, deletes", async () => {
    await sm.send(
      new CreateModelCommand({
        ModelName: "iris-js",
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: modelUrl },
      }),
    );
    await sm.send(
      new CreateModelCommand({
        ModelName: "iris-js-json",
        ExecutionRoleArn: ROLE,
        PrimaryContainer: {
          Image: IMAGE,
          ModelDataUrl: modelUrl,
          Environment: { SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: "application/json" },
        },
      }),
    );
    const variant = (model: string) => [
      {
        VariantName: "AllTraffic",
        ModelName: model,
        InitialInstanceCount: 1,
        InstanceType: "ml.m5.large" as const,
      },
    ];
    await sm.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: "iris-js-1",
        ProductionVariants: variant("iris-js"),
      }),
    );
    await sm.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: "iris-js-2",
        ProductionVariants: variant("iris-js-json"),
      }),
    );
    await sm.send(new CreateEndpointCommand({ EndpointName: "iris-js", EndpointConfigName: "iris-js-1" }));
    assert.equal(
      (await sm.send(new DescribeEndpointCommand({ EndpointName: "iris-js" }))).EndpointStatus,
      "Creating",
    );
    await waitUntilEndpointInService(waiter(sm), { EndpointName: "iris-js" });
    const described = await sm.send(new DescribeEndpointCommand({ EndpointName: "iris-js" }));
    assert.equal(described.EndpointStatus, "InService");
    assert.equal(described.ProductionVariants?.[0]?.DeployedImages?.[0]?.SpecifiedImage, IMAGE);

    // The same requests straight to the container program, for comparison.
    await extractModelArchive(fileURLToPath(modelUrl), join(work, "direct", "model"));
    // As sagebrew local runs SageMaker's image: the serve program emulating it.
    const direct = await startServe({
      command: SERVE_FROM_SOURCE,
      baseDir: join(work, "direct"),
      env: { ...process.env, SAGEBREW_EMULATE: "sagemaker-xgboost:1.7-1" },
    });
    try {
      const body = Buffer.from("5.1,3.5,1.4,0.2\n6.7,3.1,5.6,2.4\n");
      // The direct serve runs as a batch transform's (SAGEMAKER_BATCH=true), where the image answers
      // each prediction's Python form whatever the Accept: the same bytes as its CSV for class ids.
      // (It answers JSON Lines only with SAGEMAKER_INFERENCE_OUTPUT.)
      const json = await rt.send(
        new InvokeEndpointCommand({
          EndpointName: "iris-js",
          ContentType: "text/csv",
          Accept: "application/json",
          Body: body,
        }),
      );
      assert.equal(Buffer.from(json.Body!).toString(), '{"predictions": [{"score": 0.0}, {"score": 2.0}]}');
      assert.equal(json.ContentType, "application/json");
      for (const accept of ["text/csv"]) {
        const want = await direct.post("/invocations", body, { "content-type": "text/csv", accept });
        const got = await rt.send(
          new InvokeEndpointCommand({
            EndpointName: "iris-js",
            ContentType: "text/csv",
            Accept: accept,
            Body: body,
          }),
        );
        assert.equal(Buffer.from(got.Body!).toString(), want.body.toString(), accept);
        assert.equal(got.ContentType, want.contentType);
        assert.equal(got.InvokedProductionVariant, "AllTraffic");
      }
      // A row wider than the model (the image predicts narrower ones, the rest missing).
      const bad = Buffer.from("5.1,3.5,1.4,0.2,9.9\n");
      const want = await direct.post("/invocations", bad, { "content-type": "text/csv" });
      const e = await rejects(
        rt.send(new InvokeEndpointCommand({ EndpointName: "iris-js", ContentType: "text/csv", Body: bad })),
      );
      assert.equal(e.name, "ModelError");
      assert.equal(e.status, 424);
      const modelError = e.raw as {
        OriginalStatusCode?: number;
        OriginalMessage?: string;
        LogStreamArn?: string;
      };
      assert.equal(modelError.OriginalStatusCode, want.status);
      assert.equal(modelError.OriginalMessage, want.body.toString());
      assert.match(
        modelError.LogStreamArn ?? "",
        /log-group:\/aws\/sagemaker\/Endpoints\/iris-js:log-stream:AllTraffic\/i-/,
      );
    } finally {
      await direct.stop();
    }

    const large = await rejects(
      rt.send(
        new InvokeEndpointCommand({
          EndpointName: "iris-js",
          ContentType: "text/csv",
          Body: Buffer.alloc(6 * 1024 * 1024 + 1, 0x31),
        }),
      ),
    );
    assert.equal(large.status, 413);
    const missing = await rejects(
      rt.send(
        new InvokeEndpointCommand({ EndpointName: "nope", ContentType: "text/csv", Body: Buffer.from("1") }),
      ),
    );
    assert.equal(missing.name, "ValidationError");
    assert.equal(missing.message, "Endpoint nope of account 123456789012 not found.");

    const stream = await rt.send(
      new InvokeEndpointWithResponseStreamCommand({
        EndpointName: "iris-js",
        ContentType: "text/csv",
        Accept: "application/json",
        Body: Buffer.from("5.1,3.5,1.4,0.2\n"),
      }),
    );
    assert.equal(stream.ContentType, "application/json");
    const parts: Buffer[] = [];
    for await (const event of stream.Body!)
      if (event.PayloadPart?.Bytes) parts.push(Buffer.from(event.PayloadPart.Bytes));
    assert.match(Buffer.concat(parts).toString(), /^\{"predictions": ?\[\{"score": ?0(\.0)?\}\]\}/);

    // UpdateEndpoint while four clients keep invoking: not one request may fail.
    let stop = false;
    let failures = 0;
    const seen = { csv: 0, json: 0 };
    const load = async () => {
      while (!stop) {
        try {
          const r = await rt.send(
            new InvokeEndpointCommand({
              EndpointName: "iris-js",
              ContentType: "text/csv",
              Body: Buffer.from("5.1,3.5,1.4,0.2\n"),
            }),
          );
          const text = Buffer.from(r.Body!).toString();
          if (/^0(\.0)?\n$/.test(text)) seen.csv++;
          else if (text.startsWith('{"predictions"')) seen.json++;
          else failures++;
        } catch {
          failures++;
        }
      }
    };
    const clientsRunning = Array.from({ length: 4 }, load);
    await new Promise((r) => setTimeout(r, 300));
    await sm.send(new UpdateEndpointCommand({ EndpointName: "iris-js", EndpointConfigName: "iris-js-2" }));
    assert.equal(
      (await sm.send(new DescribeEndpointCommand({ EndpointName: "iris-js" }))).EndpointStatus,
      "Updating",
    );
    await waitUntilEndpointInService(waiter(sm), { EndpointName: "iris-js" });
    const afterUpdate = seen.json;
    for (let i = 0; i < 100 && seen.json < afterUpdate + 20; i++) await new Promise((r) => setTimeout(r, 50));
    stop = true;
    await Promise.all(clientsRunning);
    assert.equal(failures, 0);
    assert.ok(seen.csv > 0 && seen.json > 0, JSON.stringify(seen));
    assert.equal(
      (await sm.send(new DescribeEndpointCommand({ EndpointName: "iris-js" }))).EndpointConfigName,
      "iris-js-2",
    );

    // A transform job with the job's settings.
    const input = join(work, "batch-in");
    await mkdir(join(input, "nested"), { recursive: true });
    await writeFile(join(input, "a.csv"), "5.1,3.5,1.4,0.2\n6.7,3.1,5.6,2.4\n");
    await writeFile(join(input, "nested", "b.csv"), "5.9,3.0,4.2,1.5\n");
    const output = join(work, "batch-out");
    await sm.send(
      new CreateTransformJobCommand({
        TransformJobName: "iris-js-batch",
        ModelName: "iris-js",
        BatchStrategy: "MultiRecord",
        TransformInput: {
          DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: pathToFileURL(input).href } },
          ContentType: "text/csv",
          SplitType: "Line",
        },
        TransformOutput: { S3OutputPath: pathToFileURL(output).href, AssembleWith: "Line" },
        TransformResources: { InstanceType: "ml.m5.large", InstanceCount: 1 },
      }),
    );
    await waitUntilTransformJobCompletedOrStopped(waiter(sm), { TransformJobName: "iris-js-batch" });
    const t = await sm.send(new DescribeTransformJobCommand({ TransformJobName: "iris-js-batch" }));
    assert.equal(t.TransformJobStatus, "Completed", t.FailureReason);
    assert.deepEqual(ids(await readFile(join(output, "a.csv.out"), "utf8")), [0, 2]);
    assert.deepEqual(ids(await readFile(join(output, "nested", "b.csv.out"), "utf8")), [1]);

    await sm.send(new DeleteEndpointCommand({ EndpointName: "iris-js" }));
    await waitUntilEndpointDeleted(waiter(sm), { EndpointName: "iris-js" });
    const gone = await rejects(sm.send(new DescribeEndpointCommand({ EndpointName: "iris-js" })));
    assert.equal(gone.name, "ValidationException");
    assert.equal(
      gone.message,
      'Could not find endpoint "arn:aws:sagemaker:us-west-2:123456789012:endpoint/iris-js".',
    );
    assert.equal(existsSync(join(state, "endpoints", "iris-js")), false);
  });

  it("tags, lists and deletes models, endpoint configs and transform jobs as SageMaker does", async () => {
    const modelArn = (await sm.send(new DescribeModelCommand({ ModelName: "iris-js-json" }))).ModelArn!;
    assert.equal(modelArn, "arn:aws:sagemaker:us-west-2:123456789012:model/iris-js-json");
    await sm.send(
      new AddTagsCommand({
        ResourceArn: modelArn,
        Tags: [
          { Key: "team", Value: "ml" },
          { Key: "stage", Value: "dev" },
        ],
      }),
    );
    await sm.send(new DeleteTagsCommand({ ResourceArn: modelArn, TagKeys: ["stage"] }));
    assert.deepEqual((await sm.send(new ListTagsCommand({ ResourceArn: modelArn }))).Tags, [
      { Key: "team", Value: "ml" },
    ]);

    const byName = { SortBy: "Name", SortOrder: "Ascending" } as const;
    const models = await sm.send(new ListModelsCommand({ NameContains: "iris-js", ...byName }));
    assert.deepEqual(
      models.Models?.map((m) => m.ModelName),
      ["iris-js", "iris-js-json"],
    );
    const configs = await sm.send(new ListEndpointConfigsCommand({ NameContains: "iris-js", ...byName }));
    assert.deepEqual(
      configs.EndpointConfigs?.map((c) => c.EndpointConfigName),
      ["iris-js-1", "iris-js-2"],
    );
    assert.deepEqual((await sm.send(new ListEndpointsCommand({ NameContains: "iris-js" }))).Endpoints, []);
    const jobs = await sm.send(new ListTransformJobsCommand({ NameContains: "iris-js" }));
    assert.deepEqual(
      jobs.TransformJobSummaries?.map((j) => [j.TransformJobName, j.TransformJobStatus]),
      [["iris-js-batch", "Completed"]],
    );
    const stop = await rejects(sm.send(new StopTransformJobCommand({ TransformJobName: "iris-js-batch" })));
    assert.equal(stop.name, "ValidationException");
    assert.equal(stop.message, "The request was rejected because the transform job is in status Completed.");

    await sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: "iris-js-2" }));
    await sm.send(new DeleteModelCommand({ ModelName: "iris-js-json" }));
    const noConfig = await rejects(
      sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: "iris-js-2" })),
    );
    assert.equal(noConfig.name, "ValidationException");
    assert.equal(
      noConfig.message,
      'Could not find endpoint configuration "arn:aws:sagemaker:us-west-2:123456789012:endpoint-config/iris-js-2".',
    );
    const noModel = await rejects(sm.send(new DescribeModelCommand({ ModelName: "iris-js-json" })));
    assert.equal(noModel.name, "ValidationException");
    assert.equal(
      noModel.message,
      'Could not find model "arn:aws:sagemaker:us-west-2:123456789012:model/iris-js-json".',
    );
    const noTags = await rejects(sm.send(new ListTagsCommand({ ResourceArn: modelArn })));
    assert.equal(noTags.name, "ValidationException");
    assert.deepEqual(
      (await sm.send(new ListModelsCommand({ NameContains: "iris-js", ...byName }))).Models?.map(
        (m) => m.ModelName,
      ),
      ["iris-js"],
    );
  });

  it("fails a job with the failure file's text, naming the bad hyperparameter", async () => {
    const d = await train("iris-js-bad", { HyperParameters: { ...HYPERPARAMETERS, max_depth: "deep" } });
    assert.equal(d.TrainingJobStatus, "Failed");
    assert.equal(d.SecondaryStatus, "Failed");
    // SageMaker's image's own words for it.
    assert.equal(
      d.FailureReason,
      "ClientError: Hyperparameter max_depth: could not parse value (caused by ValueError)",
    );
  });

  it("stops a job with SIGTERM (StopTrainingJob) and at MaxRuntimeInSeconds", async () => {
    const long = { ...HYPERPARAMETERS, num_round: "1000000" };
    await sm.send(new CreateTrainingJobCommand(trainingJob("iris-js-stop", { HyperParameters: long })));
    await until("iris-js-stop", (_, secondary) => secondary === "Training");
    await sm.send(new StopTrainingJobCommand({ TrainingJobName: "iris-js-stop" }));
    const stopping = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "iris-js-stop" }));
    // Stopping until the program has ended (which can be at once: it stops between two rounds).
    assert.ok(["Stopping", "Stopped"].includes(stopping.TrainingJobStatus!), stopping.TrainingJobStatus);
    await until("iris-js-stop", (status) => status === "Stopped");
    const stopped = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "iris-js-stop" }));
    assert.equal(stopped.SecondaryStatus, "Stopped");
    const again = await rejects(sm.send(new StopTrainingJobCommand({ TrainingJobName: "iris-js-stop" })));
    assert.equal(again.name, "ValidationException");
    assert.match(again.message, /in status Stopped/);

    const d = await train("iris-js-max", {
      HyperParameters: long,
      StoppingCondition: { MaxRuntimeInSeconds: 2 },
    });
    assert.equal(d.TrainingJobStatus, "Stopped");
    assert.equal(d.SecondaryStatus, "MaxRuntimeExceeded");
  });

  it("checks requests as SageMaker does, with its error types and messages", async () => {
    const check = async (p: Promise<unknown>, name: string, message: RegExp) => {
      const e = await rejects(p);
      assert.equal(e.name, name, e.message);
      assert.match(e.message, message);
    };
    await check(
      sm.send(new CreateTrainingJobCommand(trainingJob("bad_name"))),
      "ValidationException",
      /^1 validation error detected: Value 'bad_name' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: /,
    );
    await check(
      sm.send(new CreateTrainingJobCommand(trainingJob("a".repeat(64)))),
      "ValidationException",
      /^2 validation errors detected: .*Member must have length less than or equal to 63/,
    );
    await check(
      sm.send(new CreateTrainingJobCommand({ ...trainingJob("no-role"), RoleArn: undefined } as never)),
      "ValidationException",
      /Value null at 'roleArn' failed to satisfy constraint: Member must not be null/,
    );
    await check(
      sm.send(new CreateTrainingJobCommand(trainingJob("iris-js"))),
      "ResourceInUse",
      /a training job with this name already exists \(arn:aws:sagemaker:us-west-2:123456789012:training-job\/iris-js\)/,
    );
    await check(
      sm.send(
        new CreateTrainingJobCommand(
          trainingJob("too-many", {
            ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 9, VolumeSizeInGB: 5 },
          }),
        ),
      ),
      "ResourceLimitExceeded",
      /is 8 Instances/,
    );
    await check(
      sm.send(
        new CreateTrainingJobCommand(
          trainingJob("bad-type", {
            ResourceConfig: { InstanceType: "ml.m5.larg" as never, InstanceCount: 1, VolumeSizeInGB: 5 },
          }),
        ),
      ),
      "ValidationException",
      /at 'resourceConfig.instanceType' failed to satisfy constraint: Member must satisfy enum value set/,
    );
    await check(
      sm.send(
        new CreateTrainingJobCommand(
          trainingJob("no-data", {
            InputDataConfig: [
              {
                ChannelName: "train",
                DataSource: {
                  S3DataSource: { S3DataType: "S3Prefix", S3Uri: pathToFileURL(join(work, "nothing")).href },
                },
              },
            ],
          }),
        ),
      ),
      "ValidationException",
      /^No files found under "file:\/\/.*nothing" given in input data source\.$/,
    );
    await check(
      sm.send(
        new CreateTrainingJobCommand(
          trainingJob("foreign", {
            AlgorithmSpecification: {
              TrainingImage: "my-registry.example/team/model:1",
              TrainingInputMode: "File",
            },
          }),
        ),
      ),
      "ValidationException",
      /^Cannot run image my-registry\.example\/team\/model:1: it is neither SageMaker's built-in XGBoost image nor one built by sagebrew, and no container engine answers/,
    );
    await check(
      sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "never-made" })),
      "ValidationException",
      /^Requested resource not found\.$/,
    );
    await check(
      sm.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: "no-model",
          ProductionVariants: [
            {
              VariantName: "AllTraffic",
              ModelName: "ghost",
              InitialInstanceCount: 1,
              InstanceType: "ml.m5.large",
            },
          ],
        }),
      ),
      "ValidationException",
      /^Could not find model "arn:aws:sagemaker:us-west-2:123456789012:model\/ghost"\.$/,
    );
    await check(
      sm.send(new CreateEndpointCommand({ EndpointName: "no-config", EndpointConfigName: "ghost" })),
      "ValidationException",
      /^Could not find endpoint configuration "arn:aws:sagemaker:us-west-2:123456789012:endpoint-config\/ghost"\.$/,
    );
    // Values the SDK's types forbid still reach a server from plain JSON: the framework's answers.
    const raw = async (target: string, body: string) => {
      const r = await fetch(local.url, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target },
        body,
      });
      return { status: r.status, body: (await r.json()) as { __type: string; message: string } };
    };
    const numeric = await raw(
      "SageMaker.CreateTrainingJob",
      JSON.stringify({ ...trainingJob("numeric"), HyperParameters: { max_depth: 5 } }),
    );
    assert.equal(numeric.status, 400);
    assert.equal(numeric.body.__type, "SerializationException");
    assert.match(
      numeric.body.message,
      /^NUMBER_VALUE can not be converted to a String \(at 'hyperParameters\.max_depth'\)$/,
    );
    const unknown = await raw("SageMaker.CreateProcessingJob", "{}");
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.__type, "UnknownOperationException");
    const garbage = await raw("SageMaker.DescribeEndpoint", "{not json");
    assert.equal(garbage.body.__type, "SerializationException");
    // …and the server is still there.
    assert.equal((await sm.send(new ListTrainingJobsCommand({}))).$metadata.httpStatusCode, 200);
  });

  it("keeps its state across a clean restart and a kill -9; jobs that were running fail saying why", async () => {
    await sm.send(
      new CreateModelCommand({
        ModelName: "iris-js-keep",
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: modelUrl },
      }),
    );
    await sm.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: "iris-js-keep",
        ProductionVariants: [
          {
            VariantName: "AllTraffic",
            ModelName: "iris-js-keep",
            InitialInstanceCount: 1,
            InstanceType: "ml.m5.large",
          },
        ],
      }),
    );
    await sm.send(
      new CreateEndpointCommand({ EndpointName: "iris-js-keep", EndpointConfigName: "iris-js-keep" }),
    );
    await waitUntilEndpointInService(waiter(sm), { EndpointName: "iris-js-keep" });
    const invoke = async () =>
      Buffer.from(
        (
          await rt.send(
            new InvokeEndpointCommand({
              EndpointName: "iris-js-keep",
              ContentType: "text/csv",
              Body: Buffer.from("6.7,3.1,5.6,2.4\n"),
            }),
          )
        ).Body!,
      ).toString();
    assert.deepEqual(ids(await invoke()), [2]);

    assert.equal(await local.stop(), 0);
    local = await startLocal(state, { env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") } });
    clients(local.url);
    assert.equal(
      (await sm.send(new DescribeEndpointCommand({ EndpointName: "iris-js-keep" }))).EndpointStatus,
      "InService",
    );
    assert.deepEqual(ids(await invoke()), [2]);
    assert.equal(
      (await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "iris-js" }))).TrainingJobStatus,
      "Completed",
    );

    await sm.send(
      new CreateTrainingJobCommand(
        trainingJob("iris-js-killed", { HyperParameters: { ...HYPERPARAMETERS, num_round: "1000000" } }),
      ),
    );
    await until("iris-js-killed", (_, secondary) => secondary === "Training");
    await local.kill();
    local = await startLocal(state, { env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") } });
    clients(local.url);
    const killed = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "iris-js-killed" }));
    assert.equal(killed.TrainingJobStatus, "Failed");
    assert.match(killed.FailureReason ?? "", /sagebrew local stopped while the job was running/);
    // The killed instance's processes are stopped by the new one (and it says so), unless they had
    // already exited by themselves (a broken pipe to their dead parent): either way none is left.
    const said = /stopped \d+ container\(s\) left running by an earlier sagebrew local/.test(local.stderr());
    // One that found its pipe broken may still be on its way out when the new instance looks (seen
    // once in five runs beside other suites): wait for it to go, never for one that stays.
    if (!said) assert.deepEqual(await goneUnder(state), [], local.stderr());
    assert.deepEqual(ids(await invoke()), [2]);
    for (const kind of await readdir(join(state, "resources"))) {
      for (const f of await readdir(join(state, "resources", kind))) {
        assert.ok(f.endsWith(".json"), `${kind}/${f}`);
        JSON.parse(await readFile(join(state, "resources", kind, f), "utf8"));
      }
    }
    await sm.send(new DeleteEndpointCommand({ EndpointName: "iris-js-keep" }));
    await waitUntilEndpointDeleted(waiter(sm), { EndpointName: "iris-js-keep" });
  });
});

/** The PIDs of processes still under `dir` once those exiting by themselves have gone (at most 15 s). */
async function goneUnder(dir: string): Promise<number[]> {
  for (let i = 0; i < 60; i++) {
    if (processesUnder(dir).length === 0) return [];
    await new Promise((r) => setTimeout(r, 250));
  }
  return processesUnder(dir).map((p) => p.pid);
}
