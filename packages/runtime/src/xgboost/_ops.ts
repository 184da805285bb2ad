/**
 * The XGBoost calls that may run on a worker thread. Each takes plain numbers and typed arrays, so
 * the same function serves a synchronous call on the main thread and a job on a pool thread; the
 * error text is read on the thread that made the call (XGBGetLastError is thread-local).
 */
import { arrayInterface, configJson } from "./_interface.js";
import { check, type XGBoostApi } from "./_library.js";

export interface Prediction {
  /** Row-major prediction values. */
  readonly values: Float32Array;
  /** Shape as XGBoost reports it (rows first). */
  readonly shape: readonly number[];
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
  check(api, api.fn.XGBoosterPredictFromDense!(booster, data, config, 0, shape, dim, result), "predict");
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
      0,
      shape,
      dim,
      result,
    ),
    "predict",
  );
  return readPrediction(api, shape[0]!, Number(dim[0]), result[0]!);
}

/** A job for a pool thread. */
export type Job =
  | { op: "update"; booster: number; iter: number; dtrain: number }
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
