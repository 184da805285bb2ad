/**
 * CreateEndpointConfig with a `ServerlessConfig` or an `AsyncInferenceConfig`, through the control
 * plane in-process (a real store, fake engines): what SageMaker refuses is refused, what it takes is
 * stored and described as sent, and an endpoint on it records the async config and a serverless
 * variant's capacity.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { EndpointDoc } from "../../docs.js";
import { ApiError } from "../../protocol/index.js";
import { ResourceStore } from "../../state/index.js";
import type { OpContext } from "../context.js";
import { runSageMakerOperation } from "../control-plane.js";
import { endpointTransition } from "../endpoint/index.js";

let dir: string;
let ctx: OpContext;
const deployed: EndpointDoc[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "sagebrew-config-checks-"));
  const store = await ResourceStore.open(dir, { warn: () => {} });
  let clock = 1_000;
  ctx = {
    store,
    logs: undefined as never,
    // Every model data URI holds one object.
    storage: { list: async (uri: string) => [{ uri, rel: "m.tar.gz", size: 1 }] } as never,
    training: { start: () => {}, stop: () => {} },
    transforms: { start: () => {}, stop: () => {} },
    endpoints: { deploy: (e) => deployed.push(e), remove: () => {} },
    tuning: { start: () => {}, stop: async () => {} },
    planImage: async () => ({ runner: "runtime", why: "test" }),
    now: () => ++clock,
    maxInstances: 8,
    storageCheckMs: 1_000,
    region: "us-east-1",
    account: "123456789012",
  };
  const container = { Image: "sagebrew-iris:latest", ModelDataUrl: "s3://b/m.tar.gz" };
  await op("CreateModel", { ModelName: "m", PrimaryContainer: container });
  await op("CreateModel", { ModelName: "m2", PrimaryContainer: container });
  await op("CreateModel", {
    ModelName: "mme",
    PrimaryContainer: { Image: "sagebrew-iris:latest", Mode: "MultiModel", ModelDataUrl: "s3://b/models/" },
  });
  await op("CreateModel", {
    ModelName: "isolated",
    PrimaryContainer: container,
    EnableNetworkIsolation: true,
  });
});
after(() => rm(dir, { recursive: true, force: true }));

const op = (operation: string, body: unknown) => runSageMakerOperation(operation, body, ctx);

let n = 0;
/** CreateEndpointConfig under a fresh name; resolves to the name or the refusal. */
async function config(body: Record<string, unknown>): Promise<string | ApiError> {
  const name = `c${++n}`;
  try {
    await op("CreateEndpointConfig", { EndpointConfigName: name, ...body });
    return name;
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e;
  }
}

function refused(r: string | ApiError): string {
  assert.ok(r instanceof ApiError, `expected a refusal, got config ${String(r)}`);
  assert.equal(r.type, "ValidationException");
  return r.message;
}

const serverless = (s: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ProductionVariants: [{ VariantName: "AllTraffic", ModelName: "m", ServerlessConfig: s, ...extra }],
});
const onInstances = {
  VariantName: "AllTraffic",
  ModelName: "m",
  InstanceType: "ml.m5.large",
  InitialInstanceCount: 1,
};
const asyncConfig = (output: Record<string, unknown>, client?: Record<string, unknown>) => ({
  ProductionVariants: [onInstances],
  AsyncInferenceConfig: { OutputConfig: output, ...(client ? { ClientConfig: client } : {}) },
});

describe("CreateEndpointConfig with a ServerlessConfig", () => {
  it("takes SageMaker's memory sizes and concurrencies, and describes them as sent", async () => {
    for (const mb of [1024, 2048, 3072, 4096, 5120, 6144]) {
      const name = await config(
        serverless({ MemorySizeInMB: mb, MaxConcurrency: 200, ProvisionedConcurrency: 200 }),
      );
      assert.equal(typeof name, "string", String(name));
    }
    const name = (await config(serverless({ MemorySizeInMB: 2048, MaxConcurrency: 5 }))) as string;
    const d = (await op("DescribeEndpointConfig", { EndpointConfigName: name })) as {
      ProductionVariants: Array<Record<string, unknown>>;
    };
    assert.deepEqual(d.ProductionVariants[0]!.ServerlessConfig, { MemorySizeInMB: 2048, MaxConcurrency: 5 });
    assert.equal(d.ProductionVariants[0]!.InstanceType, undefined);
  });

  it("refuses memory off the 1 GB steps or out of range, and concurrency out of range, in the table's words", async () => {
    assert.equal(
      refused(await config(serverless({ MemorySizeInMB: 1536, MaxConcurrency: 1 }))),
      "MemorySizeInMB 1536 of production variant AllTraffic is not a serverless memory size: use 1024, 2048, 3072, 4096, 5120, 6144.",
    );
    assert.match(
      refused(await config(serverless({ MemorySizeInMB: 7168, MaxConcurrency: 201 }))),
      /^2 validation errors detected: Value '7168' at 'productionVariants\.1\.member\.serverlessConfig\.memorySizeInMB' failed to satisfy constraint: Member must have value less than or equal to 6144; Value '201' at 'productionVariants\.1\.member\.serverlessConfig\.maxConcurrency' failed to satisfy constraint: Member must have value less than or equal to 200$/,
    );
    assert.match(
      refused(await config(serverless({ MemorySizeInMB: 1024, MaxConcurrency: 0 }))),
      /Value '0' at 'productionVariants\.1\.member\.serverlessConfig\.maxConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 1/,
    );
    assert.match(
      refused(await config(serverless({ MemorySizeInMB: 1024 }))),
      /Value null at 'productionVariants\.1\.member\.serverlessConfig\.maxConcurrency' failed to satisfy constraint: Member must not be null/,
    );
  });

  it("refuses ProvisionedConcurrency above MaxConcurrency, and instances beside the ServerlessConfig", async () => {
    assert.equal(
      refused(
        await config(serverless({ MemorySizeInMB: 1024, MaxConcurrency: 2, ProvisionedConcurrency: 3 })),
      ),
      "ProvisionedConcurrency 3 of production variant AllTraffic must be less than or equal to its MaxConcurrency 2.",
    );
    assert.match(
      refused(
        await config(
          serverless(
            { MemorySizeInMB: 1024, MaxConcurrency: 2 },
            { InstanceType: "ml.m5.large", InitialInstanceCount: 1 },
          ),
        ),
      ),
      /^Production variant AllTraffic has a ServerlessConfig and InstanceType and InitialInstanceCount: /,
    );
  });

  it("refuses what serverless endpoints exclude: a second variant, multi-model, network isolation, async, data capture", async () => {
    const s = { MemorySizeInMB: 1024, MaxConcurrency: 2 };
    assert.match(
      refused(
        await config({
          ProductionVariants: [
            { VariantName: "a", ModelName: "m", ServerlessConfig: s },
            { VariantName: "b", ModelName: "m2", ServerlessConfig: s },
          ],
        }),
      ),
      /^A serverless endpoint configuration has one production variant; this one has 2 \(a, b\)\.$/,
    );
    assert.match(
      refused(
        await config({ ProductionVariants: [{ VariantName: "a", ModelName: "mme", ServerlessConfig: s }] }),
      ),
      /^Serverless endpoints do not support multi-model endpoints: model mme has Mode MultiModel/,
    );
    assert.match(
      refused(
        await config({
          ProductionVariants: [{ VariantName: "a", ModelName: "isolated", ServerlessConfig: s }],
        }),
      ),
      /^Serverless endpoints do not support network isolation/,
    );
    assert.match(
      refused(
        await config({
          ...serverless(s),
          AsyncInferenceConfig: { OutputConfig: { S3OutputPath: "s3://b/out" } },
        }),
      ),
      /^Serverless endpoints do not support asynchronous inference/,
    );
    assert.match(
      refused(
        await config({
          ...serverless(s),
          DataCaptureConfig: {
            InitialSamplingPercentage: 100,
            DestinationS3Uri: "s3://b/capture",
            CaptureOptions: [{ CaptureMode: "Input" }],
          },
        }),
      ),
      /^Serverless endpoints do not support data capture/,
    );
  });
});

describe("CreateEndpointConfig with an AsyncInferenceConfig", () => {
  it("takes and describes the whole config: output and failure paths, SNS topics, KMS key, concurrency", async () => {
    const AsyncInferenceConfig = {
      OutputConfig: {
        S3OutputPath: "s3://b/out",
        S3FailurePath: "file:///tmp/failures",
        KmsKeyId: "alias/key",
        NotificationConfig: {
          SuccessTopic: "arn:aws:sns:us-east-1:123456789012:ok",
          ErrorTopic: "arn:aws:sns:us-east-1:123456789012:failed",
          IncludeInferenceResponseIn: ["SUCCESS_NOTIFICATION_TOPIC"],
        },
      },
      ClientConfig: { MaxConcurrentInvocationsPerInstance: 1000 },
    };
    const name = (await config({ ProductionVariants: [onInstances], AsyncInferenceConfig })) as string;
    const d = (await op("DescribeEndpointConfig", { EndpointConfigName: name })) as Record<string, unknown>;
    assert.deepEqual(d.AsyncInferenceConfig, AsyncInferenceConfig);
    // An endpoint on it shows the config once it serves, as DescribeEndpoint does on SageMaker.
    await op("CreateEndpoint", { EndpointName: "async-ep", EndpointConfigName: name });
    const doc = deployed.at(-1)!;
    assert.deepEqual(doc._pending?.asyncInference, AsyncInferenceConfig);
    const t = endpointTransition(doc, { type: "deployed", generation: 1, variants: [] }, 2_000);
    assert.ok("doc" in t);
    assert.deepEqual(t.doc.AsyncInferenceConfig, AsyncInferenceConfig);
  });

  it("refuses no S3OutputPath, a path it cannot write, concurrency out of 1–1000, and a multi-model variant", async () => {
    assert.equal(
      refused(await config(asyncConfig({ S3FailurePath: "s3://b/f" }))),
      "1 validation error detected: Value null at 'asyncInferenceConfig.outputConfig.s3OutputPath' failed to satisfy constraint: Member must not be null",
    );
    assert.equal(
      refused(await config(asyncConfig({ S3OutputPath: "https://b.s3.amazonaws.com/out" }))),
      "Cannot write asynchronous inference results to S3OutputPath https://b.s3.amazonaws.com/out: sagebrew local writes s3:// and file:// URIs.",
    );
    for (const bad of [0, 1001]) {
      assert.match(
        refused(
          await config(
            asyncConfig({ S3OutputPath: "s3://b/o" }, { MaxConcurrentInvocationsPerInstance: bad }),
          ),
        ),
        /at 'asyncInferenceConfig\.clientConfig\.maxConcurrentInvocationsPerInstance' failed to satisfy constraint: Member must have value (greater|less) than or equal to (1|1000)$/,
      );
    }
    assert.match(
      refused(
        await config({
          ProductionVariants: [{ ...onInstances, ModelName: "mme" }],
          AsyncInferenceConfig: { OutputConfig: { S3OutputPath: "s3://b/o" } },
        }),
      ),
      /^Asynchronous inference does not support multi-model endpoints: model mme/,
    );
    assert.match(
      refused(
        await config({
          ProductionVariants: [onInstances],
          AsyncInferenceConfig: {
            OutputConfig: { S3OutputPath: "s3://b/o", NotificationConfig: { SuccessTopic: "arn:aws:sqs:x" } },
          },
        }),
      ),
      /at 'asyncInferenceConfig\.outputConfig\.notificationConfig\.successTopic' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
  });

  it("refuses an update of an endpoint on instances to a serverless config", async () => {
    const onInst = (await config({ ProductionVariants: [onInstances] })) as string;
    const srv = (await config(serverless({ MemorySizeInMB: 1024, MaxConcurrency: 1 }))) as string;
    await op("CreateEndpoint", { EndpointName: "grows", EndpointConfigName: onInst });
    // The engine's report, as it would come once the containers answer.
    await ctx.store.update<EndpointDoc>("endpoint", "grows", (d) => {
      const t = endpointTransition(d!, { type: "deployed", generation: 1, variants: [] }, 3_000);
      return "doc" in t ? t.doc : undefined;
    });
    let e: unknown;
    try {
      await op("UpdateEndpoint", { EndpointName: "grows", EndpointConfigName: srv });
    } catch (err) {
      e = err;
    }
    assert.ok(e instanceof ApiError);
    assert.match(e.message, /an endpoint on instances cannot become serverless/);
  });
});
