/**
 * Training jobs through status sequences moto cannot give (InProgress → Completed, Failed with a
 * reason), from a loopback server speaking SageMaker's JSON protocol, reached by the real SDK
 * clients through AWS_ENDPOINT_URL_SAGEMAKER and AWS_ENDPOINT_URL_CLOUDWATCH_LOGS.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type FakeAws, startFakeAws, useFakeAwsEnv } from "../../../../test/kit/fake-aws.js";
import { type AwsClients, type LogLine, type Reporter, sdkClients } from "./context.js";
import { trainOnSageMaker } from "./training-job.js";
import { evaluationMetrics, jobMetricDefinitions } from "./training-request.js";

const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/iris@sha256:${"d".repeat(64)}`;

let fake: FakeAws;
let clients: AwsClients;
let work: string;

before(async () => {
  fake = await startFakeAws();
  useFakeAwsEnv(fake);
  clients = sdkClients();
  work = await mkdtemp(join(tmpdir(), "sagebrew-training-"));
});
after(async () => {
  await fake?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function recorder(): Reporter & { lines: string[]; logs: LogLine[] } {
  const lines: string[] = [];
  const logs: LogLine[] = [];
  return { lines, logs, info: (l) => lines.push(l), log: (l) => logs.push(l) };
}

async function jobDir(hyperparameters: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(work, "job-"));
  await mkdir(join(dir, "input", "config"), { recursive: true });
  await writeFile(join(dir, "input", "config", "hyperparameters.json"), JSON.stringify(hyperparameters));
  return dir;
}

interface Step {
  status: string;
  secondary: string;
  transitions: { Status: string; StatusMessage: string }[];
  extra?: Record<string, unknown>;
  /** Log events that appear at this poll: stream → messages. */
  logs?: Record<string, string[]>;
}

/** A training job whose DescribeTrainingJob walks `steps` (the last repeats); returns the CreateTrainingJob input. */
function scriptTrainingJob(steps: readonly Step[]): { request?: Record<string, unknown> } {
  const seen: { request?: Record<string, unknown> } = {};
  let polls = 0;
  let t = Date.now();
  fake.on("SageMaker.CreateTrainingJob", (input) => {
    seen.request = input;
    const name = String(input.TrainingJobName);
    fake.on("SageMaker.DescribeTrainingJob", () => {
      const step = steps[Math.min(polls++, steps.length - 1)]!;
      for (const [stream, messages] of Object.entries(step.logs ?? {})) {
        fake.logs.put(
          "/aws/sagemaker/TrainingJobs",
          `${name}/${stream}`,
          messages.map((message) => ({ timestamp: t++, message })),
        );
      }
      return {
        TrainingJobName: name,
        TrainingJobArn: `arn:aws:sagemaker:us-east-1:123456789012:training-job/${name}`,
        TrainingJobStatus: step.status,
        SecondaryStatus: step.secondary,
        SecondaryStatusTransitions: step.transitions.map((s, i) => ({
          ...s,
          StartTime: new Date(1_700_000_000_000 + i * 60_000),
        })),
        ResourceConfig: { InstanceType: "ml.m5.xlarge", InstanceCount: 2, VolumeSizeInGB: 30 },
        AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: "File" },
        RoleArn: ROLE,
        CreationTime: new Date(),
        StoppingCondition: { MaxRuntimeInSeconds: 3600 },
        ...step.extra,
      };
    });
    return { TrainingJobArn: `arn:aws:sagemaker:us-east-1:123456789012:training-job/${name}` };
  });
  return seen;
}

const starting = { Status: "Starting", StatusMessage: "Preparing the instances for training" };
const downloading = { Status: "Downloading", StatusMessage: "Downloading input data" };
const training = {
  Status: "Training",
  StatusMessage: "Training image download completed. Training in progress.",
};
const uploading = { Status: "Uploading", StatusMessage: "Uploading generated training model" };
const completed = { Status: "Completed", StatusMessage: "Training job completed" };

test("a job InProgress → Completed: each secondary status once, both hosts' lines merged in time order (algo-2's stream appears late), then billable seconds, final metrics and the artifact", async () => {
  const seen = scriptTrainingJob([
    { status: "InProgress", secondary: "Starting", transitions: [starting] },
    { status: "InProgress", secondary: "Downloading", transitions: [starting, downloading] },
    {
      status: "InProgress",
      secondary: "Training",
      transitions: [starting, downloading, training],
      logs: { "algo-1-1700000000": ["[0]\ttrain-mlogloss:0.74", "[1]\ttrain-mlogloss:0.53"] },
    },
    {
      status: "InProgress",
      secondary: "Training",
      transitions: [starting, downloading, training],
      logs: {
        "algo-2-1700000001": ["worker algo-2 joined"],
        "algo-1-1700000000": ["[2]\ttrain-mlogloss:0.39"],
      },
    },
    {
      status: "Completed",
      secondary: "Completed",
      transitions: [starting, downloading, training, uploading, completed],
      extra: {
        BillableTimeInSeconds: 81,
        TrainingTimeInSeconds: 81,
        FinalMetricDataList: [{ MetricName: "train:mlogloss", Value: 0.39, Timestamp: new Date() }],
        ModelArtifacts: { S3ModelArtifacts: "s3://b/out/job/output/model.tar.gz" },
      },
    },
  ]);
  const dir = await jobDir({
    objective: "multi:softprob",
    num_class: 3,
    eval_metric: "mlogloss",
    num_round: 3,
  });
  const r = recorder();
  const result = await trainOnSageMaker(
    clients,
    {
      dir,
      s3Channels: { train: "s3://b/iris/train/", validation: "s3://b/iris/validation/" },
      outputS3Uri: "s3://b/out",
      image: IMAGE,
      role: ROLE,
      instanceType: "ml.m5.xlarge",
      instanceCount: 2,
      environment: { SAGEBREW_LOG_LEVEL: "debug" },
      shardedChannels: ["train"],
      pollSeconds: 0.02,
    },
    r,
  );
  assert.equal(result.outcome, "completed");
  assert.equal(result.billableSeconds, 81);
  assert.equal(result.instanceCount, 2);
  assert.deepEqual(result.metrics, [{ name: "train:mlogloss", value: 0.39 }]);
  assert.equal(result.modelArtifact, "s3://b/out/job/output/model.tar.gz");
  assert.deepEqual(
    r.lines.filter((l) => / - /.test(l)).map((l) => l.slice(9)),
    [
      "Starting - Preparing the instances for training",
      "Downloading - Downloading input data",
      "Training - Training image download completed. Training in progress.",
      "Uploading - Uploading generated training model",
      "Completed - Training job completed",
    ],
  );
  assert.deepEqual(
    r.logs.map((l) => `[${l.source}] ${l.message}`),
    [
      "[algo-1] [0]\ttrain-mlogloss:0.74",
      "[algo-1] [1]\ttrain-mlogloss:0.53",
      "[algo-2] worker algo-2 joined",
      "[algo-1] [2]\ttrain-mlogloss:0.39",
    ],
  );

  // The request on the wire: strings, the channels, sharding, environment, and metric definitions.
  const req = seen.request as {
    HyperParameters: Record<string, string>;
    InputDataConfig: { ChannelName: string; DataSource: { S3DataSource: Record<string, string> } }[];
    Environment: Record<string, string>;
    AlgorithmSpecification: { MetricDefinitions: { Name: string; Regex: string }[] };
    Tags: { Key: string; Value: string }[];
  };
  assert.deepEqual(req.HyperParameters, {
    objective: "multi:softprob",
    num_class: "3",
    eval_metric: "mlogloss",
    num_round: "3",
  });
  assert.deepEqual(
    req.InputDataConfig.map((c) => [
      c.ChannelName,
      c.DataSource.S3DataSource.S3Uri,
      c.DataSource.S3DataSource.S3DataDistributionType,
    ]),
    [
      ["train", "s3://b/iris/train/", "ShardedByS3Key"],
      ["validation", "s3://b/iris/validation/", "FullyReplicated"],
    ],
  );
  assert.deepEqual(req.Environment, { SAGEBREW_LOG_LEVEL: "debug" });
  assert.deepEqual(
    req.AlgorithmSpecification.MetricDefinitions.map((d) => d.Name),
    ["train:mlogloss", "validation:mlogloss"],
  );
  // SageMaker reads the regexes against the log, where a tab may show as #011.
  const regex = new RegExp(req.AlgorithmSpecification.MetricDefinitions[1]!.Regex);
  assert.equal(regex.exec("[7]\ttrain-mlogloss:0.05\tvalidation-mlogloss:0.0712")?.[1], "0.0712");
  assert.equal(regex.exec("[7]#011train-mlogloss:0.05#011validation-mlogloss:1e-05")?.[1], "1e-05");
});

test("a job that fails: FailureReason verbatim, the last log lines, outcome failed", async () => {
  const reason = "AlgorithmError: Cannot train: there is no train channel (input/data/train/ or training/)";
  scriptTrainingJob([
    {
      status: "InProgress",
      secondary: "Training",
      transitions: [starting, training],
      logs: { "algo-1-1700000000": ["Cannot train: there is no train channel"] },
    },
    {
      status: "Failed",
      secondary: "Failed",
      transitions: [starting, training, { Status: "Failed", StatusMessage: reason }],
      extra: { FailureReason: reason, BillableTimeInSeconds: 12 },
    },
  ]);
  const result = await trainOnSageMaker(
    clients,
    {
      dir: await jobDir({ num_round: 1 }),
      s3Channels: { validation: "s3://b/v/" },
      outputS3Uri: "s3://b/out",
      image: IMAGE,
      role: ROLE,
      instanceType: "ml.m5.large",
      pollSeconds: 0.02,
    },
    recorder(),
  );
  assert.equal(result.outcome, "failed");
  assert.equal(result.failureReason, reason);
  assert.deepEqual(
    result.lastLogLines.map((l) => l.message),
    ["Cannot train: there is no train channel"],
  );
});

test("options SageMaker would refuse are refused before any call", async () => {
  const before = fake.calls.length;
  const base = {
    s3Channels: { train: "s3://b/t/" },
    outputS3Uri: "s3://b/o",
    image: IMAGE,
    role: ROLE,
  } as const;
  await assert.rejects(trainOnSageMaker(clients, { ...base, instanceType: "m5.large" }), {
    code: "SB_USAGE",
    message:
      /^Cannot use instance type m5\.large: SageMaker has no such type for training \(its TrainingInstanceType lists \d+, such as ml\.m5\.xlarge\)\. Did you mean ml\.m5\.large\?$/,
  });
  // Counts, sizes and times against SageMaker's API table, and the 28 days it documents beyond it.
  await assert.rejects(
    trainOnSageMaker(clients, { ...base, instanceType: "ml.m5.large", instanceCount: 0 }),
    {
      code: "SB_USAGE",
      message: "Cannot use instance count 0: it must have value greater than or equal to 1",
    },
  );
  await assert.rejects(
    trainOnSageMaker(clients, { ...base, instanceType: "ml.m5.large", maxRuntimeSeconds: 2_419_201 }),
    {
      code: "SB_USAGE",
      message: "Cannot use max runtime (s) 2419201: it must have value less than or equal to 2419200",
    },
  );
  await assert.rejects(
    trainOnSageMaker(clients, { ...base, instanceType: "ml.m5.large", volumeSizeGb: -1 }),
    {
      code: "SB_USAGE",
      message: "Cannot use volume size (GB) -1: it must have value greater than or equal to 0",
    },
  );
  await assert.rejects(trainOnSageMaker(clients, { ...base, instanceType: "ml.m5.large", jobName: "a_b" }), {
    code: "SB_USAGE",
    message: /^Cannot use training job name "a_b": it must satisfy regular expression pattern: /,
  });
  await assert.rejects(
    trainOnSageMaker(clients, { ...base, instanceType: "ml.m5.large", maxWaitSeconds: 10 }),
    { message: /without spot training: add --spot/ },
  );
  await assert.rejects(
    trainOnSageMaker(clients, {
      ...base,
      instanceType: "ml.m5.large",
      spot: true,
      maxRuntimeSeconds: 100,
      maxWaitSeconds: 50,
    }),
    {
      message: /must be at least the max runtime \(100 s\)/,
    },
  );
  await assert.rejects(
    trainOnSageMaker(clients, { ...base, instanceType: "ml.m5.large", shardedChannels: ["nope"] }),
    { message: /no such channel/ },
  );
  await assert.rejects(
    trainOnSageMaker(clients, {
      ...base,
      instanceType: "ml.m5.large",
      hyperparameters: { x: "y".repeat(2501) },
    }),
    {
      code: "SB_HYPERPARAMETER",
      message: /Hyperparameter x: the value is 2501 characters, over SageMaker's 2500/,
    },
  );
  assert.equal(fake.calls.length, before);
});

test("evaluationMetrics(): eval_metric, the tuning metric, and XGBoost's default for the objective when none of its own is named", () => {
  assert.deepEqual(evaluationMetrics({ objective: "binary:logistic" }), ["logloss"]);
  assert.deepEqual(evaluationMetrics({ objective: "binary:logistic", eval_metric: "auc,error" }), [
    "auc",
    "error",
  ]);
  assert.deepEqual(evaluationMetrics({ objective: '"multi:softprob"', eval_metric: '["accuracy"]' }), [
    "mlogloss",
    "accuracy",
  ]);
  assert.deepEqual(evaluationMetrics({ _tuning_objective_metric: "validation:rmse" }), ["rmse"]);
  assert.deepEqual(evaluationMetrics({}), ["rmse"]);
  assert.deepEqual(
    jobMetricDefinitions({ eval_metric: "ndcg@5" }, ["train"]).map((d) => d.Name),
    ["train:ndcg@5"],
  );
});

test("Ctrl-C while `sagebrew train --instance-type` waits, without a terminal: the job is left running (never stopped unasked), exit 130", async () => {
  const { main } = await import("../main.js");
  const { PassThrough } = await import("node:stream");
  scriptTrainingJob([{ status: "InProgress", secondary: "Training", transitions: [starting, training] }]);
  fake.on("SageMaker.StopTrainingJob", () => ({}));
  let polls = 0;
  const describe = fake.calls.length;
  const timer = setInterval(() => {
    const now = fake.calls.slice(describe).filter((c) => c.target === "SageMaker.DescribeTrainingJob").length;
    if (now >= 2 && polls === 0) {
      polls = now;
      process.emit("SIGINT");
    }
  }, 10);
  const out = new PassThrough();
  const err = new PassThrough();
  let stderr = "";
  err.on("data", (d) => {
    stderr += d;
  });
  out.resume();
  const dir = await jobDir({ num_round: 5 });
  try {
    const code = await main(
      [
        "train",
        dir,
        "--instance-type",
        "ml.m5.large",
        "--image",
        IMAGE,
        "--role",
        ROLE,
        "--channel",
        "train=s3://b/t/",
        "--output-s3",
        "s3://b/o",
        "--job-name",
        "left-running",
      ],
      { stdout: out, stderr: err, env: { ...process.env, SAGEBREW_POLL_SECONDS: "0.02" }, cwd: dir },
    );
    assert.equal(code, 130);
  } finally {
    clearInterval(timer);
  }
  assert.match(
    stderr,
    /left training job left-running running: `sagebrew logs left-running --follow` follows it, `sagebrew delete left-running` stops it/,
  );
  assert.ok(!fake.calls.some((c) => c.target === "SageMaker.StopTrainingJob"));
});
