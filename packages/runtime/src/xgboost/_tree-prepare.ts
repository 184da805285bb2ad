/**
 * On a pool thread, off the event loop: turns a loaded booster into the JavaScript walkers of its
 * trees, proves them against libxgboost, and times them against it — the work `serve` does in the
 * background once `/ping` says 200, while libxgboost serves.
 *
 *  1. the model as libxgboost saves it in UBJ, read into a `TreeSpec` (typed arrays, no JSON text);
 *  2. the probe batch (`_tree-probe.ts`) predicted by libxgboost and by each walker: the margins
 *     must be bit for bit the library's and the outputs within `TOLERANCE`;
 *  3. each walker warmed, then timed against libxgboost on batches of `TIMED_ROWS` rows,
 *     alternating, the fastest of several runs kept.
 */
import { check, type XGBoostApi } from "./_library.js";
import { predictConfig, predictDense } from "./_ops.js";
import { probeBatch } from "./_tree-probe.js";
import { type PrepareOptions, specOf, type TreeSpec, Unsupported } from "./_tree-spec.js";
import { readUbj } from "./_ubj.js";
import { type TreeKernel, type TreePredictor, treePredictorFromSpec } from "./tree-predictor.js";

/** Values agree when within 1e-6, or 1e-6 relative for magnitudes above 1 (float32 steps exceed 1e-6 there). */
export const TOLERANCE = 1e-6;

/** Request sizes (rows) the walkers are timed at; larger requests take the last one's choice. */
export const TIMED_ROWS = [1, 4, 16, 64, 256, 1024] as const;

export type { PrepareOptions } from "./_tree-spec.js";

/** µs per call of each walker at one request size; `undefined` where it was not built. */
export interface WalkerTiming {
  readonly rows: number;
  readonly libxgboost: number;
  readonly loop: number;
  readonly generated?: number | undefined;
}

/** The outcome of `prepareTrees`: walkers that agree with libxgboost, or why there are none. */
export interface PreparedTrees {
  readonly spec?: TreeSpec;
  /** The kernels that passed the parity check (the loop always when any did). */
  readonly kernels: readonly TreeKernel[];
  /** Why the walkers serve, or why they do not. */
  readonly reason: string;
  readonly timings: readonly WalkerTiming[];
  /** A few probe rows and libxgboost's margins for them, for another thread to check its own copy against. */
  readonly check?: { readonly values: Float32Array; readonly rows: number; readonly margins: Float32Array };
  /** The nice value the preparing thread ran at, where it could be read (set by the pool thread). */
  readonly nice?: number | undefined;
}

/** Per-node arrays of XGBoost's model that the walkers do not read (stepped over, never decoded). */
const UNUSED = new Set([
  "base_weights",
  "loss_changes",
  "sum_hessian",
  "parents",
  "categories",
  "categories_nodes",
]);

/** libxgboost's predictions: `type` 0 values, 1 margins (nthread as the booster has it). */
function native(
  api: XGBoostApi,
  booster: number,
  values: Float32Array,
  rows: number,
  cols: number,
  type: 0 | 1,
) {
  return predictDense(api, booster, values, rows, cols, predictConfig({ type })).values;
}

/** The UBJ bytes of the booster's model, saved on this thread. */
function saveUbj(api: XGBoostApi, booster: number): Uint8Array {
  const len = [0];
  const ptr = [0];
  check(
    api,
    api.fn.XGBoosterSaveModelToBuffer!(booster, '{"format":"ubj"}', len, ptr),
    "save the model as ubj",
  );
  const out = new Uint8Array(Number(len[0]));
  api.copyFrom(out, ptr[0]!, out.length);
  return out;
}

/** Where two predictions differ (exactly, or beyond `TOLERANCE`), or `undefined` when they agree. */
export function firstMismatch(
  js: Float32Array | undefined,
  expected: Float32Array,
  tolerance = TOLERANCE,
): string | undefined {
  if (!js || js.length !== expected.length)
    return `${js?.length ?? "no"} values from JavaScript, ${expected.length} from native`;
  for (let i = 0; i < js.length; i++) {
    const a = js[i]!;
    const b = expected[i]!;
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (!(Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b))))
      return `value ${i} is ${a} in JavaScript, ${b} native`;
  }
  return undefined;
}

/** Builds, checks and times the walkers of `booster` (a handle this thread may use). */
export function prepareTrees(api: XGBoostApi, booster: number, options: PrepareOptions): PreparedTrees {
  const none = (reason: string): PreparedTrees => ({ kernels: [], reason, timings: [] });
  let model: unknown;
  try {
    model = readUbj(saveUbj(api, booster), { skip: UNUSED });
  } catch (e) {
    return none(`cannot read the model: ${(e as Error).message}`);
  }
  const spec = specOf(model);
  model = undefined;
  if (spec instanceof Unsupported) return none(`unsupported model: ${spec.reason}`);
  const cols = spec.numFeatures;
  const probe = probeBatch(spec);
  // The margins are checked on every probe row; the objective's transform, the same code for
  // every row, on at most `OUTPUT_ROWS` of them (spread over the batch): half the work on a big model.
  const outputs = strided(probe, cols, OUTPUT_ROWS);
  let nativeMargins: Float32Array;
  let nativeValues: Float32Array;
  try {
    nativeMargins = native(api, booster, probe.values, probe.rows, cols, 1);
    nativeValues = native(api, booster, outputs.values, outputs.rows, cols, 0);
  } catch (e) {
    return none(`native prediction of the probe failed: ${(e as Error).message}`);
  }
  const nodes = spec.nodes.length / 3;
  const kinds: TreeKernel[] = nodes <= options.generatedMaxNodes ? ["loop", "generated"] : ["loop"];
  const walkers: TreePredictor[] = [];
  for (const kind of kinds) {
    const p = treePredictorFromSpec(spec, kind);
    if (p.kernel !== kind) continue; // code generation refused
    const margins = firstMismatch(p.margins(probe.values, probe.rows), nativeMargins, 0);
    if (margins !== undefined) return none(`parity check of the ${kind} walker failed: margin ${margins}`);
    const values = firstMismatch(p.predict(outputs.values, outputs.rows), nativeValues);
    if (values !== undefined) return none(`parity check of the ${kind} walker failed: ${values}`);
    walkers.push(p);
  }
  const reason =
    `${walkers.map((w) => w.kernel).join(" and ")} walker${walkers.length > 1 ? "s agree" : " agrees"} with libxgboost ` +
    `on ${probe.rows} probe rows (margins bit for bit; outputs within ${TOLERANCE} on ${outputs.rows} of them)` +
    (kinds.length < 2 ? `; no generated walker for ${nodes} nodes (over ${options.generatedMaxNodes})` : "");
  const checkRows = Math.min(probe.rows, 64);
  const checked = {
    values: probe.values.slice(0, checkRows * cols),
    rows: checkRows,
    margins: nativeMargins.slice(0, checkRows * spec.groups),
  };
  const cancelled = () => options.cancel !== undefined && Atomics.load(options.cancel, 0) !== 0;
  const timings = options.time ? time(api, booster, walkers, probe, cancelled) : [];
  if (cancelled()) return none("the server stopped before the walkers were timed");
  return { spec, kernels: walkers.map((w) => w.kernel), reason, timings, check: checked };
}

/** Probe rows on which the outputs (after the objective's transform) are compared. */
const OUTPUT_ROWS = 1024;

/** At most `most` of the probe's rows, evenly spread (all of them when there are fewer). */
function strided(probe: { values: Float32Array; rows: number }, cols: number, most: number) {
  const stride = Math.max(1, Math.ceil(probe.rows / most));
  if (stride === 1) return probe;
  const rows = Math.ceil(probe.rows / stride);
  const values = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    values.set(probe.values.subarray(r * stride * cols, (r * stride + 1) * cols), r * cols);
  return { values, rows };
}

/** Batches of `rows` rows cut from the probe rows (repeated when there are fewer). */
function batchOf(probe: { values: Float32Array; rows: number }, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const from = ((r * 7919) % probe.rows) * cols;
    out.set(probe.values.subarray(from, from + cols), r * cols);
  }
  return out;
}

/** How long a walker may be run before it is timed, waiting for V8 to optimise it. */
const STEADY_MAX_MS = 3000;
/** The least time its speed must have stayed flat (and runs) before it counts as optimised. */
const STEADY_FLAT_MS = 50;
const STEADY_FLAT_RUNS = 10;

/**
 * Runs `w` on larger batches until its time on 64 rows stops falling: flat for as long as it took
 * to reach its best (at least `STEADY_FLAT_MS`). V8 optimises on threads of its own: on a busy
 * machine their work may land long after a fixed number of runs, and a walker timed before it did
 * loses to libxgboost at every size, for the life of the server.
 */
function untilSteady(
  w: TreePredictor,
  big: Float32Array,
  timed: Float32Array,
  cancelled: () => boolean,
): void {
  const start = performance.now();
  let best = Number.POSITIVE_INFINITY;
  let bestAt = start;
  let flatRuns = 0;
  for (;;) {
    const now = performance.now();
    if (now - start > STEADY_MAX_MS || cancelled()) return;
    const flatFor = Math.max(STEADY_FLAT_MS, bestAt - start);
    if (now - bestAt > flatFor && flatRuns >= STEADY_FLAT_RUNS) return;
    w.margins(big, 256);
    const t = performance.now();
    w.margins(timed, 64);
    const ms = performance.now() - t;
    if (ms < 0.9 * best) {
      best = ms;
      bestAt = performance.now();
      flatRuns = 0;
    } else flatRuns++;
  }
}

/**
 * µs per call of libxgboost and each walker at every `TIMED_ROWS` size: each walker first run
 * until V8 has optimised it (as a server's copy will be before it serves), then the contenders
 * alternate, each run at least 3 times and about 2 ms, the fastest run counted (the least
 * disturbed by other work on the machine).
 */
function time(
  api: XGBoostApi,
  booster: number,
  walkers: readonly TreePredictor[],
  probe: { values: Float32Array; rows: number },
  cancelled: () => boolean,
): WalkerTiming[] {
  const cols = walkers[0]!.numFeatures;
  const big = batchOf(probe, 1024, cols);
  const timed = batchOf(probe, 64, cols);
  for (const w of walkers) {
    for (let i = 0; i < 4; i++) w.margins(big, 1024);
    for (let i = 0; i < 300; i++) w.margins(big, 1 + (i % 8));
    untilSteady(w, big, timed, cancelled);
  }
  const out: WalkerTiming[] = [];
  for (const rows of TIMED_ROWS) {
    if (cancelled()) return out;
    const values = batchOf(probe, rows, cols);
    const runs: Array<() => unknown> = [
      () => native(api, booster, values, rows, cols, 0),
      ...walkers.map((w) => () => w.predict(values, rows)),
    ];
    const best = runs.map(() => Number.POSITIVE_INFINITY);
    const spent = runs.map(() => 0);
    for (let round = 0; round < 50 && (round < 3 || spent.some((s) => s < 2)); round++) {
      for (let i = 0; i < runs.length; i++) {
        // Tiny calls are timed in tens, so that the clock's resolution does not decide.
        const calls = rows < 16 ? 20 : 1;
        const t = performance.now();
        for (let c = 0; c < calls; c++) runs[i]!();
        const ms = performance.now() - t;
        spent[i]! += ms;
        best[i] = Math.min(best[i]!, (ms * 1000) / calls);
      }
    }
    const kernel = (k: TreeKernel) => {
      const i = walkers.findIndex((w) => w.kernel === k);
      return i < 0 ? undefined : best[i + 1];
    };
    out.push({
      rows,
      libxgboost: best[0]!,
      loop: kernel("loop") ?? Number.POSITIVE_INFINITY,
      generated: kernel("generated"),
    });
  }
  return out;
}
