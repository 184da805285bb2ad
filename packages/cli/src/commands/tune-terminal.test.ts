/**
 * `sagebrew tune --instance-type` on a terminal, as a user sees it (stdout and stderr on one
 * screen): the live leaderboard is redrawn in place, under the status lines printed meanwhile; with
 * --plain, the output only ever appends lines. Against a loopback server speaking SageMaker's
 * protocol whose tuning job runs two training jobs that fail, then fails.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { type FakeAws, startFakeAws, useFakeAwsEnv } from "../../../../test/kit/fake-aws.js";
import { fakeTerminal } from "../../../../test/kit/terminal.js";
import { main } from "../main.js";

const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/iris@sha256:${"d".repeat(64)}`;
const ESC = "\u001b";
const REASON = "AlgorithmError: Require input for parameter 'num_class'";

let fake: FakeAws;
let work: string;
let dir: string;
before(async () => {
  fake = await startFakeAws();
  useFakeAwsEnv(fake);
  work = await mkdtemp(join(tmpdir(), "sagebrew-tune-terminal-"));
  dir = join(work, "tune_dir");
  await mkdir(join(dir, "input", "config"), { recursive: true });
  await writeFile(
    join(dir, "input", "config", "hyperparameters.json"),
    JSON.stringify({ objective: "multi:softprob", num_round: "5", eval_metric: "mlogloss" }),
  );
});
after(async () => {
  await fake?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A training job of the tuning job, as ListTrainingJobsForHyperParameterTuningJob gives it. */
function trial(i: number, status: string) {
  return {
    TrainingJobName: `iris-tune-00${i}-abcdef0${i}`,
    TrainingJobArn: `arn:aws:sagemaker:us-east-1:123456789012:training-job/iris-tune-00${i}-abcdef0${i}`,
    CreationTime: Date.UTC(2026, 0, 1, 0, i) / 1000,
    TrainingJobStatus: status,
    TunedHyperParameters: { eta: `0.${i}`, max_depth: String(i + 1) },
    ObjectiveStatus: status === "Failed" ? "Failed" : "Pending",
    ...(status === "Failed" ? { FailureReason: REASON } : {}),
  };
}

// Each DescribeHyperParameterTuningJob moves the job on: InProgress twice, then Failed.
const PROGRESSION = [
  { status: "InProgress", trials: [trial(1, "InProgress")] },
  { status: "InProgress", trials: [trial(1, "Failed"), trial(2, "InProgress")] },
  { status: "Failed", trials: [trial(1, "Failed"), trial(2, "Failed")] },
];

beforeEach(() => {
  let polls = 0;
  let config: unknown;
  const now = () => PROGRESSION[Math.min(Math.max(0, polls - 1), PROGRESSION.length - 1)]!;
  fake.on("SageMaker.CreateHyperParameterTuningJob", (input) => {
    polls = 0;
    config = input.HyperParameterTuningJobConfig;
    return {
      HyperParameterTuningJobArn:
        "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/iris-tune",
    };
  });
  fake.on("SageMaker.DescribeHyperParameterTuningJob", () => {
    polls++;
    const p = now();
    const count = (s: string) => p.trials.filter((t) => t.TrainingJobStatus === s).length;
    return {
      HyperParameterTuningJobName: "iris-tune",
      HyperParameterTuningJobArn:
        "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/iris-tune",
      HyperParameterTuningJobConfig: config,
      HyperParameterTuningJobStatus: p.status,
      CreationTime: Date.UTC(2026, 0, 1) / 1000,
      TrainingJobStatusCounters: {
        Completed: 0,
        InProgress: count("InProgress"),
        Stopped: 0,
        RetryableError: 0,
        NonRetryableError: count("Failed"),
      },
      ObjectiveStatusCounters: { Succeeded: 0, Pending: count("InProgress"), Failed: count("Failed") },
      ...(p.status === "Failed"
        ? { FailureReason: `The training jobs failed; the first said: ${REASON}` }
        : {}),
    };
  });
  fake.on("SageMaker.ListTrainingJobsForHyperParameterTuningJob", () => ({
    TrainingJobSummaries: now().trials,
  }));
});

/** `sagebrew tune --instance-type … [extra]` on a fake terminal. */
async function tuneOnTerminal(extra: readonly string[]) {
  const t = fakeTerminal({ cwd: work, env: { SAGEBREW_POLL_SECONDS: "0.01" }, columns: 160 });
  const code = await main(
    [
      "tune",
      dir,
      "--instance-type",
      "ml.m5.xlarge",
      "--image",
      IMAGE,
      "--role",
      ROLE,
      "--channel",
      "train=s3://b/iris/train/",
      "--channel",
      "validation=s3://b/iris/validation/",
      "--output-s3",
      "s3://b/out",
      "--name",
      "iris-tune",
      "--objective",
      "validation:mlogloss",
      "--range",
      "eta=0.05:0.5:log",
      "--range",
      "max_depth=2:6",
      "--max-jobs",
      "2",
      ...extra,
    ],
    t.io,
  );
  return { code, screen: t.screen(), raw: t.raw() };
}

describe("sagebrew tune --instance-type on a terminal", () => {
  it("redraws the leaderboard in place under the status lines: each status line once, no stale header", async () => {
    const r = await tuneOnTerminal([]);
    const all = r.screen.join("\n");
    assert.equal(r.code, 1, all);
    assert.ok(r.raw.includes(`${ESC}[J`), "the leaderboard was redrawn in place");
    const header = "tuning job iris-tune: Failed — 0 completed, 0 in progress, 0 stopped, 2 failed";
    assert.deepEqual(
      r.screen.filter((l) => l.startsWith("tuning job iris-tune:")),
      [
        "tuning job iris-tune: InProgress",
        "tuning job iris-tune: Failed",
        header, // the live leaderboard's last drawing
        header, // the result
      ],
      all,
    );
    // The live leaderboard once, and the result's once: each row twice in all.
    for (const name of ["iris-tune-001-abcdef01", "iris-tune-002-abcdef02"])
      assert.equal(r.screen.filter((l) => l.includes(name)).length, 2, all);
    assert.match(all, /^ {2}FailureReason: The training jobs failed/m);
  });

  it("with --plain, only appends lines: what is on screen is what was written, line by line", async () => {
    const r = await tuneOnTerminal(["--plain"]);
    const all = r.screen.join("\n");
    assert.equal(r.code, 1, all);
    assert.ok(!r.raw.includes(ESC), "no escape: no redraw, no colour, no bar");
    assert.equal(all, r.raw.trimEnd());
    assert.deepEqual(
      r.screen.filter((l) => l.startsWith("training job ")),
      [
        "training job iris-tune-001-abcdef01 InProgress  eta=0.1 max_depth=2",
        `training job iris-tune-001-abcdef01 Failed (${REASON})  eta=0.1 max_depth=2`,
        "training job iris-tune-002-abcdef02 InProgress  eta=0.2 max_depth=3",
        `training job iris-tune-002-abcdef02 Failed (${REASON})  eta=0.2 max_depth=3`,
      ],
      all,
    );
  });
});
