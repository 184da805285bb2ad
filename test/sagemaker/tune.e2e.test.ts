/**
 * `sagebrew tune --instance-type`: against moto_server, the tuning job it creates is exactly the
 * request AWS's API reference describes, read back with boto3 (moto stores the job and runs
 * nothing: it answers Completed at once, with a placeholder best training job, and lacks the list
 * of a tuning job's training jobs — the follow loop goes on without it). The progression moto cannot
 * give — InProgress with training jobs appearing, ending, the best one's model downloaded and
 * deployed — comes from a loopback server scripted per call (test/kit/fake-aws.ts) for
 * SageMaker, with S3 and STS still moto's.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, test } from "node:test";
import { ListBucketsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { main } from "../../packages/cli/src/main.js";
import { packModel } from "../../packages/cli/src/sagemaker/index.js";
import { captureIo } from "../kit/capture-io.js";
import { AwsFault, type FakeAws, startFakeAws } from "../kit/fake-aws.js";
import { irisModelBytes } from "../kit/iris.js";
import { REPO } from "../kit/ml-dir.js";
import { MOTO_ACCOUNT, MOTO_REGION, type Moto, startMoto, useMotoEnv } from "../kit/moto.js";

const TUNE_DIR = join(REPO, "examples", "iris-xgboost", "local_test", "tune_dir");
const ROLE = `arn:aws:iam::${MOTO_ACCOUNT}:role/SageMakerRole`;
const IMAGE = `${MOTO_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/iris-xgboost@sha256:${"c".repeat(64)}`;
const BUCKET = `sagemaker-us-east-1-${MOTO_ACCOUNT}`;

/** A HyperParameterTrainingJobSummary as the wire carries it. */
interface Summary {
  readonly TrainingJobName: string;
  readonly TrainingJobStatus: string;
  readonly ObjectiveStatus: string;
  readonly FinalHyperParameterTuningJobObjectiveMetric?: { MetricName: string; Value: number };
  readonly [other: string]: unknown;
}

let moto: Moto;
let work: string;

before(async () => {
  moto = await startMoto();
  useMotoEnv(moto);
  process.env.SAGEBREW_POLL_SECONDS = "0.05";
  work = await mkdtemp(join(tmpdir(), "sagebrew-tune-aws-"));
});
after(async () => {
  await moto?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});
beforeEach(() => moto.reset());

async function tune(args: string[]) {
  const c = captureIo({ cwd: work, env: process.env });
  const code = await main(["tune", ...args], c.io);
  return { code, ...c.text() };
}

/** DescribeHyperParameterTuningJob through boto3, as JSON (timestamps as text). */
function boto3Describe(name: string): Record<string, unknown> {
  const script = `
import boto3, json, sys
sm = boto3.client("sagemaker", endpoint_url=sys.argv[1], region_name="${MOTO_REGION}", aws_access_key_id="t", aws_secret_access_key="t")
print(json.dumps(sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=sys.argv[2]), default=str))
`;
  const r = spawnSync("python3", ["-c", script, moto.url, name], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

test("sagebrew tune --instance-type creates exactly the tuning job AWS's API reference describes (read back with boto3)", async () => {
  const dir = join(work, "moto-dir");
  await cp(TUNE_DIR, dir, { recursive: true });
  const r = await tune([
    dir,
    "--instance-type",
    "ml.m5.xlarge",
    "--image",
    IMAGE,
    "--role",
    ROLE,
    "--name",
    "iris-tune",
    "--objective",
    "validation:mlogloss",
    "--strategy",
    "hyperband",
    "--range",
    "eta=0.05:0.5:log",
    "--range",
    "max_depth=2:6",
    "--range",
    "booster=gbtree,dart",
    "--max-jobs",
    "8",
    "--max-parallel",
    "2",
    "--seed",
    "7",
    "--max-jobs-not-improving",
    "4",
    "--max-run",
    "600",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /created tuning job iris-tune \(Hyperband, 8 training jobs, 2 at a time, each 1 × ml.m5.xlarge; minimising validation:mlogloss\)/,
  );
  assert.match(
    r.stderr,
    /the training jobs of iris-tune cannot be listed, only its best/,
    "moto lacks the list: the follow goes on",
  );
  const job = boto3Describe("iris-tune");
  assert.deepEqual(job.HyperParameterTuningJobConfig, {
    Strategy: "Hyperband",
    StrategyConfig: { HyperbandStrategyConfig: { MaxResource: 30 } },
    HyperParameterTuningJobObjective: { Type: "Minimize", MetricName: "validation:mlogloss" },
    ResourceLimits: { MaxNumberOfTrainingJobs: 8, MaxParallelTrainingJobs: 2 },
    ParameterRanges: {
      IntegerParameterRanges: [{ Name: "max_depth", MinValue: "2", MaxValue: "6", ScalingType: "Auto" }],
      ContinuousParameterRanges: [
        { Name: "eta", MinValue: "0.05", MaxValue: "0.5", ScalingType: "Logarithmic" },
      ],
      CategoricalParameterRanges: [{ Name: "booster", Values: ["gbtree", "dart"] }],
    },
    TrainingJobEarlyStoppingType: "Off",
    TuningJobCompletionCriteria: { BestObjectiveNotImproving: { MaxNumberOfTrainingJobsNotImproving: 4 } },
    RandomSeed: 7,
  });
  const def = job.TrainingJobDefinition as {
    StaticHyperParameters: Record<string, string>;
    AlgorithmSpecification: {
      TrainingImage: string;
      TrainingInputMode: string;
      MetricDefinitions: { Name: string; Regex: string }[];
    };
    RoleArn: string;
    InputDataConfig: unknown;
    ResourceConfig: unknown;
    StoppingCondition: unknown;
    OutputDataConfig: { S3OutputPath: string };
  };
  assert.deepEqual(def.StaticHyperParameters, {
    objective: "multi:softprob",
    num_class: "3",
    num_round: "30",
    eval_metric: "mlogloss",
  });
  assert.equal(def.AlgorithmSpecification.TrainingImage, IMAGE);
  assert.equal(def.AlgorithmSpecification.TrainingInputMode, "File");
  const metrics = def.AlgorithmSpecification.MetricDefinitions as { Name: string; Regex: string }[];
  assert.equal(metrics[0]!.Name, "validation:mlogloss", "the objective's definition first");
  assert.ok(metrics.length <= 20, "a tuning job takes at most 20 metric definitions");
  assert.match("[3]#011train-mlogloss:0.5#011validation-mlogloss:0.25", new RegExp(metrics[0]!.Regex));
  assert.equal(def.RoleArn, ROLE);
  assert.deepEqual(
    (
      def.InputDataConfig as {
        ChannelName: string;
        ContentType: string;
        DataSource: { S3DataSource: { S3Uri: string } };
      }[]
    ).map((c) => [
      c.ChannelName,
      c.ContentType,
      c.DataSource.S3DataSource.S3Uri.startsWith(`s3://${BUCKET}/sagebrew/inputs/`),
    ]),
    [
      ["train", "text/csv", true],
      ["validation", "text/csv", true],
    ],
  );
  assert.deepEqual(def.ResourceConfig, {
    InstanceType: "ml.m5.xlarge",
    InstanceCount: 1,
    VolumeSizeInGB: 30,
  });
  assert.deepEqual(def.StoppingCondition, { MaxRuntimeInSeconds: 600 });
  assert.match(String(def.OutputDataConfig.S3OutputPath), new RegExp(`^s3://${BUCKET}/sagebrew/`));
  // moto's placeholder best job cannot be described: said, not a crash.
  assert.match(r.stdout, /tuning job iris-tune: Completed/);
  assert.match(
    r.stderr,
    /the best training job FakeTrainingJobName cannot be described, or has no model artifact/,
  );
});

test("the default strategy with early stopping, AWS's suggested range, completion criteria and static hyperparameters, as docs/tuning.md's flag table maps them (read back with boto3)", async () => {
  const dir = join(work, "moto-bayesian");
  await cp(TUNE_DIR, dir, { recursive: true });
  const r = await tune([
    dir,
    "--instance-type",
    "ml.m5.large",
    "--image",
    IMAGE,
    "--role",
    ROLE,
    "--name",
    "iris-bayes",
    "--objective",
    "validation:merror",
    "--range",
    "gamma",
    "--range",
    "max_depth=3,5,7",
    "--range",
    "subsample=0.5:0.9:reverse-log",
    "--early-stopping",
    "auto",
    "--max-parallel",
    "3",
    "--max-tuning-time",
    "3600",
    "--target",
    "0.02",
    "--complete-on-convergence",
    "--hyperparameter",
    "num_round=12",
    "--no-wait",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /created tuning job iris-bayes \(Bayesian, 10 training jobs, 3 at a time/);
  const job = boto3Describe("iris-bayes");
  assert.deepEqual(job.HyperParameterTuningJobConfig, {
    Strategy: "Bayesian",
    HyperParameterTuningJobObjective: { Type: "Minimize", MetricName: "validation:merror" },
    ResourceLimits: { MaxNumberOfTrainingJobs: 10, MaxParallelTrainingJobs: 3, MaxRuntimeInSeconds: 3600 },
    // A kind with no range is left out, not sent empty.
    ParameterRanges: {
      ContinuousParameterRanges: [
        { Name: "gamma", MinValue: "0", MaxValue: "5", ScalingType: "Auto" },
        { Name: "subsample", MinValue: "0.5", MaxValue: "0.9", ScalingType: "ReverseLogarithmic" },
      ],
      CategoricalParameterRanges: [{ Name: "max_depth", Values: ["3", "5", "7"] }],
    },
    TrainingJobEarlyStoppingType: "Auto",
    TuningJobCompletionCriteria: {
      TargetObjectiveMetricValue: 0.02,
      ConvergenceDetected: { CompleteOnConvergence: "Enabled" },
    },
  });
  const def = job.TrainingJobDefinition as { StaticHyperParameters: Record<string, string> };
  assert.deepEqual(def.StaticHyperParameters, {
    objective: "multi:softprob",
    num_class: "3",
    num_round: "12",
    eval_metric: "mlogloss",
  });
});

test("a tuning job SageMaker would refuse is refused before anything is uploaded or created", async () => {
  const dir = join(work, "refused");
  await cp(TUNE_DIR, dir, { recursive: true });
  const cases: [string[], RegExp][] = [
    [
      ["--strategy", "grid", "--range", "eta=0.1:0.3"],
      /Cannot run Grid search over eta: Grid takes categorical ranges only/,
    ],
    [["--range", "eta=0:0.3:log"], /eta on a Logarithmic scale: it works only for ranges above 0/],
    [
      ["--range", "eta=0.1:0.3", "--early-stopping", "auto", "--strategy", "hyperband"],
      /early stopping must be Off/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await tune([
      dir,
      "--instance-type",
      "ml.m5.xlarge",
      "--image",
      IMAGE,
      "--role",
      ROLE,
      "--objective",
      "validation:mlogloss",
      "--max-jobs",
      "4",
      ...args,
    ]);
    assert.equal(r.code, 1, args.join(" "));
    assert.match(r.stderr, message);
  }
  const buckets = await new S3Client({}).send(new ListBucketsCommand({}));
  assert.deepEqual(buckets.Buckets ?? [], [], "no bucket created, nothing uploaded");
  const local = await tune([
    dir,
    "--objective",
    "validation:mlogloss",
    "--range",
    "eta=0.1:0.3",
    "--deploy",
    "x",
  ]);
  assert.equal(local.code, 2);
  assert.match(local.stderr, /--deploy tunes on SageMaker: add --instance-type/);
});

test("a tuning job followed as a leaderboard to its end, the best model downloaded with the pictures, and deployed", async () => {
  const fake: FakeAws = await startFakeAws();
  const saved = { ...process.env };
  Object.assign(process.env, fake.env, { AWS_ENDPOINT_URL_S3: moto.url, AWS_ENDPOINT_URL_STS: moto.url });
  try {
    // The best job's model in moto's S3, where DescribeTrainingJob says it is.
    const s3 = new S3Client({ forcePathStyle: true });
    const modelDir = join(work, "best-model");
    await mkdir(modelDir, { recursive: true });
    await writeFile(join(modelDir, "xgboost-model"), await irisModelBytes());
    const archive = join(work, "model.tar.gz");
    await packModel(modelDir, archive);
    const { CreateBucketCommand } = await import("@aws-sdk/client-s3");
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: "out/iris-tune-002/output/model.tar.gz",
        Body: await readFile(archive),
      }),
    );

    let created: Record<string, unknown> | undefined;
    let polls = 0;
    const trial = (i: number, status: string, final?: number): Summary => ({
      TrainingJobName: `iris-tune-00${i}-abcdef0${i}`,
      TrainingJobArn: `arn:aws:sagemaker:us-east-1:${MOTO_ACCOUNT}:training-job/iris-tune-00${i}-abcdef0${i}`,
      CreationTime: new Date(Date.UTC(2026, 0, 1, 0, i)).getTime() / 1000,
      TrainingJobStatus: status,
      TunedHyperParameters: { eta: ["0.1", "0.2", "0.3"][i - 1]!, max_depth: String(i + 1) },
      ...(final !== undefined
        ? {
            FinalHyperParameterTuningJobObjectiveMetric: { MetricName: "validation:mlogloss", Value: final },
            ObjectiveStatus: "Succeeded",
          }
        : { ObjectiveStatus: "Pending" }),
    });
    const progression = [
      { status: "InProgress", trials: [trial(1, "InProgress")] },
      { status: "InProgress", trials: [trial(1, "Completed", 0.3), trial(2, "InProgress")] },
      {
        status: "Completed",
        trials: [trial(1, "Completed", 0.3), trial(2, "Completed", 0.12), trial(3, "Stopped", 0.5)],
      },
    ];
    // What the last DescribeHyperParameterTuningJob said: the list agrees with it.
    const now = () => progression[Math.min(Math.max(0, polls - 1), progression.length - 1)]!;
    fake.on("SageMaker.CreateHyperParameterTuningJob", (input) => {
      created = input;
      return {
        HyperParameterTuningJobArn: `arn:aws:sagemaker:us-east-1:${MOTO_ACCOUNT}:hyper-parameter-tuning-job/iris-tune`,
      };
    });
    fake.on("SageMaker.DescribeHyperParameterTuningJob", () => {
      const p = progression[Math.min(++polls - 1, progression.length - 1)]!;
      const done = p.trials.filter((t) => t.ObjectiveStatus === "Succeeded");
      const best = done.sort(
        (a, b) =>
          a.FinalHyperParameterTuningJobObjectiveMetric!.Value -
          b.FinalHyperParameterTuningJobObjectiveMetric!.Value,
      )[0];
      return {
        HyperParameterTuningJobName: "iris-tune",
        HyperParameterTuningJobArn: `arn:aws:sagemaker:us-east-1:${MOTO_ACCOUNT}:hyper-parameter-tuning-job/iris-tune`,
        HyperParameterTuningJobConfig: created!.HyperParameterTuningJobConfig,
        HyperParameterTuningJobStatus: p.status,
        CreationTime: Date.now() / 1000,
        TrainingJobStatusCounters: {
          Completed: p.trials.filter((t) => t.TrainingJobStatus === "Completed").length,
          InProgress: p.trials.filter((t) => t.TrainingJobStatus === "InProgress").length,
          Stopped: p.trials.filter((t) => t.TrainingJobStatus === "Stopped").length,
          RetryableError: 0,
          NonRetryableError: 0,
        },
        ObjectiveStatusCounters: {
          Succeeded: done.length,
          Pending: p.trials.length - done.length,
          Failed: 0,
        },
        ...(best ? { BestTrainingJob: best } : {}),
      };
    });
    // Two pages, to follow NextToken.
    fake.on("SageMaker.ListTrainingJobsForHyperParameterTuningJob", (input) => {
      const all = now().trials;
      return input.NextToken
        ? { TrainingJobSummaries: all.slice(1) }
        : { TrainingJobSummaries: all.slice(0, 1), ...(all.length > 1 ? { NextToken: "page-2" } : {}) };
    });
    fake.on("SageMaker.DescribeTrainingJob", (input) => {
      assert.equal(input.TrainingJobName, "iris-tune-002-abcdef02");
      return {
        TrainingJobName: input.TrainingJobName,
        TrainingJobArn: `arn:aws:sagemaker:us-east-1:${MOTO_ACCOUNT}:training-job/${input.TrainingJobName}`,
        TrainingJobStatus: "Completed",
        SecondaryStatus: "Completed",
        ModelArtifacts: { S3ModelArtifacts: `s3://${BUCKET}/out/iris-tune-002/output/model.tar.gz` },
        AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: "File" },
        RoleArn: ROLE,
        StoppingCondition: { MaxRuntimeInSeconds: 600 },
        CreationTime: Date.now() / 1000,
      };
    });
    const endpoint: { status?: string; config?: string } = {};
    fake.on("SageMaker.CreateModel", () => ({ ModelArn: "arn:model" }));
    fake.on("SageMaker.CreateEndpointConfig", () => ({ EndpointConfigArn: "arn:config" }));
    fake.on("SageMaker.CreateEndpoint", (input) => {
      endpoint.status = "InService";
      endpoint.config = String(input.EndpointConfigName);
      return { EndpointArn: `arn:aws:sagemaker:us-east-1:${MOTO_ACCOUNT}:endpoint/${input.EndpointName}` };
    });
    fake.on("SageMaker.DescribeEndpoint", (input) =>
      endpoint.status
        ? {
            EndpointName: input.EndpointName,
            EndpointArn: `arn:aws:sagemaker:us-east-1:${MOTO_ACCOUNT}:endpoint/${input.EndpointName}`,
            EndpointConfigName: endpoint.config,
            EndpointStatus: endpoint.status,
            CreationTime: Date.now() / 1000,
            LastModifiedTime: Date.now() / 1000,
          }
        : new AwsFault("ValidationException", `Could not find endpoint "${input.EndpointName}".`),
    );

    const dir = join(work, "followed");
    await cp(TUNE_DIR, dir, { recursive: true });
    const r = await tune([
      dir,
      "--instance-type",
      "ml.m5.xlarge",
      "--image",
      IMAGE,
      "--role",
      ROLE,
      "--bucket",
      BUCKET,
      "--name",
      "iris-tune",
      "--objective",
      "validation:mlogloss",
      "--range",
      "eta=0.05:0.5:log",
      "--range",
      "max_depth=2:6",
      "--max-jobs",
      "3",
      "--download",
      "--deploy",
      "iris-best",
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal((created!.HyperParameterTuningJobConfig as { Strategy: string }).Strategy, "Bayesian");
    // Each training job as it appeared and ended (one line per change, without a terminal).
    assert.match(r.stdout, /training job iris-tune-001-abcdef01 InProgress {2}eta=0.1 max_depth=2/);
    assert.match(r.stdout, /training job iris-tune-001-abcdef01 Completed: 0.3/);
    assert.match(r.stdout, /training job iris-tune-003-abcdef03 Stopped: 0.5/);
    const board = r.stdout.split("\n").filter((l) => /^[* ] {2}iris-tune-00\d/.test(l));
    assert.deepEqual(
      board.map((l) => l.split(/\s+/).filter(Boolean).slice(0, 3)),
      [
        ["*", "iris-tune-002-abcdef02", "Completed"],
        ["iris-tune-001-abcdef01", "Completed", "0.3"],
        ["iris-tune-003-abcdef03", "Stopped", "0.5"],
      ],
      "the leaderboard, best first",
    );
    assert.match(r.stdout, /best: iris-tune-002-abcdef02 {2}validation:mlogloss 0.12 {2}eta=0.2 max_depth=3/);
    assert.deepEqual(
      readFileSync(join(dir, "model", "xgboost-model")),
      await irisModelBytes(),
      "the best model, unpacked",
    );
    const results = join(dir, ".sagebrew", "tuning", "iris-tune");
    assert.ok(
      existsSync(join(results, "objective.svg")) && existsSync(join(results, "parallel-coordinates.svg")),
    );
    const summary = JSON.parse(await readFile(join(results, "summary.json"), "utf8"));
    assert.equal(summary.best.name, "iris-tune-002-abcdef02");
    assert.equal(summary.trials.length, 3);
    assert.match(r.stdout + r.stderr, /iris-best/);
    const calls = fake.calls.map((c) => c.target);
    assert.ok(calls.includes("SageMaker.CreateEndpoint"), "the best model deployed");
    const model = fake.calls.find((c) => c.target === "SageMaker.CreateModel")!.input as {
      PrimaryContainer?: { ModelDataUrl?: string };
    };
    assert.equal(
      model.PrimaryContainer?.ModelDataUrl,
      `s3://${BUCKET}/out/iris-tune-002/output/model.tar.gz`,
    );
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    await fake.stop();
  }
});
