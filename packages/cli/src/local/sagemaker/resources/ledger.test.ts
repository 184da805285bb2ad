import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { TrainingJobDoc } from "../docs.js";
import { ResourceStore, StateWriteError } from "../state/index.js";
import { createLedgers } from "./ledgers.js";
import { newTrainingJob } from "./training-job/index.js";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const job = (name: string): TrainingJobDoc =>
  newTrainingJob({
    name,
    arn: `arn:${name}`,
    request: { AlgorithmSpecification: {}, RoleArn: "r", OutputDataConfig: {}, ResourceConfig: {} },
    modelArtifacts: "s3://b/m",
    runner: "runtime",
    maxRuntimeSeconds: 60,
    now: 1,
  });

describe("ledgers", () => {
  it("report() writes an engine's event once the disk takes it again; apply() fails at once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sagebrew-ledger-"));
    dirs.push(dir);
    const store = await ResourceStore.open(dir, { warn: () => {} });
    const warnings: string[] = [];
    const ledgers = createLedgers({ store, now: () => 2, warn: (m) => warnings.push(m), retryMs: 20 });
    await store.create("training-job", job("j"));
    const jobs = join(dir, "resources", "training-job");
    await rm(jobs, { recursive: true });
    await writeFile(jobs, "full");
    await assert.rejects(ledgers.trainingJob.apply("j", { type: "download-started" }), StateWriteError);
    const reported = ledgers.trainingJob.report("j", { type: "download-started" });
    await new Promise((r) => setTimeout(r, 70));
    assert.equal(
      store.get<TrainingJobDoc>("training-job", "j")?.SecondaryStatus,
      "Starting",
      "not yet written",
    );
    await rm(jobs);
    await mkdir(jobs);
    const applied = await reported;
    assert.ok("doc" in applied);
    assert.equal(store.get<TrainingJobDoc>("training-job", "j")?.SecondaryStatus, "Downloading");
    assert.ok(warnings.length >= 1);
    assert.match(warnings[0]!, /download-started of training-job j will be written again in 0\.02 s/);
    ledgers.close();
  });

  it("writes a job's progress (without flushing it) and its end alike: a restart reads both", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sagebrew-ledger-"));
    dirs.push(dir);
    const store = await ResourceStore.open(dir, { warn: () => {} });
    const ledgers = createLedgers({ store, now: () => 2, warn: () => {} });
    await store.create("training-job", job("j"));
    await ledgers.trainingJob.report("j", { type: "download-started" });
    assert.equal(
      (await ResourceStore.open(dir, { warn: () => {} })).get<TrainingJobDoc>("training-job", "j")
        ?.SecondaryStatus,
      "Downloading",
    );
    await ledgers.trainingJob.report("j", { type: "training-started" });
    await ledgers.trainingJob.report("j", { type: "failed", reason: "AlgorithmError: x" });
    const reread = (await ResourceStore.open(dir, { warn: () => {} })).get<TrainingJobDoc>(
      "training-job",
      "j",
    );
    assert.deepEqual([reread?.TrainingJobStatus, reread?.FailureReason], ["Failed", "AlgorithmError: x"]);
    ledgers.close();
  });

  it("close() ends the waits of report(), refused, so that a stop never hangs on a full disk", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sagebrew-ledger-"));
    dirs.push(dir);
    const store = await ResourceStore.open(dir, { warn: () => {} });
    const { promise: firstFailure, resolve: warned } = Promise.withResolvers<void>();
    const ledgers = createLedgers({ store, now: () => 2, warn: () => warned(), retryMs: 10_000 });
    await store.create("training-job", job("j"));
    const jobs = join(dir, "resources", "training-job");
    await rm(jobs, { recursive: true });
    await writeFile(jobs, "full");
    const reported = ledgers.trainingJob.report("j", { type: "failed", reason: "x" });
    await firstFailure; // waiting 10 s to try again
    ledgers.close();
    const applied = await reported;
    assert.ok("refused" in applied);
    assert.match(applied.refused, /stopped before failed of training-job j was written/);
  });

  it("close() while a report's write is failing refuses it too, never rejects", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sagebrew-ledger-"));
    dirs.push(dir);
    const store = await ResourceStore.open(dir, { warn: () => {} });
    const warnings: string[] = [];
    const ledgers = createLedgers({ store, now: () => 2, warn: (m) => warnings.push(m), retryMs: 10_000 });
    await store.create("training-job", job("j"));
    const jobs = join(dir, "resources", "training-job");
    await rm(jobs, { recursive: true });
    await writeFile(jobs, "full");
    const reported = ledgers.trainingJob.report("j", { type: "failed", reason: "x" });
    ledgers.close(); // the write is in flight
    const applied = await reported;
    assert.ok("refused" in applied);
    assert.match(applied.refused, /stopped before failed of training-job j was written/);
    assert.deepEqual(warnings, []);
  });

  it("a report about a resource that is gone is refused and changes nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sagebrew-ledger-"));
    dirs.push(dir);
    const store = await ResourceStore.open(dir, { warn: () => {} });
    const ledgers = createLedgers({ store, now: () => 2, warn: () => {} });
    const applied = await ledgers.endpoint.report("nope", { type: "removed" });
    assert.deepEqual(applied, { refused: "There is no endpoint nope" });
  });
});
