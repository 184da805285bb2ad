import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TuningMachine, tuningSpec } from "../../../../tuning/index.js";
import type { TuningJobDoc } from "../../docs.js";
import { newTuningJob, type TuningJobEvent, tuningJobTransition } from "./machine.js";

const request = {
  HyperParameterTuningJobName: "t",
  HyperParameterTuningJobConfig: {
    Strategy: "Random",
    RandomSeed: 1,
    HyperParameterTuningJobObjective: { Type: "Minimize", MetricName: "validation:rmse" },
    ResourceLimits: { MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 1 },
    ParameterRanges: { ContinuousParameterRanges: [{ Name: "eta", MinValue: "0.1", MaxValue: "0.5" }] },
  },
  TrainingJobDefinition: {},
};

function fresh(): { doc: TuningJobDoc; machine: TuningMachine } {
  const machine = TuningMachine.create(tuningSpec(request), { seed: 1, now: 100_000 });
  const { HyperParameterTuningJobName: _n, ...rest } = request;
  const doc = newTuningJob({
    name: "t",
    arn: "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/t",
    request: rest,
    state: structuredClone(machine.state),
    runner: "runtime",
    threads: 2,
    now: 100,
  });
  return { doc, machine };
}

function step(doc: TuningJobDoc, event: TuningJobEvent, now: number): TuningJobDoc {
  const t = tuningJobTransition(doc, event, now);
  assert.ok("doc" in t, `${event.type} refused: ${"refused" in t ? t.refused : "removed"}`);
  return t.doc;
}

const progress = (m: TuningMachine): TuningJobEvent => ({
  type: "progress",
  state: structuredClone(m.state),
});

describe("tuningJobTransition()", () => {
  it("follows the tuning core: InProgress while trials run, Completed with its end time once they are done", () => {
    const { doc: d0, machine: m } = fresh();
    assert.equal(d0.HyperParameterTuningJobStatus, "InProgress");
    const a = m.propose(101_000)!;
    let doc = step(d0, progress(m), 101);
    assert.equal(doc.HyperParameterTuningJobStatus, "InProgress");
    assert.equal(doc.LastModifiedTime, 100, "the status did not change");
    assert.equal(doc._state.trials.length, 1);
    m.observe(a.name, 0.5);
    m.end(a.name, { status: "Completed", now: 102_000 });
    const b = m.propose(102_000)!;
    m.observe(b.name, 0.4);
    m.end(b.name, { status: "Completed", now: 103_000 });
    doc = step(doc, progress(m), 103);
    assert.equal(doc.HyperParameterTuningJobStatus, "Completed");
    assert.equal(doc.HyperParameterTuningEndTime, 103);
    assert.equal(doc.LastModifiedTime, 103);
    // Nothing moves a job that has ended.
    const late = tuningJobTransition(doc, progress(m), 104);
    assert.match(
      "refused" in late ? late.refused : "",
      /Cannot apply progress to tuning job t: it is Completed/,
    );
  });

  it("moves InProgress → Stopping → Stopped on the user's stop, and never back", () => {
    const { doc: d0, machine: m } = fresh();
    const a = m.propose(101_000)!;
    const before = structuredClone(m.state);
    m.stop(101_500);
    let doc = step(d0, progress(m), 101.5);
    assert.equal(doc.HyperParameterTuningJobStatus, "Stopping");
    const back = tuningJobTransition(doc, { type: "progress", state: before }, 102);
    assert.match("refused" in back ? back.refused : "", /from Stopping to InProgress/);
    m.end(a.name, { status: "Stopped", now: 102_000 });
    doc = step(doc, progress(m), 102);
    assert.equal(doc.HyperParameterTuningJobStatus, "Stopped");
    assert.equal(doc.HyperParameterTuningEndTime, 102);
  });

  it("records a failed job's reason, cut to SageMaker's 1024 characters", () => {
    const { doc: d0, machine: m } = fresh();
    for (const _ of [1, 2]) {
      const t = m.propose(101_000)!;
      m.end(t.name, { status: "Failed", failureReason: `AlgorithmError: ${"x".repeat(2000)}`, now: 101_000 });
    }
    const doc = step(d0, progress(m), 101);
    assert.equal(doc.HyperParameterTuningJobStatus, "Failed");
    assert.equal(doc.FailureReason?.length, 1024);
  });

  it("deletes only a job that has ended: Deleting, then gone", () => {
    const { doc: d0, machine: m } = fresh();
    const running = tuningJobTransition(d0, { type: "delete-requested" }, 101);
    assert.match("refused" in running ? running.refused : "", /it is InProgress; stop it/);
    m.stop(101_000);
    const stopped = step(d0, progress(m), 101);
    assert.equal(stopped.HyperParameterTuningJobStatus, "Stopped");
    const deleting = step(stopped, { type: "delete-requested" }, 102);
    assert.equal(deleting.HyperParameterTuningJobStatus, "Deleting");
    assert.deepEqual(tuningJobTransition(deleting, { type: "deleted" }, 103), { removed: true });
    assert.ok("refused" in tuningJobTransition(stopped, { type: "deleted" }, 103));
    assert.ok("refused" in tuningJobTransition(deleting, progress(m), 103));
  });
});
