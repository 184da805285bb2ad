import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TrainingJobDoc } from "../../docs.js";
import { INTERRUPTED_REASON, type Transition } from "../transition.js";
import { newTrainingJob, type TrainingJobEvent, trainingJobTransition } from "./machine.js";

const job0 = newTrainingJob({
  name: "iris",
  arn: "arn:aws:sagemaker:us-east-1:123456789012:training-job/iris",
  request: {
    AlgorithmSpecification: { TrainingImage: "x", TrainingInputMode: "File" },
    RoleArn: "arn:aws:iam::123456789012:role/r",
    OutputDataConfig: { S3OutputPath: "s3://b/out" },
    ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1 },
  },
  modelArtifacts: "s3://b/out/iris/output/model.tar.gz",
  runner: "runtime",
  maxRuntimeSeconds: 86_400,
  now: 100,
});

/** Applies events in turn at times 101, 102, …; fails on a refusal. */
function run(events: TrainingJobEvent[], from = job0): TrainingJobDoc {
  let job = from;
  events.forEach((e, i) => {
    const t = trainingJobTransition(job, e, 101 + i);
    assert.ok("doc" in t, `${e.type} refused: ${"refused" in t ? t.refused : ""}`);
    job = t.doc;
  });
  return job;
}

const refused = (t: Transition<TrainingJobDoc>) => ("refused" in t ? t.refused : undefined);
const statuses = (j: TrainingJobDoc) => j.SecondaryStatusTransitions.map((t) => t.Status);

describe("trainingJobTransition()", () => {
  it("moves a job Starting → Downloading → Training → Uploading → Completed, as SageMaker shows it", () => {
    const done = run([
      { type: "download-started" },
      { type: "training-started" },
      { type: "upload-started" },
      { type: "completed" },
    ]);
    assert.equal(done.TrainingJobStatus, "Completed");
    assert.equal(done.SecondaryStatus, "Completed");
    assert.deepEqual(statuses(done), ["Starting", "Downloading", "Training", "Uploading", "Completed"]);
    // Each transition ends when the next starts; the last stays open.
    const t = done.SecondaryStatusTransitions;
    for (let i = 0; i + 1 < t.length; i++) assert.equal(t[i]!.EndTime, t[i + 1]!.StartTime);
    assert.equal(t.at(-1)!.EndTime, undefined);
    assert.equal(done.TrainingStartTime, 102);
    assert.equal(done.TrainingEndTime, 104);
    assert.equal(done.TrainingTimeInSeconds, 2);
    assert.equal(done.BillableTimeInSeconds, 2);
    assert.equal(done.LastModifiedTime, 104);
  });

  it("ends a stopped job Stopped, or MaxRuntimeExceeded when the limit stopped it", () => {
    const training = run([{ type: "download-started" }, { type: "training-started" }]);
    const stopped = run([{ type: "stop-requested", by: "StopTrainingJob" }, { type: "stopped" }], training);
    assert.deepEqual([stopped.TrainingJobStatus, stopped.SecondaryStatus], ["Stopped", "Stopped"]);
    assert.deepEqual(statuses(stopped).slice(-2), ["Stopping", "Stopped"]);
    const limited = run(
      [{ type: "stop-requested", by: "MaxRuntimeExceeded" }, { type: "stopped" }],
      training,
    );
    assert.deepEqual([limited.TrainingJobStatus, limited.SecondaryStatus], ["Stopped", "MaxRuntimeExceeded"]);
    assert.equal(limited._stop, "MaxRuntimeExceeded");
  });

  it("ends a job asked to stop after its containers ended Stopped, with what it uploaded", () => {
    const uploading = run([
      { type: "download-started" },
      { type: "training-started" },
      { type: "upload-started" },
    ]);
    const j = run([{ type: "stop-requested", by: "StopTrainingJob" }, { type: "completed" }], uploading);
    assert.equal(j.TrainingJobStatus, "Stopped");
  });

  it("fails a running or stopping job with the reason, cut to SageMaker's 1024 characters", () => {
    const failed = run([
      { type: "download-started" },
      { type: "failed", reason: `ClientError: ${"x".repeat(2000)}` },
    ]);
    assert.deepEqual([failed.TrainingJobStatus, failed.SecondaryStatus], ["Failed", "Failed"]);
    assert.equal(failed.FailureReason?.length, 1024);
    assert.equal(failed.TrainingTimeInSeconds, undefined, "it never trained");
    const stopping = run([{ type: "stop-requested", by: "StopTrainingJob" }]);
    assert.equal(run([{ type: "failed", reason: "r" }], stopping).TrainingJobStatus, "Failed");
  });

  it("ends an interrupted job: Failed when it ran, Stopped when it was stopping", () => {
    const ran = run([{ type: "download-started" }, { type: "interrupted" }]);
    assert.equal(ran.TrainingJobStatus, "Failed");
    assert.equal(ran.FailureReason, INTERRUPTED_REASON);
    const stopping = run([{ type: "stop-requested", by: "StopTrainingJob" }, { type: "interrupted" }]);
    assert.equal(stopping.TrainingJobStatus, "Stopped");
  });

  it("refuses what does not follow: out of order, after the end, a second stop", () => {
    const completed = run([
      { type: "download-started" },
      { type: "training-started" },
      { type: "completed" },
    ]);
    const cases: Array<[TrainingJobDoc, TrainingJobEvent, RegExp]> = [
      [
        job0,
        { type: "training-started" },
        /Cannot apply training-started to training job iris: it is InProgress \(Starting\)/,
      ],
      [job0, { type: "upload-started" }, /it is InProgress \(Starting\)/],
      [job0, { type: "completed" }, /it is InProgress \(Starting\)/],
      [job0, { type: "stopped" }, /it is InProgress/],
      [completed, { type: "failed", reason: "late" }, /it is Completed/],
      [completed, { type: "metrics", final: [] }, /it is Completed/],
      [completed, { type: "interrupted" }, /it is Completed/],
      [
        completed,
        { type: "stop-requested", by: "StopTrainingJob" },
        /^The request was rejected because the training job is in status Completed\.$/,
      ],
      [
        run([{ type: "stop-requested", by: "StopTrainingJob" }]),
        { type: "stop-requested", by: "StopTrainingJob" },
        /in status Stopping/,
      ],
      [
        run([{ type: "stop-requested", by: "StopTrainingJob" }]),
        { type: "download-started" },
        /it is Stopping/,
      ],
    ];
    for (const [job, event, expected] of cases)
      assert.match(refused(trainingJobTransition(job, event, 200)) ?? "(applied)", expected, event.type);
  });

  it("records the final metrics of a running job without moving its status", () => {
    const final = [{ MetricName: "validation:auc", Value: 0.9, Timestamp: 103 }];
    const j = run([{ type: "download-started" }, { type: "training-started" }, { type: "metrics", final }]);
    assert.deepEqual(j.FinalMetricDataList, final);
    assert.equal(j.SecondaryStatus, "Training");
  });
});
