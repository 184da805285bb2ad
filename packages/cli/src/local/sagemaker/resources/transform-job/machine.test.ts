import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ModelDoc, TransformJobDoc } from "../../docs.js";
import { INTERRUPTED_REASON } from "../transition.js";
import { newTransformJob, type TransformJobEvent, transformJobTransition } from "./machine.js";

const model: ModelDoc = { name: "m", ModelName: "m", ModelArn: "arn:m", CreationTime: 1 };
const job0 = newTransformJob({
  name: "t",
  arn: "arn:aws:sagemaker:us-east-1:123456789012:transform-job/t",
  request: {
    ModelName: "m",
    TransformInput: { DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: "s3://b/in" } } },
    TransformOutput: { S3OutputPath: "s3://b/out" },
    TransformResources: { InstanceType: "ml.m5.large", InstanceCount: 1 },
  },
  model,
  now: 100,
});

function after(events: TransformJobEvent[], from = job0): TransformJobDoc | string {
  let job = from;
  for (const [i, e] of events.entries()) {
    const t = transformJobTransition(job, e, 101 + i);
    if ("refused" in t) return t.refused;
    job = t.doc;
  }
  return job;
}

const status = (r: TransformJobDoc | string) => (typeof r === "string" ? r : r.TransformJobStatus);

describe("transformJobTransition()", () => {
  it("follows SageMaker's statuses, with start and end times", () => {
    const done = after([{ type: "started" }, { type: "completed" }]) as TransformJobDoc;
    assert.deepEqual(
      [done.TransformJobStatus, done.TransformStartTime, done.TransformEndTime],
      ["Completed", 101, 102],
    );
    assert.equal(status(after([{ type: "stop-requested" }, { type: "stopped" }])), "Stopped");
    assert.equal(status(after([{ type: "stop-requested" }, { type: "completed" }])), "Stopped");
    assert.equal(status(after([{ type: "stop-requested" }, { type: "failed", reason: "x" }])), "Failed");
    const interrupted = after([{ type: "started" }, { type: "interrupted" }]) as TransformJobDoc;
    assert.equal(interrupted.FailureReason, INTERRUPTED_REASON);
    assert.equal(status(after([{ type: "stop-requested" }, { type: "interrupted" }])), "Stopped");
  });

  it("refuses a stop of an ended job in SageMaker's words, and events after the end", () => {
    assert.equal(
      after([{ type: "completed" }, { type: "stop-requested" }]),
      "The request was rejected because the transform job is in status Completed.",
    );
    assert.match(String(after([{ type: "failed", reason: "x" }, { type: "completed" }])), /it is Failed/);
    assert.match(String(after([{ type: "stopped" }])), /it is InProgress/);
  });
});
