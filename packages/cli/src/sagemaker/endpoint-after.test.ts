/**
 * After a deploy, told as it is: a second `sagebrew delete` while the endpoint is still Deleting
 * says so instead of failing on DeleteEndpoint, and the advice after a failed deploy follows the
 * container's own account of the failure (a model that does not load is not a slow start).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AwsClients, LogLine } from "./context.js";
import { deployAdvice } from "./deploy.js";
import { deleteResources, describePlan } from "./endpoint.js";

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
    assert.match(advice, /^the model did not load \(.*model load failed/);
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
