/**
 * Issue 18's lifecycle findings, each tried as a client would, against `sagebrew local` in-process
 * (real training processes on the built-in image; a job's own code injected through its
 * NODE_OPTIONS where it must misbehave): concurrent creates of one name, a job whose process cannot
 * start, a job that ignores SIGTERM, a 28-day MaxRuntimeInSeconds, and an S3 that never answers.
 * Every case here failed on the code before issue 18's §3 (see bench/RESULTS.md's section on it).
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CreateModelCommand,
  CreateTrainingJobCommand,
  type CreateTrainingJobCommandInput,
  DescribeTrainingJobCommand,
  type DescribeTrainingJobCommandOutput,
  SageMakerClient,
  StopTrainingJobCommand,
} from "@aws-sdk/client-sagemaker";
import { type LocalSageMaker, startLocalSageMaker } from "../../packages/cli/src/local/sagemaker/index.js";

const IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const IRIS = pathToFileURL(fileURLToPath(new URL("../kit/iris-numeric.csv", import.meta.url))).href;
const HYPERPARAMETERS = { objective: "multi:softprob", num_class: "3", num_round: "5" };

let work: string;
let local: LocalSageMaker;
let sm: SageMakerClient;
/** A TCP server that accepts connections and never answers: an S3 endpoint that hangs. */
let stalled: Server;
const stalledSockets = new Set<Socket>();

/** Credentials in this process's environment too, as a user's shell has them. */
const credentialsBefore = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

before(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= "x";
  process.env.AWS_SECRET_ACCESS_KEY ??= "x";
  work = await mkdtemp(join(tmpdir(), "sagebrew-lifecycle-"));
  stalled = createServer((s) => {
    stalledSockets.add(s);
    s.on("close", () => stalledSockets.delete(s));
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => stalled.listen(0, "127.0.0.1", r));
  const s3Port = (stalled.address() as { port: number }).port;
  local = await startLocalSageMaker({
    port: 0,
    stateDir: join(work, "state"),
    env: {
      ...process.env,
      SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine"),
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3Port}`,
      AWS_ACCESS_KEY_ID: "x",
      AWS_SECRET_ACCESS_KEY: "x",
      AWS_REGION: "us-east-1",
    },
    trainingStopGraceMs: 1_000,
    s3: { connectMs: 1_000, idleMs: 1_000, attempts: 2 },
    storageCheckMs: 1_000,
    log: () => undefined,
  });
  sm = new SageMakerClient({
    endpoint: local.url,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
});

after(async () => {
  if (credentialsBefore.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
  if (credentialsBefore.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  await local?.close();
  for (const s of stalledSockets) s.destroy();
  await new Promise((r) => stalled?.close(r));
  await rm(work, { recursive: true, force: true });
});

function trainingJob(
  name: string,
  change: Partial<CreateTrainingJobCommandInput> = {},
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
        DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: IRIS } },
      },
    ],
    OutputDataConfig: { S3OutputPath: pathToFileURL(join(work, "out")).href },
    ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 5 },
    StoppingCondition: { MaxRuntimeInSeconds: 600 },
    ...change,
  };
}

/** A job's Environment whose NODE_OPTIONS runs `code` (an ES module) in its process before `train`. */
function running(code: string): Record<string, string> {
  return { NODE_OPTIONS: `--import=data:text/javascript;base64,${Buffer.from(code).toString("base64")}` };
}

/** Code that ignores SIGTERM and never lets `train` begin. */
const STUCK = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1e6); await new Promise(() => {});";

const describeJob = (name: string) => sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));

/** Describes the job until `done` holds (every 200 ms, at most `seconds`), returning what it saw last. */
async function until(
  name: string,
  done: (d: DescribeTrainingJobCommandOutput) => boolean,
  seconds = 120,
): Promise<DescribeTrainingJobCommandOutput> {
  let d = await describeJob(name);
  for (let i = 0; i < seconds * 5 && !done(d); i++) {
    await new Promise((r) => setTimeout(r, 200));
    d = await describeJob(name);
  }
  return d;
}

const ended = (d: DescribeTrainingJobCommandOutput) =>
  d.TrainingJobStatus === "Completed" ||
  d.TrainingJobStatus === "Failed" ||
  d.TrainingJobStatus === "Stopped";

describe("sagebrew local's lifecycle, tried as a hostile client would", { timeout: 600_000 }, () => {
  it("of 20 concurrent CreateTrainingJob of one name, one creates the job, 19 get ResourceInUse, and it completes", async () => {
    // One file per row: checking the channel takes a while, as an S3 listing does.
    const rows = join(work, "iris-rows");
    await mkdir(rows);
    const lines = (await readFile(fileURLToPath(IRIS), "utf8")).trim().split("\n");
    await Promise.all(
      lines.map((l, i) => writeFile(join(rows, `${String(i).padStart(3, "0")}.csv`), `${l}\n`)),
    );
    const job = trainingJob("same-name", {
      InputDataConfig: [
        {
          ChannelName: "train",
          ContentType: "text/csv",
          DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: pathToFileURL(rows).href } },
        },
      ],
    });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => sm.send(new CreateTrainingJobCommand(job))),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    assert.equal(won.length, 1, "exactly one create wins");
    for (const r of results) {
      if (r.status === "rejected") assert.equal((r.reason as Error).name, "ResourceInUse");
    }
    const d = await until("same-name", ended);
    assert.equal(d.TrainingJobStatus, "Completed", d.FailureReason);
    assert.deepEqual(
      d.SecondaryStatusTransitions?.map((t) => t.Status),
      ["Starting", "Downloading", "Training", "Uploading", "Completed"],
    );
  });

  it("of 20 concurrent CreateModel of one name, one creates the model", async () => {
    const model = {
      ModelName: "same-model",
      ExecutionRoleArn: ROLE,
      PrimaryContainer: { Image: IMAGE, ModelDataUrl: IRIS },
    };
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => sm.send(new CreateModelCommand(model))),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) {
      if (r.status === "rejected")
        assert.match((r.reason as Error).message, /Cannot create already existing model/);
    }
  });

  it("a job whose process cannot start (a NUL in its Environment) fails, saying why, and is not left to stop", async () => {
    await sm.send(
      new CreateTrainingJobCommand(trainingJob("nul-env", { Environment: { GREETING: "a\u0000b" } })),
    );
    const d = await until("nul-env", ended, 60);
    assert.equal(d.TrainingJobStatus, "Failed");
    assert.match(d.FailureReason ?? "", /^ClientError: Cannot start image .* on algo-1: .*null bytes/);
    // It has ended: there is nothing left to stop (it used to stay InProgress, and a stop left it Stopping).
    await assert.rejects(sm.send(new StopTrainingJobCommand({ TrainingJobName: "nul-env" })), {
      message: "The request was rejected because the training job is in status Failed.",
    });
  });

  it("StopTrainingJob of a job that ignores SIGTERM: Stopping, then Stopped once SIGKILL ends it after the grace", async () => {
    await sm.send(new CreateTrainingJobCommand(trainingJob("deaf", { Environment: running(STUCK) })));
    await until("deaf", (d) => d.SecondaryStatus === "Training");
    await sm.send(new StopTrainingJobCommand({ TrainingJobName: "deaf" }));
    assert.equal((await describeJob("deaf")).TrainingJobStatus, "Stopping");
    const d = await until("deaf", ended, 60);
    assert.deepEqual([d.TrainingJobStatus, d.SecondaryStatus], ["Stopped", "Stopped"]);
  });

  it("MaxRuntimeInSeconds up to SageMaker's 28 days does not stop a job at once; a short one stops it", async () => {
    await sm.send(
      new CreateTrainingJobCommand(
        trainingJob("four-weeks", {
          Environment: running(STUCK),
          StoppingCondition: { MaxRuntimeInSeconds: 2_419_200 },
        }),
      ),
    );
    await until("four-weeks", (d) => d.SecondaryStatus === "Training");
    // Three seconds of training: a timer that overflowed would have stopped it within milliseconds.
    for (let i = 0; i < 15; i++) {
      const d = await describeJob("four-weeks");
      assert.deepEqual([d.TrainingJobStatus, d.SecondaryStatus], ["InProgress", "Training"]);
      await new Promise((r) => setTimeout(r, 200));
    }
    await sm.send(new StopTrainingJobCommand({ TrainingJobName: "four-weeks" }));
    assert.equal((await until("four-weeks", ended, 60)).TrainingJobStatus, "Stopped");

    await sm.send(
      new CreateTrainingJobCommand(
        trainingJob("two-seconds", {
          Environment: running(STUCK),
          StoppingCondition: { MaxRuntimeInSeconds: 2 },
        }),
      ),
    );
    const d = await until("two-seconds", ended, 60);
    assert.deepEqual([d.TrainingJobStatus, d.SecondaryStatus], ["Stopped", "MaxRuntimeExceeded"]);
  });

  it("of two servers started together on one state directory, one runs and the other is refused", async () => {
    const state = join(work, "two-servers");
    const options = { port: 0, stateDir: state, env: process.env, log: () => undefined };
    const started = await Promise.allSettled([startLocalSageMaker(options), startLocalSageMaker(options)]);
    const running = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    await Promise.all(running.map((l) => l.close()));
    assert.equal(running.length, 1);
    const refused = started.find((r) => r.status === "rejected");
    assert.match(
      String(refused?.reason),
      /Cannot use the state directory .*: sagebrew local \(pid \d+\) is using it/,
    );
  });

  it("a 9 MB control-plane body gets 413 in JSON 1.1, not a reset", async () => {
    const answer = await new Promise<{ status: number; type: unknown }>((resolve, reject) => {
      const req = request(
        `${local.url}/`,
        {
          method: "POST",
          headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "SageMaker.CreateModel" },
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (c: string) => {
            body += c;
          });
          res.on("end", () =>
            resolve({ status: res.statusCode!, type: (JSON.parse(body) as { __type: unknown }).__type }),
          );
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ ModelName: "big", Padding: "x".repeat(9 * 1024 * 1024) }));
    });
    assert.deepEqual(answer, { status: 413, type: "RequestEntityTooLargeException" });
  });

  it("an S3 that never answers fails the job; CreateTrainingJob and CreateModel answer", async () => {
    const job = trainingJob("stalled-s3", {
      InputDataConfig: [
        {
          ChannelName: "train",
          ContentType: "text/csv",
          DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: "s3://bucket/train/" } },
        },
      ],
    });
    await sm.send(new CreateTrainingJobCommand(job));
    const d = await until("stalled-s3", ended, 120);
    assert.equal(d.TrainingJobStatus, "Failed");
    assert.match(
      d.FailureReason ?? "",
      /^ClientError: Cannot download the input data: .*(timed out|TimeoutError|timeout)/i,
    );
    await sm.send(
      new CreateModelCommand({
        ModelName: "stalled-model",
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: "s3://bucket/model.tar.gz" },
      }),
    );
  });
});
