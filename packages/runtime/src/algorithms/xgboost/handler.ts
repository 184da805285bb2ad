/**
 * The XGBoost algorithm as a model handler: loads `model/xgboost-model` (or an ensemble), reads
 * CSV (no label column), JSON, JSON Lines, libsvm and RecordIO-protobuf, predicts on the real
 * libxgboost (small payloads on the event loop, large ones on the worker-thread pool, one copy of
 * the model), and answers CSV, JSON, JSON Lines or RecordIO-protobuf — class names when the model
 * carries them (class indices in RecordIO-protobuf, whose tensors hold numbers only).
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { Cell } from "../../codecs/predictions.js";
import { encodeCsv, encodeJson, encodeJsonLines, formatFloat32 } from "../../codecs/predictions.js";
import { encodeRecordioPredictions, type PredictionRecord } from "../../codecs/recordio-protobuf.js";
import type { CodecRegistry } from "../../codecs/registry.js";
import type { Dataset, FeatureMatrix } from "../../codecs/types.js";
import type { ServingConfig } from "../../config/serving.js";
import { MEDIA } from "../../contract/index.js";
import { SagebrewError } from "../../errors/index.js";
import { builtinCodecs, decodeWith, type InvocationContext, type ModelHandler } from "../../serving/index.js";
import {
  type Booster,
  type DenseData,
  type Prediction,
  type TreePredictor,
  XGBoostPool,
} from "../../xgboost/index.js";
import {
  BoosterWalkers,
  GENERATED_MAX_NODES,
  prepareAfterMs,
  prepareWalkers,
  SMALL_MODEL_BYTES,
  type WalkerMode,
} from "./_js-path.js";
import { type LoadedXGBoost, loadXGBoostDir } from "./_model.js";
import {
  checkOutputKeys,
  keyValue,
  labelIndexAt,
  namesClasses,
  type OutputKey,
  type OutputModel,
  validKeys,
} from "./_output.js";

/**
 * Predictions of at most this many row × tree visits run synchronously on the event loop (about
 * 0.15 ms on one core for the iris model); larger ones go to the worker-thread pool, whose
 * hand-off costs about 0.08 ms. Measured in `docs/serving.md` ("Where predictions run").
 */
export const DEFAULT_SYNC_WORK_LIMIT = 32_768;

/**
 * A pool prediction is split over the pool's threads when each part keeps at least this many
 * row × tree visits (about 0.7 ms of JavaScript on iris, 5 ms native), so that one thread's
 * hand-off (about 0.08 ms) stays small beside its work.
 */
const SPLIT_WORK = 16 * DEFAULT_SYNC_WORK_LIMIT;

/**
 * A request the server answers alone (`ctx.concurrent` 1) runs on the event loop up to this many
 * row × tree visits: every request one pool thread would take whole (fewer than 2 × `SPLIT_WORK`;
 * larger ones are split over the threads, which a lone request gains from). On the pool it would
 * overlap nothing, and the hand-off, the copy and the thread's colder caches cost CPU (measured in
 * bench/RESULTS.md, "Alone on the event loop"); on the event loop the walker or libxgboost is
 * chosen from its own timing (`BoosterWalkers.predictAlone`). With others in flight it goes to the
 * pool as before, where the cores work side by side.
 */
export const DEFAULT_ALONE_WORK_LIMIT = 2 * SPLIT_WORK - 1;

/** Options of `createXGBoostHandler`. */
export interface XGBoostHandlerOptions {
  /** Row × tree visits up to which a prediction runs on the event loop. Default `DEFAULT_SYNC_WORK_LIMIT`. */
  syncWorkLimit?: number;
  /**
   * Row × tree visits up to which a request the server answers alone (`ctx.concurrent` 1) runs on
   * the event loop too. Default `DEFAULT_ALONE_WORK_LIMIT`; `0` sends it to the pool as any.
   */
  aloneWorkLimit?: number;
  /** A pool to use instead of one sized by `SAGEMAKER_MODEL_SERVER_WORKERS` (not closed by the handler). */
  pool?: XGBoostPool;
  /**
   * Which code walks the trees of dense requests: the fastest per request size of libxgboost and
   * the JavaScript walkers, timed after start-up (`"timed"`, the default; libxgboost serves until
   * then); a JavaScript walker for every size, untimed (`"javascript"`, as `SAGEBREW_XGBOOST_JS=large`);
   * or libxgboost alone (`"libxgboost"`, as `SAGEBREW_XGBOOST_JS=off`). Wins over the variable.
   */
  walkers?: WalkerMode;
  /** Nodes (all trees) up to which the generated JavaScript walker is built. Default `GENERATED_MAX_NODES`. */
  generatedMaxNodes?: number;
  /**
   * Model files up to this many bytes are small: their walkers are prepared at once; larger ones
   * in the background, at a lower priority. libxgboost serves meanwhile. Default
   * `SMALL_MODEL_BYTES` (1 MiB).
   */
  smallModelBytes?: number;
  /**
   * The walkers are prepared once libxgboost has spent this long (ms) predicting for the model; 0:
   * at once. Wins over `SAGEBREW_XGBOOST_PREPARE_AFTER_MS`. Default per model (`prepareAfterMs()`):
   * at once for a small model on a live server, else about what their preparation costs
   * (`PREPARE_MS_PER_TREE`, `PREPARE_MS_PER_MIB`), at least `PREPARE_AFTER_MS`.
   */
  prepareAfterMs?: number;
  /** Row × tree visits per part of a large request while the walkers are prepared. Default `PART_WORK`. */
  partWork?: number;
  /** The codecs requests are decoded with. Default: the built-in ones. */
  codecs?: CodecRegistry;
}

/** The loaded model as the handler holds it. */
export interface XGBoostServingModel extends LoadedXGBoost {
  readonly pool: XGBoostPool;
  readonly ownsPool: boolean;
  readonly keys: readonly OutputKey[] | undefined;
  /** Per booster, which code walks its trees for each request size (libxgboost until timed). */
  readonly walkers?: readonly BoosterWalkers[];
}

/** Predictions for a batch of rows, with what encoding needs to know about the model. */
export interface XGBoostPrediction {
  readonly rows: number;
  /** Values per row (the class count for `multi:softprob`, else 1). */
  readonly width: number;
  readonly values: Float32Array;
  readonly model: XGBoostServingModel;
}

/**
 * A `multi:softprob` prediction made as margins, for an answer of class names alone: each row's
 * class is its largest probability's, which is its largest margin's (softmax keeps the order), so
 * the exponentials are not computed (`classNameLines`) — except for a row whose two largest margins
 * are close enough for the probabilities' rounding to tie them, predicted again whole. Whoever
 * reads `values` gets the probabilities, predicted on first read.
 */
class SoftprobMargins implements XGBoostPrediction {
  #values: Float32Array | undefined;
  constructor(
    readonly rows: number,
    readonly width: number,
    readonly margins: Float32Array,
    readonly model: XGBoostServingModel,
    readonly features: DenseData,
    readonly predictor: TreePredictor,
  ) {}

  get values(): Float32Array {
    this.#values ??= this.predictor.predict(this.features.values, this.rows)!;
    return this.#values;
  }

  /** Row `r`'s probabilities. */
  row(r: number): Float32Array {
    const cols = this.features.cols;
    return this.predictor.predict(this.features.values.subarray(r * cols, (r + 1) * cols), 1)!;
  }
}

/**
 * Margins closer than this may round to equal probabilities (float32 has 24 bits: ties come within
 * about 1e-7 of the largest); such a row's class is taken from its probabilities.
 */
const MARGIN_TIE = 1e-5;

/**
 * The answer is class names alone (`encodePrediction`'s `classNameLines`) of one `multi:softprob`
 * booster: the class of each row is all that is written.
 */
function classNamesOnly(m: XGBoostServingModel, ctx: InvocationContext): boolean {
  return (
    ctx.accept === MEDIA.csv &&
    m.keys === undefined &&
    m.objective === "multi:softprob" &&
    m.boosters.length === 1 &&
    namesClasses(m)
  );
}

const SOURCE = "request body";

/**
 * Creates the XGBoost handler.
 *
 * @example const handler = checkHandler(createXGBoostHandler(), "xgboost");
 */
export function createXGBoostHandler(
  options: XGBoostHandlerOptions = {},
): ModelHandler<XGBoostServingModel, Dataset, XGBoostPrediction> {
  const syncWorkLimit = options.syncWorkLimit ?? DEFAULT_SYNC_WORK_LIMIT;
  const aloneWorkLimit = Math.max(syncWorkLimit, options.aloneWorkLimit ?? DEFAULT_ALONE_WORK_LIMIT);
  const partWork = options.partWork ?? PART_WORK;
  const codecs = options.codecs ?? builtinCodecs();
  // Options win over SAGEBREW_XGBOOST_JS (`off`: libxgboost alone; `large`: JavaScript for every size, untimed).
  const walkerMode = (c: ServingConfig): WalkerMode =>
    options.walkers ??
    (c.xgboostJs === "off" ? "libxgboost" : c.xgboostJs === "large" ? "javascript" : "timed");
  return {
    name: "xgboost",
    contentTypes: [MEDIA.csv, MEDIA.json, MEDIA.jsonlines, MEDIA.libsvm, MEDIA.xLibsvm, MEDIA.recordio],
    accepts: [MEDIA.csv, MEDIA.json, MEDIA.jsonlines, MEDIA.recordio],

    async load({ modelDir, config, logger }) {
      const loaded = await loadXGBoostDir(modelDir, { ensemble: config.ensemble });
      const keys = config.inferenceOutput
        ? checkOutputKeys(config.inferenceOutput, loaded.objective)
        : undefined;
      const pool = options.pool ?? new XGBoostPool(config.workers);
      for (const b of loaded.boosters) b.usePool(pool);
      logger.info("xgboost model loaded", {
        files: loaded.files,
        objective: loaded.objective,
        features: loaded.numFeatures,
        classes: loaded.classNames ?? loaded.numClass,
        trees: loaded.trees,
        poolThreads: pool.size,
      });
      const mode = walkerMode(config);
      const sizes = await Promise.all(
        loaded.files.map((f) =>
          stat(join(modelDir, f)).then(
            (s) => s.size,
            () => Number.POSITIVE_INFINITY,
          ),
        ),
      );
      const smallBytes = options.smallModelBytes ?? SMALL_MODEL_BYTES;
      // A large model's walkers (and any on a batch transform's server) are prepared once libxgboost
      // has spent about what they cost: a server that never predicts that much never pays for them.
      const walkers = loaded.boosters.map((_, i) => {
        const small = sizes[i]! <= smallBytes;
        const after = prepareAfterMs(
          { bytes: sizes[i]!, trees: loaded.trees },
          {
            small,
            batch: config.batch,
            override: options.prepareAfterMs ?? config.xgboostPrepareAfterMs,
          },
        );
        return new BoosterWalkers(mode, small, config.batch, after);
      });
      return { ...loaded, pool, ownsPool: options.pool === undefined, keys, walkers };
    },

    async warmup(model, { logger }) {
      const row = new Float32Array(model.numFeatures).fill(Number.NaN);
      for (const b of model.boosters) b.predictDense({ values: row, rows: 1, cols: model.numFeatures });
      // libxgboost serves from here. The pool threads (for large requests) start in the
      // background, and one of them prepares the JavaScript walkers of each booster: checked,
      // timed against libxgboost per request size, warmed where they will run; a walker takes
      // the sizes it wins only then (`_js-path.ts`). Readiness waits for none of it.
      model.pool.start();
      const syncRows = Math.floor(syncWorkLimit / Math.max(1, model.trees));
      model.boosters.forEach((b, i) => {
        const w = model.walkers?.[i];
        if (!w) return;
        const start = () =>
          void prepareWalkers(w, b, model.pool, {
            generatedMaxNodes: options.generatedMaxNodes ?? GENERATED_MAX_NODES,
            syncRows,
            logger,
            file: model.files[i],
          });
        // libxgboost first serves for about as long as the walkers would take to prepare, where
        // they wait for it (`prepareAfterMs`): a server that stops before pays nothing for them.
        if (w.mode === "libxgboost") start();
        else {
          w.deferUntil(w.prepareAfterMs, start);
          if (w.deferred)
            logger.info("xgboost walkers wait", { file: model.files[i], prepareAfterMs: w.prepareAfterMs });
        }
      });
    },

    // CSV bodies of the model's width, of the sizes requests come in; pure (predict has no side
    // effects, and no request waits for the walkers). None for a batch transform's server: its job
    // is judged by when it ends, and the warm-up would only delay its start.
    warmupRequests(model, { config }) {
      if (config.batch) return [];
      const rows = WARMUP_ROWS;
      return [
        ...rows.map((r) => ({
          body: warmupCsv(r, model.numFeatures),
          contentType: MEDIA.csv,
          accept: MEDIA.csv,
        })),
        { body: warmupCsv(1, model.numFeatures), contentType: MEDIA.csv, accept: MEDIA.json },
      ];
    },

    // Through the codec registry (CSV, JSON, JSON Lines, libsvm, RecordIO-protobuf); labels a
    // RecordIO record may carry are ignored, as a CSV request carries none.
    decode(body, ctx) {
      return decodeWith(codecs, body, ctx.contentType);
    },

    // Synchronous for small requests (the JavaScript path, or libxgboost on the main thread), so
    // that the app answers them without a promise; large ones go to the pool threads.
    predict(model, data, ctx) {
      const essence = ctx?.contentType?.essence; // tests call predict without a content type
      const libsvm = essence === MEDIA.libsvm || essence === MEDIA.xLibsvm;
      const features = fitWidth(
        libsvm ? oneBased(data.features, model.numFeatures) : data.features,
        model.numFeatures,
      );
      if (features.rows === 0) {
        throw new SagebrewError("SB_DATA_SHAPE", `Cannot predict: the ${SOURCE} holds no rows`);
      }
      const work = features.rows * model.trees;
      // Alone: larger than the event loop's usual requests, there because no other is in flight.
      const alone = work > syncWorkLimit;
      const sync = !alone || (ctx?.concurrent === 1 && work <= aloneWorkLimit);
      if (sync && features.kind === "dense" && ctx !== undefined && classNamesOnly(model, ctx)) {
        const m = model.walkers?.[0]?.marginsHere(features, alone);
        if (m) {
          const width = m.values.length / features.rows;
          return new SoftprobMargins(features.rows, width, m.values, model, features, m.predictor);
        }
      }
      const parts = model.boosters.map((b, i) => {
        if (features.kind !== "dense") return sync ? b.predictCsr(features) : b.predictCsrAsync(features);
        const w = model.walkers?.[i];
        if (sync && alone && w) return w.predictAlone(features, () => nativeHere(b, w, features));
        if (sync) return w?.predictHere(features) ?? nativeHere(b, w, features);
        return onPool(model.pool, b, w, features, work, partWork);
      });
      if (sync) return combine(parts as Prediction[], features.rows, model);
      return Promise.all(parts).then((done) => combine(done, features.rows, model));
    },

    encode(p, ctx) {
      return encodePrediction(p, ctx);
    },

    async close(model) {
      for (const w of model.walkers ?? []) w.stop();
      for (const w of model.walkers ?? []) {
        await w.preparing;
        for (const p of w.onPool.values()) model.pool.forgetTrees(p);
      }
      for (const b of model.boosters) b.dispose();
      if (model.ownsPool) await model.pool.close();
    },
  };
}

const NL = 10;

/** Rows of the warm-up requests' bodies: the sizes the serving benchmarks send (bench/models.ts). */
const WARMUP_ROWS = [1, 100, 1000] as const;

/**
 * A CSV body of `rows` × `cols` float32 values written as doubles (up to 17 significant digits,
 * as numpy and pandas write float32 features cast to float64: the CSV parser's long-number path),
 * signs and magnitudes varied as real features are (a fixed sequence: the warm-up is the same at
 * every start).
 */
export function warmupCsv(rows: number, cols: number): string {
  let x = 0x9e3779b9;
  const next = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < cols; c++) {
      const v = (next() - 0.3) * 10 ** Math.floor(next() * 4 - 1);
      cells.push(String(Math.fround(v)));
    }
    lines.push(cells.join(","));
  }
  return `${lines.join("\n")}\n`;
}

/**
 * While a booster's walkers are being prepared, a large request is predicted in parts of about
 * this many row × tree visits (a few ms of libxgboost on iris), `pool.parallelism` at a time, each
 * by what serves when it starts: once the walkers are in place, the rest of the request (and of a
 * batch transform) takes them, and no request waits for them.
 */
export const PART_WORK = 4 * SPLIT_WORK;

/**
 * A large dense prediction on the pool, by the walker chosen for its size (libxgboost until the
 * JavaScript walkers are timed and warm); split into contiguous runs of rows over the pool's
 * threads when it is large enough (a batch transform's request uses every core, one part per
 * core), the parts' values joined in order.
 */
function onPool(
  pool: XGBoostPool,
  b: Booster,
  w: BoosterWalkers | undefined,
  f: DenseData,
  work: number,
  partWork: number,
): Promise<Prediction> {
  if (w?.undecided && work > partWork) {
    return inParts(pool, b, w, f, Math.max(1, Math.floor((partWork * f.rows) / work)));
  }
  const n = Math.max(1, Math.min(pool.parallelism, Math.floor(work / SPLIT_WORK), f.rows));
  const walker = w?.poolWalker(Math.ceil(f.rows / n));
  if (n === 1) return onPoolPart(pool, b, w, walker, f);
  const per = Math.ceil(f.rows / n);
  const parts: Promise<Prediction>[] = [];
  for (let start = 0; start < f.rows; start += per) {
    parts.push(onPoolPart(pool, b, w, walker, rowsOf(f, start, Math.min(per, f.rows - start))));
  }
  return Promise.all(parts).then((done) => joinParts(done, f.rows));
}

/** libxgboost's prediction on this thread, its time counted for a deferred preparation (`paid`). */
function nativeHere(b: Booster, w: BoosterWalkers | undefined, f: DenseData): Prediction {
  if (!w?.deferred) return b.predictDense(f);
  const t = performance.now();
  const p = b.predictDense(f);
  w.paid(performance.now() - t);
  return p;
}

/**
 * `part` predicted on a pool thread by `walker`, or by libxgboost when it is `undefined` (its time
 * counted for a deferred preparation).
 */
function onPoolPart(
  pool: XGBoostPool,
  b: Booster,
  w: BoosterWalkers | undefined,
  walker: TreePredictor | undefined,
  part: DenseData,
): Promise<Prediction> {
  if (!walker) {
    const p = b.predictDenseAsync(part);
    if (!w?.deferred) return p;
    return p.then((done) => {
      w.paid(done.ms ?? 0);
      return done;
    });
  }
  return pool.predictTrees(walker, part.values, part.rows).then((values) => ({
    values,
    shape: walker.width === 1 ? [part.rows] : [part.rows, walker.width],
  }));
}

/**
 * `f` in parts of `partRows` rows, `pool.parallelism` in flight, each part by the walker that
 * serves its size when it starts (`onPool`).
 */
async function inParts(
  pool: XGBoostPool,
  b: Booster,
  w: BoosterWalkers,
  f: DenseData,
  partRows: number,
): Promise<Prediction> {
  const done: Prediction[] = [];
  let next = 0;
  const lane = async () => {
    while (next < f.rows) {
      const start = next;
      const rows = Math.min(partRows, f.rows - start);
      next += rows;
      done[start / partRows] = await onPoolPart(pool, b, w, w.poolWalker(rows), rowsOf(f, start, rows));
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(2 * pool.parallelism, Math.ceil(f.rows / partRows)) }, lane),
  );
  return joinParts(done, f.rows);
}

/** Rows [start, start + rows) of `f`, a view. */
function rowsOf(f: DenseData, start: number, rows: number): DenseData {
  return { values: f.values.subarray(start * f.cols, (start + rows) * f.cols), rows, cols: f.cols };
}

/** The parts' values joined in order. */
function joinParts(done: readonly Prediction[], rows: number): Prediction {
  if (done.length === 1) return done[0]!;
  const values = new Float32Array(done.reduce((s, p) => s + p.values.length, 0));
  let offset = 0;
  for (const p of done) {
    values.set(p.values, offset);
    offset += p.values.length;
  }
  return { values, shape: [rows, ...done[0]!.shape.slice(1)] };
}

/**
 * libsvm indices are used as given (as training reads them), except when a request is one-based for
 * a model trained zero-based: no index 0, and its largest index is one past the model's last
 * feature, so read as given it cannot fit, and shifted down by one it does. SageMaker's container
 * shifts every request whose smallest index is at least 1, which misreads requests to a model
 * trained on one-based data (docs/compatibility.md).
 */
function oneBased(f: FeatureMatrix, numFeatures: number): FeatureMatrix {
  if (f.kind !== "csr" || f.cols !== numFeatures + 1 || f.indices.some((i) => i === 0)) return f;
  return { ...f, cols: numFeatures, indices: f.indices.map((i) => i - 1) };
}

/** Checks the column count; sparse rows narrower than the model are widened (absent = missing). */
function fitWidth(f: FeatureMatrix, numFeatures: number): FeatureMatrix {
  if (f.rows > 0 && f.kind === "csr" && f.cols <= numFeatures) return { ...f, cols: numFeatures };
  if (f.rows > 0 && f.cols !== numFeatures) {
    throw new SagebrewError(
      "SB_DATA_SHAPE",
      `Cannot predict: the model expects ${numFeatures} feature${numFeatures === 1 ? "" : "s"} per row, the ${SOURCE} has ${f.cols}`,
    );
  }
  return f;
}

/** One booster: as is; an ensemble: the mean, or the most common value for class-id objectives. */
function combine(parts: readonly Prediction[], rows: number, model: XGBoostServingModel): XGBoostPrediction {
  const first = parts[0]!;
  const width = Math.max(1, first.values.length / Math.max(1, rows));
  if (parts.length === 1) return { rows, width, values: first.values, model };
  const values = new Float32Array(first.values.length);
  if (model.objective === "multi:softmax" || model.objective === "binary:hinge") {
    for (let i = 0; i < values.length; i++) {
      const counts = new Map<number, number>();
      for (const p of parts) counts.set(p.values[i]!, (counts.get(p.values[i]!) ?? 0) + 1);
      values[i] = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
    }
  } else {
    for (const p of parts) for (let i = 0; i < values.length; i++) values[i] = values[i]! + p.values[i]!;
    for (let i = 0; i < values.length; i++) values[i] = values[i]! / parts.length;
  }
  return { rows, width, values, model };
}

/** The keys a class-name model answers with when `SAGEMAKER_INFERENCE_OUTPUT` is unset. */
function classNameKeys(m: XGBoostServingModel): readonly OutputKey[] {
  return validKeys(m.objective).includes("probabilities")
    ? ["predicted_label", "probabilities"]
    : ["predicted_label"];
}

/**
 * Encodes predictions as CSV, JSON, JSON Lines (docs/serving.md, plus class names) or
 * RecordIO-protobuf (bytes; see `predictionRecords`).
 */
export function encodePrediction(
  p: XGBoostPrediction,
  ctx: Pick<InvocationContext, "accept"> & { readonly config?: Pick<ServingConfig, "multiModel" | "batch"> },
): string | Uint8Array {
  const m = p.model;
  if (ctx.config?.multiModel && m.keys === undefined && !namesClasses(m)) {
    if (ctx.accept === MEDIA.json) return encodeJson(scoresOf(p));
    if (ctx.accept === MEDIA.csv) return multiModelCsv(p, ctx.config.batch);
  }
  // CSV without chosen keys (the classic tutorial's answer, and plain scores) is written straight
  // from the values: no view, array or cell per row (this is most of a batch transform's encoding).
  if (ctx.accept === MEDIA.csv && m.keys === undefined) {
    if (namesClasses(m)) return classNameLines(p);
    return scoreLines(p);
  }
  const row = (r: number) => p.values.subarray(r * p.width, (r + 1) * p.width);
  const rows = Array.from({ length: p.rows }, (_, r) => row(r));
  if (ctx.accept === MEDIA.recordio) return encodeRecordioPredictions(predictionRecords(p, rows));
  let keys = m.keys;
  if (keys === undefined && namesClasses(m)) {
    keys = classNameKeys(m);
  }
  if (keys === undefined) {
    const score = (r: Float32Array) => (p.width === 1 ? r[0]! : Array.from(r));
    const records = rows.map((r) => ({ score: score(r) }));
    return ctx.accept === MEDIA.jsonlines ? encodeJsonLines(records) : encodeJson({ predictions: records });
  }
  const chosen = keys;
  if (ctx.accept === MEDIA.csv)
    return encodeCsv(rows.map((r) => chosen.map((k) => keyValue(k, r, m) as Cell)));
  const records = rows.map((r) => Object.fromEntries(chosen.map((k) => [k, keyValue(k, r, m)])));
  return ctx.accept === MEDIA.jsonlines ? encodeJsonLines(records) : encodeJson({ predictions: records });
}

/** One CSV line per class name, quoted as CSV needs, as text and as UTF-8, made once per model. */
const classLines = new WeakMap<
  XGBoostServingModel,
  { text: readonly string[]; bytes: readonly Uint8Array[] }
>();

/** Rows from which `classNameLines` writes bytes rather than a string. */
const CLASS_BYTES_FROM = 256;

/**
 * The class index of the row at `o`: for multi:softprob the first of the largest probabilities,
 * inline (the per-row call into `labelIndexAt`'s switch cost a 100-row answer's encode more than
 * its loop; `firstLargest` called here measured no faster), else `labelIndexAt`.
 */
function rowLabel(
  values: Float32Array,
  o: number,
  width: number,
  m: XGBoostServingModel,
  softprob: boolean,
): number {
  if (!softprob) return labelIndexAt(values, o, width, m);
  let label = 0;
  for (let i = 1; i < width; i++) if (values[o + i]! > values[o + label]!) label = i;
  return label;
}

/** The index (from 0) of the first of the largest of `width` values at `o` (`rowLabel` has it inline). */
function firstLargest(values: Float32Array, o: number, width: number): number {
  let label = 0;
  for (let i = 1; i < width; i++) if (values[o + i]! > values[o + label]!) label = i;
  return label;
}

/**
 * The class of row `r` (at `o`) of `multi:softprob` margins, `width` classes: the first of the
 * largest margins, unless another is within `MARGIN_TIE` of it — then the first of the largest of
 * the row's probabilities (`probabilities(r)`), as `rowLabel` takes it from a prediction.
 *
 * @example classOfMargins(new Float32Array([0.2, 1.5, -1]), 0, 3, 0, probs) // 1, probs not called
 */
export function classOfMargins(
  margins: Float32Array,
  o: number,
  width: number,
  r: number,
  probabilities: (r: number) => Float32Array,
): number {
  const label = firstLargest(margins, o, width);
  const top = margins[o + label]!;
  for (let i = 0; i < width; i++) {
    if (i !== label && top - margins[o + i]! <= MARGIN_TIE) return firstLargest(probabilities(r), 0, width);
  }
  return label;
}

/**
 * The classic tutorial's answer: one class name per line. A large answer is written as bytes
 * (appending a string per row and encoding the result took twice as long on a batch transform's
 * requests); a small one as a string, which the HTTP layer writes with less work than a byte array
 * (measured: bench/RESULTS.md, "Class-name answers: bytes or a string").
 */
function classNameLines(p: XGBoostPrediction): string | Uint8Array {
  const m = p.model;
  let lines = classLines.get(m);
  if (!lines) {
    const text = m.classNames!.map((name) => encodeCsv([[name]]));
    const encoder = new TextEncoder();
    lines = { text, bytes: text.map((t) => encoder.encode(t)) };
    classLines.set(m, lines);
  }
  const margins = p instanceof SoftprobMargins ? p : undefined;
  const values = margins ? margins.margins : p.values;
  const width = p.width;
  const softprob = m.objective === "multi:softprob";
  const rowOf = margins ? (r: number) => margins.row(r) : undefined;
  const label = rowOf
    ? (o: number, r: number) => classOfMargins(values, o, width, r, rowOf)
    : (o: number) => rowLabel(values, o, width, m, softprob);
  if (p.rows < CLASS_BYTES_FROM) {
    const text = lines.text;
    let out = "";
    for (let r = 0, o = 0; r < p.rows; r++, o += width) {
      out += text[label(o, r)] ?? "\n";
    }
    return out;
  }
  // One pass into a buffer sized for the longest name: the class of each row, its line copied.
  const bytes = lines.bytes;
  const blank = new Uint8Array([NL]); // a label index with no name (cannot happen for a valid model)
  let longest = 1;
  for (const b of bytes) longest = Math.max(longest, b.length);
  const out = new Uint8Array(p.rows * longest);
  let at = 0;
  for (let r = 0, o = 0; r < p.rows; r++, o += width) {
    const line = bytes[label(o, r)] ?? blank;
    for (let j = 0; j < line.length; j++) out[at + j] = line[j]!;
    at += line.length;
  }
  return out.subarray(0, at);
}

/** XGBoost's output as a list: one number per row, or one list per row of several values. */
function scoresOf(p: XGBoostPrediction): Array<number | number[]> {
  const out: Array<number | number[]> = [];
  for (let r = 0; r < p.rows; r++) {
    const row = p.values.subarray(r * p.width, (r + 1) * p.width);
    out.push(p.width === 1 ? row[0]! : Array.from(row));
  }
  return out;
}

/**
 * CSV as SageMaker's XGBoost multi-model container answers it (https://github.com/aws/sagemaker-xgboost-container, whose handler calls
 * it "invalid CSV, retained for backwards compatibility"): every row's score on one line, joined
 * by commas, a row of several values written as `[a, b, c]`; with `SAGEMAKER_BATCH`, one row per
 * line, each ending in a newline.
 */
function multiModelCsv(p: XGBoostPrediction, batch: boolean): string {
  const cells = scoresOf(p).map((v) =>
    typeof v === "number" ? formatFloat32(v) : `[${v.map(formatFloat32).join(", ")}]`,
  );
  return batch ? cells.map((c) => `${c}\n`).join("") : cells.join(",");
}

/** Scores as CSV: one line per row, the row's values joined by commas. */
function scoreLines(p: XGBoostPrediction): string {
  const { values, width } = p;
  let out = "";
  for (let r = 0, o = 0; r < p.rows; r++, o += width) {
    out += formatFloat32(values[o]!);
    for (let j = 1; j < width; j++) out += `,${formatFloat32(values[o + j]!)}`;
    out += "\n";
  }
  return out;
}

/**
 * One RecordIO-protobuf prediction per row (docs/serving.md: every key a float32 tensor in the
 * Record's `label` map). Keys: `SAGEMAKER_INFERENCE_OUTPUT`'s; else `predicted_label` and
 * `probabilities` for a class-name model; else `score` (XGBoost's output, 1 or `num_class`
 * values). Tensors hold numbers, so class names are written as class indices.
 */
function predictionRecords(p: XGBoostPrediction, rows: readonly Float32Array[]): PredictionRecord[] {
  const m = p.model;
  const keys = m.keys ?? (namesClasses(m) ? classNameKeys(m) : undefined);
  if (keys === undefined) return rows.map((r) => ({ score: p.width === 1 ? r[0]! : Array.from(r) }));
  const indices: OutputModel = { objective: m.objective, numClass: m.numClass, classNames: undefined };
  const numeric = (v: ReturnType<typeof keyValue>): number | number[] =>
    typeof v === "number"
      ? v
      : typeof v === "string"
        ? Number.NaN
        : v.map((x) => (typeof x === "number" ? x : Number.NaN));
  return rows.map((r) => Object.fromEntries(keys.map((k) => [k, numeric(keyValue(k, r, indices))])));
}
