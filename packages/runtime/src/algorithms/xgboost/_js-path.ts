/**
 * Chooses, per loaded booster, which dense requests skip the native call and walk the trees in
 * JavaScript (`xgboost/tree-predictor.ts`): small ones whenever the JS predictor compiles the model
 * and agrees with the native predictor on a probe batch aimed at every leaf and branch direction
 * (so it can never give a silently different answer), and requests of any size when, on top of
 * that, the pool threads timed it faster than libxgboost after start-up (`timeJsPath`).
 */
import {
  type Booster,
  compileTreeModel,
  type DenseData,
  type Prediction,
  probeBatch,
  type TreePredictor,
  treeModelSupport,
  type XGBoostPool,
} from "../../xgboost/index.js";

/**
 * Rows × trees up to which a request uses the JS predictor whatever its speed on large batches.
 * Measured by `bench/predict.ts` (Node 20, one core, µs per call): native costs about 23 µs per
 * call before any tree is walked. On the iris model (60 trees of depth 3) JS takes 0.15 µs for
 * 1 row and 10.8 for 100 (native 23.1 and 43.3); on 100 trees of depth 6, 1.9 for 1 row, 13.6 for
 * 10 and 147 for 100 (native 25.0, 38.0 and 209), though native wins on large batches of that model
 * (170 vs 109 ms per 100,000 rows). So 10,000 keeps JS faster on both (100 rows of 100 trees).
 */
export const DEFAULT_JS_WORK_LIMIT = 10_000;

/**
 * Models with more trees (or rounds) stay native: the generated source grows with the trees, and
 * such a model spends its time in large requests, where timing decides anyway.
 */
export const MAX_JS_TREES = 500;

/** Values agree when within 1e-6, or 1e-6 relative for magnitudes above 1 (float32 steps exceed 1e-6 there). */
const TOLERANCE = 1e-6;

/** The JS predictor of one booster and the requests it serves. */
export interface JsPath {
  readonly predictor: TreePredictor;
  /** Rows up to which a request is small enough for JS whatever its speed per row. */
  readonly maxRows: number;
  /**
   * JS was faster than native per row when timed (`timeJsPath`), or is taken as such: it serves
   * requests of any size. False until timed.
   */
  beatsNative: boolean;
  /** Rows it was timed on, to warm the pool threads' copies with (`XGBoostPool.warmTrees`). */
  readonly sample: DenseData;
  /** Set while the handler times it: large requests wait for the outcome. */
  timing?: Promise<void> | undefined;
}

/** How `beatsNative` is decided: timed (`timeJsPath`, after start-up), or fixed. */
export type JsSpeedChoice = "measure" | "always" | "never";

/** The outcome of `chooseJsPath`: a path, or `undefined` and why the native predictor stays. */
export interface JsPathChoice {
  readonly path: JsPath | undefined;
  readonly reason: string;
}

/**
 * Compiles `booster` and checks parity on a probe batch. With `speed` `"measure"`, the path
 * serves small requests until `timeJsPath` has timed it (off the start-up path).
 *
 * @example const { path, reason } = chooseJsPath(booster, DEFAULT_JS_WORK_LIMIT);
 */
export function chooseJsPath(
  booster: Booster,
  workLimit: number = DEFAULT_JS_WORK_LIMIT,
  speed: JsSpeedChoice = "measure",
): JsPathChoice {
  if (workLimit < 1) return { path: undefined, reason: "disabled (work limit 0)" };
  const treeLimit = Math.min(workLimit, MAX_JS_TREES);
  const beyond = treeLimit === workLimit ? `the work limit ${workLimit}` : `${MAX_JS_TREES}`;
  // Trees ≥ rounds: a large model is turned down before it is saved and parsed as JSON.
  const rounds = booster.boostedRounds;
  if (rounds > treeLimit) return { path: undefined, reason: `${rounds} rounds exceed ${beyond}` };
  let json: unknown;
  try {
    json = JSON.parse(booster.save("json").toString("utf8"));
  } catch (e) {
    return { path: undefined, reason: `cannot read the model as JSON: ${(e as Error).message}` };
  }
  const predictor = compileTreeModel(json);
  if (!predictor) return { path: undefined, reason: `unsupported model: ${treeModelSupport(json)}` };
  if (predictor.numTrees > treeLimit)
    return { path: undefined, reason: `${predictor.numTrees} trees exceed ${beyond}` };
  const maxRows = Math.floor(workLimit / Math.max(1, predictor.numTrees));
  const probe = probeBatch(predictor);
  const data = { values: probe.values, rows: probe.rows, cols: predictor.numFeatures };
  let native: Float32Array;
  try {
    native = booster.predictDense(data).values;
  } catch (e) {
    return { path: undefined, reason: `native prediction of the probe failed: ${(e as Error).message}` };
  }
  const js = predictor.predict(probe.values, probe.rows);
  const mismatch = firstMismatch(js, native);
  if (mismatch !== undefined) return { path: undefined, reason: `parity check failed: ${mismatch}` };
  const agrees = `agrees with native on ${probe.rows} probe rows within ${TOLERANCE}`;
  return {
    path: { predictor, maxRows, beatsNative: speed === "always", sample: sampleRows(predictor, probe) },
    reason: speed === "measure" ? agrees : `${agrees}; ${speed} for large requests`,
  };
}

/**
 * Times the JS predictor of `path` against `booster`'s native one on `pool`'s threads and sets
 * `path.beatsNative`; resolves to the figures, e.g. `130 ns per row in JS, 430 native`. The
 * threads first run the JS predictor a few times (`XGBoostPool.warmTrees`: V8 optimises new code
 * after some runs, and a server runs it hot); then each side runs 3 times on `path.sample`,
 * alternating, best run counted. Nothing runs on the calling thread but hand-offs, so `/ping`
 * and small requests are served meanwhile.
 */
export async function timeJsPath(booster: Booster, path: JsPath, pool: XGBoostPool): Promise<string> {
  const { values, rows } = path.sample;
  await pool.warmTrees(path.predictor, values, rows);
  let js = Number.POSITIVE_INFINITY;
  let native = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    let t = performance.now();
    await pool.predictTrees(path.predictor, values, rows);
    js = Math.min(js, performance.now() - t);
    t = performance.now();
    await booster.predictDenseAsync(path.sample);
    native = Math.min(native, performance.now() - t);
  }
  path.beatsNative = js < native;
  return `${Math.round((js * 1e6) / rows)} ns per row in JS, ${Math.round((native * 1e6) / rows)} native`;
}

/** Row × tree visits per timed run: a few ms of native work (iris: 4,096 rows). */
const TIMED_WORK = 2_000_000;

/**
 * Rows for timing and warming a predictor: its probe rows repeated to 256–4,096 rows (fewer for
 * more trees: about `TIMED_WORK` row × tree visits).
 */
function sampleRows(p: TreePredictor, probe: { values: Float32Array; rows: number }): DenseData {
  const cols = p.numFeatures;
  const rows = Math.max(256, Math.min(4096, Math.floor(TIMED_WORK / Math.max(1, p.numTrees))));
  const values = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const from = (r % probe.rows) * cols;
    values.set(probe.values.subarray(from, from + cols), r * cols);
  }
  return { values, rows, cols };
}

/** Where two predictions differ beyond the tolerance, or `undefined` when they agree. */
export function firstMismatch(js: Float32Array | undefined, native: Float32Array): string | undefined {
  if (!js || js.length !== native.length)
    return `${js?.length ?? "no"} values from JavaScript, ${native.length} from native`;
  for (let i = 0; i < js.length; i++) {
    const a = js[i]!;
    const b = native[i]!;
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (!(Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(b))))
      return `value ${i} is ${a} in JavaScript, ${b} native`;
  }
  return undefined;
}

/** The JS prediction for `data` on this thread, or `undefined` when the request should go native. */
export function predictJs(path: JsPath | undefined, data: DenseData): Prediction | undefined {
  if (!path || !(data.rows <= path.maxRows || path.beatsNative)) return undefined;
  if (data.cols !== path.predictor.numFeatures) return undefined;
  const values = path.predictor.predict(data.values, data.rows);
  if (!values) return undefined;
  const width = path.predictor.width;
  return { values, shape: width === 1 ? [data.rows] : [data.rows, width] };
}
