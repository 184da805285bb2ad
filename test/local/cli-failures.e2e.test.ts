/**
 * sagebrew's SageMaker commands when what they run fails, against a real `sagebrew local`: a
 * training job, a transform job and an endpoint that fail. The command shows the job's (or the
 * container's) log lines as they come, then how it ended: every line of the log streams is printed
 * exactly once — none repeated after the failure, none lost — and the failure reason once.
 */
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CreateModelCommand, SageMakerClient } from "@aws-sdk/client-sagemaker";
import { BUILTIN_XGBOOST_IMAGE, localEnv, sagebrewCli } from "../kit/cli.js";
import { type RunningLocal, startLocal } from "../kit/local.js";
import { IRIS_BUILTIN_DIR } from "../kit/ml-dir.js";

const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };

let local: RunningLocal;
let work: string;

const sagebrew = (args: readonly string[]) =>
  sagebrewCli(args, { env: localEnv(local), cwd: work, timeoutMs: 300_000 });

/** `sagebrew train DIR --instance-type` with SageMaker's built-in XGBoost image, as training job `job`. */
const train = (dir: string, job: string) =>
  sagebrew([
    "train",
    dir,
    "--instance-type",
    "ml.m5.large",
    "--image",
    BUILTIN_XGBOOST_IMAGE,
    "--role",
    ROLE,
    "--job-name",
    job,
  ]);

/** Every event of every stream of `group` under `prefix`, read from sagebrew local's CloudWatch Logs. */
async function streamLines(group: string, prefix: string): Promise<string[]> {
  const logs = new CloudWatchLogsClient({
    endpoint: local.url,
    region: "us-east-1",
    credentials: CREDENTIALS,
  });
  const streams = await logs.send(
    new DescribeLogStreamsCommand({ logGroupName: group, logStreamNamePrefix: prefix }),
  );
  const out: string[] = [];
  for (const s of streams.logStreams ?? []) {
    const events = await logs.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: s.logStreamName!, startFromHead: true }),
    );
    out.push(...(events.events ?? []).map((e) => e.message!));
  }
  return out;
}

/** The log lines a command printed (`[host] message`, on either stream, indented or not). */
function printedLines(r: { stdout: string; stderr: string }): string[] {
  return `${r.stdout}\n${r.stderr}`
    .split("\n")
    .map((l) => /^\s*\[[^\]]+\] (.*)$/.exec(l)?.[1])
    .filter((m): m is string => m !== undefined);
}

/** Each line of the streams printed once, and nothing else printed as a log line. */
function assertEachLineOnce(r: { stdout: string; stderr: string }, streamed: readonly string[]): void {
  assert.ok(streamed.length > 0, "the job wrote log lines");
  assert.deepEqual([...printedLines(r)].sort(), [...streamed].sort(), `${r.stdout}\n${r.stderr}`);
}

const count = (text: string, re: RegExp) => (text.match(new RegExp(re, "gm")) ?? []).length;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-cli-failures-"));
  local = await startLocal(join(work, "state"), {
    env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") },
  });
});

after(async () => {
  await local?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test("a training job that fails: its log lines once, as they came, then its FailureReason once", async () => {
  const dir = join(work, "bad_dir");
  await cp(IRIS_BUILTIN_DIR, dir, { recursive: true });
  const hp = JSON.parse(await readFile(join(dir, "input", "config", "hyperparameters.json"), "utf8"));
  await writeFile(
    join(dir, "input", "config", "hyperparameters.json"),
    JSON.stringify({ ...hp, max_depth: "-4" }),
  );
  const r = await train("bad_dir", "iris-bad");
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /^training job iris-bad: Failed$/m);
  assert.equal(count(r.stderr, /^ {2}FailureReason: ClientError: Hyperparameter max_depth/), 1);
  assertEachLineOnce(r, await streamLines("/aws/sagemaker/TrainingJobs", "iris-bad/"));
});

test("a transform job that fails: the instance's log lines once, then its FailureReason once", async () => {
  await cp(IRIS_BUILTIN_DIR, join(work, "good_dir"), { recursive: true });
  const trained = await train("good_dir", "iris-good");
  assert.equal(trained.code, 0, `${trained.stdout}\n${trained.stderr}`);
  const artifact = /^ {2}model: (s3:\/\/\S+)$/m.exec(trained.stdout)![1]!;
  const sm = new SageMakerClient({ endpoint: local.url, region: "us-east-1", credentials: CREDENTIALS });
  await sm.send(
    new CreateModelCommand({
      ModelName: "iris-model",
      PrimaryContainer: { Image: BUILTIN_XGBOOST_IMAGE, ModelDataUrl: artifact },
      ExecutionRoleArn: ROLE,
    }),
  );
  await mkdir(join(work, "narrow"));
  // Two columns for a model of four: the model's server answers 400 and the job fails.
  await writeFile(join(work, "narrow", "rows.csv"), "1,2\n3,4\n");
  const r = await sagebrew([
    ...["transform", "narrow", "--model-name", "iris-model", "--instance-type", "ml.m5.large"],
    ...["--job-name", "narrow-bad"],
  ]);
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /^transform job narrow-bad: Failed$/m);
  assert.equal(count(r.stderr, /^ {2}FailureReason: ClientError: /), 1);
  assertEachLineOnce(r, await streamLines("/aws/sagemaker/TransformJobs", "narrow-bad/"));
});

test("an endpoint that fails: the container's log lines once, its FailureReason once, and what to do", async () => {
  await mkdir(join(work, "garbage"));
  await writeFile(join(work, "garbage", "xgboost-model"), "not a model\n");
  const r = await sagebrew([
    ...["deploy", "garbage", "--name", "broken", "--image", BUILTIN_XGBOOST_IMAGE, "--role", ROLE],
    ...["--instance-type", "ml.m5.large"],
  ]);
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.equal(count(r.stderr, /^endpoint broken Failed: .*did not pass the ping health check/), 1);
  assert.match(r.stderr, /^what to do: the model did not load /m);
  // The load error is a log line (shown as it came) and part of sagebrew local's reason: twice in
  // all, not a third time in the advice.
  assert.equal(count(`${r.stdout}\n${r.stderr}`, /serve: Cannot load model/), 2);
  assertEachLineOnce(r, await streamLines("/aws/sagemaker/Endpoints/broken", "AllTraffic/"));
});
