/**
 * A training job whose program leaves a symbolic link to a file of this machine in its model
 * directory (`/opt/ml/model/key -> …/id_rsa`, a 0600 secret) or in `/opt/ml/output/data`: the job
 * fails with a ClientError naming the link, nothing uploaded holds the secret's bytes, and the
 * secret keeps its mode 0600. The link is made by the job's own code, run by `sagebrew local` on
 * the built-in image (a module imported through the job's NODE_OPTIONS, in the host's /opt/ml).
 */
import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import {
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
  waitUntilTrainingJobCompletedOrStopped,
} from "@aws-sdk/client-sagemaker";
import { type LocalSageMaker, startLocalSageMaker } from "../../packages/cli/src/local/sagemaker/index.js";

const IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
const IRIS = pathToFileURL(fileURLToPath(new URL("../kit/iris.csv", import.meta.url))).href;
const SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- sagebrew-test-secret";

let work: string;
let secret: string;
let local: LocalSageMaker;
let sm: SageMakerClient;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-symlinks-"));
  secret = join(work, "id_rsa");
  await writeFile(secret, SECRET);
  await chmod(secret, 0o600);
  local = await startLocalSageMaker({
    port: 0,
    stateDir: join(work, "state"),
    env: { ...process.env, SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") },
    log: () => undefined,
  });
  sm = new SageMakerClient({
    endpoint: local.url,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
});

after(async () => {
  await local?.close();
  await rm(work, { recursive: true, force: true });
});

/** A job whose program, before training, links `link` (relative to its /opt/ml) to the secret. */
async function trainLinking(name: string, link: string) {
  const code = `import{symlinkSync}from'node:fs';symlinkSync(${JSON.stringify(secret)},${JSON.stringify(link)})`;
  await sm.send(
    new CreateTrainingJobCommand({
      TrainingJobName: name,
      RoleArn: "arn:aws:iam::123456789012:role/SageMakerRole",
      AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: "File" },
      HyperParameters: { objective: "multi:softprob", num_class: "3", num_round: "2" },
      Environment: {
        NODE_OPTIONS: `--import=data:text/javascript;base64,${Buffer.from(code).toString("base64")}`,
      },
      InputDataConfig: [
        {
          ChannelName: "train",
          ContentType: "text/csv",
          DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: IRIS } },
        },
      ],
      OutputDataConfig: { S3OutputPath: pathToFileURL(join(work, "out")).href },
      ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 5 },
      StoppingCondition: { MaxRuntimeInSeconds: 600 },
    }),
  );
  await waitUntilTrainingJobCompletedOrStopped(
    { client: sm, maxWaitTime: 300, minDelay: 1, maxDelay: 2 },
    { TrainingJobName: name },
  ).catch(() => undefined);
  return sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
}

/** Everything uploaded under the job's output, archives unpacked to bytes. */
async function uploaded(name: string): Promise<string> {
  let out = "";
  const dir = join(work, "out", name);
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (!e.isFile()) continue;
    const bytes = await readFile(join(e.parentPath, e.name));
    out += (e.name.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("latin1");
  }
  return out;
}

describe("a symbolic link a job leaves to a file of this machine", () => {
  it(
    "in /opt/ml/model fails the job naming it; the secret is neither packed nor chmod-ed",
    {
      timeout: 300_000,
    },
    async () => {
      const d = await trainLinking("model-link", "model/key");
      assert.equal(d.TrainingJobStatus, "Failed", d.FailureReason);
      assert.equal(
        d.FailureReason,
        `ClientError: Cannot upload the training output: /opt/ml/model/key is a symbolic link to ${secret}: sagebrew local uploads regular files only and never follows a link (SageMaker's endpoints cannot extract a model archive holding links); write the file itself there`,
      );
      assert.ok(!(await uploaded("model-link")).includes(SECRET));
      assert.equal((await stat(secret)).mode & 0o777, 0o600);
    },
  );

  it(
    "in /opt/ml/output/data fails the job naming it, the secret not uploaded",
    { timeout: 300_000 },
    async () => {
      const d = await trainLinking("data-link", "output/data/leak");
      assert.equal(d.TrainingJobStatus, "Failed", d.FailureReason);
      assert.match(
        d.FailureReason!,
        /^ClientError: Cannot upload the training output: \/opt\/ml\/output\/data\/leak is a symbolic link to /,
      );
      assert.ok(!(await uploaded("data-link")).includes(SECRET));
      assert.equal((await stat(secret)).mode & 0o777, 0o600);
    },
  );
});
