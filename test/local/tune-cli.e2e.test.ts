/**
 * `sagebrew tune --instance-type` against `sagebrew local` through AWS_ENDPOINT_URL, as against
 * SageMaker: the example's `examples/iris-xgboost/local_test/tune_dir` as docs/tuning.md and the
 * README run it, with SageMaker's built-in XGBoost image — its channels uploaded to sagebrew local's
 * S3, the tuning job created and followed to its end, the best model downloaded; the job read back
 * with the JS SDK is the one the command reported.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { DescribeHyperParameterTuningJobCommand, SageMakerClient } from "@aws-sdk/client-sagemaker";
import { type RunningLocal, startLocal } from "../kit/local.js";

const CLI = fileURLToPath(new URL("../../packages/cli/src/bin.ts", import.meta.url));
/** Where `--import tsx` resolves. */
const REPO = fileURLToPath(new URL("../..", import.meta.url));
const TUNE_DIR = join(REPO, "examples", "iris-xgboost", "local_test", "tune_dir");
const IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";

let work: string;
let local: RunningLocal;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-tune-cli-"));
  local = await startLocal(join(work, "state"), {
    env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") },
  });
  // A copy: --download writes the best model into the directory.
  await cp(TUNE_DIR, join(work, "tune_dir"), { recursive: true });
});

after(async () => {
  await local?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function tune(args: readonly string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--conditions=sagebrew-source", "--import", "tsx", CLI, "tune", ...args],
      {
        cwd: REPO,
        env: {
          PATH: process.env.PATH,
          HOME: work,
          AWS_ENDPOINT_URL: local.url,
          AWS_ACCESS_KEY_ID: "x",
          AWS_SECRET_ACCESS_KEY: "x",
          AWS_REGION: "us-east-1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      out += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      err += c;
    });
    child.once("close", (code) => resolve({ code, out, err }));
  });
}

describe("sagebrew tune --instance-type against sagebrew local", () => {
  it("runs the example's tune_dir with the built-in image: creates the tuning job, follows it to its end and downloads the best model", async () => {
    const dir = join(work, "tune_dir");
    const r = await tune([
      dir,
      ...["--instance-type", "ml.m5.large", "--image", IMAGE, "--role", "arn:aws:iam::123456789012:role/R"],
      ...["--range", "eta=0.05:0.5:log", "--range", "max_depth=2:6", "--objective", "validation:mlogloss"],
      ...["--strategy", "Random", "--seed", "5", "--max-jobs", "4", "--max-parallel", "2"],
      ...["--name", "cli-tune", "--plain", "--download"],
    ]);
    assert.equal(r.code, 0, `${r.out}\n${r.err}\n${local.stderr()}`);
    const sm = new SageMakerClient({
      endpoint: local.url,
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    const d = await sm.send(
      new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: "cli-tune" }),
    );
    assert.equal(d.HyperParameterTuningJobStatus, "Completed");
    assert.equal(d.TrainingJobStatusCounters!.Completed, 4, `${r.out}\n${r.err}`);
    assert.equal(d.TrainingJobStatusCounters!.NonRetryableError, 0);
    assert.equal(d.HyperParameterTuningJobConfig!.RandomSeed, 5);
    const best = d.BestTrainingJob!.TrainingJobName!;
    assert.match(`${r.out}\n${r.err}`, new RegExp(best));
    assert.ok(existsSync(join(dir, "model")), `the best model downloaded: ${r.out}\n${r.err}`);
    // The image read the example's labels as the classes they are: SageMaker's XGBoost image reads
    // a class name as 0 (and sagebrew local's emulation of it warns so).
    const logs = new CloudWatchLogsClient({
      endpoint: local.url,
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    const group = "/aws/sagemaker/TrainingJobs";
    const [stream] = (
      await logs.send(new DescribeLogStreamsCommand({ logGroupName: group, logStreamNamePrefix: `${best}/` }))
    ).logStreams!;
    const lines = (
      await logs.send(
        new GetLogEventsCommand({
          logGroupName: group,
          logStreamName: stream!.logStreamName!,
          startFromHead: true,
        }),
      )
    ).events!.map((e) => e.message!);
    assert.ok(
      lines.some((l) => /validation-mlogloss:/.test(l)),
      lines.join("\n"),
    );
    assert.ok(!lines.some((l) => /labels are not a number/.test(l)), lines.join("\n"));
  });
});
