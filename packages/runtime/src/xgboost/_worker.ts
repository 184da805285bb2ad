/** A pool thread: loads libxgboost and runs jobs posted by `_pool.ts`. */
import { getPriority, setPriority } from "node:os";
import { workerData } from "node:worker_threads";
import { SagebrewError } from "../errors/index.js";
import { answerRequests } from "../node/worker.js";
import { collectGarbage } from "./_collect.js";
import { loadXGBoost } from "./_library.js";
import { type DenseBatch, type Job, runJob } from "./_ops.js";
import { type PreparedTrees, prepareTrees } from "./_tree-prepare.js";
import {
  type TreeKernel,
  type TreePredictor,
  type TreeSpec,
  treePredictorFromSpec,
} from "./tree-predictor.js";

const api = loadXGBoost(workerData?.libraryPath as string | undefined);

/**
 * After a quantile build: its batches (the float data, as large as the dataset) are handed to this
 * thread and dropped as XGBoost finishes with them, but a pool thread allocates little while it
 * trains, so V8 would not collect them for the whole training (and malloc keeps freed blocks of
 * this size): collecting after a build brings a 1M × 28 training from 330 MB to about 220 MB
 * resident while it boosts (bench/RESULTS.md, "Training").
 */
const collect = () => void collectGarbage();

/** Batches handed to quantile builds that V8 has not collected yet (the `heldBatches` job). */
let held = 0;
const collected = new FinalizationRegistry<undefined>(() => {
  held--;
});

// Not inline in the async handler below: a suspended async function keeps its loop variables,
// which would hold the last batch alive.
function track(batches: readonly DenseBatch[]): void {
  for (const b of batches) {
    held++;
    collected.register(b.values, undefined);
  }
}

/**
 * This thread's CPU time (ms) where Node can tell it (23.9 and later), else the wall clock (which
 * counts the time other processes had the core too).
 */
function threadMs(): number {
  const usage = process.threadCpuUsage?.();
  return usage ? (usage.user + usage.system) / 1000 : performance.now();
}

/** The nice value of the thread that prepares the JavaScript walkers in the background. */
const BACKGROUND_PRIORITY = 10;

/** The JavaScript tree predictors this thread has built, by the pool's key. */
const predictors = new Map<number, TreePredictor>();

function predictor(job: { key: number; spec: TreeSpec | undefined; kernel: TreeKernel }): TreePredictor {
  let p = predictors.get(job.key);
  if (!p) {
    if (!job.spec)
      throw new SagebrewError("SB_INTERNAL", `Tree predictor ${job.key} was never sent to this thread`);
    p = treePredictorFromSpec(job.spec, job.kernel);
    predictors.set(job.key, p);
  }
  return p;
}

function predictTrees(p: TreePredictor, values: Float32Array, rows: number) {
  const out = p.predict(values, rows);
  if (!out) throw new SagebrewError("SB_INTERNAL", "The tree predictor declined a plain prediction");
  return { result: { values: out }, transfer: [out.buffer as ArrayBuffer] };
}

/** The walkers' arrays move (not copy) back to the calling thread. */
function prepared(p: PreparedTrees): { result: PreparedTrees; transfer: ArrayBuffer[] } {
  const arrays = [
    p.spec?.nodes,
    p.spec?.roots,
    p.spec?.treeGroups,
    p.spec?.baseMargin,
    p.check?.values,
    p.check?.margins,
  ];
  const transfer: ArrayBuffer[] = [];
  for (const a of arrays)
    if (a && a.buffer instanceof ArrayBuffer && !transfer.includes(a.buffer)) transfer.push(a.buffer);
  return { result: p, transfer };
}

/** A job's result, with its output values moved (not copied) back to the calling thread. */
function answer(job: Job): { result: unknown; transfer: ArrayBuffer[] } {
  const t = threadMs();
  const result = runJob(api, job);
  // Its own time, without the queue: what a batch server weighs against preparing the walkers.
  if (job.op === "predictDense") (result as { ms?: number }).ms = threadMs() - t;
  const transfer =
    result && typeof result === "object" && "values" in result
      ? [(result as { values: Float32Array }).values.buffer as ArrayBuffer]
      : [];
  return { result, transfer };
}

answerRequests(async (msg: { id: number; job: Job | undefined }) => {
  const job = msg.job!;
  msg.job = undefined;
  if (job.op === "heldBatches") return { result: held };
  if (job.op === "trees") return predictTrees(predictor(job), job.values, job.rows);
  if (job.op === "forgetTrees") return { result: predictors.delete(job.key) };
  if (job.op === "prepareTrees") {
    // On a thread of its own (`XGBoostPool.runAlone`) that ends after it; in the background at a
    // lower priority (Linux sets it per thread), so that serving — the first /ping included —
    // keeps the cores while the walkers are prepared. Where the priority cannot be changed, as is.
    if (job.options.background) {
      try {
        setPriority(BACKGROUND_PRIORITY);
      } catch {
        // not permitted: run as is
      }
    }
    let ranAt: number | undefined;
    try {
      ranAt = getPriority(); // this thread's, on Linux
    } catch {
      // unknown here
    }
    return prepared({ ...prepareTrees(api, job.booster, job.options), nice: ranAt });
  }
  if (job.op !== "quantile") return answer(job);
  track(job.batches);
  // A message's transferred buffers stay alive until its handler returns, so a build run here
  // could not free a batch before the end: run it once this handler is done, then collect.
  await new Promise<void>((resolve) => setImmediate(resolve));
  try {
    return answer(job);
  } finally {
    job.batches.length = 0;
    collect();
  }
});
