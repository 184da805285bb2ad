/**
 * `sagebrew train --instance-type` on a terminal, as a user sees it (stdout and stderr on one
 * screen): the channel's upload as a bar and each host's log lines with a coloured prefix; with
 * --plain, lines only, appended, no escape at all. Against a loopback server speaking SageMaker's
 * protocol, whose two-host job logs a line per host and completes, and sagebrew local's S3 for the
 * channel's upload.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { type FakeAws, startFakeAws, useFakeAwsEnv } from "../../../../test/kit/fake-aws.js";
import { fakeTerminal } from "../../../../test/kit/terminal.js";
import { openLocalS3 } from "../local/s3/index.js";
import { main } from "../main.js";

const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/iris@sha256:${"d".repeat(64)}`;
const ESC = "\u001b";

let fake: FakeAws;
let s3Server: Server;
let work: string;
let dir: string;
before(async () => {
  fake = await startFakeAws();
  work = await mkdtemp(join(tmpdir(), "sagebrew-train-terminal-"));
  const s3 = await openLocalS3({ dir: join(work, "s3"), account: "123456789012", warn: () => {} });
  s3Server = createServer((req, res) => s3.handle(req, res, { region: "us-east-1" }));
  await new Promise<void>((r) => s3Server.listen(0, "127.0.0.1", r));
  const s3Url = `http://127.0.0.1:${(s3Server.address() as AddressInfo).port}`;
  useFakeAwsEnv(fake, { AWS_ENDPOINT_URL_S3: s3Url });
  await new S3Client({}).send(new CreateBucketCommand({ Bucket: "sagebrew-test" }));
  dir = join(work, "job");
  await mkdir(join(dir, "input", "config"), { recursive: true });
  await mkdir(join(dir, "input", "data", "train"), { recursive: true });
  await writeFile(join(dir, "input", "config", "hyperparameters.json"), JSON.stringify({ num_round: "2" }));
  await writeFile(join(dir, "input", "data", "train", "train.csv"), "0,5.1,3.5,1.4,0.2\n1,7.0,3.2,4.7,1.4\n");
});
after(async () => {
  await fake?.stop();
  if (s3Server) await new Promise<void>((r) => s3Server.close(() => r()));
  if (work) await rm(work, { recursive: true, force: true });
});

beforeEach(() => {
  fake.on("SageMaker.CreateTrainingJob", (input) => {
    const name = String(input.TrainingJobName);
    const t = Date.UTC(2026, 0, 1);
    fake.logs.put("/aws/sagemaker/TrainingJobs", `${name}/algo-1-1700000000`, [
      { timestamp: t, message: "[0]\ttrain-mlogloss:0.74" },
    ]);
    fake.logs.put("/aws/sagemaker/TrainingJobs", `${name}/algo-2-1700000000`, [
      { timestamp: t + 1, message: "worker algo-2 joined" },
    ]);
    fake.on("SageMaker.DescribeTrainingJob", () => ({
      TrainingJobName: name,
      TrainingJobArn: `arn:aws:sagemaker:us-east-1:123456789012:training-job/${name}`,
      TrainingJobStatus: "Completed",
      SecondaryStatus: "Completed",
      ResourceConfig: { InstanceType: "ml.m5.xlarge", InstanceCount: 2, VolumeSizeInGB: 30 },
      AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: "File" },
      RoleArn: ROLE,
      CreationTime: new Date(),
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    }));
    return { TrainingJobArn: `arn:aws:sagemaker:us-east-1:123456789012:training-job/${name}` };
  });
});

/** `sagebrew train DIR --instance-type … [extra]` on a fake terminal, as job `name`. */
async function trainOnTerminal(name: string, extra: readonly string[]) {
  const t = fakeTerminal({ cwd: work, env: { SAGEBREW_POLL_SECONDS: "0.01" }, columns: 160 });
  const code = await main(
    [
      "train",
      dir,
      "--instance-type",
      "ml.m5.xlarge",
      "--instance-count",
      "2",
      "--image",
      IMAGE,
      "--role",
      ROLE,
      "--bucket",
      "sagebrew-test",
      "--output-s3",
      "s3://sagebrew-test/out",
      "--job-name",
      name,
      ...extra,
    ],
    t.io,
  );
  return { code, screen: t.screen(), raw: t.raw() };
}

describe("sagebrew train --instance-type on a terminal", () => {
  it("shows the upload as a bar and each host's prefix in its colour", async () => {
    const r = await trainOnTerminal("iris-tty", []);
    const all = r.screen.join("\n");
    assert.equal(r.code, 0, all);
    assert.ok(r.raw.includes(`\r${ESC}[2K[`), "the upload's bar");
    assert.ok(r.raw.includes(`${ESC}[32m[algo-1]${ESC}[0m`), "algo-1's prefix in colour");
    assert.ok(r.raw.includes(`${ESC}[33m[algo-2]${ESC}[0m`), "algo-2's prefix in another");
    // The bar is erased before the next line: on screen, lines only.
    assert.ok(
      r.screen.some((l) => l.startsWith("channel train: 1 file(s) uploaded")),
      all,
    );
    assert.ok(!r.screen.some((l) => l.startsWith("[#")), all);
    assert.ok(r.screen.includes("[algo-1] [0]\ttrain-mlogloss:0.74"), all);
  });

  it("with --plain, only appends lines: no escape, no colour, no bar", async () => {
    const r = await trainOnTerminal("iris-plain", ["--plain"]);
    const all = r.screen.join("\n");
    assert.equal(r.code, 0, all);
    assert.ok(!r.raw.includes(ESC), `no escape in ${JSON.stringify(r.raw)}`);
    assert.equal(all, r.raw.trimEnd());
    assert.ok(
      r.screen.some((l) => l.startsWith("channel train: ")),
      all,
    );
    assert.ok(r.screen.includes("[algo-1] [0]\ttrain-mlogloss:0.74"), all);
    assert.ok(r.screen.includes("[algo-2] worker algo-2 joined"), all);
    assert.ok(r.screen.includes("training job iris-plain: Completed"), all);
  });
});
