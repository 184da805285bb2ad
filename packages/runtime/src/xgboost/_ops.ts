/**
 * The XGBoost calls that may run on a worker thread. Each takes plain numbers and typed arrays, so
 * the same function serves a synchronous call on the main thread and a job on a pool thread; the
 * error text is read on the thread that made the call (XGBGetLastError is thread-local).
 */
import { SagebrewError } from "../errors/index.js";
import { collectGarbage } from "./_collect.js";
import { allreduce, broadcast, commFinalize, commInit, type ReduceOp } from "./_collective.js";
import { arrayInterface, configJson } from "./_interface.js";
import { check, type XGBoostApi } from "./_library.js";
import { type Spilled, SpillFile } from "./_spill.js";
import type { PrepareOptions } from "./_tree-spec.js";
import type { TreeKernel, TreeSpec } from "./tree-predictor.js";

export interface Prediction {
  /** Row-major prediction values. */
  readonly values: Float32Array;
  /** Shape as XGBoost reports it (rows first). */
  readonly shape: readonly number[];
  /** A dense prediction on a pool thread: how long libxgboost took there (ms). */
  readonly ms?: number;
}

export interface PredictConfig {
  /** 0 value, 1 margin, 2 contributions, 3 approx contributions, 4 interactions, 5 approx interactions, 6 leaf. */
  type?: number;
  iterationBegin?: number;
  iterationEnd?: number;
  strictShape?: boolean;
  missing?: number;
}

export function predictConfig(c: PredictConfig): string {
  return configJson({
    type: c.type ?? 0,
    training: false,
    iteration_begin: c.iterationBegin ?? 0,
    iteration_end: c.iterationEnd ?? 0,
    strict_shape: c.strictShape ?? false,
    missing: c.missing ?? Number.NaN,
    cache_id: 0,
  });
}

function readPrediction(api: XGBoostApi, shapeAddr: number, dim: number, resultAddr: number): Prediction {
  const shapeBuf = new BigUint64Array(new ArrayBuffer(dim * 8));
  api.copyFrom(shapeBuf, shapeAddr, dim * 8);
  const shape = Array.from(shapeBuf, Number);
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(new ArrayBuffer(size * 4));
  api.copyFrom(values, resultAddr, size * 4);
  return { values, shape };
}

export function updateOneIter(api: XGBoostApi, booster: number, iter: number, dtrain: number): void {
  check(api, api.fn.XGBoosterUpdateOneIter!(booster, iter, dtrain), `run boosting round ${iter}`);
}

export function evalOneIter(
  api: XGBoostApi,
  booster: number,
  iter: number,
  dmats: readonly number[],
  names: readonly string[],
): string {
  const out = [""];
  check(
    api,
    api.fn.XGBoosterEvalOneIter!(booster, iter, dmats, names, dmats.length, out),
    `evaluate round ${iter}`,
  );
  return String(out[0]);
}

export function predictDMatrix(api: XGBoostApi, booster: number, dmat: number, config: string): Prediction {
  const shape = [0];
  const dim = [0];
  const result = [0];
  check(api, api.fn.XGBoosterPredictFromDMatrix!(booster, dmat, config, shape, dim, result), "predict");
  return readPrediction(api, shape[0]!, Number(dim[0]), result[0]!);
}

/**
 * One proxy DMatrix per thread (per loaded library), reused by every in-place prediction. Handing
 * libxgboost none makes it build a fresh proxy per call, and XGBoost 1.7 reads the CPU quota's
 * two cgroup files whenever it builds one: two opens, reads and closes of sysfs per prediction,
 * a large part of a 1-row call (bench/RESULTS.md). The proxy only ever holds the latest call's
 * array (SetArrayData replaces it); it is never read between calls.
 */
const proxies = new WeakMap<XGBoostApi, number>();
function predictProxy(api: XGBoostApi): number {
  let proxy = proxies.get(api);
  if (proxy === undefined) {
    const out = [0];
    check(api, api.fn.XGProxyDMatrixCreate!(out), "create a proxy DMatrix");
    proxy = out[0]!;
    proxies.set(api, proxy);
  }
  return proxy;
}

export function predictDense(
  api: XGBoostApi,
  booster: number,
  values: Float32Array,
  rows: number,
  cols: number,
  config: string,
): Prediction {
  const shape = [0];
  const dim = [0];
  const result = [0];
  const data = arrayInterface(api, values, [rows, cols]);
  check(
    api,
    api.fn.XGBoosterPredictFromDense!(booster, data, config, predictProxy(api), shape, dim, result),
    "predict",
  );
  return readPrediction(api, shape[0]!, Number(dim[0]), result[0]!);
}

export function predictCsr(
  api: XGBoostApi,
  booster: number,
  csr: { indptr: Uint32Array | BigUint64Array; indices: Uint32Array; values: Float32Array; cols: number },
  config: string,
): Prediction {
  const shape = [0];
  const dim = [0];
  const result = [0];
  check(
    api,
    api.fn.XGBoosterPredictFromCSR!(
      booster,
      arrayInterface(api, csr.indptr, [csr.indptr.length]),
      arrayInterface(api, csr.indices, [csr.indices.length]),
      arrayInterface(api, csr.values, [csr.values.length]),
      csr.cols,
      config,
      predictProxy(api),
      shape,
      dim,
      result,
    ),
    "predict",
  );
  return readPrediction(api, shape[0]!, Number(dim[0]), result[0]!);
}

/** One batch of dense rows for a quantile DMatrix. */
export interface DenseBatch {
  values: Float32Array;
  rows: number;
  cols: number;
  labels?: Float32Array;
  weights?: Float32Array;
}

let passes: number | undefined;

/**
 * How many times this XGBoost build reads the batches (it differs between versions), found once by
 * building a tiny matrix; the last pass is the one during which batches can be released.
 */
function passesOf(api: XGBoostApi): number {
  if (passes === undefined) {
    const tiny = (v: number) => ({
      values: new Float32Array([v, v + 1]),
      rows: 1,
      cols: 2,
      labels: new Float32Array([0]),
    });
    let count = 0;
    const counting = new Proxy([tiny(0), tiny(1)] as Array<DenseBatch | undefined>, {
      get(target, key, receiver) {
        if (key === "0") count++;
        return Reflect.get(target, key, receiver);
      },
    });
    const handle = quantileFromBatches(api, counting, { nthread: 1 }, -1);
    api.fn.XGDMatrixFree!(handle);
    passes = count;
  }
  return passes > 1 ? passes : -1;
}

/**
 * Frees a typed array's memory now, without waiting for V8 to collect it: transferring its buffer
 * to a zero-length one detaches it, and the old backing store goes (ES2024, Node 22 and newer).
 * Only for arrays nothing else will read.
 */
function freeNow(values: Float32Array): void {
  const buffer = values.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (buffer instanceof ArrayBuffer && typeof buffer.transfer === "function") buffer.transfer(0);
}

/**
 * The largest batch XGBoost is handed when batches are spilled: the buffer they are read back into
 * is this large, and it is held on top of XGBoost's sketch and index through the later passes
 * (parallel CSV parsing hands over one part per thread, each a share of the whole data).
 */
export const SPILL_CHUNK_BYTES = 8 << 20;

/**
 * `batches` cut into row-aligned views of at most `maxBytes` of values (at least one row each),
 * and for each view that ends a batch, that batch's values (to free once the view is spilled).
 */
function chunkOf(
  batches: Array<DenseBatch | undefined>,
  maxBytes: number,
): { chunks: Array<DenseBatch | undefined>; endsPart: Array<Float32Array | undefined> } {
  const chunks: Array<DenseBatch | undefined> = [];
  const endsPart: Array<Float32Array | undefined> = [];
  for (const b of batches) {
    if (!b) {
      chunks.push(undefined);
      endsPart.push(undefined);
      continue;
    }
    const per = Math.max(1, Math.floor(maxBytes / (4 * Math.max(1, b.cols))));
    if (b.rows <= per) {
      chunks.push(b);
      endsPart.push(b.values);
      continue;
    }
    for (let start = 0; start < b.rows; start += per) {
      const end = Math.min(b.rows, start + per);
      const rows = end - start;
      chunks.push({
        values: b.values.subarray(start * b.cols, end * b.cols),
        rows,
        cols: b.cols,
        ...(b.labels ? { labels: b.labels.subarray(start, end) } : {}),
        ...(b.weights ? { weights: b.weights.subarray(start, end) } : {}),
      });
      endsPart.push(end >= b.rows ? b.values : undefined);
    }
  }
  return { chunks, endsPart };
}

/** Bytes of batches moved to the spill file between two collections (so their memory is returned). */
const COLLECT_EVERY = 32 << 20;

/**
 * Builds a QuantileDMatrix (hist's quantised matrix) from dense batches through XGBoost's
 * data-iterator callbacks. XGBoost reads the batches several times (1.7: column sizes, sketch,
 * index, column matrix). With `spillDir`, each batch moves to a temporary file there once the
 * first pass is past it (`_spill.ts`) and is read back for the later passes, so the float data is
 * not held while XGBoost's sketch and index grow; a batch that cannot be written (a full disk)
 * stays in memory. Without it (or for batches kept), during the last pass each batch is dropped
 * as soon as XGBoost has moved past it.
 */
export function quantileFromBatches(
  api: XGBoostApi,
  batches: Array<DenseBatch | undefined>,
  config: {
    missing?: number;
    nthread?: number;
    maxBin?: number;
    spillDir?: string;
    /** With `spillDir`: XGBoost's batches are at most this many bytes of values (default `SPILL_CHUNK_BYTES`). */
    spillChunkBytes?: number;
  },
  releaseFrom: number = passesOf(api),
): number {
  const proxy = [0];
  // Spilled batches are read back into one buffer of the largest batch's size, held through the
  // later passes: so XGBoost is handed row-aligned views of at most `chunkBytes` of the parts
  // (a part is freed once its last view has been written).
  const parts =
    config.spillDir !== undefined ? chunkOf(batches, config.spillChunkBytes ?? SPILL_CHUNK_BYTES) : undefined;
  if (parts) batches = parts.chunks;
  check(api, api.fn.XGProxyDMatrixCreate!(proxy), "create a proxy DMatrix");
  let pass = 0;
  let firstPass = -1;
  let index = 0;
  let failure: unknown;
  // What every pass needs besides the values, kept whether the values are in memory or spilled.
  const shapes = batches.map(
    (b) => b && { rows: b.rows, cols: b.cols, labels: b.labels, weights: b.weights },
  );
  let spill: SpillFile | undefined;
  let spillFull = false;
  if (config.spillDir !== undefined) {
    try {
      spill = new SpillFile(config.spillDir);
    } catch {
      spill = undefined; // no file can be made there: the batches stay in memory
    }
  }
  const spilled: Array<Spilled | undefined> = [];
  let unreturned = 0;
  const moveOut = (i: number) => {
    const b = batches[i];
    if (!spill || spillFull || !b) return;
    try {
      spilled[i] = spill.write(b.values);
    } catch {
      spillFull = true; // this one and the rest stay in memory
      return;
    }
    batches[i] = undefined;
    const whole = parts ? parts.endsPart[i] : b.values;
    if (!whole) return;
    unreturned += whole.byteLength;
    freeNow(whole);
    if (unreturned >= COLLECT_EVERY) {
      collectGarbage();
      unreturned = 0;
    }
  };
  // biome-ignore lint/suspicious/noExplicitAny: koffi's register() takes a prototype pointer type.
  const k = api.koffi as any;
  const reset = k.register(() => {
    pass++;
    index = 0;
  }, k.pointer(api.callbacks.reset));
  const next = k.register(() => {
    try {
      if (firstPass < 0) firstPass = pass;
      if (pass === firstPass && index > 0) moveOut(index - 1);
      if (releaseFrom > 0 && pass >= releaseFrom && index > 0) batches[index - 1] = undefined;
      if (index >= batches.length) {
        if (pass === firstPass && unreturned > 0) {
          collectGarbage();
          unreturned = 0;
        }
        return 0;
      }
      const b = shapes[index];
      const inMemory = batches[index]?.values;
      const at = spilled[index];
      const values = inMemory ?? (at && spill ? spill.read(at) : undefined);
      if (!b || !values) throw new Error(`batch ${index} was released before XGBoost read it`);
      check(
        api,
        api.fn.XGProxyDMatrixSetDataDense!(proxy[0]!, arrayInterface(api, values, [b.rows, b.cols])),
        "set batch data",
      );
      if (b.labels)
        check(
          api,
          api.fn.XGDMatrixSetFloatInfo!(proxy[0]!, "label", b.labels, b.labels.length),
          "set batch labels",
        );
      if (b.weights)
        check(
          api,
          api.fn.XGDMatrixSetFloatInfo!(proxy[0]!, "weight", b.weights, b.weights.length),
          "set batch weights",
        );
      index++;
      return 1;
    } catch (e) {
      failure = e;
      return 0;
    }
  }, k.pointer(api.callbacks.next));
  try {
    const out = [0];
    const cfg = configJson({
      missing: config.missing ?? Number.NaN,
      nthread: config.nthread ?? 0,
      max_bin: config.maxBin ?? 256,
    });
    const rc = api.fn.XGQuantileDMatrixCreateFromCallback!(0, proxy[0]!, 0, reset, next, cfg, out);
    if (failure) throw failure;
    check(api, rc, "build a quantile DMatrix");
    return out[0]!;
  } finally {
    k.unregister(reset);
    k.unregister(next);
    api.fn.XGDMatrixFree!(proxy[0]!);
    spill?.close();
  }
}

/** Dense rows, or CSR rows, with labels and weights, to build a DMatrix from. */
export interface MatrixInput {
  readonly dense?: { values: Float32Array; rows: number; cols: number };
  readonly csr?: {
    indptr: Uint32Array | BigUint64Array;
    indices: Uint32Array;
    values: Float32Array;
    rows: number;
    cols: number;
  };
  readonly labels?: Float32Array;
  readonly weights?: Float32Array;
  readonly missing?: number;
  readonly nthread?: number;
}

/** Builds a DMatrix (XGBoost copies the data in) and sets its labels and weights; returns the handle. */
export function matrixFrom(api: XGBoostApi, input: MatrixInput): number {
  const out = [0];
  const config = configJson({ missing: input.missing ?? Number.NaN, nthread: input.nthread ?? 0 });
  if (input.dense) {
    const d = input.dense;
    check(
      api,
      api.fn.XGDMatrixCreateFromDense!(arrayInterface(api, d.values, [d.rows, d.cols]), config, out),
      "create a DMatrix from dense data",
    );
  } else if (input.csr) {
    const c = input.csr;
    check(
      api,
      api.fn.XGDMatrixCreateFromCSR!(
        arrayInterface(api, c.indptr, [c.indptr.length]),
        arrayInterface(api, c.indices, [c.indices.length]),
        arrayInterface(api, c.values, [c.values.length]),
        c.cols,
        config,
        out,
      ),
      "create a DMatrix from CSR data",
    );
  } else throw new SagebrewError("SB_INTERNAL", "A DMatrix needs dense or CSR rows");
  const handle = out[0]!;
  try {
    for (const [field, values] of [
      ["label", input.labels],
      ["weight", input.weights],
    ] as const) {
      if (values)
        check(api, api.fn.XGDMatrixSetFloatInfo!(handle, field, values, values.length), `set ${field}`);
    }
  } catch (e) {
    api.fn.XGDMatrixFree!(handle);
    throw e;
  }
  return handle;
}

export function createBooster(api: XGBoostApi, dmats: readonly number[]): number {
  const out = [0];
  check(api, api.fn.XGBoosterCreate!(dmats, dmats.length, out), "create a booster");
  return out[0]!;
}

/** A job for a pool thread. */
export type Job =
  | {
      op: "quantile";
      batches: DenseBatch[];
      missing?: number;
      nthread?: number;
      maxBin?: number;
      spillDir?: string;
      spillChunkBytes?: number;
    }
  | { op: "matrix"; input: MatrixInput }
  /** Creates a booster whose prediction cache, which XGBoost keeps per thread, is this thread's. */
  | { op: "booster"; dmats: number[] }
  /** Joins the ring (the collective's thread only; see `collective.ts`). */
  | { op: "commInit"; config: string }
  | { op: "commFinalize" }
  | { op: "allreduce"; values: Float64Array; reduce: ReduceOp }
  | { op: "broadcast"; values: Uint8Array; root: number }
  | { op: "update"; booster: number; iter: number; dtrain: number }
  /** How many batches of past quantile builds the pool thread still holds (answered by `_worker.ts`). */
  | { op: "heldBatches" }
  /**
   * Dense rows through the JavaScript tree predictor `key`, which the thread builds from `spec` the
   * first time (answered by `_worker.ts`, which keeps the predictors).
   */
  | {
      op: "trees";
      key: number;
      spec: TreeSpec | undefined;
      kernel: TreeKernel;
      values: Float32Array;
      rows: number;
    }
  /** Builds, checks and times the JavaScript walkers of a booster (answered by `_worker.ts`). */
  | { op: "prepareTrees"; booster: number; options: PrepareOptions }
  /** Drops the thread's predictor `key` (answered by `_worker.ts`). */
  | { op: "forgetTrees"; key: number }
  | { op: "eval"; booster: number; iter: number; dmats: number[]; names: string[] }
  | { op: "predictDMatrix"; booster: number; dmat: number; config: string }
  | { op: "predictDense"; booster: number; values: Float32Array; rows: number; cols: number; config: string }
  | {
      op: "predictCsr";
      booster: number;
      indptr: Uint32Array | BigUint64Array;
      indices: Uint32Array;
      values: Float32Array;
      cols: number;
      config: string;
    };

export function runJob(api: XGBoostApi, job: Job): unknown {
  switch (job.op) {
    case "quantile":
      return quantileFromBatches(api, job.batches, job);
    case "matrix":
      return matrixFrom(api, job.input);
    case "booster":
      return createBooster(api, job.dmats);
    case "commInit":
      // The probe that counts the iterator's passes builds a matrix: done before joining, a
      // matrix built in a ring would take part in the ring's reductions.
      passesOf(api);
      return commInit(api, job.config);
    case "commFinalize":
      return commFinalize(api);
    case "allreduce":
      return { values: allreduce(api, job.values, job.reduce) };
    case "broadcast":
      return { values: broadcast(api, job.values, job.root) };
    case "heldBatches":
      return 0; // batches are only ever held by a pool thread, which answers this itself
    case "trees":
    case "forgetTrees":
    case "prepareTrees":
      throw new SagebrewError("SB_INTERNAL", `The ${job.op} job runs on a pool thread only`);
    case "update":
      return updateOneIter(api, job.booster, job.iter, job.dtrain);
    case "eval":
      return evalOneIter(api, job.booster, job.iter, job.dmats, job.names);
    case "predictDMatrix":
      return predictDMatrix(api, job.booster, job.dmat, job.config);
    case "predictDense":
      return predictDense(api, job.booster, job.values, job.rows, job.cols, job.config);
    case "predictCsr":
      return predictCsr(api, job.booster, job, job.config);
  }
}
