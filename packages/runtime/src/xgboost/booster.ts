/**
 * Booster: create, configure, train one round at a time, evaluate, predict, save and load.
 * Synchronous methods suit small work (a one-row prediction); the `…Async` methods run on a pool
 * thread so the event loop stays free during a boosting round or a large prediction.
 */
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { SagebrewError } from "../errors/index.js";
import { OwnedHandle } from "./_handle.js";
import { check, loadXGBoost, type XGBoostApi } from "./_library.js";
import {
  createBooster,
  evalOneIter,
  type PredictConfig,
  type Prediction,
  predictConfig,
  predictCsr,
  predictDense,
  predictDMatrix,
  updateOneIter,
} from "./_ops.js";
import { sharedPool, type XGBoostPool } from "./_pool.js";
import type { PreparedTrees, PrepareOptions } from "./_tree-prepare.js";
import type { CsrData, DenseData, DMatrix } from "./dmatrix.js";

export type { PredictConfig, Prediction } from "./_ops.js";

export type ModelFormat = "json" | "ubj";

/**
 * An XGBoost booster. Free it with `dispose()`; a finalizer frees it as a backstop.
 *
 * @example
 * const booster = Booster.create([dtrain], { objective: "multi:softprob", num_class: 3 });
 * for (let i = 0; i < 10; i++) await booster.updateAsync(i, dtrain);
 * const bytes = booster.save("ubj");
 * @throws SagebrewError SB_XGBOOST carrying XGBoost's last-error text when a call fails.
 */
export class Booster {
  readonly #api: XGBoostApi;
  readonly #owned: OwnedHandle;
  #pool: XGBoostPool | undefined;
  #pin: number | undefined;
  #updatedOnPool = false;

  private constructor(api: XGBoostApi, handle: number) {
    this.#api = api;
    this.#owned = new OwnedHandle(
      this,
      handle,
      (h) => check(api, api.fn.XGBoosterFree!(h), "free a booster"),
      (h) => api.fn.XGBoosterFree!(h),
      "Booster",
    );
  }

  /** Creates a booster whose prediction caches cover `dmats`, then sets `params`. */
  static create(
    dmats: readonly DMatrix[] = [],
    params: Record<string, string | number | boolean> = {},
  ): Booster {
    const api = loadXGBoost();
    return new Booster(
      api,
      createBooster(
        api,
        dmats.map((d) => d.handle),
      ),
    ).#withParams(params);
  }

  /**
   * `create` on `pool`'s thread, which then runs the booster's work (`usePool` is implied). A
   * distributed job creates its booster this way on its collective's thread: XGBoost counts the
   * features (a reduction across hosts) from the prediction cache of the thread that trains, and
   * that cache is per thread.
   */
  static async createAsync(
    dmats: readonly DMatrix[],
    params: Record<string, string | number | boolean>,
    pool: XGBoostPool,
  ): Promise<Booster> {
    const api = loadXGBoost();
    const handles = dmats.map((d) => d.retain());
    try {
      const handle = await pool.run<number>({ op: "booster", dmats: handles }, [], 0);
      return new Booster(api, handle).usePool(pool).#withParams(params);
    } finally {
      for (const d of dmats) d.release();
    }
  }

  #withParams(params: Record<string, string | number | boolean>): this {
    try {
      this.setParams(params);
    } catch (e) {
      this.dispose();
      throw e;
    }
    return this;
  }

  /** Replaces the model with one saved as JSON, UBJ or XGBoost's legacy binary (a checkpoint). */
  load(bytes: Uint8Array): void {
    check(
      this.#api,
      this.#api.fn.XGBoosterLoadModelFromBuffer!(this.handle, bytes, bytes.length),
      "load a model",
    );
  }

  /** Loads a model saved as JSON or UBJ (or XGBoost's legacy binary) from bytes. */
  static fromBuffer(bytes: Uint8Array): Booster {
    const booster = Booster.create();
    try {
      booster.load(bytes);
    } catch (e) {
      booster.dispose();
      throw e;
    }
    return booster;
  }

  /**
   * Restores a booster from XGBoost's serialization (what Python's `Booster.__getstate__` keeps
   * in a pickle): the model and its training configuration.
   */
  static fromSerialized(bytes: Uint8Array): Booster {
    const booster = Booster.create();
    try {
      check(
        booster.#api,
        booster.#api.fn.XGBoosterUnserializeFromBuffer!(booster.handle, bytes, bytes.length),
        "restore a serialized booster",
      );
    } catch (e) {
      booster.dispose();
      throw e;
    }
    return booster;
  }

  /** Loads a model file (JSON, UBJ or legacy binary, detected from its bytes). */
  static async fromFile(path: string): Promise<Booster> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      throw new SagebrewError("SB_MODEL_LOAD", `Cannot read model ${path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    try {
      return Booster.fromBuffer(bytes);
    } catch (e) {
      throw new SagebrewError("SB_MODEL_LOAD", `Cannot load model ${path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** Uses `pool` instead of the process-wide pool for the `…Async` methods. */
  usePool(pool: XGBoostPool): this {
    this.#pool = pool;
    this.#pin = undefined;
    return this;
  }

  setParam(name: string, value: string | number | boolean): void {
    check(
      this.#api,
      this.#api.fn.XGBoosterSetParam!(this.handle, name, String(value)),
      `set parameter ${name}=${value}`,
    );
  }

  setParams(params: Record<string, string | number | boolean>): void {
    for (const [k, v] of Object.entries(params)) this.setParam(k, v);
  }

  /** Runs boosting round `iter` on the calling thread. */
  update(iter: number, dtrain: DMatrix): void {
    updateOneIter(this.#api, this.handle, iter, dtrain.handle);
  }

  /** Runs boosting round `iter` on a pool thread. */
  async updateAsync(iter: number, dtrain: DMatrix): Promise<void> {
    // XGBoost configures a booster (and seeds its thread-local random generator, used by
    // subsample and colsample) on the thread of the first call that needs a configuration, and
    // counts features from that thread's prediction cache. So nothing may configure it on this
    // thread first: the feature count is given up front, and the first round runs on the pinned
    // pool thread, which then does every round. Runs are reproducible and match Python's.
    // A one-thread pool (a distributed job's collective) runs every call there, so XGBoost counts
    // the features itself — with a reduction across hosts that every worker of the ring must make
    // (Python's workers make it; a preset count would skip it and stall the ring).
    if (!this.#updatedOnPool) {
      if ((this.#pool ?? sharedPool()).size !== 1) this.setParam("num_feature", dtrain.cols);
      this.#updatedOnPool = true;
    }
    await this.#onPool([dtrain], (b, [d]) => ({ op: "update", booster: b, iter, dtrain: d! }), [], true);
  }

  /** Evaluates round `iter`; returns XGBoost's line, e.g. `[3]\ttrain-mlogloss:0.08\tvalidation-mlogloss:0.12`. */
  eval(iter: number, sets: ReadonlyArray<readonly [DMatrix, string]>): string {
    return evalOneIter(
      this.#api,
      this.handle,
      iter,
      sets.map(([d]) => d.handle),
      sets.map(([, n]) => n),
    );
  }

  /** `eval` on a pool thread. */
  evalAsync(iter: number, sets: ReadonlyArray<readonly [DMatrix, string]>): Promise<string> {
    return this.#onPool(
      sets.map(([d]) => d),
      (b, hs) => ({ op: "eval", booster: b, iter, dmats: hs, names: sets.map(([, n]) => n) }),
      [],
      true,
    );
  }

  /** Predicts for a DMatrix on the calling thread. */
  predict(dmat: DMatrix, config: PredictConfig = {}): Prediction {
    return predictDMatrix(this.#api, this.handle, dmat.handle, predictConfig(config));
  }

  predictAsync(dmat: DMatrix, config: PredictConfig = {}): Promise<Prediction> {
    return this.#onPool([dmat], (b, [d]) => ({
      op: "predictDMatrix",
      booster: b,
      dmat: d!,
      config: predictConfig(config),
    }));
  }

  /** Predicts in place from dense float32 rows, without building a DMatrix. */
  predictDense(data: DenseData, config: PredictConfig = {}): Prediction {
    this.#checkWidth(data.cols);
    return predictDense(this.#api, this.handle, data.values, data.rows, data.cols, predictConfig(config));
  }

  /** `predictDense` on a pool thread. The values are copied to the thread; the caller keeps its array. */
  predictDenseAsync(data: DenseData, config: PredictConfig = {}): Promise<Prediction> {
    this.#checkWidth(data.cols);
    const values = data.values.slice();
    return this.#onPool(
      [],
      (b) => ({
        op: "predictDense",
        booster: b,
        values,
        rows: data.rows,
        cols: data.cols,
        config: predictConfig(config),
      }),
      [values.buffer as ArrayBuffer],
    );
  }

  /**
   * On a pool thread: the JavaScript walkers of this booster's trees, checked against libxgboost
   * on probe rows and timed against it (`_tree-prepare.ts`), or why there are none.
   */
  prepareTreesAsync(options: PrepareOptions): Promise<PreparedTrees> {
    // On a thread of its own (`XGBoostPool.runAlone`): libxgboost keeps the saved model's bytes
    // per thread and V8 keeps the heap the work grew (tens of MB for a large model, and on the
    // iris model a pool thread kept 10-20 MB for half a minute). A large model's waits its turn.
    const make = (b: number) => ({ op: "prepareTrees" as const, booster: b, options });
    return this.#onPool([], make, [], false, { queue: options.background });
  }

  /** Predicts in place from CSR rows. */
  predictCsr(data: CsrData, config: PredictConfig = {}): Prediction {
    this.#checkWidth(data.cols);
    return predictCsr(this.#api, this.handle, data, predictConfig(config));
  }

  predictCsrAsync(data: CsrData, config: PredictConfig = {}): Promise<Prediction> {
    this.#checkWidth(data.cols);
    const indptr = data.indptr.slice();
    const indices = data.indices.slice();
    const values = data.values.slice();
    return this.#onPool([], (b) => ({
      op: "predictCsr",
      booster: b,
      indptr,
      indices,
      values,
      cols: data.cols,
      config: predictConfig(config),
    }));
  }

  #checkWidth(cols: number): void {
    const expected = this.numFeatures;
    if (expected > 0 && cols !== expected) {
      throw new SagebrewError(
        "SB_DATA_SHAPE",
        `Cannot predict: the model expects ${expected} features per row, the input has ${cols}`,
      );
    }
  }

  /** Saves the model to bytes in JSON or UBJ (readable by Python XGBoost's `load_model`). */
  save(format: ModelFormat = "ubj"): Buffer {
    const len = [0];
    const ptr = [0];
    check(
      this.#api,
      this.#api.fn.XGBoosterSaveModelToBuffer!(this.handle, `{"format":"${format}"}`, len, ptr),
      `save the model as ${format}`,
    );
    const out = Buffer.alloc(Number(len[0]));
    this.#api.copyFrom(out, ptr[0]!, out.length);
    return out;
  }

  /**
   * Writes the model to `path` atomically (temp file, then rename). The format is JSON for a
   * `.json` path, else UBJ, unless given.
   */
  async saveFile(
    path: string,
    format: ModelFormat = path.toLowerCase().endsWith(".json") ? "json" : "ubj",
  ): Promise<void> {
    const bytes = this.save(format);
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw new SagebrewError("SB_INTERNAL", `Cannot write model ${path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** Number of features the model was trained on (0 before training). */
  get numFeatures(): number {
    const out = [0];
    check(this.#api, this.#api.fn.XGBoosterGetNumFeature!(this.handle, out), "read the feature count");
    return Number(out[0]);
  }

  /** Number of boosting rounds in the model. */
  get boostedRounds(): number {
    const out = [0];
    check(this.#api, this.#api.fn.XGBoosterBoostedRounds!(this.handle, out), "read the round count");
    return Number(out[0]);
  }

  setAttr(key: string, value: string): void {
    check(this.#api, this.#api.fn.XGBoosterSetAttr!(this.handle, key, value), `set attribute ${key}`);
  }

  getAttr(key: string): string | undefined {
    const out = [""];
    const success = [0];
    check(this.#api, this.#api.fn.XGBoosterGetAttr!(this.handle, key, out, success), `read attribute ${key}`);
    return success[0] ? String(out[0]) : undefined;
  }

  /** The booster's training configuration as XGBoost reports it (objective, num_class, …). */
  config(): Record<string, unknown> {
    const len = [0];
    const out = [""];
    check(this.#api, this.#api.fn.XGBoosterSaveJsonConfig!(this.handle, len, out), "read the configuration");
    return JSON.parse(String(out[0])) as Record<string, unknown>;
  }

  /** A new booster holding rounds [begin, end). */
  slice(begin: number, end: number): Booster {
    const out = [0];
    check(
      this.#api,
      this.#api.fn.XGBoosterSlice!(this.handle, begin, end, 1, out),
      `slice rounds ${begin}..${end}`,
    );
    return new Booster(this.#api, out[0]!);
  }

  async #onPool<T>(
    dmats: readonly DMatrix[],
    make: (booster: number, dmats: number[]) => import("./_ops.js").Job,
    transfer: ArrayBuffer[] = [],
    pinned = false,
    alone?: { queue: boolean },
  ): Promise<T> {
    const b = this.handle;
    const pool = this.#pool ?? sharedPool();
    if (pinned) this.#pin ??= pool.pinSlot();
    const hs = dmats.map((d) => d.retain());
    this.#owned.retain();
    try {
      if (alone) return await pool.runAlone<T>(make(b, hs), transfer, alone);
      return await pool.run<T>(make(b, hs), transfer, pinned ? this.#pin : undefined);
    } finally {
      for (const d of dmats) d.release();
      this.#owned.release();
    }
  }

  /** @internal */
  get handle(): number {
    return this.#owned.handle;
  }

  get disposed(): boolean {
    return this.#owned.disposed;
  }

  /** Frees the booster now, or once work running on pool threads ends. Idempotent. */
  dispose(): void {
    this.#owned.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
