/**
 * `sagebrew tune --instance-type` against `sagebrew local` through AWS_ENDPOINT_URL, as against
 * SageMaker: the directory's channels uploaded to sagebrew local's S3, the tuning job created and
 * followed to its end with the built-in XGBoost image, the best model downloaded; the job read back
 * with the JS SDK is the one the command reported.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DescribeHyperParameterTuningJobCommand, SageMakerClient } from "@aws-sdk/client-sagemaker";
import { type RunningLocal, startLocal } from "../kit/local.js";

const CLI = fileURLToPath(new URL("../../packages/cli/src/bin.ts", import.meta.url));
/** Where `--import tsx` resolves. */
const REPO = fileURLToPath(new URL("../..", import.meta.url));
const IRIS = fileURLToPath(new URL("../kit/iris-numeric.csv", import.meta.url));
const IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";

let work: string;
let local: RunningLocal;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-tune-cli-"));
  local = await startLocal(join(work, "state"), {
    env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") },
  });
  const dir = join(work, "tune_dir");
  await mkdir(join(dir, "input", "config"), { recursive: true });
  await writeFile(
    join(dir, "input", "config", "hyperparameters.json"),
    JSON.stringify({ objective: "multi:softprob", num_class: "3", num_round: "6" }),
  );
  await writeFile(
    join(dir, "input", "config", "inputdataconfig.json"),
    JSON.stringify({ train: { ContentType: "text/csv" }, validation: { ContentType: "text/csv" } }),
  );
  for (const channel of ["train", "validation"]) {
    await mkdir(join(dir, "input", "data", channel), { recursive: true });
    await copyFile(IRIS, join(dir, "input", "data", channel, "iris.csv"));
  }
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
  it("creates the tuning job, follows it to its end and downloads the best model", async () => {
    const dir = join(work, "tune_dir");
    const r = await tune([
      dir,
      ...["--instance-type", "ml.m5.large", "--image", IMAGE, "--role", "arn:aws:iam::123456789012:role/R"],
      ...["--range", "eta=0.05:0.5", "--range", "max_depth=2:5", "--objective", "validation:mlogloss"],
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
    assert.equal(d.TrainingJobStatusCounters!.Completed, 4);
    assert.equal(d.HyperParameterTuningJobConfig!.RandomSeed, 5);
    const best = d.BestTrainingJob!.TrainingJobName!;
    assert.match(`${r.out}\n${r.err}`, new RegExp(best));
    assert.ok(existsSync(join(dir, "model")), `the best model downloaded: ${r.out}\n${r.err}`);
  });
});
