import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ApiError } from "../protocol/errors.js";
import { runLogsOperation } from "./api.js";
import { LogStore } from "./store.js";

const SCOPE = { region: "us-east-1", account: "123456789012" };

describe("runLogsOperation()", () => {
  let dir: string;
  let store: LogStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "sagebrew-logs-api-"));
    store = await LogStore.open(dir);
    store.write("/aws/sagemaker/TrainingJobs", "job/algo-1-1", "line 1", 1000);
    store.write("/aws/sagemaker/TrainingJobs", "job/algo-1-1", "line 2", 2000);
  });
  after(async () => {
    await store.flush();
    await rm(dir, { recursive: true, force: true });
  });

  const refused = (operation: string, body: unknown): ApiError => {
    try {
      runLogsOperation(operation, body, store, SCOPE);
    } catch (e) {
      assert.ok(e instanceof ApiError);
      return e;
    }
    throw new Error("expected a refusal");
  };

  it("answers a failed constraint as CloudWatch Logs does: InvalidParameterException, in the framework's words", () => {
    const e = refused("DescribeLogStreams", {
      logGroupName: "/aws/sagemaker/TrainingJobs",
      orderBy: "Size",
      limit: 0,
    });
    assert.equal(e.type, "InvalidParameterException");
    assert.equal(
      e.message,
      "2 validation errors detected: Value 'Size' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]; " +
        "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    assert.equal(
      refused("GetLogEvents", { logGroupName: "bad group" }).message,
      "2 validation errors detected: Value 'bad group' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+; " +
        "Value null at 'logStreamName' failed to satisfy constraint: Member must not be null",
    );
  });

  it("answers a member of the wrong type as a SerializationException", () => {
    const e = refused("GetLogEvents", { logGroupName: "g", logStreamName: "s", limit: "10" });
    assert.equal(e.type, "SerializationException");
    assert.equal(e.message, "STRING_VALUE can not be converted to an Integer (at 'limit')");
  });

  it("reads a group by its name or its ARN, and asks for one when neither is given", () => {
    const events = (body: Record<string, unknown>) =>
      (
        runLogsOperation("GetLogEvents", { ...body, logStreamName: "job/algo-1-1" }, store, SCOPE) as {
          events: Array<{ message: string }>;
        }
      ).events.map((e) => e.message);
    assert.deepEqual(events({ logGroupName: "/aws/sagemaker/TrainingJobs" }), ["line 1", "line 2"]);
    assert.deepEqual(
      events({
        logGroupIdentifier: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/TrainingJobs",
      }),
      ["line 1", "line 2"],
    );
    assert.deepEqual(events({ logGroupIdentifier: "/aws/sagemaker/TrainingJobs" }), ["line 1", "line 2"]);
    assert.equal(refused("GetLogEvents", { logStreamName: "s" }).type, "InvalidParameterException");
  });
});
