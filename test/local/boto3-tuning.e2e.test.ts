/**
 * Hyperparameter tuning jobs with boto3 (the machine's Python 3.11), unchanged, against
 * `sagebrew local` with only AWS_ENDPOINT_URL set: `boto3_tuning.py` runs one small job per
 * strategy on iris in sagebrew local's S3 with the built-in XGBoost image, a warm start, and the
 * paginators, and prints what it saw; this file checks it.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { hasBoto3, type RunningLocal, runPythonJson, startLocal } from "../kit/local.js";

const SCRIPT = fileURLToPath(new URL("./boto3_tuning.py", import.meta.url));
const IRIS = fileURLToPath(new URL("../kit/iris-numeric.csv", import.meta.url));
const skip = hasBoto3() ? false : "boto3 is not importable by the python3 on PATH";

let work: string;
let local: RunningLocal;

interface Trial {
  name: string;
  status: string;
  tuned: Record<string, string>;
  value?: number;
}
interface Seen {
  status: string;
  counters: { Completed: number; Stopped: number; InProgress: number; NonRetryableError: number };
  objectives: { Succeeded: number; Pending: number; Failed: number };
  best: string;
  bestValue: number;
  overallBest?: string;
  trials: Trial[];
  firstJob: { tuningJobArn: string; hyperParameters: Record<string, string>; model: string };
}

function run() {
  return runPythonJson([SCRIPT, IRIS], { local, cwd: work, label: "boto3_tuning.py" });
}

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-py-tuning-"));
  local = await startLocal(join(work, "state"), {
    env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine"), AWS_ENDPOINT_URL_S3: "" },
  });
});

after(async () => {
  await local?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const bestOf = (trials: Trial[]) => Math.min(...trials.map((t) => t.value!));

describe("hyperparameter tuning jobs with boto3", { skip }, () => {
  it("runs every strategy, the trials as training jobs, read back through boto3's paginators", async () => {
    const r = await run();
    const random = r.random as Seen;
    assert.equal(random.status, "Completed");
    assert.equal(random.counters.Completed, 4);
    assert.equal(random.trials.length, 4, "the paginator walked every page");
    assert.equal(random.bestValue, bestOf(random.trials));
    assert.equal(
      random.firstJob.tuningJobArn,
      "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/py-random",
    );
    assert.equal(random.firstJob.hyperParameters._tuning_objective_metric, "validation:mlogloss");
    assert.match(
      random.firstJob.model,
      /^s3:\/\/sagemaker-tuning-example\/output\/py-random-00\d-[0-9a-f]{8}\/output\/model\.tar\.gz$/,
    );

    const grid = r.grid as Seen;
    assert.equal(grid.status, "Completed");
    assert.deepEqual(grid.trials.map((t) => t.tuned.max_depth).sort(), ["2", "3", "4"]);

    const bayes = r.bayesian as Seen;
    assert.equal(bayes.status, "Completed");
    assert.equal(bayes.counters.Completed, 4);
    // Warm start (IdenticalDataAndAlgorithm): the best of this job and its parent.
    const overall = Math.min(bestOf(bayes.trials), bestOf(random.trials));
    const names = [...bayes.trials, ...random.trials].filter((t) => t.value === overall).map((t) => t.name);
    assert.ok(names.includes(bayes.overallBest!), `${bayes.overallBest} is among ${names.join(", ")}`);

    const hyperband = r.hyperband as Seen;
    assert.equal(hyperband.status, "Completed");
    assert.equal(hyperband.counters.Stopped + hyperband.counters.Completed, 4);
    assert.equal(hyperband.objectives.Succeeded, 4);

    assert.deepEqual(r.listed, ["py-hyperband", "py-bayes", "py-grid", "py-random"]);
    assert.equal(r.missing.code, "ResourceNotFound");
    assert.match(r.missing.message, /py-none/);
  });
});
