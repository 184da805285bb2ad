/**
 * After a deploy, told as it is: a second `sagebrew delete` while the endpoint is still Deleting
 * says so instead of failing on DeleteEndpoint, and the advice after a failed deploy follows the
 * container's own account of the failure (a model that does not load is not a slow start); `ls`
 * says "cost money" of the endpoints that bill while they run only; `predict --endpoint` tells a
 * name nothing has (exit 2) from an endpoint that is not InService (its status and reason).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SagebrewError } from "@sagebrew/runtime/core";
import type { AwsClients, LogLine } from "./context.js";
import { deployAdvice, waitForEndpoint } from "./deploy.js";
import { deleteResources, describePlan, invokeEndpoint } from "./endpoint.js";
import { billingEndpoints, type ResourceSummary } from "./list.js";

const HEALTH =
  "The primary container for production variant AllTraffic did not pass the ping health check. Please check CloudWatch logs for this endpoint.";
const line = (message: string): LogLine => ({ source: "i-0abc", stream: "s", timestamp: 1, message });

describe("sagebrew delete while the endpoint is Deleting", () => {
  it("says the endpoint is already being deleted, and calls nothing", async () => {
    const plan = { kind: "endpoint", endpoint: "iris", models: [], status: "Deleting" } as const;
    assert.equal(
      describePlan(plan),
      "nothing: endpoint iris is already being deleted (Deleting); it is gone once its instances are",
    );
    const calls: string[] = [];
    const sagemaker = new Proxy({}, { get: (_t, k) => async () => void calls.push(String(k)) });
    assert.deepEqual(
      await deleteResources({ sagemaker } as unknown as Pick<AwsClients, "sagemaker">, plan),
      [],
    );
    assert.deepEqual(calls, []);
  });

  it("removes what is left of it (config, model) without deleting the endpoint again", async () => {
    const plan = {
      kind: "endpoint",
      endpoint: "iris",
      endpointConfig: "iris-1",
      models: ["iris-1"],
      status: "Deleting",
    } as const;
    assert.equal(
      describePlan(plan),
      "delete the endpoint config iris-1 and its model iris-1 (endpoint iris is already being deleted)",
    );
    const calls: string[] = [];
    const sagemaker = new Proxy(
      {},
      { get: (_t, k) => async (a: string) => void calls.push(`${String(k)} ${a}`) },
    );
    await deleteResources({ sagemaker } as unknown as Pick<AwsClients, "sagemaker">, plan);
    assert.deepEqual(calls, ["deleteEndpointConfig iris-1", "deleteModel iris-1"]);
  });
});

describe("deployAdvice()", () => {
  it("a model that does not load: fix the model, not the startup time", () => {
    const advice = deployAdvice(HEALTH, "iris", [
      line(
        '{"level":"error","msg":"model load failed","error":"Cannot load model /opt/ml/model/xgboost-model: …"}',
      ),
    ]);
    assert.match(advice, /^the model did not load /);
    assert.doesNotMatch(advice, /Cannot load model/, "the log line is shown once, as it came");
    assert.match(advice, /more startup time will not help$/);
    assert.doesNotMatch(advice, /--startup-timeout/);
  });

  it("sagebrew local's reason names the load failure itself", () => {
    assert.match(
      deployAdvice(
        `${HEALTH.replace(/\.$/, "")}: it exited with code 1; its last log line: {"msg":"model load failed"}`,
        "iris",
      ),
      /^the model did not load/,
    );
  });

  it("a container that answers nothing in time: the health-check advice, startup time included", () => {
    assert.match(deployAdvice(HEALTH, "iris", [line("loading 2 GB of trees")]), /--startup-timeout$/);
  });

  it("a container that stopped for another reason: its logs", () => {
    assert.match(
      deployAdvice("did not pass the ping health check: it was killed by SIGKILL", "iris"),
      /^the container stopped while starting/,
    );
  });
});

describe("billingEndpoints() (sagebrew ls: which endpoints cost money while they run)", () => {
  it("names the running endpoints with a variant on instances: not serverless, Failed or Deleting ones", async () => {
    const variants: Record<string, object[]> = {
      onInstances: [{ VariantName: "AllTraffic", CurrentInstanceCount: 1 }],
      serverless: [
        { VariantName: "AllTraffic", CurrentServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } },
      ],
      // Moving from serverless to instances: both run until the update is done.
      updating: [
        { VariantName: "a", CurrentServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } },
        { VariantName: "b", CurrentInstanceCount: 1 },
      ],
      undescribed: [],
    };
    const described: string[] = [];
    const sagemaker = {
      describeEndpoint: async (name: string) => {
        described.push(name);
        return { EndpointName: name, ProductionVariants: variants[name] };
      },
    };
    const row = (name: string, status: string): ResourceSummary => ({
      kind: "endpoint",
      name,
      arn: name,
      status,
    });
    const rows = [
      row("onInstances", "InService"),
      row("serverless", "InService"),
      row("updating", "Updating"),
      row("undescribed", "InService"),
      row("failed", "Failed"),
      row("deleting", "Deleting"),
      { kind: "model", name: "m", arn: "m" } as const,
    ];
    assert.deepEqual(
      await billingEndpoints({ sagemaker } as unknown as Pick<AwsClients, "sagemaker">, rows),
      ["onInstances", "updating", "undescribed"],
    );
    assert.deepEqual(described.sort(), ["onInstances", "serverless", "undescribed", "updating"]);
  });
});

describe("invokeEndpoint() when SageMaker Runtime answers that the endpoint is not found", () => {
  const notFound = new SagebrewError(
    "SB_AWS",
    "Cannot invoke endpoint e: ValidationError: Endpoint e of account 123456789012 not found.",
  );
  const runtime = {
    invoke: async () => {
      throw notFound;
    },
  };
  const invoke = (describeEndpoint: () => Promise<unknown>) =>
    invokeEndpoint(
      { runtime, sagemaker: { describeEndpoint } } as unknown as Pick<AwsClients, "runtime" | "sagemaker">,
      "e",
      Buffer.from("1"),
    );

  it("a name nothing has is a wrong command line (SB_USAGE: exit 2), pointing at ls and deploy", async () => {
    await assert.rejects(
      invoke(async () => undefined),
      {
        code: "SB_USAGE",
        message:
          "Cannot invoke endpoint e: no endpoint has that name (`sagebrew ls` lists the endpoints sagebrew made; `sagebrew deploy` makes one)",
      },
    );
  });

  it("an endpoint that is not InService says its status, its FailureReason and what to do", async () => {
    await assert.rejects(
      invoke(async () => ({ EndpointStatus: "Failed", FailureReason: "The model did not load." })),
      {
        code: "SB_AWS",
        message:
          "Cannot invoke endpoint e: it is Failed, not InService: The model did not load.; deploy again once the cause is fixed (`sagebrew logs e` shows its container's lines)",
      },
    );
    await assert.rejects(
      invoke(async () => ({ EndpointStatus: "Creating" })),
      {
        code: "SB_AWS",
        message: /^Cannot invoke endpoint e: it is Creating, not InService; wait until it is InService/,
      },
    );
  });

  it("keeps SageMaker Runtime's answer when the endpoint cannot be described, or without a SageMaker client", async () => {
    await assert.rejects(
      invoke(async () => {
        throw new Error("AccessDenied");
      }),
      notFound,
    );
    await assert.rejects(
      invokeEndpoint({ runtime } as unknown as Pick<AwsClients, "runtime">, "e", Buffer.from("1")),
      notFound,
    );
  });
});

describe("waitForEndpoint() against sagebrew local, and SageMaker's lagging logs", () => {
  it("asks once, after the first DescribeEndpoint, whether it is sagebrew local (its polls then come quicker)", async () => {
    const statuses = ["Creating", "Creating", "InService"];
    let describes = 0;
    let asked = 0;
    const sagemaker = {
      describeEndpoint: async () => ({
        EndpointStatus: statuses[Math.min(describes++, statuses.length - 1)],
        EndpointConfigName: "c",
      }),
      isSagebrewLocal: async () => {
        asked++;
        assert.equal(describes, 1, "asked once the first answer is in");
        return true;
      },
    };
    const logs = { streams: async () => [], events: async () => ({ events: [] }) };
    const r = await waitForEndpoint({ sagemaker, logs } as unknown as AwsClients, "e", "c", {
      waitSeconds: 60,
      pollSeconds: 0.01,
      reporter: { info: () => undefined },
    });
    assert.equal(r.outcome, "in-service");
    assert.equal(describes, 3);
    assert.equal(asked, 1);
  });

  /**
   * An endpoint that goes Creating → Failed, and logs whose n-th read hands out `batches[n]` (then
   * nothing); resolves to what was shown and how many times the logs were read.
   */
  async function failing(local: boolean, batches: readonly string[][]) {
    const statuses = ["Creating", "Failed"];
    let describes = 0;
    let reads = 0;
    const sagemaker = {
      describeEndpoint: async () => ({
        EndpointStatus: statuses[Math.min(describes++, statuses.length - 1)],
        EndpointConfigName: "c",
        FailureReason:
          "The primary container for production variant AllTraffic did not pass the ping health check",
      }),
      isSagebrewLocal: async () => local,
    };
    const logs = {
      streams: async () => ["AllTraffic/i-0abc"],
      events: async () => {
        const batch = batches[reads++] ?? [];
        return { events: batch.map((message, i) => ({ timestamp: reads * 100 + i, message })) };
      },
    };
    const shown: string[] = [];
    const r = await waitForEndpoint({ sagemaker, logs } as unknown as AwsClients, "e", "c", {
      waitSeconds: 60,
      pollSeconds: 0.01,
      reporter: { info: () => undefined, log: (l) => shown.push(l.message) },
    });
    return { r, shown, reads, describes };
  }

  it("a Failed endpoint is reported once the read that followed the status is done: sagebrew local has every line then, and none comes later", async () => {
    const { r, shown, reads, describes } = await failing(true, [
      ["starting"],
      ["load failed", "stopped"],
      ["late"],
    ]);
    assert.equal(r.outcome, "failed");
    assert.equal(describes, 2);
    assert.equal(reads, 2, "one read per DescribeEndpoint, none after the one that said Failed");
    assert.deepEqual(shown, ["starting", "load failed", "stopped"]);
    assert.deepEqual(
      r.lastLogLines?.map((l) => l.message),
      ["starting", "load failed", "stopped"],
    );
  });

  it("on SageMaker, whose CloudWatch lags behind the status, the lines that come after Failed are read while they keep coming", async () => {
    const { r, shown, reads } = await failing(false, [["starting"], ["load failed"], ["late 1"], ["late 2"]]);
    assert.equal(r.outcome, "failed");
    assert.deepEqual(shown, ["starting", "load failed", "late 1", "late 2"], "no line lost");
    assert.equal(reads, 5, "read until a read brings nothing");
  });
});
