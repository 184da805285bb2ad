/**
 * `sagebrew local` runs SageMaker's XGBoost image URIs as that version of the image would
 * (SAGEBREW_EMULATE, docs/compatibility.md), tried with the AWS SDK for JavaScript as a SageMaker
 * script would: a job on class-name labels ends as on SageMaker (Completed, every row read as class
 * 0, which its log says), one with a hyperparameter the version lacks fails with the image's
 * ClientError, an older version accepts it, and a tag SageMaker does not publish is refused by
 * CreateTrainingJob.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateTrainingJobCommand,
  type CreateTrainingJobCommandInput,
  DescribeTrainingJobCommand,
  SageMakerClient,
  waitUntilTrainingJobCompletedOrStopped,
} from "@aws-sdk/client-sagemaker";
import { type RunningLocal, startLocal } from "../kit/local.js";

const REGISTRY = "683313688378.dkr.ecr.us-east-1.amazonaws.com";
const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const NAMES = pathToFileURL(fileURLToPath(new URL("../kit/iris.csv", import.meta.url))).href;
const credentials = { accessKeyId: "x", secretAccessKey: "x" };

let work: string;
let local: RunningLocal;
let sm: SageMakerClient;
let logs: CloudWatchLogsClient;

function job(name: string, tag: string, hp: Record<string, string>): CreateTrainingJobCommandInput {
  return {
    TrainingJobName: name,
    RoleArn: ROLE,
    AlgorithmSpecification: {
      TrainingImage: `${REGISTRY}/sagemaker-xgboost:${tag}`,
      TrainingInputMode: "File",
    },
    HyperParameters: hp,
    InputDataConfig: [
      {
        ChannelName: "train",
        ContentType: "text/csv",
        DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: NAMES } },
      },
    ],
    OutputDataConfig: { S3OutputPath: pathToFileURL(join(work, "out")).href },
    ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 5 },
    StoppingCondition: { MaxRuntimeInSeconds: 600 },
  };
}

async function train(name: string, tag: string, hp: Record<string, string>) {
  await sm.send(new CreateTrainingJobCommand(job(name, tag, hp)));
  await waitUntilTrainingJobCompletedOrStopped(
    { client: sm, maxWaitTime: 300, minDelay: 1, maxDelay: 2 },
    { TrainingJobName: name },
  ).catch(() => undefined);
  return sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-emulate-"));
  local = await startLocal(join(work, "state"), {
    env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine"), SAGEBREW_EMULATE: "" },
  });
  const config = { endpoint: local.url, region: "us-east-1", credentials };
  sm = new SageMakerClient(config);
  logs = new CloudWatchLogsClient(config);
});
after(async () => {
  await local?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("sagebrew local runs SageMaker's XGBoost image URIs as the image would", () => {
  it("a job on class-name labels completes as on SageMaker, and its log says every such label is read as 0", async () => {
    const d = await train("names", "1.7-1", { objective: "multi:softprob", num_class: "3", num_round: "3" });
    assert.equal(d.TrainingJobStatus, "Completed", d.FailureReason);
    const stream = `names/algo-1-${Math.floor(d.TrainingStartTime!.getTime() / 1000)}`;
    const events = await logs
      .send(new GetLogEventsCommand({ logGroupName: "/aws/sagemaker/TrainingJobs", logStreamName: stream }))
      .catch(() => undefined);
    const text = (events?.events ?? []).map((e) => e.message).join("\n");
    assert.match(text, /150 labels are not a number \(line 1: "setosa"\)/, text);
  });

  it("a hyperparameter the version does not know fails the job with the image's ClientError; 1.0-1 knows it", async () => {
    const hp = { num_round: "2", silent: "0" };
    const d = await train("silent-17", "1.7-1", hp);
    assert.equal(d.TrainingJobStatus, "Failed");
    assert.equal(d.FailureReason, "ClientError: Extraneous hyperparameter found: silent");
    const old = await train("silent-10", "1.0-1-cpu-py3", hp);
    assert.equal(old.TrainingJobStatus, "Completed", old.FailureReason);
  });

  it("a tag SageMaker does not publish is refused by CreateTrainingJob", async () => {
    await assert.rejects(sm.send(new CreateTrainingJobCommand(job("nine", "9.9-9", { num_round: "2" }))), {
      name: "ValidationException",
      message: new RegExp(
        `^Cannot find the requested image: ${REGISTRY.replaceAll(".", "\\.")}/sagemaker-xgboost:9\\.9-9 with tag: 9\\.9-9 and digest: null\\.`,
      ),
    });
  });
});
