/** The XGBoost binding: the real libxgboost through koffi, handles owned by small classes. */

export { exitImmediately } from "./_exit.js";
export { DEFAULT_LIBRARY_NAMES, INSTALL_HINT, loadXGBoost } from "./_library.js";
export { sharedPool, XGBoostPool } from "./_pool.js";
export {
  firstMismatch,
  type PreparedTrees,
  type PrepareOptions,
  TIMED_ROWS,
  TOLERANCE,
  type WalkerTiming,
} from "./_tree-prepare.js";
export { Booster, type ModelFormat, type PredictConfig, type Prediction } from "./booster.js";
export {
  Collective,
  type CollectiveOptions,
  collectiveAbandoned,
  type ReduceOp,
  workerConfig,
} from "./collective.js";
export {
  type CsrData,
  type DenseBatch,
  type DenseData,
  DMatrix,
  type DMatrixOptions,
  type QuantileOptions,
} from "./dmatrix.js";
export { Tracker, type TrackerOptions } from "./tracker.js";
export {
  compileTreeModel,
  type ProbeBatch,
  type ProbeOptions,
  probeBatch,
  readUbj,
  type TreeKernel,
  type TreePredictor,
  type TreeSpec,
  treeModelSupport,
  treePredictorFromSpec,
  treeSpecOf,
} from "./tree-predictor.js";

import { loadXGBoost } from "./_library.js";

/** The loaded library's version, e.g. `[1, 7, 4]`. Throws SB_XGBOOST_MISSING when none is found. */
export function xgboostVersion(): readonly [number, number, number] {
  return loadXGBoost().version;
}

/**
 * Hands memory that was freed (for example by parse threads) back to the OS, so a long training
 * run does not keep the loading peak as its resident size. glibc only; elsewhere a no-op.
 */
export function trimNativeHeap(): void {
  loadXGBoost().trimHeap();
}

export { collectGarbage } from "./_collect.js";

/**
 * While `on`, native allocations of 1 MiB or more get pages of their own, returned to the OS when
 * freed; off, blocks up to 32 MiB come from the heap again. glibc raises that threshold by itself
 * to the size of the largest block freed, after which the large temporaries of XGBoost's quantile
 * build are carved from its heaps and stay resident once freed, at the end of the build, a large
 * training's peak (bench/RESULTS.md, "Training memory"). Off for the rounds: their per-round
 * buffers would be mapped and zeroed afresh each round. glibc only; elsewhere a no-op.
 */
export function mapLargeNativeAllocations(on: boolean): void {
  loadXGBoost().mapFrom(on ? 1 << 20 : 32 << 20);
}
