/**
 * Status sequences moto cannot give (it makes everything InService or Completed at once), from a
 * loopback server that speaks the same JSON protocol, reached by the real SDK clients through
 * AWS_ENDPOINT_URL_SAGEMAKER and AWS_ENDPOINT_URL_CLOUDWATCH_LOGS.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  AwsFault,
  type FakeAws,
  type InvokeAnswer,
  startFakeAws,
  useFakeAwsEnv,
} from "../../../../test/kit/fake-aws.js";
import { type AwsClients, type LogLine, type Reporter, sdkClients } from "./context.js";
import { deploy } from "./deploy.js";
import { LogTail } from "./log-tail.js";

const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/iris@sha256:" + "b".repeat(64);

let fake: FakeAws;
let clients: AwsClients;

before(async () => {
  fake = await startFakeAws();
  useFakeAwsEnv(fake);
  clients = sdkClients();
});
after(() => fake?.stop());

function recorder(): Reporter & { lines: string[]; logs: LogLine[] } {
  const lines: string[] = [];
  const logs: LogLine[] = [];
  return { lines, logs, info: (l) => lines.push(l), log: (l) => logs.push(l) };
}

/** An endpoint whose DescribeEndpoint answers walk through `statuses` (the last one repeats). */
function scriptEndpoint(
  name: string,
  statuses: readonly { status: string; reason?: string; config?: string }[],
  onPoll?: (poll: number) => void,
): void {
  let config = "";
  let polls = 0;
  fake.on("SageMaker.CreateModel", () => ({ ModelArn: "arn:model" }));
  fake.on("SageMaker.CreateEndpointConfig", (i) => {
    config = String(i.EndpointConfigName);
    return { EndpointConfigArn: "arn:config" };
  });
  fake.on("SageMaker.DeleteEndpointConfig", () => ({}));
  fake.on("SageMaker.DeleteModel", () => ({}));
  fake.on("SageMaker.CreateEndpoint", () => {
    fake.on("SageMaker.DescribeEndpoint", () => {
      onPoll?.(polls);
      const s = statuses[Math.min(polls++, statuses.length - 1)]!;
      return {
        EndpointName: name,
        EndpointArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${name}`,
        EndpointConfigName: s.config ?? config,
        EndpointStatus: s.status,
        ...(s.reason ? { FailureReason: s.reason } : {}),
        CreationTime: new Date(),
        LastModifiedTime: new Date(),
      };
    });
    return { EndpointArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${name}` };
  });
  fake.on(
    "SageMaker.DescribeEndpoint",
    () => new AwsFault("ValidationException", `Could not find endpoint "${name}".`),
  );
}

test("deploy(): Creating → Failed prints SageMaker's reason verbatim, the container's last log lines (a stream that appeared late) and points at `sagebrew doctor`", async () => {
  const reason =
    "The primary container for production variant AllTraffic did not pass the ping health check. Please check CloudWatch logs for this endpoint.";
  const group = "/aws/sagemaker/Endpoints/iris-fail";
  const t = Date.now();
  scriptEndpoint(
    "iris-fail",
    [{ status: "Creating" }, { status: "Creating" }, { status: "Creating" }, { status: "Failed", reason }],
    (poll) => {
      // The container's stream shows up only on the third poll.
      if (poll === 2) {
        fake.logs.put(group, "AllTraffic/i-0abc", [
          { timestamp: t, message: "Loading model from /opt/ml/model" },
          { timestamp: t + 1, message: "Error: Cannot load XGBoost: no libxgboost found" },
        ]);
      }
    },
  );
  const r = recorder();
  const result = await deploy(
    clients,
    {
      name: "iris-fail",
      model: { kind: "s3", uri: "s3://b/model.tar.gz" },
      image: IMAGE,
      role: ROLE,
      pollSeconds: 0.02,
    },
    r,
  );
  assert.equal(result.outcome, "failed");
  assert.equal(result.status, "Failed");
  assert.equal(result.failureReason, reason);
  assert.match(result.advice ?? "", /sagebrew doctor/);
  assert.deepEqual(
    result.lastLogLines?.map((l) => `${l.source} ${l.message}`),
    ["i-0abc Loading model from /opt/ml/model", "i-0abc Error: Cannot load XGBoost: no libxgboost found"],
  );
  assert.deepEqual(
    r.logs.map((l) => l.message),
    ["Loading model from /opt/ml/model", "Error: Cannot load XGBoost: no libxgboost found"],
    "each line is shown once, as it arrives",
  );
  assert.deepEqual(
    r.lines.filter((l) => l.startsWith("endpoint iris-fail:")),
    ["endpoint iris-fail: Creating", "endpoint iris-fail: Failed"],
  );
});

test("deploy(): Creating → InService shows the endpoint's log lines once each, in time order across instances", async () => {
  const group = "/aws/sagemaker/Endpoints/iris-ok";
  const t = Date.now();
  fake.logs.put(group, "AllTraffic/i-1", [
    { timestamp: t, message: "a1" },
    { timestamp: t + 5, message: "a2" },
  ]);
  fake.logs.put(group, "AllTraffic/i-2", [{ timestamp: t + 2, message: "b1" }]);
  scriptEndpoint("iris-ok", [{ status: "Creating" }, { status: "InService" }]);
  const r = recorder();
  const result = await deploy(
    clients,
    {
      name: "iris-ok",
      model: { kind: "s3", uri: "s3://b/model.tar.gz" },
      image: IMAGE,
      role: ROLE,
      pollSeconds: 0.02,
    },
    r,
  );
  assert.equal(result.outcome, "in-service");
  assert.deepEqual(
    r.logs.map((l) => `${l.source}:${l.message}`),
    ["i-1:a1", "i-2:b1", "i-1:a2"],
  );
});

test("deploy(): the wait is bounded: still Creating when it runs out says timeout and leaves the endpoint", async () => {
  scriptEndpoint("iris-slow", [{ status: "Creating" }]);
  const result = await deploy(
    clients,
    {
      name: "iris-slow",
      model: { kind: "s3", uri: "s3://b/model.tar.gz" },
      image: IMAGE,
      role: ROLE,
      pollSeconds: 0.02,
      waitSeconds: 0.1,
    },
    recorder(),
  );
  assert.equal(result.outcome, "timeout");
  assert.equal(result.status, "Creating");
  assert.ok(!fake.calls.some((c) => c.target === "SageMaker.DeleteEndpoint"));
});

test("deploy(): an update that SageMaker rolls back is a failure with its reason, and the previous deployment is kept", async () => {
  const reason = "Request to service failed. If failure persists after retry, contact customer support.";
  let described = 0;
  fake.on("SageMaker.CreateModel", () => ({}));
  fake.on("SageMaker.CreateEndpointConfig", () => ({}));
  fake.on("SageMaker.UpdateEndpoint", () => ({ EndpointArn: "arn:e" }));
  const seq = [
    { EndpointStatus: "InService", EndpointConfigName: "old-config" },
    { EndpointStatus: "Updating", EndpointConfigName: "old-config" },
    { EndpointStatus: "RollingBack", EndpointConfigName: "old-config" },
    { EndpointStatus: "InService", EndpointConfigName: "old-config", FailureReason: reason },
  ];
  fake.on("SageMaker.DescribeEndpoint", () => ({
    EndpointName: "iris-up",
    EndpointArn: "arn:e",
    CreationTime: new Date(),
    LastModifiedTime: new Date(),
    ...seq[Math.min(described++, seq.length - 1)],
  }));
  const before = fake.calls.length;
  const result = await deploy(
    clients,
    {
      name: "iris-up",
      model: { kind: "s3", uri: "s3://b/model.tar.gz" },
      image: IMAGE,
      role: ROLE,
      pollSeconds: 0.02,
    },
    recorder(),
  );
  assert.equal(result.action, "updated");
  assert.equal(result.outcome, "failed");
  assert.equal(result.status, "RolledBack");
  assert.equal(result.failureReason, reason);
  const targets = fake.calls.slice(before).map((c) => c.target);
  assert.ok(targets.includes("SageMaker.UpdateEndpoint"));
  assert.ok(!targets.includes("SageMaker.DeleteEndpointConfig"), "the running config is not removed");
});

test("LogTail: events sharing a millisecond across pages are neither lost nor repeated", async () => {
  const t = 1_700_000_000_000;
  fake.logs.pageSize = 2;
  fake.logs.put("/g", "job/algo-1-1700000000", [
    { timestamp: t, message: "1" },
    { timestamp: t, message: "2" },
    { timestamp: t, message: "3" },
  ]);
  const tail = new LogTail(clients.logs, "/g", "job/");
  assert.deepEqual(
    (await tail.poll()).map((l) => `${l.source}:${l.message}`),
    ["algo-1:1", "algo-1:2", "algo-1:3"],
  );
  fake.logs.put("/g", "job/algo-1-1700000000", [{ timestamp: t, message: "4" }]);
  fake.logs.put("/g", "job/algo-2-1700000001", [{ timestamp: t, message: "x" }]);
  assert.deepEqual(
    (await tail.poll()).map((l) => `${l.source}:${l.message}`),
    ["algo-1:4", "algo-2:x"],
  );
  assert.deepEqual(await tail.poll(), []);
});

test("a transform job InProgress → Failed: FailureReason verbatim and the instance's last lines; `logs --follow` of it ends with the job", async () => {
  const reason = "ClientError: See job logs for more information";
  let polls = 0;
  const t = Date.now();
  fake.on("SageMaker.DescribeModel", (i) => ({
    ModelName: i.ModelName,
    ModelArn: "arn:m",
    CreationTime: new Date(),
  }));
  fake.on("SageMaker.CreateTransformJob", (input) => {
    const name = String(input.TransformJobName);
    fake.on("SageMaker.DescribeTransformJob", () => {
      polls++;
      if (polls === 2) {
        fake.logs.put("/aws/sagemaker/TransformJobs", `${name}/i-0abc-1700000000`, [
          { timestamp: t, message: "POST /invocations 400" },
          { timestamp: t + 1, message: "Cannot parse CSV: expected 4 columns, got 3" },
        ]);
      }
      return {
        TransformJobName: name,
        TransformJobArn: `arn:aws:sagemaker:us-east-1:123456789012:transform-job/${name}`,
        TransformJobStatus: polls < 3 ? "InProgress" : "Failed",
        ...(polls >= 3 ? { FailureReason: reason } : {}),
        ModelName: "iris-model",
        TransformInput: { DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: "s3://b/in/" } } },
        TransformOutput: { S3OutputPath: "s3://b/out/" },
        TransformResources: { InstanceType: "ml.m5.large", InstanceCount: 1 },
        CreationTime: new Date(),
      };
    });
    return { TransformJobArn: "arn:t" };
  });
  const { runTransformJob } = await import("./transform-job.js");
  const r = recorder();
  const result = await runTransformJob(
    clients,
    {
      input: "s3://b/in/",
      outputS3Uri: "s3://b/out/",
      modelName: "iris-model",
      instanceType: "ml.m5.large",
      splitType: "Line",
      pollSeconds: 0.02,
    },
    r,
  );
  assert.equal(result.outcome, "failed");
  assert.equal(result.failureReason, reason);
  assert.deepEqual(
    result.lastLogLines.map((l) => `[${l.source}] ${l.message}`),
    ["[i-0abc] POST /invocations 400", "[i-0abc] Cannot parse CSV: expected 4 columns, got 3"],
  );
  const create = fake.calls.find((c) => c.target === "SageMaker.CreateTransformJob")?.input as {
    TransformInput: { SplitType: string; ContentType: string };
    TransformOutput: { AssembleWith: string };
  };
  assert.equal(create.TransformInput.SplitType, "Line");
  assert.equal(create.TransformInput.ContentType, "text/csv");

  // Following it again reads its lines from the start and ends with its status.
  const { findLogSource, followLogs } = await import("./logs.js");
  fake.on(
    "SageMaker.DescribeTrainingJob",
    () => new AwsFault("ValidationException", "Requested resource not found."),
  );
  const source = await findLogSource(clients, result.jobName);
  assert.deepEqual(source, { kind: "transform-job", name: result.jobName, status: "Failed" });
  const followed = recorder();
  const status = await followLogs(clients, source, { pollSeconds: 0.02, reporter: followed });
  assert.equal(status, "Failed");
  assert.deepEqual(
    followed.logs.map((l) => l.message),
    ["POST /invocations 400", "Cannot parse CSV: expected 4 columns, got 3"],
  );
});

test("`predict --endpoint` prints as `predict --url` does; a ModelError (424) shows the container's own status and message", async () => {
  const { main } = await import("../main.js");
  const { PassThrough } = await import("node:stream");
  const { writeFile, mkdtemp } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = await mkdtemp(join(tmpdir(), "sagebrew-predict-"));
  await writeFile(join(dir, "payload.csv"), "5.1,3.5,1.4,0.2\n");
  const capture = () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const text = { out: "", err: "" };
    out.on("data", (d) => {
      text.out += d;
    });
    err.on("data", (d) => {
      text.err += d;
    });
    return { io: { stdout: out, stderr: err, env: process.env, cwd: dir }, text };
  };
  fake.onInvoke(
    (call): InvokeAnswer =>
      call.headers["x-amzn-sagemaker-target-variant"] === "Broken"
        ? {
            status: 424,
            headers: { "x-amzn-errortype": "ModelError", "content-type": "application/json" },
            body: JSON.stringify({
              OriginalStatusCode: 400,
              OriginalMessage:
                "Cannot decode text/csv: the model expects 4 features per row, the request body has 3",
              LogStreamArn: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/iris",
              message: "Received client error (400) from primary with message ...",
            }),
          }
        : {
            status: 200,
            headers: {
              "content-type": "text/csv",
              "x-amzn-invoked-production-variant": "AllTraffic",
              "x-amzn-sagemaker-custom-attributes": "trace=1",
            },
            body: "setosa\n",
          },
  );
  const ok = capture();
  assert.equal(
    await main(
      [
        "predict",
        "payload.csv",
        "--endpoint",
        "iris",
        "--custom-attributes",
        "trace=1",
        "--accept",
        "text/csv",
      ],
      ok.io,
    ),
    0,
  );
  assert.equal(ok.text.out, "setosa\n");
  assert.match(
    ok.text.err,
    /^200 OK · text\/csv · 7 bytes · [\d.]+ ms · custom attributes: trace=1 · variant AllTraffic\n$/,
  );
  const sent = fake.invocations.at(-1)!;
  assert.equal(sent.endpoint, "iris");
  assert.equal(sent.body.toString(), "5.1,3.5,1.4,0.2\n");
  assert.equal(sent.headers["content-type"], "text/csv");
  assert.equal(sent.headers.accept, "text/csv");
  assert.equal(sent.headers["x-amzn-sagemaker-custom-attributes"], "trace=1");

  const bad = capture();
  assert.equal(
    await main(["predict", "payload.csv", "--endpoint", "iris", "--target-variant", "Broken"], bad.io),
    1,
  );
  assert.equal(
    bad.text.out,
    "Cannot decode text/csv: the model expects 4 features per row, the request body has 3\n",
  );
  assert.match(
    bad.text.err,
    /^424 ModelError · no Content-Type · 84 bytes · [\d.]+ ms · ModelError: the container answered 400 Bad Request · log stream arn:aws:logs:us-east-1:123456789012:log-group:\/aws\/sagemaker\/Endpoints\/iris\n$/,
  );
});
