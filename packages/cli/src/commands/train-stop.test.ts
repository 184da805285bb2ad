/**
 * Ctrl-C while `sagebrew train --instance-type` waits, then `[s]top` on the terminal: the command
 * stops the job and waits until it is Stopped (SageMaker gives the container up to 2 minutes), then
 * says so once, naming no model — against a loopback server speaking SageMaker's protocol whose
 * job is InProgress until StopTrainingJob, then Stopping, then Stopped.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, test } from "node:test";
import { type FakeAws, startFakeAws, useFakeAwsEnv } from "../../../../test/kit/fake-aws.js";
import { main } from "../main.js";

const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/iris@sha256:${"d".repeat(64)}`;

let fake: FakeAws;
let work: string;
before(async () => {
  fake = await startFakeAws();
  useFakeAwsEnv(fake);
  work = await mkdtemp(join(tmpdir(), "sagebrew-train-stop-"));
});
after(async () => {
  await fake?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test("[s]top after Ctrl-C waits until the job is Stopped, says it once, and names no model", async () => {
  let stopped = 0;
  let name = "";
  fake.on("SageMaker.CreateTrainingJob", (input) => {
    name = String(input.TrainingJobName);
    return { TrainingJobArn: `arn:aws:sagemaker:us-east-1:123456789012:training-job/${name}` };
  });
  fake.on("SageMaker.StopTrainingJob", () => {
    stopped = 1;
    return {};
  });
  fake.on("SageMaker.DescribeTrainingJob", () => {
    // Stopping for two polls after StopTrainingJob, then Stopped.
    const status = stopped === 0 ? "InProgress" : stopped++ < 3 ? "Stopping" : "Stopped";
    return {
      TrainingJobName: name,
      TrainingJobArn: `arn:aws:sagemaker:us-east-1:123456789012:training-job/${name}`,
      TrainingJobStatus: status,
      SecondaryStatus: status === "InProgress" ? "Training" : status,
      ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 30 },
      AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: "File" },
      RoleArn: ROLE,
      CreationTime: new Date(),
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      // SageMaker names where the model would have gone, also for a job that did not finish.
      ModelArtifacts: { S3ModelArtifacts: `s3://b/out/${name}/output/model.tar.gz` },
    };
  });
  const dir = join(work, "job");
  await mkdir(join(dir, "input", "config"), { recursive: true });
  await writeFile(join(dir, "input", "config", "hyperparameters.json"), JSON.stringify({ num_round: "5" }));

  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => {
    out += d;
  });
  stderr.on("data", (d) => {
    err += d;
  });
  const running = main(
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
      "train=s3://b/iris/train/",
      "--output-s3",
      "s3://b/out",
      "--job-name",
      "iris-stop",
    ],
    { stdout, stderr, stdin, env: { SAGEBREW_POLL_SECONDS: "0.05" }, cwd: work },
  );
  const until = async (ok: () => boolean, what: string) => {
    for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(ok(), `${what}; stderr so far: ${err}`);
  };
  await until(
    () => fake.calls.some((c) => c.target === "SageMaker.DescribeTrainingJob"),
    "the job is polled",
  );
  process.emit("SIGINT");
  await until(() => err.includes("[s]top it or [l]eave it running?"), "the command asks");
  stdin.write("s\n");
  const code = await running;
  assert.equal(code, 1, err);
  assert.match(err, /stopping training job iris-stop .*; waiting for Stopped\n/);
  assert.ok(fake.calls.filter((c) => c.target === "SageMaker.StopTrainingJob").length === 1);
  const all = out + err;
  assert.equal((all.match(/training job iris-stop: Stopped/g) ?? []).length, 1, all);
  assert.doesNotMatch(all, /model: s3:/, "a stopped job names no model");
});
