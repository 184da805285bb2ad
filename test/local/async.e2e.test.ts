/**
 * Asynchronous and serverless endpoints of `sagebrew local` (the CLI, on a free port, with its own
 * S3), driven by the AWS SDK for JavaScript v3 as a user drives SageMaker: InvokeEndpointAsyncCommand
 * with the input in S3 and the answer read back from S3; a container that records how many
 * requests it holds at once, to show MaxConcurrentInvocationsPerInstance never exceeded (and
 * reached) on two instances; the failure object of a container error and of a timeout; a serverless
 * endpoint throttling beyond its MaxConcurrency and described as SageMaker describes one; and a
 * kill -9 of `sagebrew local` with invocations queued and one running: after the restart all of
 * them are answered, the cut one run again.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  type DescribeEndpointCommandOutput,
  type ProductionVariant,
  SageMakerClient,
  waitUntilEndpointInService,
} from "@aws-sdk/client-sagemaker";
import {
  InvokeEndpointAsyncCommand,
  InvokeEndpointCommand,
  SageMakerRuntimeClient,
} from "@aws-sdk/client-sagemaker-runtime";
import { packModelArchive } from "../../packages/cli/src/local/model-archive.js";
import { type RunningLocal, startLocal } from "../kit/local.js";

const IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const BUCKET = "async-e2e";

/**
 * A handler that records, per process, how many requests it holds at once (`most`), and answers by
 * what the body asks: `pair…` waits (up to 2 s) for a second request beside it, `hold…` until the
 * file `release` exists, `fail` with a 500, `hang` never. Every arrival is logged to `arrived.log`.
 */
const RECORDER = `
import { appendFileSync, existsSync } from "node:fs";
const dir = process.env.RECORDER_DIR;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let cur = 0;
let most = 0;
export default {
  name: "recorder",
  load: () => ({}),
  async transform(model, body) {
    const text = Buffer.from(body).toString();
    appendFileSync(dir + "/arrived.log", process.pid + " " + text + "\\n");
    if (text === "fail") return { status: 500, body: "the model refuses fail", contentType: "text/plain" };
    if (text === "hang") await new Promise(() => {});
    cur++;
    most = Math.max(most, cur);
    try {
      if (text.startsWith("hold")) while (!existsSync(dir + "/release")) await sleep(20);
      if (text.startsWith("pair")) for (let i = 0; i < 100 && cur < 2; i++) await sleep(20);
      return { body: JSON.stringify({ pid: process.pid, most, text }), contentType: "application/json" };
    } finally {
      cur--;
    }
  },
};
`;

let work: string;
let state: string;
let local: RunningLocal;
let sm: SageMakerClient;
let rt: SageMakerRuntimeClient;
let s3: S3Client;
let cw: CloudWatchLogsClient;

function clients(url: string): void {
  const config = {
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  };
  sm = new SageMakerClient(config);
  // Every answer is seen as it comes (the SDK would retry a ThrottlingException by itself).
  rt = new SageMakerRuntimeClient({ ...config, maxAttempts: 1 });
  s3 = new S3Client({ ...config, forcePathStyle: true });
  cw = new CloudWatchLogsClient(config);
}

async function put(key: string, body: string): Promise<string> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  return `s3://${BUCKET}/${key}`;
}

/** The object at an `s3://` URI, or undefined while there is none. */
async function read(uri: string): Promise<{ body: string; contentType: string | undefined } | undefined> {
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!;
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { body: await r.Body!.transformToString(), contentType: r.ContentType };
  } catch (e) {
    if ((e as Error).name === "NoSuchKey") return undefined;
    throw e;
  }
}

/**
 * What became of an asynchronous invocation, as the SageMaker Python SDK's AsyncInferenceResponse
 * finds out: polls its output and failure locations (bounded) until one of them exists.
 */
async function outcome(r: { OutputLocation?: string; FailureLocation?: string }) {
  for (let i = 0; i < 1200; i++) {
    const out = await read(r.OutputLocation!);
    if (out) return { ok: true, ...out };
    const failed = await read(r.FailureLocation!);
    if (failed) return { ok: false, ...failed };
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`neither ${r.OutputLocation} nor ${r.FailureLocation} was written within 120 s`);
}

/** The answer an invocation wrote (failing the test with its failure object when it failed). */
async function answer(r: { OutputLocation?: string; FailureLocation?: string }) {
  const o = await outcome(r);
  assert.ok(o.ok, `the invocation failed: ${o.body}`);
  return o;
}

async function endpoint(
  name: string,
  variant: Partial<ProductionVariant>,
  extra: Record<string, unknown> = {},
): Promise<DescribeEndpointCommandOutput> {
  await sm.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [{ VariantName: "AllTraffic", ModelName: "recorder", ...variant }],
      ...extra,
    }),
  );
  await sm.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
  await waitUntilEndpointInService(
    { client: sm, maxWaitTime: 300, minDelay: 1, maxDelay: 2 },
    { EndpointName: name },
  ).catch(() => undefined);
  const d = await sm.send(new DescribeEndpointCommand({ EndpointName: name }));
  assert.equal(d.EndpointStatus, "InService", d.FailureReason);
  return d;
}

const asyncConfig = (perInstance: number) => ({
  AsyncInferenceConfig: {
    OutputConfig: { S3OutputPath: `s3://${BUCKET}/out`, S3FailurePath: `s3://${BUCKET}/failures` },
    ClientConfig: { MaxConcurrentInvocationsPerInstance: perInstance },
  },
});

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error("expected a failure");
}

async function arrivals(): Promise<string[]> {
  const text = await readFile(join(work, "recorder", "arrived.log"), "utf8").catch(() => "");
  return text.split("\n").filter(Boolean);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-async-"));
  state = join(work, "state");
  await mkdir(join(work, "recorder"));
  local = await startLocal(state, {
    env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine"), AWS_ENDPOINT_URL_S3: "" },
  });
  clients(local.url);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const src = join(work, "recorder-src");
  await mkdir(join(src, "code"), { recursive: true });
  await writeFile(join(src, "code", "handler.mjs"), RECORDER);
  await packModelArchive(src, join(work, "recorder.tar.gz"));
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: "models/recorder.tar.gz",
      Body: await readFile(join(work, "recorder.tar.gz")),
    }),
  );
  await sm.send(
    new CreateModelCommand({
      ModelName: "recorder",
      ExecutionRoleArn: ROLE,
      PrimaryContainer: {
        Image: IMAGE,
        ModelDataUrl: `s3://${BUCKET}/models/recorder.tar.gz`,
        Environment: { RECORDER_DIR: join(work, "recorder") },
      },
    }),
  );
});

after(async () => {
  await local?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("asynchronous and serverless endpoints through the AWS SDK for JavaScript", () => {
  it("answers InvokeEndpointAsync with 202 and writes the answer to S3; DescribeEndpoint shows the async config", async () => {
    const d = await endpoint(
      "recorder-async",
      { InstanceType: "ml.m5.large", InitialInstanceCount: 2 },
      asyncConfig(2),
    );
    assert.deepEqual(d.AsyncInferenceConfig?.ClientConfig, { MaxConcurrentInvocationsPerInstance: 2 });
    const r = await rt.send(
      new InvokeEndpointAsyncCommand({
        EndpointName: "recorder-async",
        ContentType: "text/csv",
        InputLocation: await put("in/one.txt", "hello"),
      }),
    );
    assert.equal(r.$metadata.httpStatusCode, 202);
    assert.match(r.OutputLocation!, /^s3:\/\/async-e2e\/out\/[0-9a-f-]{36}\.out$/);
    assert.equal(r.OutputLocation, `s3://${BUCKET}/out/${r.InferenceId}.out`);
    assert.equal(r.FailureLocation, `s3://${BUCKET}/failures/${r.InferenceId}-error.out`);
    const out = await answer(r);
    assert.equal(JSON.parse(out.body).text, "hello");
    assert.equal(out.contentType, "application/json");
    // A real-time invocation of it is refused.
    const e = await failure(
      rt.send(
        new InvokeEndpointCommand({
          EndpointName: "recorder-async",
          ContentType: "text/csv",
          Body: Buffer.from("x"),
        }),
      ),
    );
    assert.equal(e.name, "ValidationError");
  });

  it("never gives a container more than MaxConcurrentInvocationsPerInstance, and fills each", async () => {
    const submitted = [];
    for (let i = 0; i < 12; i++) {
      submitted.push(
        await rt.send(
          new InvokeEndpointAsyncCommand({
            EndpointName: "recorder-async",
            ContentType: "text/csv",
            InputLocation: await put(`in/pair-${i}.txt`, `pair-${i}`),
          }),
        ),
      );
    }
    const answers = await Promise.all(submitted.map(async (r) => JSON.parse((await answer(r)).body)));
    assert.deepEqual(
      answers.map((a) => a.text),
      submitted.map((_, i) => `pair-${i}`),
    );
    const mostByPid = new Map<number, number>();
    for (const a of answers) mostByPid.set(a.pid, Math.max(mostByPid.get(a.pid) ?? 0, a.most));
    assert.equal(mostByPid.size, 2, "both instances served");
    assert.deepEqual([...mostByPid.values()], [2, 2]);
  });

  it("writes the container's error body, and a timeout, to the failure location", async () => {
    const failed = await rt.send(
      new InvokeEndpointAsyncCommand({
        EndpointName: "recorder-async",
        ContentType: "text/csv",
        InputLocation: await put("in/fail.txt", "fail"),
      }),
    );
    assert.deepEqual(await outcome(failed), {
      ok: false,
      body: "the model refuses fail",
      contentType: "text/plain",
    });
    // And SageMaker's line in the instance's data-log stream of the endpoint's log group.
    const events = await cw.send(
      new FilterLogEventsCommand({
        logGroupName: "/aws/sagemaker/Endpoints/recorder-async",
        filterPattern: `"${failed.InferenceId}"`,
      }),
    );
    assert.deepEqual(
      events.events?.map((e) => [e.logStreamName?.replace(/i-[0-9a-f]+/, "i-…"), e.message]),
      [
        [
          "AllTraffic/i-…/data-log",
          `[sagemaker logs] [${failed.InferenceId}] Received server error (500) from primary`,
        ],
      ],
    );
    const slow = await rt.send(
      new InvokeEndpointAsyncCommand({
        EndpointName: "recorder-async",
        ContentType: "text/csv",
        InputLocation: await put("in/hang.txt", "hang"),
        InvocationTimeoutSeconds: 1,
      }),
    );
    assert.equal(
      (await outcome(slow)).body,
      "The invocation timed out: container primary did not answer within InvocationTimeoutSeconds (1 s).",
    );
  });

  it("throttles a serverless endpoint beyond its MaxConcurrency, and describes it as serverless", async () => {
    const d = await endpoint("recorder-srv", {
      ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 1 },
    });
    const v = d.ProductionVariants![0]!;
    assert.deepEqual(v.CurrentServerlessConfig, { MemorySizeInMB: 2048, MaxConcurrency: 1 });
    assert.deepEqual(v.DesiredServerlessConfig, { MemorySizeInMB: 2048, MaxConcurrency: 1 });
    assert.equal(v.CurrentInstanceCount, undefined);
    const before = (await arrivals()).length;
    const held = rt.send(
      new InvokeEndpointCommand({
        EndpointName: "recorder-srv",
        ContentType: "text/csv",
        Body: Buffer.from("hold-srv"),
      }),
    );
    for (let i = 0; i < 600 && (await arrivals()).length === before; i++)
      await new Promise((r) => setTimeout(r, 25));
    const e = await failure(
      rt.send(
        new InvokeEndpointCommand({
          EndpointName: "recorder-srv",
          ContentType: "text/csv",
          Body: Buffer.from("x"),
        }),
      ),
    );
    assert.equal(e.name, "ThrottlingException");
    assert.equal(e.$metadata.httpStatusCode, 400);
    await writeFile(join(work, "recorder", "release"), "");
    assert.equal(JSON.parse(Buffer.from((await held).Body!).toString()).text, "hold-srv");
    await rm(join(work, "recorder", "release"));
  });

  it("keeps the queue through a kill -9: after the restart every invocation is answered, the running one again", async () => {
    await endpoint("recorder-one", { InstanceType: "ml.m5.large", InitialInstanceCount: 1 }, asyncConfig(1));
    const submitted = [];
    for (let i = 0; i < 3; i++) {
      submitted.push(
        await rt.send(
          new InvokeEndpointAsyncCommand({
            EndpointName: "recorder-one",
            ContentType: "text/csv",
            InputLocation: await put(`in/hold-${i}.txt`, `hold-${i}`),
          }),
        ),
      );
    }
    for (let i = 0; i < 600 && !(await arrivals()).some((l) => l.endsWith(" hold-0")); i++)
      await new Promise((r) => setTimeout(r, 25));
    await local.kill();
    assert.equal(existsSync(join(work, "recorder", "release")), false);
    await writeFile(join(work, "recorder", "release"), "");
    local = await startLocal(state, {
      env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine"), AWS_ENDPOINT_URL_S3: "" },
    });
    clients(local.url);
    for (const [i, r] of submitted.entries())
      assert.equal(JSON.parse((await answer(r)).body).text, `hold-${i}`);
    const held = (await arrivals()).filter((l) => / hold-\d$/.test(l)).map((l) => l.split(" ")[1]);
    assert.deepEqual(held, ["hold-0", "hold-0", "hold-1", "hold-2"]);
    assert.match(
      await local.stderrMatching(/left queued/),
      /3 asynchronous invocation\(s\) left queued by an earlier sagebrew local will run/,
    );
  });
});
