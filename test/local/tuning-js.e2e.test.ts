/**
 * Hyperparameter tuning jobs through the AWS SDK for JavaScript v3 against a real `sagebrew local`
 * (the CLI on a free port): each strategy on iris with the built-in XGBoost image URI (file://
 * data, a few rounds, a few trials), the trials as ordinary training jobs, the counters and the
 * best job as SageMaker fills them, Grid's exact enumeration, early stopping, a stop, and a
 * restart (and a kill -9) in the middle, after which the interrupted trials run again. Seeded and one trial at a time where a decision depends on the order in
 * which trials finish; nothing here measures time.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  AddTagsCommand,
  CreateHyperParameterTuningJobCommand,
  type CreateHyperParameterTuningJobCommandInput,
  DeleteHyperParameterTuningJobCommand,
  DescribeHyperParameterTuningJobCommand,
  type DescribeHyperParameterTuningJobCommandOutput,
  DescribeTrainingJobCommand,
  type HyperParameterTrainingJobSummary,
  ListHyperParameterTuningJobsCommand,
  ListTagsCommand,
  ListTrainingJobsForHyperParameterTuningJobCommand,
  SageMakerClient,
  StopHyperParameterTuningJobCommand,
} from "@aws-sdk/client-sagemaker";
import { type RunningLocal, startLocal } from "../kit/local.js";

const IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const IRIS = pathToFileURL(fileURLToPath(new URL("../kit/iris-numeric.csv", import.meta.url))).href;
const STATICS = { objective: "multi:softprob", num_class: "3", num_round: "8" };
const OBJECTIVE = "validation:mlogloss";

let work: string;
let local: RunningLocal;
let sm: SageMakerClient;

function connect(url: string): void {
  sm = new SageMakerClient({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
}

const channel = (name: string) => ({
  ChannelName: name,
  ContentType: "text/csv",
  DataSource: { S3DataSource: { S3DataType: "S3Prefix" as const, S3Uri: IRIS } },
});

type Config = NonNullable<CreateHyperParameterTuningJobCommandInput["HyperParameterTuningJobConfig"]>;

function tuningJob(
  name: string,
  config: Partial<Config>,
  statics: Record<string, string> = STATICS,
): CreateHyperParameterTuningJobCommandInput {
  return {
    HyperParameterTuningJobName: name,
    HyperParameterTuningJobConfig: {
      Strategy: "Random",
      RandomSeed: 7,
      HyperParameterTuningJobObjective: { Type: "Minimize", MetricName: OBJECTIVE },
      ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 2 },
      ParameterRanges: {
        ContinuousParameterRanges: [{ Name: "eta", MinValue: "0.05", MaxValue: "0.5" }],
        IntegerParameterRanges: [{ Name: "max_depth", MinValue: "1", MaxValue: "5" }],
      },
      ...config,
    },
    TrainingJobDefinition: {
      StaticHyperParameters: statics,
      AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: "File" },
      RoleArn: ROLE,
      InputDataConfig: [channel("train"), channel("validation")],
      OutputDataConfig: { S3OutputPath: pathToFileURL(join(work, "out")).href },
      ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 5 },
      StoppingCondition: { MaxRuntimeInSeconds: 600 },
    },
  };
}

const describeJob = (name: string) =>
  sm.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));

/** Polls DescribeHyperParameterTuningJob until `ok` holds (bounded by count, not by time). */
async function until(
  name: string,
  ok: (d: DescribeHyperParameterTuningJobCommandOutput) => boolean,
): Promise<DescribeHyperParameterTuningJobCommandOutput> {
  for (let i = 0; i < 3000; i++) {
    const d = await describeJob(name);
    if (ok(d)) return d;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tuning job ${name} never got there: ${local.stderr()}`);
}

const ended = (d: DescribeHyperParameterTuningJobCommandOutput) =>
  ["Completed", "Stopped", "Failed"].includes(d.HyperParameterTuningJobStatus!);

async function run(input: CreateHyperParameterTuningJobCommandInput) {
  const created = await sm.send(new CreateHyperParameterTuningJobCommand(input));
  const described = await until(input.HyperParameterTuningJobName!, ended);
  return {
    arn: created.HyperParameterTuningJobArn!,
    described,
    trials: await trialsOf(input.HyperParameterTuningJobName!),
  };
}

/** Every training job of a tuning job, through pages of two. */
async function trialsOf(
  name: string,
  extra: {
    SortBy?: "Name" | "CreationTime" | "Status" | "FinalObjectiveMetricValue";
    StatusEquals?: "Stopped" | "Completed" | "Failed";
  } = {},
) {
  const out: HyperParameterTrainingJobSummary[] = [];
  let NextToken: string | undefined;
  do {
    const page = await sm.send(
      new ListTrainingJobsForHyperParameterTuningJobCommand({
        HyperParameterTuningJobName: name,
        MaxResults: 2,
        ...extra,
        ...(NextToken ? { NextToken } : {}),
      }),
    );
    out.push(...page.TrainingJobSummaries!);
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** The most trials whose training jobs ran at once (from creation to end, as the jobs report them). */
function mostAtOnce(jobs: Array<{ CreationTime?: Date; TrainingEndTime?: Date }>): number {
  const events = jobs.flatMap((j) => [
    [j.CreationTime!.getTime(), 1],
    [j.TrainingEndTime!.getTime(), -1],
  ]);
  // An end and a start at the same instant: the end was recorded first (a trial starts after one ends).
  events.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let now = 0;
  let most = 0;
  for (const [, d] of events) {
    now += d!;
    most = Math.max(most, now);
  }
  return most;
}

/** Starts sagebrew local on this suite's state directory (again, after a stop or a kill) and connects to it. */
async function startHere(): Promise<void> {
  local = await startLocal(join(work, "state"), {
    env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") },
  });
  connect(local.url);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-tuning-js-"));
  await startHere();
});

after(async () => {
  await local?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("hyperparameter tuning jobs with the AWS SDK for JavaScript v3", () => {
  it("Random: trials are training jobs named as SageMaker names them, the best one and the counters as SageMaker fills them", async () => {
    const { arn, described: d, trials } = await run(tuningJob("tune-random", {}));
    assert.equal(arn, "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/tune-random");
    assert.equal(d.HyperParameterTuningJobStatus, "Completed");
    assert.deepEqual(d.TrainingJobStatusCounters, {
      Completed: 4,
      InProgress: 0,
      RetryableError: 0,
      NonRetryableError: 0,
      Stopped: 0,
    });
    assert.deepEqual(d.ObjectiveStatusCounters, { Succeeded: 4, Pending: 0, Failed: 0 });
    assert.equal(trials.length, 4);
    const values = trials.map((t) => t.FinalHyperParameterTuningJobObjectiveMetric!.Value!);
    assert.equal(d.BestTrainingJob!.FinalHyperParameterTuningJobObjectiveMetric!.Value, Math.min(...values));
    assert.equal(d.BestTrainingJob!.FinalHyperParameterTuningJobObjectiveMetric!.MetricName, OBJECTIVE);
    const jobs = [];
    for (const t of trials) {
      assert.match(t.TrainingJobName!, /^tune-random-00[1-4]-[0-9a-f]{8}$/);
      assert.equal(t.TuningJobName, "tune-random");
      assert.equal(t.ObjectiveStatus, "Succeeded");
      const eta = Number(t.TunedHyperParameters!.eta);
      const depth = Number(t.TunedHyperParameters!.max_depth);
      assert.ok(eta >= 0.05 && eta <= 0.5 && Number.isInteger(depth) && depth >= 1 && depth <= 5);
      const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: t.TrainingJobName }));
      assert.equal(job.TuningJobArn, arn);
      assert.deepEqual(job.HyperParameters, {
        ...STATICS,
        ...t.TunedHyperParameters,
        _tuning_objective_metric: OBJECTIVE,
      });
      const final = job.FinalMetricDataList!.find((m) => m.MetricName === OBJECTIVE)!;
      assert.equal(final.Value, t.FinalHyperParameterTuningJobObjectiveMetric!.Value);
      jobs.push(job);
    }
    assert.ok(mostAtOnce(jobs) <= 2, "MaxParallelTrainingJobs 2 is never exceeded");
    // Sorted by the objective, best (lowest) first in ascending order.
    const sorted = await trialsOf("tune-random", { SortBy: "FinalObjectiveMetricValue" });
    assert.deepEqual(
      sorted.map((t) => t.FinalHyperParameterTuningJobObjectiveMetric!.Value),
      [...values].sort((a, b) => a - b),
    );
    // The same RandomSeed proposes the same trials.
    const again = await run(tuningJob("tune-random-again", {}));
    const tuned = (list: HyperParameterTrainingJobSummary[]) =>
      list
        .map((t) => t.TunedHyperParameters)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    assert.deepEqual(tuned(again.trials), tuned(trials));
  });

  it("Grid: every combination of the categorical ranges exactly once, MaxNumberOfTrainingJobs left out", async () => {
    const { described: d, trials } = await run(
      tuningJob("tune-grid", {
        Strategy: "Grid",
        RandomSeed: undefined,
        ResourceLimits: { MaxParallelTrainingJobs: 3 },
        ParameterRanges: {
          CategoricalParameterRanges: [
            { Name: "max_depth", Values: ["2", "4"] },
            { Name: "eta", Values: ["0.1", "0.3", "0.5"] },
          ],
        },
      }),
    );
    assert.equal(d.HyperParameterTuningJobStatus, "Completed");
    assert.equal(d.TrainingJobStatusCounters!.Completed, 6);
    const combos = trials.map((t) => `${t.TunedHyperParameters!.max_depth}/${t.TunedHyperParameters!.eta}`);
    assert.deepEqual(combos.sort(), ["2/0.1", "2/0.3", "2/0.5", "4/0.1", "4/0.3", "4/0.5"]);
    // A numeric range is not Grid's: refused before anything runs, as SageMaker refuses it.
    const refused = await sm
      .send(new CreateHyperParameterTuningJobCommand(tuningJob("tune-grid-bad", { Strategy: "Grid" })))
      .catch((e: Error) => e);
    assert.equal((refused as Error).name, "ValidationException");
    assert.match((refused as Error).message, /Grid takes categorical ranges only/);
  });

  it("Bayesian: a seeded job completes within the ranges, logarithmic scaling kept", async () => {
    const { described: d, trials } = await run(
      tuningJob("tune-bayes", {
        Strategy: "Bayesian",
        ResourceLimits: { MaxNumberOfTrainingJobs: 5, MaxParallelTrainingJobs: 1 },
        ParameterRanges: {
          ContinuousParameterRanges: [
            { Name: "eta", MinValue: "0.01", MaxValue: "0.5", ScalingType: "Logarithmic" },
          ],
          IntegerParameterRanges: [{ Name: "max_depth", MinValue: "1", MaxValue: "5" }],
        },
      }),
    );
    assert.equal(d.HyperParameterTuningJobStatus, "Completed");
    assert.deepEqual(d.ObjectiveStatusCounters, { Succeeded: 5, Pending: 0, Failed: 0 });
    for (const t of trials) {
      const eta = Number(t.TunedHyperParameters!.eta);
      assert.ok(eta >= 0.01 && eta <= 0.5, `eta ${eta}`);
    }
    assert.equal(
      new Set(trials.map((t) => JSON.stringify(t.TunedHyperParameters))).size,
      5,
      "no trial repeated",
    );
  });

  it("Hyperband: every trial stops by its rung or at MaxResource, the best one reported", async () => {
    const { described: d, trials } = await run(
      tuningJob(
        "tune-hyperband",
        {
          Strategy: "Hyperband",
          StrategyConfig: { HyperbandStrategyConfig: { MinResource: 1, MaxResource: 9 } },
          ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 1 },
        },
        { ...STATICS, num_round: "9" },
      ),
    );
    assert.equal(d.HyperParameterTuningJobStatus, "Completed");
    // Hyperband stops each trial itself: at a rung when it is weak, at MaxResource at the latest.
    assert.deepEqual(d.TrainingJobStatusCounters, {
      Completed: 0,
      InProgress: 0,
      RetryableError: 0,
      NonRetryableError: 0,
      Stopped: 6,
    });
    assert.equal(d.ObjectiveStatusCounters!.Succeeded, 6);
    const stopped = await trialsOf("tune-hyperband", { StatusEquals: "Stopped" });
    assert.equal(stopped.length, 6);
    const best = Math.min(...trials.map((t) => t.FinalHyperParameterTuningJobObjectiveMetric!.Value!));
    assert.equal(d.BestTrainingJob!.FinalHyperParameterTuningJobObjectiveMetric!.Value, best);
  });

  it("early stopping Auto stops a trial worse than the median of the earlier ones at the same round", async () => {
    const { described: d, trials } = await run(
      tuningJob("tune-early", {
        TrainingJobEarlyStoppingType: "Auto",
        ResourceLimits: { MaxNumberOfTrainingJobs: 8, MaxParallelTrainingJobs: 1 },
        ParameterRanges: {
          ContinuousParameterRanges: [
            { Name: "eta", MinValue: "0.001", MaxValue: "0.9", ScalingType: "Logarithmic" },
          ],
        },
      }),
    );
    assert.equal(d.HyperParameterTuningJobStatus, "Completed");
    const c = d.TrainingJobStatusCounters!;
    assert.equal(c.Completed! + c.Stopped!, 8);
    assert.ok(c.Stopped! >= 1, `some trial was stopped early: ${JSON.stringify(c)}`);
    for (const t of trials.filter((x) => x.TrainingJobStatus === "Stopped")) {
      // A stopped trial keeps the objective it reached (ObjectiveStatus Succeeded), as SageMaker keeps it.
      assert.equal(t.ObjectiveStatus, "Succeeded");
      const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: t.TrainingJobName }));
      assert.equal(job.TrainingJobStatus, "Stopped");
    }
  });

  it("StopHyperParameterTuningJob stops every running trial and starts no more; tags, lists and delete", async () => {
    const name = "tune-stop";
    await sm.send(
      new CreateHyperParameterTuningJobCommand({
        ...tuningJob(
          name,
          { ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 2 } },
          { ...STATICS, num_round: "1000000" },
        ),
        Tags: [{ Key: "team", Value: "ml" }],
      }),
    );
    await until(name, (x) => x.TrainingJobStatusCounters!.InProgress === 2);
    await sm.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));
    const stopping = await describeJob(name);
    assert.match(stopping.HyperParameterTuningJobStatus!, /^(Stopping|Stopped)$/);
    const d = await until(name, ended);
    assert.equal(d.HyperParameterTuningJobStatus, "Stopped");
    assert.equal(d.TrainingJobStatusCounters!.Stopped, 2);
    const trials = await trialsOf(name);
    assert.equal(trials.length, 2, "no trial started after the stop");
    for (const t of trials) {
      const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: t.TrainingJobName }));
      assert.equal(job.TrainingJobStatus, "Stopped");
      // The tuning job's tags are on its training jobs.
      const tags = await sm.send(new ListTagsCommand({ ResourceArn: job.TrainingJobArn }));
      assert.deepEqual(tags.Tags, [{ Key: "team", Value: "ml" }]);
    }
    const again = await sm
      .send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }))
      .catch((e: Error) => e);
    assert.equal((again as Error).name, "ValidationException");

    await sm.send(
      new AddTagsCommand({ ResourceArn: d.HyperParameterTuningJobArn, Tags: [{ Key: "k", Value: "v" }] }),
    );
    const tags = await sm.send(new ListTagsCommand({ ResourceArn: d.HyperParameterTuningJobArn }));
    assert.deepEqual(tags.Tags, [
      { Key: "team", Value: "ml" },
      { Key: "k", Value: "v" },
    ]);

    // Listed by name (the default), filtered, paged.
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await sm.send(
        new ListHyperParameterTuningJobsCommand({ MaxResults: 2, ...(NextToken ? { NextToken } : {}) }),
      );
      names.push(...page.HyperParameterTuningJobSummaries!.map((j) => j.HyperParameterTuningJobName!));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes(name) && names.includes("tune-grid"));
    const stoppedOnly = await sm.send(new ListHyperParameterTuningJobsCommand({ StatusEquals: "Stopped" }));
    assert.deepEqual(
      stoppedOnly.HyperParameterTuningJobSummaries!.map((j) => j.HyperParameterTuningJobName),
      [name],
    );
    assert.equal(stoppedOnly.HyperParameterTuningJobSummaries![0]!.Strategy, "Random");

    await sm.send(new DeleteHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));
    const gone = await describeJob(name).catch((e: Error) => e);
    assert.equal((gone as Error).name, "ResourceNotFound");
    // Its training jobs stay.
    const job = await sm.send(
      new DescribeTrainingJobCommand({ TrainingJobName: trials[0]!.TrainingJobName }),
    );
    assert.equal(job.TrainingJobStatus, "Stopped");
  });

  /**
   * A tuning job whose trials wait, printing nothing, while `work/hold` exists: a module every trial's
   * process imports first (NODE_OPTIONS in the training job definition's Environment). It holds the
   * trials that run when sagebrew local goes away; once the file is removed, trials run as any do.
   */
  async function heldTuningJob(input: CreateHyperParameterTuningJobCommandInput) {
    const module = join(work, "hold.mjs");
    const hold = join(work, "hold");
    await writeFile(
      module,
      'import { existsSync } from "node:fs";\nwhile (existsSync(process.env.SAGEBREW_TEST_HOLD)) await new Promise((r) => setTimeout(r, 50));\n',
    );
    await writeFile(hold, "");
    await sm.send(
      new CreateHyperParameterTuningJobCommand({
        ...input,
        TrainingJobDefinition: {
          ...input.TrainingJobDefinition!,
          Environment: { NODE_OPTIONS: `--import=${pathToFileURL(module).href}`, SAGEBREW_TEST_HOLD: hold },
        },
      }),
    );
    return { release: () => rm(hold, { force: true }) };
  }

  /**
   * Starts sagebrew local again and follows `name` to its end: it completes, and the two training
   * jobs the restart interrupted failed for an internal reason — retryable, and not counted against
   * the three training jobs it runs.
   */
  async function completedAfterRestart(name: string) {
    await startHere();
    const end = await until(name, ended);
    assert.equal(end.HyperParameterTuningJobStatus, "Completed", local.stderr());
    assert.deepEqual(end.TrainingJobStatusCounters, {
      Completed: 3,
      InProgress: 0,
      RetryableError: 2,
      NonRetryableError: 0,
      Stopped: 0,
    });
    return end;
  }

  it("a restart in the middle: the interrupted trials end Failed (retryable), their points run again, and the job completes every combination", async () => {
    const name = "tune-restart";
    const { release } = await heldTuningJob(
      tuningJob(name, {
        Strategy: "Grid",
        ResourceLimits: { MaxParallelTrainingJobs: 2 },
        ParameterRanges: { CategoricalParameterRanges: [{ Name: "max_depth", Values: ["1", "2", "3"] }] },
      }),
    );
    await until(name, (x) => x.TrainingJobStatusCounters!.InProgress === 2);
    const first = await trialsOf(name);
    await local.stop();
    await release();
    const end = await completedAfterRestart(name);
    assert.equal(end.ObjectiveStatusCounters!.Succeeded, 3);
    for (const t of first) {
      const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: t.TrainingJobName }));
      assert.equal(job.TrainingJobStatus, "Failed");
      assert.match(job.FailureReason!, /^InternalServerError: sagebrew local stopped/);
    }
    const all = await trialsOf(name, { SortBy: "CreationTime" });
    assert.equal(all.length, 5);
    const completed = all.filter((t) => t.TrainingJobStatus === "Completed");
    assert.deepEqual(completed.map((t) => t.TunedHyperParameters!.max_depth).sort(), ["1", "2", "3"]);
    // Each interrupted point ran again under a new name.
    for (const t of first)
      assert.ok(
        completed.some(
          (c) =>
            c.TrainingJobName !== t.TrainingJobName &&
            c.TunedHyperParameters!.max_depth === t.TunedHyperParameters!.max_depth,
        ),
      );
    assert.equal(end.BestTrainingJob!.TrainingJobStatus, "Completed");
  });

  it("kill -9 in the middle: the interrupted trials end Failed after the restart, run again, and the job completes its budget", async () => {
    const name = "tune-kill";
    const { release } = await heldTuningJob(
      tuningJob(name, { ResourceLimits: { MaxNumberOfTrainingJobs: 3, MaxParallelTrainingJobs: 2 } }),
    );
    await until(name, (x) => x.TrainingJobStatusCounters!.InProgress === 2);
    const first = (await trialsOf(name)).map((t) => t.TrainingJobName!);
    await local.kill();
    await release();
    await completedAfterRestart(name);
    for (const t of first) {
      const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: t }));
      assert.equal(job.TrainingJobStatus, "Failed");
    }
    assert.equal((await trialsOf(name)).length, 5);
  });
});
