/**
 * Which code walks a booster's trees, per request size: libxgboost, or one of the JavaScript
 * walkers of `xgboost/tree-predictor.ts` (the loop over typed arrays, or code generated per
 * tree) — chosen from timings, never assumed, and only ever a walker already running at full
 * speed.
 *
 * libxgboost serves from the first request. In the background, once the server is ready, a pool
 * thread reads the model into the walkers' arrays, checks them against libxgboost on probe rows
 * and times all of them at several request sizes (`xgboost/_tree-prepare.ts`). Each thread that
 * will run a chosen walker then runs it until V8 has optimised it — the event loop's copy checked
 * against libxgboost's margins and timed until it is as fast as it was timed — and only then does
 * the choice take effect.
 */
import type { Logger } from "../../node/logger.js";
import {
  type Booster,
  collectGarbage,
  type DenseData,
  firstMismatch,
  type Prediction,
  type PreparedTrees,
  TIMED_ROWS,
  type TreeKernel,
  type TreePredictor,
  treePredictorFromSpec,
  type WalkerTiming,
  type XGBoostPool,
} from "../../xgboost/index.js";

export { firstMismatch } from "../../xgboost/index.js";

/** The code that walks the trees of a request. */
export type Walker = "libxgboost" | TreeKernel;

/**
 * How the walkers are chosen: timed per request size (the default), a JavaScript walker for every
 * size without timing (`SAGEBREW_XGBOOST_JS=large`), or libxgboost alone (`SAGEBREW_XGBOOST_JS=off`).
 */
export type WalkerMode = "timed" | "javascript" | "libxgboost";

/** Requests of up to `upToRows` rows (any number when undefined) go to `walker`. */
export interface SizeChoice {
  readonly upToRows: number | undefined;
  readonly walker: Walker;
}

/**
 * Models of more nodes get no generated walker: its code costs memory in every thread (hundreds of
 * bytes a node) and V8 optimises it only after many calls, where the loop walker is at full speed
 * at once; measured in bench/RESULTS.md ("Serving realistic models").
 */
export const GENERATED_MAX_NODES = 16_384;

/**
 * Models of at most this many bytes (their files) are small: their walkers are prepared at once,
 * in a fraction of a second, at the serving threads' priority. Larger models are prepared in the
 * background, one at a time, at a lower priority. Either way libxgboost serves meanwhile.
 */
export const SMALL_MODEL_BYTES = 1 << 20;

/**
 * The least libxgboost time (ms) after which the walkers of a model that waits for it are
 * prepared: about what preparing and timing a small model's walkers costs (bench/RESULTS.md,
 * "Batch transform"). A batch transform's job that ends sooner would not have earned that back.
 */
export const PREPARE_AFTER_MS = 500;

/**
 * libxgboost time (ms) per tree, and per MiB of the model file, after which a large model's walkers
 * are prepared: their preparation's CPU (read, checked on probe rows, timed, warmed where they will
 * run) is about the larger of the two — a few ms per tree, more for deeper trees, which the file's
 * size catches (measured in bench/RESULTS.md, "Walkers earned, not assumed"). Waiting that long is the
 * rent-or-buy rule: a server never pays much more than twice what the better choice in hindsight
 * would have cost.
 */
export const PREPARE_MS_PER_TREE = 2;
export const PREPARE_MS_PER_MIB = 200;

/**
 * How long libxgboost predicts for a model before its walkers are prepared (0: at once): a small
 * model on a live server at once (a fraction of a second, and the warm-up's requests then find
 * the walkers); a large one, or any on a batch transform's server, once libxgboost has spent
 * about what preparing them costs, so that a server that never predicts that much (an idle or
 * lightly used endpoint, a short job) never pays for them. `override` (the option, or
 * `SAGEBREW_XGBOOST_PREPARE_AFTER_MS`) wins.
 *
 * @example prepareAfterMs({ bytes: 6_676_047, trees: 500 }, { small: false, batch: false }) // 1273
 */
export function prepareAfterMs(
  model: { readonly bytes: number; readonly trees: number },
  o: { readonly small: boolean; readonly batch: boolean; readonly override?: number | undefined },
): number {
  if (o.override !== undefined) return o.override;
  if (o.small && !o.batch) return 0;
  const mib = Number.isFinite(model.bytes) ? model.bytes / (1 << 20) : 0;
  return Math.round(Math.max(PREPARE_AFTER_MS, model.trees * PREPARE_MS_PER_TREE, mib * PREPARE_MS_PER_MIB));
}

/** A JavaScript walker must be this much faster than libxgboost to be chosen (timing noise). */
const MARGIN = 0.9;

/**
 * The per-size choice from the timings: at each timed size the fastest walker (a JavaScript one
 * only when under `MARGIN` × libxgboost's time), each choice covering the sizes down to the
 * previous timed size, the last one every larger size too. Adjacent equal choices merge.
 *
 * @example chooseBySize([{ rows: 1, libxgboost: 40, loop: 9 }, { rows: 64, libxgboost: 900, loop: 1400 }])
 * // [{ upToRows: 1, walker: "loop" }, { upToRows: undefined, walker: "libxgboost" }]
 */
export function chooseBySize(timings: readonly WalkerTiming[]): SizeChoice[] {
  const out: SizeChoice[] = [];
  const sorted = [...timings].sort((a, b) => a.rows - b.rows);
  for (const [i, t] of sorted.entries()) {
    let walker: Walker = "libxgboost";
    let best = t.libxgboost * MARGIN;
    for (const k of ["loop", "generated"] as const) {
      const us = t[k];
      if (us !== undefined && us < best) [walker, best] = [k, us];
    }
    const upToRows = i === sorted.length - 1 ? undefined : t.rows;
    const last = out.at(-1);
    if (last?.walker === walker) out[out.length - 1] = { upToRows, walker };
    else out.push({ upToRows, walker });
  }
  return out.length ? out : [{ upToRows: undefined, walker: "libxgboost" }];
}

/** The walker for a request of `rows` rows. */
export function walkerFor(choice: readonly SizeChoice[], rows: number): Walker {
  for (const c of choice) if (c.upToRows === undefined || rows <= c.upToRows) return c.walker;
  return "libxgboost";
}

/** One booster's walkers: libxgboost until `prepareWalkers` has installed a timed choice. */
export class BoosterWalkers {
  /** What serves each request size; libxgboost for every size until the walkers are ready. */
  bySize: readonly SizeChoice[] = [{ upToRows: undefined, walker: "libxgboost" }];
  /** The walkers built on the event loop's thread, and those warmed on the pool's threads. */
  readonly here = new Map<TreeKernel, TreePredictor>();
  readonly onPool = new Map<TreeKernel, TreePredictor>();
  /** Set while the walkers are prepared; resolves when they are installed (or not). */
  preparing: Promise<void> | undefined;
  /** Why the walkers serve or do not, and their timings, for the log and tests. */
  reason = "not prepared yet";
  timings: readonly WalkerTiming[] = [];

  /** The nice value the walkers were prepared at, where known. */
  nice: number | undefined;

  /**
   * @param small a small model (`SMALL_MODEL_BYTES`): prepared at the serving threads' priority
   * @param batch a batch transform's server (`SAGEMAKER_BATCH`): the walkers' garbage is left in
   *   memory after their preparation (the job ends soon)
   * @param prepareAfterMs libxgboost's time (ms) before the preparation starts (`deferUntil`,
   *   `prepareAfterMs()`); 0: at once
   */
  constructor(
    readonly mode: WalkerMode,
    readonly small = false,
    readonly batch = false,
    readonly prepareAfterMs = 0,
  ) {}

  /** Set until the pool threads' walkers are in place (or known not to come). */
  poolPending: Promise<void> | undefined;

  /** Read by the preparing thread (`PrepareOptions.cancel`): 1 once `stop` was called. */
  readonly cancel = new Int32Array(new SharedArrayBuffer(4));

  /** The server is stopping: the preparation gives up at its next step. */
  stop(): void {
    this.#start = undefined;
    Atomics.store(this.cancel, 0, 1);
  }

  get stopped(): boolean {
    return Atomics.load(this.cancel, 0) !== 0;
  }

  /** Set while the preparation waits for libxgboost to have spent `#after` ms predicting (`deferUntil`). */
  #start: (() => void) | undefined;
  #after = 0;
  #spent = 0;

  /**
   * Starts the preparation (`start`) only once libxgboost has spent `ms` predicting for this
   * booster (`paid`), at once when `ms` is 0: a server that stops first (a short batch job, an
   * endpoint little used) pays nothing for walkers, a busier one pays for them at most what it has
   * already spent on libxgboost.
   */
  deferUntil(ms: number, start: () => void): void {
    if (ms <= 0) {
      start();
      return;
    }
    this.#start = start;
    this.#after = ms;
  }

  /** The preparation waits for libxgboost's time (`deferUntil`). */
  get deferred(): boolean {
    return this.#start !== undefined;
  }

  /** libxgboost spent `ms` predicting for this booster; starts a deferred preparation when it is due. */
  paid(ms: number): void {
    if (!this.#start) return;
    this.#spent += ms;
    if (this.#spent < this.#after) return;
    const start = this.#start;
    this.#start = undefined;
    start();
  }

  /**
   * The pool's walker for large requests is not decided yet: a large request is then served in
   * parts, each by what serves when it starts (libxgboost until the walkers are in place).
   */
  get undecided(): boolean {
    return this.poolPending !== undefined || this.#start !== undefined;
  }

  /** The prediction for `data` on this thread by the walker chosen for its size, or `undefined` (libxgboost). */
  predictHere(data: DenseData): Prediction | undefined {
    const here = this.#walkerHere(data);
    return here && predictWith(here.p, data);
  }

  /** The walker warmed on this thread and chosen for `data`'s size (of its width), if any. */
  #walkerHere(data: DenseData): { kind: TreeKernel; p: TreePredictor } | undefined {
    const kind = walkerFor(this.bySize, data.rows);
    const p = kind === "libxgboost" ? undefined : this.here.get(kind);
    if (kind === "libxgboost" || !p || data.cols !== p.numFeatures) return undefined;
    return { kind, p };
  }

  /**
   * The margins (before the objective's transform) for `data` on this thread by the walker chosen
   * for its size, with that walker to predict single rows again, or `undefined` (libxgboost). A
   * request answered `alone` beyond the event loop's timed sizes gets them only once its size band
   * has chosen that walker (`predictAlone`).
   */
  marginsHere(
    data: DenseData,
    alone = false,
  ): { values: Float32Array; predictor: TreePredictor } | undefined {
    const here = this.#walkerHere(data);
    if (!here) return undefined;
    if (alone && this.mode !== "javascript" && this.aloneWalker(data.rows) !== here.kind) return undefined;
    return { values: here.p.margins(data.values, data.rows), predictor: here.p };
  }

  /**
   * The prediction for `data`, a request answered alone on the event loop (`ctx.concurrent` 1)
   * larger than the sizes the walkers were warmed and timed for there, by the faster of the
   * walker chosen for its size and libxgboost (`native`) as timed on this thread. The choice came
   * from a pool thread's timing, which need not hold on the event loop (bench/RESULTS.md, "Where
   * issue 22 stands"): for each power-of-two size band the first `ALONE_TRIALS` requests of each
   * alternate, timed per row, and the walker keeps the band only when its least time is under
   * `MARGIN` × libxgboost's least. The least, not the median: noise only adds time, and the walker's
   * first calls at a new size are often several times slower while V8 compiles it again for them
   * (bench/RESULTS.md, "Where issue 22 stands (stop 29)"). Untimed walkers (`mode` `"javascript"`)
   * serve without a trial.
   */
  predictAlone(data: DenseData, native: () => Prediction): Prediction {
    const here = this.#walkerHere(data);
    if (!here) return native();
    const { kind, p } = here;
    const band = Math.ceil(Math.log2(data.rows));
    let trial = this.#alone.get(band);
    if (trial === undefined) {
      trial = { walker: [], native: [], decided: undefined };
      this.#alone.set(band, trial);
    }
    const byWalker = () => predictWith(p, data);
    if (trial.decided === "libxgboost") return native();
    // Untimed (`SAGEBREW_XGBOOST_JS=large`): the walker, as for every size.
    if (trial.decided !== undefined || this.mode === "javascript") return byWalker() ?? native();
    const walkerTurn = trial.walker.length <= trial.native.length;
    const t = performance.now();
    const out = walkerTurn ? byWalker() : native();
    if (!out) return native();
    (walkerTurn ? trial.walker : trial.native).push(((performance.now() - t) * 1000) / data.rows);
    if (trial.native.length >= ALONE_TRIALS && trial.walker.length >= ALONE_TRIALS) {
      const w = Math.min(...trial.walker);
      const n = Math.min(...trial.native);
      trial.decided = w < MARGIN * n ? kind : "libxgboost";
      this.onAloneDecided?.({
        upToRows: 2 ** band,
        tried: kind,
        walker: trial.decided,
        walkerUs: w,
        libxgboostUs: n,
      });
    }
    return out;
  }

  /**
   * The walker decided for `rows`-row requests answered alone on the event loop: `undefined` while
   * on trial (or before the walkers are in place), else the walker (`predictAlone`).
   */
  aloneWalker(rows: number): Walker | undefined {
    return this.#alone.get(Math.ceil(Math.log2(rows)))?.decided;
  }

  /** Called once per size band `predictAlone` has decided (for the log). */
  onAloneDecided: ((d: AloneDecision) => void) | undefined;

  #alone = new Map<number, { walker: number[]; native: number[]; decided: Walker | undefined }>();

  /** The pool-warmed walker chosen for `rows` rows, or `undefined` (libxgboost). */
  poolWalker(rows: number): TreePredictor | undefined {
    const kind = walkerFor(this.bySize, rows);
    return kind === "libxgboost" ? undefined : this.onPool.get(kind);
  }
}

/** `p`'s prediction for `data` in `Prediction`'s shape, or `undefined` where it does not reproduce it. */
function predictWith(p: TreePredictor, data: DenseData): Prediction | undefined {
  const values = p.predict(data.values, data.rows);
  return values && { values, shape: p.width === 1 ? [data.rows] : [data.rows, p.width] };
}

/** A size band of requests answered alone on the event loop, decided from timings (`predictAlone`). */
export interface AloneDecision {
  /** The band's largest size (rows), a power of two; it starts above half of it. */
  readonly upToRows: number;
  /** The walker timed against libxgboost, and the one chosen. */
  readonly tried: TreeKernel;
  readonly walker: Walker;
  /** The least time of each's timed requests, µs per row. */
  readonly walkerUs: number;
  readonly libxgboostUs: number;
}

/** Timed requests of each, walker and libxgboost, before a size band is decided (`predictAlone`). */
export const ALONE_TRIALS = 5;

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Options of `prepareWalkers`. */
export interface PrepareWalkersOptions {
  readonly generatedMaxNodes: number;
  /** Requests of at most this many rows run on the event loop (the rest on the pool). */
  readonly syncRows: number;
  readonly logger: Logger;
  readonly file: string | undefined;
}

/**
 * Prepares `w`'s walkers in the background (a thread of their own builds, checks and times them), warms
 * the chosen ones where they will run, then installs the choice and logs it
 * (`xgboost walkers`). Never rejects: a failure leaves libxgboost serving, logged.
 */
export function prepareWalkers(
  w: BoosterWalkers,
  booster: Booster,
  pool: XGBoostPool,
  o: PrepareWalkersOptions,
): Promise<void> {
  if (w.mode === "libxgboost") {
    w.reason = "libxgboost only (SAGEBREW_XGBOOST_JS=off)";
    return Promise.resolve();
  }
  w.onAloneDecided = (d) =>
    o.logger.info("xgboost walkers alone", {
      file: o.file,
      upToRows: d.upToRows,
      walker: d.walker,
      perRowUs: { [d.tried]: round2(d.walkerUs), libxgboost: round2(d.libxgboostUs) },
    });
  let poolSettled = () => {};
  w.poolPending = new Promise<void>((resolve) => {
    poolSettled = () => {
      w.poolPending = undefined;
      resolve();
    };
  });
  w.preparing = (async () => {
    const prepared = await booster.prepareTreesAsync({
      generatedMaxNodes: o.generatedMaxNodes,
      time: w.mode === "timed",
      background: !w.small,
      cancel: w.cancel,
    });
    w.nice = prepared.nice;
    w.reason = prepared.reason;
    w.timings = prepared.timings;
    if (!prepared.spec || !prepared.check || w.stopped) return;
    const kernels = prepared.kernels;
    const chosen =
      w.mode === "timed"
        ? chooseBySize(prepared.timings)
        : [
            {
              upToRows: undefined,
              walker: kernels.includes("generated") ? "generated" : "loop",
            } as SizeChoice,
          ];
    const needed = (onLoop: boolean) =>
      new Set(
        ([...TIMED_ROWS] as number[])
          .filter((r) => r <= o.syncRows === onLoop)
          .concat(onLoop ? [] : [Number.MAX_SAFE_INTEGER])
          .map((r) => walkerFor(chosen, r))
          .filter((k): k is TreeKernel => k !== "libxgboost"),
      );
    // A walker serves only where it has been warmed (`here`, `onPool`); until then, and where its
    // warm-up fails, libxgboost does. The pool first: the parts of a large request take it from then.
    w.bySize = chosen;
    for (const kind of needed(false)) {
      if (w.stopped) return;
      const p = treePredictorFromSpec(prepared.spec, kind);
      // Large batches, as the pool's requests are.
      await pool.warmTrees(p, warmBatch(prepared.check, p.numFeatures), 1024, WARM_BATCHES);
      w.onPool.set(kind, p);
    }
    poolSettled();
    for (const kind of needed(true)) {
      if (w.stopped) return;
      const p = treePredictorFromSpec(prepared.spec, kind);
      const reference = prepared.timings.find((t) => t.rows === 64)?.[kind];
      const warm = await warmOnEventLoop(p, prepared.check, reference, () => w.stopped);
      if (warm === true) w.here.set(kind, p);
      else {
        w.reason += `; the ${kind} walker stays off on the event loop: ${warm}`;
        w.bySize = withoutOnLoop(w.bySize, kind, o.syncRows);
      }
    }
  })()
    .catch((e: unknown) => {
      w.reason = `walkers not prepared: ${(e as Error).message}`;
    })
    .finally(() => {
      poolSettled();
      w.preparing = undefined;
      // The preparation's garbage (warm-up batches, compilations, its thread's freed arenas) would
      // otherwise stay resident on an idle server: a full collection, then malloc's free pages back.
      // Not on a batch transform's server, which lives for its job: that pause would fall mid-job.
      if (!w.stopped && !w.batch) collectGarbage();
      o.logger.info("xgboost walkers", {
        file: o.file,
        bySize: w.bySize.map((c) => ({ upToRows: c.upToRows ?? null, walker: c.walker })),
        reason: w.reason,
        ...(w.nice !== undefined ? { nice: w.nice } : {}),
        ...(w.timings.length ? { timed: describeTimings(w.timings) } : {}),
      });
    });
  return w.preparing;
}

/**
 * `choice` with libxgboost instead of `kind` for the sizes that run on the event loop (up to
 * `syncRows` rows), where `kind` could not be warmed; adjacent equal choices merged.
 */
export function withoutOnLoop(
  choice: readonly SizeChoice[],
  kind: TreeKernel,
  syncRows: number,
): SizeChoice[] {
  const out: SizeChoice[] = [];
  const push = (c: SizeChoice) => {
    const last = out.at(-1);
    if (last?.walker === c.walker) out[out.length - 1] = c;
    else out.push(c);
  };
  let from = 0; // sizes above `from` are still to place
  for (const c of choice) {
    const to = c.upToRows ?? Number.POSITIVE_INFINITY;
    if (c.walker === kind && from < syncRows) {
      push({ upToRows: Math.min(to, syncRows), walker: "libxgboost" });
      if (to > syncRows) push(c);
    } else push(c);
    from = to;
  }
  return out;
}

/** `1 row: libxgboost 41 µs, loop 9.2, generated 7.5; 64 rows: …` */
function describeTimings(timings: readonly WalkerTiming[]): string {
  const n = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  return timings
    .map(
      (t) =>
        `${t.rows} row${t.rows === 1 ? "" : "s"}: libxgboost ${n(t.libxgboost)} µs, loop ${n(t.loop)}` +
        (t.generated === undefined ? "" : `, generated ${n(t.generated)}`),
    )
    .join("; ");
}

/** Slices of warm-up on the event loop, and the least time, before giving up on reaching the timed speed. */
const WARM_SLICES = 400;
const WARM_PATIENCE_MS = 5000;

/**
 * Batches a walker first runs on a thread, of `warmRows` rows: V8 optimises a walker fully only
 * after long loops (on the iris model, 8 runs of 1,024 rows took the generated walker to the pool
 * thread's speed at once, where 300 runs of 64 rows left it at a third of it).
 */
const WARM_BATCHES = 8;

/** Rows per warm-up batch: about 65,536 tree walks (1,024 rows of the iris model, 132 of 500 trees). */
function warmRows(p: TreePredictor): number {
  return Math.min(1024, Math.max(64, Math.ceil(65_536 / p.numTrees)));
}

/** The check rows repeated to `rows` rows. */
export function warmBatch(
  check: { values: Float32Array; rows: number },
  cols: number,
  rows = 1024,
): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r += check.rows)
    out.set(check.values.subarray(0, Math.min(check.rows, rows - r) * cols), r * cols);
  return out;
}

/**
 * Runs `p` on the check rows in slices, one per turn of the event loop (requests are served in
 * between), until V8 has optimised it: the median of its last 5 runs within 1.5 × the time the
 * pool thread measured (`reference`, for 64 rows), or 30 runs when untimed, after `WARM_BATCHES`
 * larger batches. The first run's margins must be
 * libxgboost's, bit for bit. Resolves `true`, or why not.
 */
export async function warmOnEventLoop(
  p: TreePredictor,
  check: NonNullable<PreparedTrees["check"]>,
  reference: number | undefined,
  stopped: () => boolean = () => false,
): Promise<true | string> {
  const rows = warmRows(p);
  const big = warmBatch(check, p.numFeatures, rows);
  for (let i = 0; i < WARM_BATCHES; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (stopped()) return "the server stopped";
    p.margins(big, rows);
  }
  const last: number[] = [];
  const start = performance.now();
  for (let i = 0; i < WARM_SLICES || performance.now() - start < WARM_PATIENCE_MS; i++) {
    // After the first slices, one every few ms: V8's optimising threads may be starved on a busy
    // machine, and the walker reaches its speed only once their work lands.
    await new Promise<void>((resolve) => (i < WARM_SLICES ? setImmediate(resolve) : setTimeout(resolve, 5)));
    if (stopped()) return "the server stopped";
    const t = performance.now();
    const m = p.margins(check.values, check.rows);
    last.push(((performance.now() - t) * 1000 * 64) / check.rows);
    if (i === 0) {
      const mismatch = firstMismatch(m, check.margins, 0);
      if (mismatch !== undefined) return `its margins differ from libxgboost's on this thread: ${mismatch}`;
    }
    if (last.length > 5) last.shift();
    const sorted = [...last].sort((a, b) => a - b);
    if (reference === undefined ? i >= 29 : i >= 4 && sorted[2]! <= 1.5 * reference) return true;
  }
  return `it ran at ${last[2]?.toFixed(0)} µs per 64 rows after ${WARM_PATIENCE_MS / 1000} s, not near the ${reference?.toFixed(0)} µs timed`;
}
