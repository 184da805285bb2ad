/**
 * Tuning jobs in-process: the control plane's tuning operations and the tuning engine over a real
 * store in a temporary directory, with a fake training engine that "trains" by printing one
 * objective line per round (a curve fixed by the trial's hyperparameters) and ends through the
 * training job's state machine as the real one does. Checks the parallel limit, the trials'
 * documents, the counters and the best job, the lists, early stopping, a stop, a restart, and the
 * requests SageMaker refuses.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { TrialState } from "../../../../tuning/index.js";
import type { TrainingJobDoc, TuningJobDoc } from "../../docs.js";
import { ApiError } from "../../protocol/index.js";
import {
  createLedgers,
  type Ledgers,
  type OpContext,
  runSageMakerOperation,
  type TrainingEngine,
  type TrainingWatch,
  trialJob,
} from "../../resources/index.js";
import { REMOVE, ResourceStore } from "../../state/index.js";
import type { ObjectStorage } from "../../storage/index.js";
import { TuningRunner } from "./runner.js";

const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];
after(async () => {
  // Nothing is left writing into a directory about to go.
  for (const close of closers) await close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const OBJECTIVE = "validation:mlogloss";
const tick = () => new Promise<void>((r) => setImmediate(r));

/** A training engine that prints `rounds` objective lines, curve fixed by eta, and ends as told. */
class FakeTraining implements TrainingEngine {
  readonly running = new Set<string>();
  readonly stopped: string[] = [];
  most = 0;
  /** Rounds each trial runs (Infinity: until stopped). */
  rounds = 8;
  /** Set to stop printing and reporting (a server that goes away). */
  frozen = false;
  /**
   * Wait after each round until what it caused is written (a stop included), as if each round
   * took longer than a write: the rounds a stopped trial printed are then exactly those before
   * its stop.
   */
  lockstep = false;
  /** Rounds printed, per training job. */
  readonly printed = new Map<string, number>();
  ledgers!: Ledgers;
  store!: ResourceStore;

  start(job: TrainingJobDoc, watch?: TrainingWatch): void {
    this.running.add(job.name);
    this.most = Math.max(this.most, this.running.size);
    void this.#run(job, watch);
  }

  stop(job: TrainingJobDoc): void {
    this.stopped.push(job.name);
  }

  async #run(job: TrainingJobDoc, watch?: TrainingWatch): Promise<void> {
    const l = this.ledgers.trainingJob;
    await l.report(job.name, { type: "download-started" });
    if (this.frozen) return;
    await l.report(job.name, { type: "training-started" });
    const eta = Number(job.HyperParameters?.eta ?? 0.3);
    let last = Number.NaN;
    for (let i = 0; i < this.rounds; i++) {
      await tick();
      if (this.frozen) return;
      // A stop ends the job after the round it is in.
      if (l.get(job.name)?.TrainingJobStatus !== "InProgress") break;
      // Better (lower) with more rounds, and better the larger eta.
      last = 1 / (1 + eta * (i + 1));
      watch?.line(`[${i}]\ttrain-mlogloss:${last}\tvalidation-mlogloss:${last}`);
      watch?.line(`epoch ${i}: my-loss=${last * 2}`);
      this.printed.set(job.name, i + 1);
      if (this.lockstep) await this.store.flush();
    }
    if (!Number.isNaN(last))
      await l.report(job.name, {
        type: "metrics",
        final: [{ MetricName: OBJECTIVE, Value: last, Timestamp: 1 }],
      });
    const stopping = l.get(job.name)?.TrainingJobStatus === "Stopping";
    if (!stopping) await l.report(job.name, { type: "upload-started" });
    await l.report(job.name, { type: stopping ? "stopped" : "completed" });
    this.running.delete(job.name);
    watch?.ended();
  }
}

async function setUp(dir?: string) {
  const stateDir = dir ?? (await mkdtemp(join(tmpdir(), "sagebrew-tuning-")));
  if (!dir) dirs.push(stateDir);
  const store = await ResourceStore.open(stateDir, { warn: () => {} });
  // The clock, moved forward by a test to pass MaxRuntimeInSeconds without waiting.
  const clock = { ahead: 0 };
  const now = () => Date.now() / 1000 + clock.ahead;
  const ledgers = createLedgers({ store, now, warn: () => {} });
  const training = new FakeTraining();
  training.ledgers = ledgers;
  training.store = store;
  const warnings: string[] = [];
  const tuning = new TuningRunner({
    jobs: ledgers.tuningJob,
    trainingJobs: ledgers.trainingJob,
    training,
    createTrainingJob: (doc) => store.create("training-job", doc),
    trialJob,
    now,
    warn: (m) => warnings.push(m),
    tickMs: 20,
  });
  const storage = {
    list: async (uri: string) => [{ uri, rel: "a.csv", size: 1 }],
  } as unknown as ObjectStorage;
  const ctx: OpContext = {
    store,
    logs: undefined as never,
    storage,
    training,
    transforms: { start: () => {}, stop: () => {} },
    endpoints: { deploy: () => {}, remove: () => {} },
    tuning,
    planImage: async () => ({ runner: "runtime", why: "test" }),
    now,
    maxInstances: 8,
    storageCheckMs: 1_000,
    region: "us-east-1",
    account: "111122223333",
  };
  closers.push(async () => {
    training.frozen = true;
    await tuning.close();
    ledgers.close();
    await store.flush();
  });
  return { stateDir, store, ctx, training, tuning, warnings, clock };
}

type Env = Awaited<ReturnType<typeof setUp>>;

// biome-ignore lint/suspicious/noExplicitAny: SageMaker's answers, read member by member
const op = (env: Env, operation: string, body: unknown): Promise<any> =>
  runSageMakerOperation(operation, body, env.ctx);

const channel = (name: string) => ({
  ChannelName: name,
  DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: "s3://b/iris" } },
});

function request(name: string, config: Record<string, unknown> = {}, over: Record<string, unknown> = {}) {
  return {
    HyperParameterTuningJobName: name,
    HyperParameterTuningJobConfig: {
      Strategy: "Random",
      RandomSeed: 3,
      HyperParameterTuningJobObjective: { Type: "Minimize", MetricName: OBJECTIVE },
      ResourceLimits: { MaxNumberOfTrainingJobs: 5, MaxParallelTrainingJobs: 2 },
      ParameterRanges: { ContinuousParameterRanges: [{ Name: "eta", MinValue: "0.01", MaxValue: "1" }] },
      ...config,
    },
    TrainingJobDefinition: {
      StaticHyperParameters: { num_round: "8" },
      AlgorithmSpecification: { TrainingImage: "img:1", TrainingInputMode: "File" },
      RoleArn: "arn:aws:iam::111122223333:role/r",
      InputDataConfig: [channel("train"), channel("validation")],
      OutputDataConfig: { S3OutputPath: "s3://b/out" },
      ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1 },
      StoppingCondition: { MaxRuntimeInSeconds: 600 },
      ...over,
    },
  };
}

async function until(
  env: Env,
  name: string,
  ok: (d: {
    HyperParameterTuningJobStatus: string;
    TrainingJobStatusCounters: Record<string, number>;
  }) => boolean,
) {
  for (let i = 0; i < 5000; i++) {
    const d = await op(env, "DescribeHyperParameterTuningJob", { HyperParameterTuningJobName: name });
    if (ok(d)) return d;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`${name} never got there`);
}

const ended = (d: { HyperParameterTuningJobStatus: string }) =>
  ["Completed", "Stopped", "Failed"].includes(d.HyperParameterTuningJobStatus);

async function refused(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e;
  }
  throw new Error("expected a refusal");
}

/**
 * A tuning job of `maxJobs` trials, two at a time, whose server goes away while both run (nothing
 * more is printed or reported; the tuning engine writes its state), `between` then run on its
 * state, and a server started again on it: the training engine's recovery (interrupted jobs end
 * Failed), then the tuning engine's.
 */
async function restartedWithTwoRunning(name: string, maxJobs: number, between?: (env: Env) => Promise<void>) {
  const env = await setUp();
  env.training.rounds = Number.POSITIVE_INFINITY;
  await op(
    env,
    "CreateHyperParameterTuningJob",
    request(name, { ResourceLimits: { MaxNumberOfTrainingJobs: maxJobs, MaxParallelTrainingJobs: 2 } }),
  );
  await until(env, name, (d) => d.TrainingJobStatusCounters.InProgress === 2);
  env.training.frozen = true;
  await env.tuning.close();
  await between?.(env);
  await env.store.flush();
  const again = await setUp(env.stateDir);
  for (const job of again.store.list<TrainingJobDoc>("training-job"))
    if (job.TrainingJobStatus === "InProgress")
      await again.training.ledgers.trainingJob.apply(job.name, { type: "interrupted" });
  await again.tuning.recover();
  return again;
}

describe("tuning jobs in sagebrew local (in-process, a fake training engine)", () => {
  it("runs the trials as training jobs within MaxParallelTrainingJobs, and says what SageMaker says of them", async () => {
    const env = await setUp();
    const { HyperParameterTuningJobArn: arn } = await op(env, "CreateHyperParameterTuningJob", request("r"));
    assert.equal(arn, "arn:aws:sagemaker:us-east-1:111122223333:hyper-parameter-tuning-job/r");
    const d = await until(env, "r", ended);
    assert.equal(d.HyperParameterTuningJobStatus, "Completed");
    assert.equal(typeof d.HyperParameterTuningEndTime, "number");
    assert.deepEqual(d.TrainingJobStatusCounters, {
      Completed: 5,
      InProgress: 0,
      RetryableError: 0,
      NonRetryableError: 0,
      Stopped: 0,
    });
    assert.deepEqual(d.ObjectiveStatusCounters, { Succeeded: 5, Pending: 0, Failed: 0 });
    assert.equal(env.training.most, 2, "two at once, never more");
    assert.equal(d._state, undefined, "sagebrew's notes are not answered");
    const rows = (
      await op(env, "ListTrainingJobsForHyperParameterTuningJob", {
        HyperParameterTuningJobName: "r",
        MaxResults: 100,
      })
    ).TrainingJobSummaries;
    assert.equal(rows.length, 5);
    const best = rows.reduce(
      (a: { FinalHyperParameterTuningJobObjectiveMetric: { Value: number } }, b: typeof a) =>
        b.FinalHyperParameterTuningJobObjectiveMetric.Value <
        a.FinalHyperParameterTuningJobObjectiveMetric.Value
          ? b
          : a,
    );
    assert.deepEqual(d.BestTrainingJob, best);
    for (const r of rows) {
      const job = env.store.get<TrainingJobDoc>("training-job", r.TrainingJobName)!;
      assert.equal(job.TuningJobArn, arn);
      assert.equal(
        job.TrainingJobArn,
        `arn:aws:sagemaker:us-east-1:111122223333:training-job/${r.TrainingJobName}`,
      );
      assert.deepEqual(job.HyperParameters, {
        num_round: "8",
        eta: r.TunedHyperParameters.eta,
        _tuning_objective_metric: OBJECTIVE,
      });
      assert.equal(
        job.ModelArtifacts.S3ModelArtifacts,
        `s3://b/out/${r.TrainingJobName}/output/model.tar.gz`,
      );
      assert.ok((job._threads ?? 0) >= 1);
      assert.equal(job.HyperParameterRanges, undefined, "the tuning-only members are not the training job's");
    }
    // Sorted by the objective, descending; by status; paged by two.
    const byValue = await op(env, "ListTrainingJobsForHyperParameterTuningJob", {
      HyperParameterTuningJobName: "r",
      SortBy: "FinalObjectiveMetricValue",
      SortOrder: "Descending",
      MaxResults: 100,
    });
    const values = byValue.TrainingJobSummaries.map(
      (r: { FinalHyperParameterTuningJobObjectiveMetric: { Value: number } }) =>
        r.FinalHyperParameterTuningJobObjectiveMetric.Value,
    );
    assert.deepEqual(
      values,
      [...values].sort((a, b) => b - a),
    );
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await op(env, "ListTrainingJobsForHyperParameterTuningJob", {
        HyperParameterTuningJobName: "r",
        MaxResults: 2,
        ...(token ? { NextToken: token } : {}),
      });
      names.push(...page.TrainingJobSummaries.map((r: { TrainingJobName: string }) => r.TrainingJobName));
      token = page.NextToken;
      pages++;
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual(names, [...names].sort(), "by name, ascending, by default");
    const none = await op(env, "ListTrainingJobsForHyperParameterTuningJob", {
      HyperParameterTuningJobName: "r",
      StatusEquals: "Stopped",
    });
    assert.deepEqual(none.TrainingJobSummaries, []);
  });

  it("early stopping Auto stops a trial worse than the median at its round: its training job ends Stopped", async () => {
    const env = await setUp();
    await op(
      env,
      "CreateHyperParameterTuningJob",
      request("early", {
        TrainingJobEarlyStoppingType: "Auto",
        ResourceLimits: { MaxNumberOfTrainingJobs: 10, MaxParallelTrainingJobs: 1 },
        ParameterRanges: {
          ContinuousParameterRanges: [
            { Name: "eta", MinValue: "0.001", MaxValue: "1", ScalingType: "Logarithmic" },
          ],
        },
      }),
    );
    const d = await until(env, "early", ended);
    assert.equal(d.HyperParameterTuningJobStatus, "Completed");
    const rows = (
      await op(env, "ListTrainingJobsForHyperParameterTuningJob", {
        HyperParameterTuningJobName: "early",
        StatusEquals: "Stopped",
        MaxResults: 100,
      })
    ).TrainingJobSummaries;
    assert.ok(rows.length >= 1, "some trial was stopped");
    assert.equal(d.TrainingJobStatusCounters.Stopped, rows.length);
    for (const r of rows) {
      assert.ok(env.training.stopped.includes(r.TrainingJobName));
      assert.equal(
        env.store.get<TrainingJobDoc>("training-job", r.TrainingJobName)!.TrainingJobStatus,
        "Stopped",
      );
    }
  });

  it("StopHyperParameterTuningJob writes Stopping before answering, stops every running trial, starts no more", async () => {
    const env = await setUp();
    env.training.rounds = Number.POSITIVE_INFINITY;
    await op(env, "CreateHyperParameterTuningJob", request("s"));
    await until(env, "s", (d) => d.TrainingJobStatusCounters.InProgress === 2);
    await op(env, "StopHyperParameterTuningJob", { HyperParameterTuningJobName: "s" });
    const written = env.store.get<TuningJobDoc>("hyper-parameter-tuning-job", "s")!;
    assert.equal(written.HyperParameterTuningJobStatus, "Stopping");
    const d = await until(env, "s", ended);
    assert.equal(d.HyperParameterTuningJobStatus, "Stopped");
    assert.equal(d.TrainingJobStatusCounters.Stopped, 2);
    assert.equal(env.training.stopped.length, 2);
    const again = await refused(op(env, "StopHyperParameterTuningJob", { HyperParameterTuningJobName: "s" }));
    assert.match(again.message, /in status Stopped/);
    // Deleted once it has ended; its training jobs stay.
    await op(env, "DeleteHyperParameterTuningJob", { HyperParameterTuningJobName: "s" });
    assert.equal(
      (await refused(op(env, "DescribeHyperParameterTuningJob", { HyperParameterTuningJobName: "s" }))).type,
      "ResourceNotFound",
    );
    assert.equal(env.store.list("training-job").length, 2);
  });

  it("after a restart, the trials that were running are recorded Failed (retryable), run again, and the job completes its budget", async () => {
    const again = await restartedWithTwoRunning("rs", 4);
    const now = again.store.get<TuningJobDoc>("hyper-parameter-tuning-job", "rs")!;
    const failed = now._state.trials.filter((t) => t.status === "Failed");
    assert.equal(failed.length, 2, "written by recover(), before any request");
    assert.ok(failed.every((t) => t.retryable && /^InternalServerError: /.test(t.failureReason!)));
    const d = await until(again, "rs", ended);
    assert.equal(d.HyperParameterTuningJobStatus, "Completed");
    assert.deepEqual(d.TrainingJobStatusCounters, {
      Completed: 4,
      InProgress: 0,
      RetryableError: 2,
      NonRetryableError: 0,
      Stopped: 0,
    });
    // Each interrupted trial's point ran again, under a new name: four points, six training jobs.
    const trials = again.store.get<TuningJobDoc>("hyper-parameter-tuning-job", "rs")!._state.trials;
    assert.equal(trials.length, 6);
    for (const f of failed) {
      const rerun = trials.find((t) => t.retryOf === f.name)!;
      assert.equal(rerun.status, "Completed");
      assert.deepEqual(rerun.hyperParameters, f.hyperParameters);
    }
  });

  it("a trial whose training job the kill left uncreated gets one after the restart: Failed, so Describe finds every trial listed", async () => {
    // The state names both trials; a kill -9 between the state's write and the second job's.
    let kept: TrialState | undefined;
    let lost: TrialState | undefined;
    const again = await restartedWithTwoRunning("kl", 3, async (env) => {
      [kept, lost] = env.store.get<TuningJobDoc>("hyper-parameter-tuning-job", "kl")!._state.trials;
      await env.store.update("training-job", lost!.name, () => REMOVE);
    });
    const listed = await op(again, "ListTrainingJobsForHyperParameterTuningJob", {
      HyperParameterTuningJobName: "kl",
    });
    const names = listed.TrainingJobSummaries.map((t: { TrainingJobName: string }) => t.TrainingJobName);
    assert.deepEqual(names.sort(), [kept!.name, lost!.name].sort());
    const job = await op(again, "DescribeTrainingJob", { TrainingJobName: lost!.name });
    assert.equal(job.TrainingJobStatus, "Failed");
    assert.equal(
      job.FailureReason,
      "InternalServerError: sagebrew local stopped before the training job started",
    );
    // The trial's own point, beside what every trial of the job is given (as the kept one was).
    const other = await op(again, "DescribeTrainingJob", { TrainingJobName: kept!.name });
    assert.deepEqual(job.HyperParameters, { ...other.HyperParameters, ...lost!.hyperParameters });
    const d = await until(again, "kl", ended);
    assert.equal(d.HyperParameterTuningJobStatus, "Completed");
    assert.equal(d.TrainingJobStatusCounters.RetryableError, 2);
  });

  it("MaxRuntimeInSeconds ends the job: its running trials stopped, Completed, no trial started after", async () => {
    const env = await setUp();
    env.training.rounds = Number.POSITIVE_INFINITY;
    await op(
      env,
      "CreateHyperParameterTuningJob",
      request("clock", {
        ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 2, MaxRuntimeInSeconds: 120 },
      }),
    );
    await until(env, "clock", (d) => d.TrainingJobStatusCounters.InProgress === 2);
    env.clock.ahead = 121;
    const d = await until(env, "clock", ended);
    assert.equal(d.HyperParameterTuningJobStatus, "Completed");
    assert.equal(d.TrainingJobStatusCounters.Stopped, 2);
    assert.equal(d.TrainingJobStatusCounters.InProgress, 0);
    assert.equal(env.store.list("training-job").length, 2, "no trial started after the limit");
    // A stopped trial keeps the objective it printed (one stopped before its first round has none).
    assert.equal(d.ObjectiveStatusCounters.Succeeded + d.ObjectiveStatusCounters.Failed, 2);
    assert.equal(d.ObjectiveStatusCounters.Pending, 0);
    assert.ok(d.ConsumedResources.RuntimeInSeconds >= 120);
  });

  it("reads a custom objective through MetricDefinitions, as FinalMetricDataList reads it", async () => {
    const env = await setUp();
    await op(
      env,
      "CreateHyperParameterTuningJob",
      request(
        "custom",
        {
          HyperParameterTuningJobObjective: { Type: "Minimize", MetricName: "my-loss" },
          ResourceLimits: { MaxNumberOfTrainingJobs: 3, MaxParallelTrainingJobs: 3 },
        },
        {
          AlgorithmSpecification: {
            TrainingImage: "img:1",
            TrainingInputMode: "File",
            MetricDefinitions: [{ Name: "my-loss", Regex: "my-loss=([0-9.eE+-]+)" }],
          },
          InputDataConfig: [channel("train")],
        },
      ),
    );
    const d = await until(env, "custom", ended);
    assert.equal(d.HyperParameterTuningJobStatus, "Completed");
    const rows = (
      await op(env, "ListTrainingJobsForHyperParameterTuningJob", { HyperParameterTuningJobName: "custom" })
    ).TrainingJobSummaries;
    for (const r of rows) {
      const eta = Number(r.TunedHyperParameters.eta);
      assert.equal(r.FinalHyperParameterTuningJobObjectiveMetric.MetricName, "my-loss");
      assert.equal(r.FinalHyperParameterTuningJobObjectiveMetric.Value, 2 / (1 + eta * 8));
      const job = env.store.get<TrainingJobDoc>("training-job", r.TrainingJobName)!;
      assert.equal(job.HyperParameters!._tuning_objective_metric, "my-loss");
      assert.deepEqual(job.AlgorithmSpecification.MetricDefinitions, [
        { Name: "my-loss", Regex: "my-loss=([0-9.eE+-]+)" },
      ]);
    }
  });

  it("of 20 concurrent creates of one name (any case), exactly one runs", async () => {
    const env = await setUp();
    const names = Array.from({ length: 20 }, (_, i) => (i % 2 ? "same" : "SAME"));
    const results = await Promise.allSettled(
      names.map((n) =>
        op(
          env,
          "CreateHyperParameterTuningJob",
          request(n, { ResourceLimits: { MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 1 } }),
        ),
      ),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results)
      if (r.status === "rejected") assert.equal((r.reason as ApiError).type, "ResourceInUse");
    const d = await until(env, "same", ended);
    assert.equal(d.TrainingJobStatusCounters.Completed, 1);
    assert.equal(env.store.list("training-job").length, 1);
  });

  it("Hyperband stops the weak trials at their rung, and every other one at MaxResource", async () => {
    const env = await setUp();
    env.training.lockstep = true;
    env.training.rounds = 9;
    await op(
      env,
      "CreateHyperParameterTuningJob",
      request(
        "hb",
        {
          Strategy: "Hyperband",
          StrategyConfig: { HyperbandStrategyConfig: { MinResource: 1, MaxResource: 9 } },
          ResourceLimits: { MaxNumberOfTrainingJobs: 12, MaxParallelTrainingJobs: 1 },
          ParameterRanges: {
            ContinuousParameterRanges: [
              { Name: "eta", MinValue: "0.001", MaxValue: "1", ScalingType: "Logarithmic" },
            ],
          },
        },
        { StaticHyperParameters: { num_round: "9" } },
      ),
    );
    const d = await until(env, "hb", ended);
    assert.equal(d.HyperParameterTuningJobStatus, "Completed");
    assert.equal(d.TrainingJobStatusCounters.Stopped, 12, "Hyperband stops every trial itself");
    const rounds = [...env.training.printed.values()];
    assert.equal(rounds.length, 12);
    // Hyperband's rungs for 1…9 with η = 3: 1 and 3 rounds, then MaxResource.
    for (const r of rounds) assert.ok([1, 3, 9].includes(r), `a trial stopped after ${r} rounds`);
    assert.ok(
      rounds.some((r) => r < 9),
      `some trial was stopped at a rung: ${rounds.join(", ")}`,
    );
    assert.ok(
      rounds.some((r) => r === 9),
      "the strong ones ran to MaxResource",
    );
  });

  it("refuses what SageMaker refuses, before anything is written", async () => {
    const env = await setUp();
    const cases: Array<[unknown, string, RegExp]> = [
      [
        request("g", { Strategy: "Grid", ResourceLimits: { MaxParallelTrainingJobs: 1 } }),
        "ValidationException",
        /Grid takes categorical ranges only/,
      ],
      [
        request("h", { Strategy: "Hyperband", TrainingJobEarlyStoppingType: "Auto" }),
        "ValidationException",
        /early stopping must be Off/,
      ],
      [
        request("v", {}, { InputDataConfig: [channel("train")] }),
        "ValidationException",
        /no validation channel/,
      ],
      [
        {
          ...request("p"),
          WarmStartConfig: {
            ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: "nope" }],
            WarmStartType: "IdenticalDataAndAlgorithm",
          },
        },
        "ResourceNotFound",
        /can't find a tuning job with name nope/,
      ],
    ];
    for (const [body, type, message] of cases) {
      const e = await refused(op(env, "CreateHyperParameterTuningJob", body));
      assert.equal(e.type, type, e.message);
      assert.match(e.message, message);
    }
    assert.deepEqual(env.store.list("hyper-parameter-tuning-job"), []);
    env.training.rounds = Number.POSITIVE_INFINITY;
    await op(env, "CreateHyperParameterTuningJob", request("one"));
    assert.equal(
      (await refused(op(env, "CreateHyperParameterTuningJob", request("ONE")))).type,
      "ResourceInUse",
    );
    const running = await refused(
      op(env, "DeleteHyperParameterTuningJob", { HyperParameterTuningJobName: "one" }),
    );
    assert.match(running.message, /it is InProgress/);
    await op(env, "StopHyperParameterTuningJob", { HyperParameterTuningJobName: "one" });
    await until(env, "one", ended);
    assert.equal(
      (
        await refused(
          op(env, "ListTrainingJobsForHyperParameterTuningJob", { HyperParameterTuningJobName: "two" }),
        )
      ).type,
      "ResourceNotFound",
    );
  });
});
