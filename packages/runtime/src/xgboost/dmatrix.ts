/**
 * DMatrix: XGBoost's data container, built from dense float32 rows or CSR, with labels and weights.
 * XGBoost copies the data in, so the caller's arrays may be reused as soon as a constructor returns.
 */
import { SagebrewError } from "../errors/index.js";
import { OwnedHandle } from "./_handle.js";
import { check, loadXGBoost, type XGBoostApi } from "./_library.js";
import { type DenseBatch, type MatrixInput, matrixFrom, quantileFromBatches } from "./_ops.js";
import { sharedPool, type XGBoostPool } from "./_pool.js";

export type { DenseBatch } from "./_ops.js";

export interface QuantileOptions {
  missing?: number;
  nthread?: number;
  /** Must equal the booster's `max_bin` (default 256). */
  maxBin?: number;
  /**
   * A directory for a temporary file the batches move to after XGBoost's first pass over them,
   * so that the float data is not held while XGBoost builds its sketch and index (`_spill.ts`).
   * Unset: the batches stay in memory until the last pass.
   */
  spillDir?: string;
  /** With `spillDir`, the largest batch XGBoost is handed, in bytes of values (default 8 MiB). */
  spillChunkBytes?: number;
}

/** A dense row-major float32 matrix; NaN (or `missing`) marks a missing value. */
export interface DenseData {
  readonly values: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/** A CSR matrix: row `r` holds `indices[indptr[r]..indptr[r+1]]` and the matching `values`. */
export interface CsrData {
  readonly indptr: Uint32Array | BigUint64Array;
  readonly indices: Uint32Array;
  readonly values: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

export interface DMatrixOptions {
  /** Value that marks a missing entry. Default NaN. */
  missing?: number;
  /** Threads XGBoost may use to build the matrix. Default: all cores (0). */
  nthread?: number;
  labels?: Float32Array;
  weights?: Float32Array;
}

function denseInput(data: DenseData, options: DMatrixOptions): MatrixInput {
  if (data.values.length !== data.rows * data.cols) {
    throw new SagebrewError(
      "SB_DATA_SHAPE",
      `Cannot build a DMatrix: ${data.values.length} values do not make ${data.rows} rows of ${data.cols} columns`,
    );
  }
  checkInfo(data.rows, options);
  return { dense: { values: data.values, rows: data.rows, cols: data.cols }, ...infoOf(options) };
}

function csrInput(data: CsrData, options: DMatrixOptions): MatrixInput {
  if (data.indptr.length !== data.rows + 1) {
    throw new SagebrewError(
      "SB_DATA_SHAPE",
      `Cannot build a DMatrix: indptr has ${data.indptr.length} entries for ${data.rows} rows`,
    );
  }
  checkInfo(data.rows, options);
  const { indptr, indices, values, rows, cols } = data;
  return { csr: { indptr, indices, values, rows, cols }, ...infoOf(options) };
}

function checkInfo(rows: number, options: DMatrixOptions): void {
  for (const [field, values] of [
    ["label", options.labels],
    ["weight", options.weights],
  ] as const) {
    if (values && values.length !== rows)
      throw new SagebrewError(
        "SB_DATA_SHAPE",
        `Cannot set ${field}: ${values.length} values for ${rows} rows`,
      );
  }
}

function infoOf(options: DMatrixOptions): Omit<MatrixInput, "dense" | "csr"> {
  return {
    ...(options.labels ? { labels: options.labels } : {}),
    ...(options.weights ? { weights: options.weights } : {}),
    ...(options.missing !== undefined ? { missing: options.missing } : {}),
    ...(options.nthread !== undefined ? { nthread: options.nthread } : {}),
  };
}

/**
 * An XGBoost DMatrix. Free it with `dispose()`; a finalizer frees it as a backstop.
 *
 * @example const d = DMatrix.fromDense({ values, rows: 2, cols: 4 }, { labels });
 * @throws SagebrewError SB_XGBOOST with XGBoost's own message when the library rejects the data.
 */
export class DMatrix {
  readonly #api: XGBoostApi;
  readonly #owned: OwnedHandle;

  private constructor(api: XGBoostApi, handle: number) {
    this.#api = api;
    this.#owned = new OwnedHandle(
      this,
      handle,
      (h) => check(api, api.fn.XGDMatrixFree!(h), "free a DMatrix"),
      (h) => api.fn.XGDMatrixFree!(h),
      "DMatrix",
    );
  }

  /** Builds a DMatrix from dense float32 rows. */
  static fromDense(data: DenseData, options: DMatrixOptions = {}): DMatrix {
    const api = loadXGBoost();
    return new DMatrix(api, matrixFrom(api, denseInput(data, options)));
  }

  /** Builds a DMatrix from a CSR matrix. */
  static fromCsr(data: CsrData, options: DMatrixOptions = {}): DMatrix {
    const api = loadXGBoost();
    return new DMatrix(api, matrixFrom(api, csrInput(data, options)));
  }

  /**
   * `fromDense` or `fromCsr` on a pool thread (the arrays are copied there; the caller keeps
   * them). A distributed job builds its matrices this way, on its collective's thread: XGBoost
   * agrees on the column count across hosts while it builds one.
   */
  static async fromRowsAsync(
    data: { dense: DenseData } | { csr: CsrData },
    options: DMatrixOptions & { pool?: XGBoostPool } = {},
  ): Promise<DMatrix> {
    const api = loadXGBoost();
    const { pool, ...rest } = options;
    const input = "dense" in data ? denseInput(data.dense, rest) : csrInput(data.csr, rest);
    return new DMatrix(api, await (pool ?? sharedPool()).run<number>({ op: "matrix", input }));
  }

  /**
   * Builds a QuantileDMatrix for `tree_method=hist` from dense batches (rows in batch order). Only
   * the quantised matrix is kept (about a quarter of the float data), and batches are released
   * while it is built. Labels and weights travel with each batch.
   */
  static fromBatches(batches: DenseBatch[], options: QuantileOptions = {}): DMatrix {
    const api = loadXGBoost();
    return new DMatrix(api, quantileFromBatches(api, [...batches], options));
  }

  /** `fromBatches` on a pool thread. The batches' buffers are transferred (the caller loses them). */
  static async fromBatchesAsync(
    batches: DenseBatch[],
    options: QuantileOptions & { pool?: XGBoostPool } = {},
  ): Promise<DMatrix> {
    const api = loadXGBoost();
    const transfer = new Set<ArrayBuffer>();
    for (const b of batches) {
      for (const a of [b.values, b.labels, b.weights]) {
        if (a && a.buffer instanceof ArrayBuffer) transfer.add(a.buffer);
      }
    }
    const { pool, ...rest } = options;
    const handle = await (pool ?? sharedPool()).run<number>({ op: "quantile", batches, ...rest }, [
      ...transfer,
    ]);
    return new DMatrix(api, handle);
  }

  /** Sets a float field (`label`, `weight`, `base_margin`, …). */
  setFloatInfo(
    field: "label" | "weight" | "base_margin" | "label_lower_bound" | "label_upper_bound",
    values: Float32Array,
  ): void {
    const rows = this.rows;
    if (field !== "base_margin" && values.length !== rows) {
      throw new SagebrewError(
        "SB_DATA_SHAPE",
        `Cannot set ${field}: ${values.length} values for ${rows} rows`,
      );
    }
    check(
      this.#api,
      this.#api.fn.XGDMatrixSetFloatInfo!(this.handle, field, values, values.length),
      `set ${field}`,
    );
  }

  get rows(): number {
    const out = [0];
    check(this.#api, this.#api.fn.XGDMatrixNumRow!(this.handle, out), "count DMatrix rows");
    return Number(out[0]);
  }

  get cols(): number {
    const out = [0];
    check(this.#api, this.#api.fn.XGDMatrixNumCol!(this.handle, out), "count DMatrix columns");
    return Number(out[0]);
  }

  /** @internal The native handle; throws once disposed. */
  get handle(): number {
    return this.#owned.handle;
  }

  /** @internal Keeps the handle alive while a worker thread uses it. */
  retain(): number {
    return this.#owned.retain();
  }

  /** @internal */
  release(): void {
    this.#owned.release();
  }

  get disposed(): boolean {
    return this.#owned.disposed;
  }

  /** Frees the native matrix now (or as soon as in-flight work on other threads ends). Idempotent. */
  dispose(): void {
    this.#owned.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
