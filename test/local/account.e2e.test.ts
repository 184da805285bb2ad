/**
 * `sagebrew local --account 111122223333`, through the AWS SDK for JavaScript v3: every ARN it
 * answers (training job, model, endpoint config, endpoint, transform job, log groups and streams)
 * names that account, as STS GetCallerIdentity does; ListTags finds a resource by its ARN and not by
 * the same ARN in another account; a restart on the same state keeps the ARNs, even under another
 * account (new resources name the new one).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  CreateTransformJobCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
  ListTagsCommand,
  SageMakerClient,
  waitUntilEndpointDeleted,
  waitUntilEndpointInService,
  waitUntilTrainingJobCompletedOrStopped,
  waitUntilTransformJobCompletedOrStopped,
} from "@aws-sdk/client-sagemaker";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { type RunningLocal, startLocal } from "../kit/local.js";

const ACCOUNT = "111122223333";
const IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/SageMakerRole`;
const IRIS = pathToFileURL(fileURLToPath(new URL("../kit/iris-numeric.csv", import.meta.url))).href;
const credentials = { accessKeyId: "x", secretAccessKey: "x" };
const waiter = (client: SageMakerClient) => ({ client, maxWaitTime: 300, minDelay: 1, maxDelay: 2 });
const arn = (kind: string, name: string) => `arn:aws:sagemaker:eu-west-1:${ACCOUNT}:${kind}/${name}`;

let work: string;
let local: RunningLocal;
let sm: SageMakerClient;

function clients(url: string) {
  const config = { endpoint: url, region: "eu-west-1", credentials };
  sm = new SageMakerClient(config);
  return {
    rt: new SageMakerRuntimeClient(config),
    logs: new CloudWatchLogsClient(config),
    sts: new STSClient(config),
  };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-account-"));
  local = await startLocal(join(work, "state"), { args: ["--account", ACCOUNT] });
});

after(async () => {
  await local?.stop();
  await rm(work, { recursive: true, force: true });
});

/** The ARNs Describe* answers for every resource made below. */
async function describedArns(): Promise<string[]> {
  return [
    (await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "Iris" }))).TrainingJobArn!,
    (await sm.send(new DescribeModelCommand({ ModelName: "iris" }))).ModelArn!,
    (await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: "iris" }))).EndpointConfigArn!,
    (await sm.send(new DescribeEndpointCommand({ EndpointName: "iris" }))).EndpointArn!,
    (await sm.send(new DescribeTransformJobCommand({ TransformJobName: "iris-batch" }))).TransformJobArn!,
  ];
}

const EXPECTED = [
  arn("training-job", "iris"),
  arn("model", "iris"),
  arn("endpoint-config", "iris"),
  arn("endpoint", "iris"),
  arn("transform-job", "iris-batch"),
];

describe("sagebrew local --account", () => {
  it("names the account in every ARN, finds tags by them, and keeps them across a restart", async () => {
    let { rt, logs, sts } = clients(local.url);
    assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Account, ACCOUNT);

    const created: string[] = [];
    const out = pathToFileURL(join(work, "out")).href;
    created.push(
      (
        await sm.send(
          new CreateTrainingJobCommand({
            TrainingJobName: "Iris",
            RoleArn: ROLE,
            AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: "File" },
            HyperParameters: { objective: "multi:softmax", num_class: "3", num_round: "5" },
            InputDataConfig: [
              {
                ChannelName: "train",
                ContentType: "text/csv",
                DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: IRIS } },
              },
            ],
            OutputDataConfig: { S3OutputPath: out },
            ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 5 },
            StoppingCondition: { MaxRuntimeInSeconds: 600 },
          }),
        )
      ).TrainingJobArn!,
    );
    await waitUntilTrainingJobCompletedOrStopped(waiter(sm), { TrainingJobName: "Iris" });
    const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: "Iris" }));
    assert.equal(job.TrainingJobStatus, "Completed", job.FailureReason);
    created.push(
      (
        await sm.send(
          new CreateModelCommand({
            ModelName: "iris",
            ExecutionRoleArn: ROLE,
            PrimaryContainer: { Image: IMAGE, ModelDataUrl: job.ModelArtifacts!.S3ModelArtifacts! },
          }),
        )
      ).ModelArn!,
    );
    created.push(
      (
        await sm.send(
          new CreateEndpointConfigCommand({
            EndpointConfigName: "iris",
            ProductionVariants: [
              { VariantName: "v", ModelName: "iris", InstanceType: "ml.m5.large", InitialInstanceCount: 1 },
            ],
          }),
        )
      ).EndpointConfigArn!,
    );
    created.push(
      (await sm.send(new CreateEndpointCommand({ EndpointName: "iris", EndpointConfigName: "iris" })))
        .EndpointArn!,
    );
    created.push(
      (
        await sm.send(
          new CreateTransformJobCommand({
            TransformJobName: "iris-batch",
            ModelName: "iris",
            TransformInput: {
              ContentType: "text/csv",
              DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: IRIS } },
            },
            TransformOutput: { S3OutputPath: `${out}/batch` },
            TransformResources: { InstanceType: "ml.m5.large", InstanceCount: 1 },
          }),
        )
      ).TransformJobArn!,
    );
    assert.deepEqual(created, EXPECTED);
    assert.deepEqual(await describedArns(), EXPECTED);

    await waitUntilEndpointInService(waiter(sm), { EndpointName: "iris" });
    // Its input has the labels too, so it fails; it is here for its ARN.
    await waitUntilTransformJobCompletedOrStopped(waiter(sm), { TransformJobName: "iris-batch" }).catch(
      () => undefined,
    );

    // Tags by the ARN the server answered; the same resource in another account is not here.
    await sm.send(new AddTagsCommand({ ResourceArn: EXPECTED[3], Tags: [{ Key: "team", Value: "ml" }] }));
    const elsewhere = EXPECTED[3]!.replace(ACCOUNT, "123456789012");
    await assert.rejects(sm.send(new ListTagsCommand({ ResourceArn: elsewhere })), {
      name: "ValidationException",
      message: `Could not find resource "${elsewhere}".`,
    });

    // The runtime's errors and the log groups' ARNs name it too.
    await assert.rejects(
      rt.send(new InvokeEndpointCommand({ EndpointName: "nope", Body: Buffer.from("1,2,3,4") })),
      { message: `Endpoint nope of account ${ACCOUNT} not found.` },
    );
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/aws/sagemaker/" }));
    assert.ok(groups.logGroups!.length >= 2);
    for (const g of groups.logGroups!) {
      assert.equal(g.arn, `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:${g.logGroupName}:*`);
    }
    const streams = await logs.send(
      new DescribeLogStreamsCommand({ logGroupName: "/aws/sagemaker/TrainingJobs" }),
    );
    assert.match(streams.logStreams![0]!.arn!, new RegExp(`^arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:`));

    // A restart on the same state: the same ARNs, and the tags found by them.
    assert.equal(await local.stop(), 0);
    local = await startLocal(join(work, "state"), { args: ["--account", ACCOUNT] });
    ({ rt, logs, sts } = clients(local.url));
    assert.deepEqual(await describedArns(), EXPECTED);
    assert.deepEqual((await sm.send(new ListTagsCommand({ ResourceArn: EXPECTED[3] }))).Tags, [
      { Key: "team", Value: "ml" },
    ]);
    await sm.send(new DeleteEndpointCommand({ EndpointName: "iris" }));
    await waitUntilEndpointDeleted(waiter(sm), { EndpointName: "iris" });

    // The same state under another account: what was made keeps its ARN and is found by it (not by
    // the same name in the new account); what is made now names the new account.
    assert.equal(await local.stop(), 0);
    local = await startLocal(join(work, "state"));
    ({ sts } = clients(local.url));
    assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Account, "123456789012");
    assert.equal((await sm.send(new DescribeModelCommand({ ModelName: "iris" }))).ModelArn, EXPECTED[1]);
    await sm.send(new AddTagsCommand({ ResourceArn: EXPECTED[1], Tags: [{ Key: "k", Value: "v" }] }));
    assert.deepEqual((await sm.send(new ListTagsCommand({ ResourceArn: EXPECTED[1] }))).Tags, [
      { Key: "k", Value: "v" },
    ]);
    const renamed = EXPECTED[1]!.replace(ACCOUNT, "123456789012");
    await assert.rejects(sm.send(new ListTagsCommand({ ResourceArn: renamed })), {
      message: `Could not find resource "${renamed}".`,
    });
    const again = await sm.send(
      new CreateModelCommand({
        ModelName: "iris-2",
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: job.ModelArtifacts!.S3ModelArtifacts! },
      }),
    );
    assert.equal(again.ModelArn, "arn:aws:sagemaker:eu-west-1:123456789012:model/iris-2");
  });
});
