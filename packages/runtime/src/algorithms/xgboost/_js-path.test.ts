import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseMediaType } from "../../codecs/media-type.js";
import type { Dataset } from "../../codecs/types.js";
import { readServingConfig } from "../../config/serving.js";
import { MEDIA } from "../../contract/index.js";
import { createLogger } from "../../node/logger.js";
import {
  Booster,
  compileTreeModel,
  DMatrix,
  readUbj,
  sharedPool,
  TIMED_ROWS,
  XGBoostPool,
} from "../../xgboost/index.js";
import {
  ALONE_TRIALS,
  type AloneDecision,
  BoosterWalkers,
  chooseBySize,
  firstMismatch,
  PREPARE_AFTER_MS,
  PREPARE_MS_PER_MIB,
  PREPARE_MS_PER_TREE,
  prepareAfterMs,
  walkerFor,
  warmOnEventLoop,
  withoutOnLoop,
} from "./_js-path.js";
import { CLASS_NAMES_ATTR } from "./_model.js";
import {
  classOfMargins,
  createXGBoostHandler,
  encodePrediction,
  type XGBoostHandlerOptions,
  type XGBoostServingModel,
} from "./handler.js";

const COLS = 4;
let dir: string;
let pool: XGBoostPool;

function dataset(rows: number, seed = 11) {
  let s = seed;
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const values = Float32Array.from({ length: rows * COLS }, () => (rnd() < 0.1 ? Number.NaN : rnd() * 4));
  const labels = Float32Array.from({ length: rows }, (_, r) => {
    const v = (values[r * COLS] || 0) + (values[r * COLS + 1] || 0);
    return v < 2.5 ? 0 : v < 4.5 ? 1 : 2;
  });
  return { values, labels, rows, cols: COLS };
}

function train(params: Record<string, string | number>, rounds = 10): Booster {
  const d = dataset(300);
  const dtrain = DMatrix.fromDense(d, { labels: d.labels });
  const b = Booster.create([dtrain], {
    objective: "multi:softprob",
    num_class: 3,
    max_depth: 3,
    seed: 1,
    nthread: 1,
    ...params,
  });
  for (let i = 0; i < rounds; i++) b.update(i, dtrain);
  dtrain.dispose();
  return b;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "sagebrew-js-path-"));
  pool = new XGBoostPool(1);
});

after(async () => {
  await pool.close();
  await sharedPool().close();
  await rm(dir, { recursive: true, force: true });
});

describe("the choice of walker per request size", () => {
  it("takes, at each timed size, the fastest walker, JavaScript only when clearly faster, and merges runs", () => {
    const choice = chooseBySize([
      { rows: 1, libxgboost: 40, loop: 9, generated: 12 },
      { rows: 16, libxgboost: 60, loop: 30, generated: 20 },
      { rows: 64, libxgboost: 100, loop: 95, generated: 92 }, // within the 10 % margin: libxgboost
      { rows: 256, libxgboost: 300, loop: 400 },
      { rows: 1024, libxgboost: 1200, loop: 1500 },
    ]);
    assert.deepEqual(choice, [
      { upToRows: 1, walker: "loop" },
      { upToRows: 16, walker: "generated" },
      { upToRows: undefined, walker: "libxgboost" },
    ]);
    assert.equal(walkerFor(choice, 1), "loop");
    assert.equal(walkerFor(choice, 2), "generated", "between two timed sizes, the larger one's choice");
    assert.equal(walkerFor(choice, 17), "libxgboost");
    assert.equal(walkerFor(choice, 1_000_000), "libxgboost", "beyond the last timed size, its choice");
  });

  it("gives libxgboost the event loop's sizes of a walker that could not be warmed there, the pool's kept", () => {
    const choice = [
      { upToRows: 16, walker: "generated" as const },
      { upToRows: 256, walker: "loop" as const },
      { upToRows: undefined, walker: "generated" as const },
    ];
    assert.deepEqual(withoutOnLoop(choice, "generated", 64), [
      { upToRows: 16, walker: "libxgboost" },
      { upToRows: 256, walker: "loop" },
      { upToRows: undefined, walker: "generated" },
    ]);
    assert.deepEqual(withoutOnLoop(choice, "loop", 64), [
      { upToRows: 16, walker: "generated" },
      { upToRows: 64, walker: "libxgboost" },
      { upToRows: 256, walker: "loop" },
      { upToRows: undefined, walker: "generated" },
    ]);
    assert.deepEqual(withoutOnLoop([{ upToRows: undefined, walker: "loop" }], "loop", 20), [
      { upToRows: 20, walker: "libxgboost" },
      { upToRows: undefined, walker: "loop" },
    ]);
    assert.deepEqual(withoutOnLoop(choice, "generated", 0), choice, "nothing runs on the event loop");
  });

  it("gives JavaScript every size when it wins the largest, and libxgboost everything without timings", () => {
    const js = chooseBySize(TIMED_ROWS.map((rows) => ({ rows, libxgboost: 10 * rows + 20, loop: 2 * rows })));
    assert.deepEqual(js, [{ upToRows: undefined, walker: "loop" }]);
    assert.deepEqual(chooseBySize([]), [{ upToRows: undefined, walker: "libxgboost" }]);
  });
});

describe("the warm-up on the event loop", () => {
  it("checks the walker's margins against libxgboost's first, and refuses a walker that differs", async () => {
    const b = train({});
    const p = compileTreeModel(readUbj(b.save("ubj")))!;
    const { values, rows } = dataset(64, 3);
    const margins = b.predictDense({ values, rows, cols: COLS }, { type: 1 }).values;
    assert.equal(await warmOnEventLoop(p, { values, rows, margins }, undefined), true);
    const wrong = margins.slice();
    wrong[5] = Math.fround(wrong[5]! + 2 ** -20);
    assert.match(
      String(await warmOnEventLoop(p, { values, rows, margins: wrong }, undefined)),
      /margins differ/,
    );
    b.dispose();
  });
});

describe("the XGBoost handler's walkers", () => {
  const csv = parseMediaType(MEDIA.csv)!;
  const body = (rows: string[]) => new TextEncoder().encode(`${rows.join("\n")}\n`);
  const rows = ["1,2,,0.5", "3.5,0.25,1,1", ",,,", "0,4,2,3"];

  async function loadWith(
    modelDir: string,
    options: XGBoostHandlerOptions = {},
    env: Record<string, string> = {},
  ): Promise<{
    model: XGBoostServingModel;
    logs: Array<Record<string, unknown>>;
    /** Resolves once every booster's walkers are prepared (or not). */
    prepared: () => Promise<void>;
    close: () => Promise<void>;
  }> {
    const logs: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: "info", write: (l) => void logs.push(JSON.parse(l)) });
    const config = readServingConfig({ SAGEMAKER_BASE_DIR: dir, ...env });
    const handler = createXGBoostHandler({ pool, ...options });
    const model = await handler.load({ modelDir, config, logger });
    await handler.warmup!(model, { modelDir, config, logger });
    return {
      model,
      logs,
      prepared: async () => {
        for (const w of model.walkers ?? []) await w.preparing;
      },
      close: () => handler.close!(model, { modelDir, config, logger }) as Promise<void>,
    };
  }

  async function predictValues(model: XGBoostServingModel, lines: string[]): Promise<Float32Array> {
    const handler = createXGBoostHandler({ pool });
    const data = handler.decode!(body(lines), { contentType: csv } as never) as Dataset;
    return (await handler.predict!(model, data, {} as never)).values;
  }

  async function saved(name: string, b: Booster, format: "ubj" | "json" = "ubj"): Promise<string> {
    const modelDir = join(dir, name);
    await mkdir(modelDir, { recursive: true });
    await b.saveFile(join(modelDir, "xgboost-model"), format);
    return modelDir;
  }

  it("serves with libxgboost until the walkers are prepared, then logs the timed choice and answers identically", async () => {
    const b = train({});
    const modelDir = await saved("single", b);
    const timed = await loadWith(modelDir);
    const w = timed.model.walkers?.[0];
    assert.ok(w?.preparing, "prepared in the background, after warm-up");
    assert.deepEqual(w.bySize, [{ upToRows: undefined, walker: "libxgboost" }], "libxgboost meanwhile");
    const before = await predictValues(timed.model, rows);
    await timed.prepared();
    const line = timed.logs.find((l) => l.msg === "xgboost walkers");
    assert.ok(line, "the choice is logged");
    assert.match(String(line.reason), /agree with libxgboost on \d+ probe rows \(margins bit for bit/);
    assert.match(String(line.timed), /^1 row: libxgboost [\d.]+ µs, loop [\d.]+, generated [\d.]+; 4 rows:/);
    assert.deepEqual(
      line.bySize,
      w.bySize.map((c) => ({ upToRows: c.upToRows ?? null, walker: c.walker })),
    );
    // Whatever the timings chose, the answers are libxgboost's.
    assert.deepEqual(before, b.predictDense(decoded(rows)).values);
    assert.equal(firstMismatch(await predictValues(timed.model, rows), before), undefined);
    b.dispose();
    await timed.close();
  });

  it("with walkers: javascript, answers every size in JavaScript once warm (libxgboost never called)", async () => {
    const b = train({}, 30); // 90 trees: 35,000 rows are 3.15M row × tree visits, split in 2
    const modelDir = await saved("javascript", b);
    const threads = new XGBoostPool(2);
    const js = await loadWith(modelDir, { walkers: "javascript", pool: threads });
    await js.prepared();
    const w = js.model.walkers![0]!;
    assert.deepEqual(w.bySize, [{ upToRows: undefined, walker: "generated" }]);
    assert.equal(w.here.get("generated")?.kernel, "generated", "warmed on the event loop's thread");
    assert.equal(w.onPool.get("generated")?.kernel, "generated", "and on the pool's");
    const booster = js.model.boosters[0]!;
    const [sync, async] = [booster.predictDense, booster.predictDenseAsync];
    booster.predictDense = booster.predictDenseAsync = () => {
      throw new Error("native called");
    };
    const small = await predictValues(js.model, rows);
    const data = dataset(35_000, 5);
    const features = { kind: "dense" as const, values: data.values, rows: data.rows, cols: COLS };
    const handler = createXGBoostHandler({ pool: threads });
    const large = await handler.predict!(js.model, { features } as Dataset, {} as never);
    // Alone on the event loop (1,000 rows: over the sync limit, under the alone one): untimed too.
    const lone = dataset(1000, 9);
    const loneFeatures = { kind: "dense" as const, values: lone.values, rows: lone.rows, cols: COLS };
    const alone = handler.predict!(
      js.model,
      { features: loneFeatures } as Dataset,
      { concurrent: 1 } as never,
    );
    assert.ok(!(alone instanceof Promise), "on the event loop");
    booster.predictDense = sync;
    booster.predictDenseAsync = async;
    assert.equal(firstMismatch(small, b.predictDense(decoded(rows)).values), undefined);
    assert.equal(large.values.length, 35_000 * 3);
    assert.equal(firstMismatch(large.values, b.predictDense(data).values), undefined);
    assert.equal(firstMismatch(alone.values, b.predictDense(lone).values), undefined);
    b.dispose();
    await js.close();
    await threads.close();
  });

  it("answers class names alone from the walker's margins, the same names as from probabilities, and the probabilities to whoever reads them", async () => {
    const b = train({}, 20);
    b.setAttr(CLASS_NAMES_ATTR, JSON.stringify(["setosa", "versicolor", "virginica"]));
    const modelDir = await saved("names", b);
    const js = await loadWith(modelDir, { walkers: "javascript" });
    await js.prepared();
    const handler = createXGBoostHandler({ pool });
    const data = dataset(2_000, 9);
    const features = { kind: "dense" as const, values: data.values, rows: 200, cols: COLS };
    const ctx = { accept: MEDIA.csv, contentType: csv } as never;
    const asNames = handler.predict!(js.model, { features } as Dataset, ctx) as Awaited<
      ReturnType<NonNullable<typeof handler.predict>>
    >;
    assert.equal(asNames.constructor.name, "SoftprobMargins", "class names alone: margins, no softmax");
    const native = b.predictDense({ values: features.values, rows: 200, cols: COLS }).values;
    const fromProbabilities = encodePrediction(
      { rows: 200, width: 3, values: native, model: js.model },
      { accept: MEDIA.csv },
    );
    assert.equal(encodePrediction(asNames, { accept: MEDIA.csv }), fromProbabilities);
    assert.equal(firstMismatch(asNames.values, native), undefined, "values read: the probabilities");
    // Any other answer (JSON, or chosen keys) is predicted as probabilities, as before.
    const json = handler.predict!(js.model, { features } as Dataset, { accept: MEDIA.json } as never) as {
      constructor: { name: string };
    };
    assert.notEqual(json.constructor.name, "SoftprobMargins");
    b.dispose();
    await js.close();
  });

  it("takes a row's class from its probabilities where two margins are within rounding of each other", () => {
    let asked = 0;
    const probabilities = (p: number[]) => (_row: number) => {
      asked++;
      return Float32Array.from(p);
    };
    // Far apart: the largest margin, the probabilities never computed.
    assert.equal(classOfMargins(new Float32Array([0.2, 1.5, -1]), 0, 3, 0, probabilities([0, 1, 0])), 1);
    assert.equal(classOfMargins(new Float32Array([9, 9, 0.5, 3, 0.25, 3.1]), 3, 3, 1, probabilities([])), 2);
    assert.equal(asked, 0);
    // Within 1e-5: the probabilities decide (here rounded equal, so the first of them).
    assert.equal(
      classOfMargins(new Float32Array([1, 1.000001, 0]), 0, 3, 0, probabilities([0.4, 0.4, 0.2])),
      0,
    );
    assert.equal(asked, 1);
  });

  it("serves a large request that comes while the walkers are prepared by libxgboost in parts, the rest of it by the walker once in place", async () => {
    const b = train({}, 30); // 90 trees: 35,000 rows are 3.15M row × tree visits
    const modelDir = await saved("parts", b);
    const threads = new XGBoostPool(2);
    const data = dataset(35_000, 5);
    const features = { kind: "dense" as const, values: data.values, rows: data.rows, cols: COLS };
    const options = { walkers: "javascript" as const, pool: threads, partWork: 150_000 };
    const parts = Math.ceil(35_000 / Math.floor(150_000 / 90));
    const handler = createXGBoostHandler(options);
    const m = await loadWith(modelDir, options);
    const w = m.model.walkers![0]!;
    assert.ok(w.preparing && w.undecided, "being prepared");
    const booster = m.model.boosters[0]!;
    let nativeCalls = 0;
    let walkerCalls = 0;
    const native = booster.predictDenseAsync.bind(booster);
    // Each part libxgboost gets is held until the walkers are in place: the parts that start later
    // find them there.
    booster.predictDenseAsync = async (d) => {
      nativeCalls++;
      await m.prepared();
      return native(d);
    };
    const trees = threads.predictTrees.bind(threads);
    threads.predictTrees = (p, values, rows) => {
      walkerCalls++;
      return trees(p, values, rows);
    };
    const got = await handler.predict!(m.model, { features } as Dataset, {} as never);
    assert.equal(firstMismatch(got.values, b.predictDense(data).values), undefined);
    assert.ok(
      nativeCalls >= 1 && nativeCalls <= 2 * threads.parallelism,
      `${nativeCalls} parts by libxgboost`,
    );
    assert.equal(nativeCalls + walkerCalls, parts, "the rest by the walker");
    assert.equal(w.undecided, false);
    await m.close();
    b.dispose();
    await threads.close();
  });

  it("on a batch transform's server, prepares the walkers once libxgboost has spent prepareAfterMs, at the priority of their size", async () => {
    const b = train({}, 30);
    const modelDir = await saved("batch", b);
    const threads = new XGBoostPool(2);
    const data = dataset(35_000, 5);
    const features = { kind: "dense" as const, values: data.values, rows: data.rows, cols: COLS };
    const batch = { SAGEMAKER_BATCH: "true" };
    // Never due: libxgboost serves, nothing is prepared, and closing does not wait for anything.
    const never = await loadWith(modelDir, { pool: threads, prepareAfterMs: 1e9 }, batch);
    const w0 = never.model.walkers![0]!;
    const handler = createXGBoostHandler({ pool: threads });
    const got = await handler.predict!(never.model, { features } as Dataset, {} as never);
    assert.equal(firstMismatch(got.values, b.predictDense(data).values), undefined);
    assert.ok(w0.deferred && w0.undecided && w0.preparing === undefined, "not prepared");
    assert.equal(w0.reason, "not prepared yet");
    // and no warm-up requests before /ping: a batch job is judged by when it ends
    const ctx = (env: Record<string, string>) => ({
      modelDir,
      config: readServingConfig({ SAGEMAKER_BASE_DIR: dir, ...env }),
      logger: createLogger({ level: "error" }),
    });
    assert.deepEqual(handler.warmupRequests!(never.model, ctx(batch)), []);
    assert.equal(handler.warmupRequests!(never.model, ctx({})).length, 4);
    await never.close();
    // Due after the first libxgboost time; a large model (smallModelBytes 0) is prepared at nice 10
    // where Linux lets a thread lower its own.
    const due = await loadWith(modelDir, { pool: threads, prepareAfterMs: 1e-9, smallModelBytes: 0 }, batch);
    const w = due.model.walkers![0]!;
    assert.ok(w.deferred && w.preparing === undefined, "waits for libxgboost's time");
    await handler.predict!(due.model, { features } as Dataset, {} as never);
    assert.ok(!w.deferred && w.preparing, "started by the request's libxgboost time");
    await due.prepared();
    const line = due.logs.find((l) => l.msg === "xgboost walkers");
    assert.match(String(line?.reason), /agree with libxgboost/);
    if (process.platform === "linux") assert.equal(line?.nice, 10);
    await due.close();
    b.dispose();
    await threads.close();
  });

  it("on a live server, a large model's walkers wait for libxgboost's time; a small one's, and SAGEBREW_XGBOOST_PREPARE_AFTER_MS=0, do not", async () => {
    const b = train({}, 30);
    const modelDir = await saved("earned", b);
    const data = dataset(200, 5);
    const features = { kind: "dense" as const, values: data.values, rows: data.rows, cols: COLS };
    const handler = createXGBoostHandler({ pool });
    // Large (smallModelBytes 0), and libxgboost's time not yet spent: an idle server prepares nothing.
    const idle = await loadWith(modelDir, { smallModelBytes: 0, prepareAfterMs: 1e9 });
    const w0 = idle.model.walkers![0]!;
    assert.ok(w0.deferred && w0.preparing === undefined, "waits");
    const got = await handler.predict!(idle.model, { features } as Dataset, {} as never);
    assert.equal(firstMismatch(got.values, b.predictDense(data).values), undefined);
    assert.ok(w0.deferred && w0.preparing === undefined, "still waits: libxgboost has not spent that long");
    await idle.close();
    assert.equal(
      idle.logs.find((l) => l.msg === "xgboost walkers"),
      undefined,
      "nothing prepared",
    );
    assert.deepEqual(
      idle.logs.filter((l) => l.msg === "xgboost walkers wait").map((l) => [l.file, l.prepareAfterMs]),
      [["xgboost-model", 1e9]],
      "the wait is logged",
    );
    // The default for a large model: libxgboost's time per MiB of the model file, at least 500 ms.
    const byDefault = await loadWith(modelDir, { smallModelBytes: 0 });
    assert.equal(byDefault.model.walkers![0]!.prepareAfterMs, PREPARE_AFTER_MS);
    assert.ok(byDefault.model.walkers![0]!.deferred);
    await byDefault.close();
    // Due after the first libxgboost time: prepared, checked and installed as any.
    const due = await loadWith(modelDir, { smallModelBytes: 0, prepareAfterMs: 1e-9 });
    const w = due.model.walkers![0]!;
    assert.ok(w.deferred);
    await handler.predict!(due.model, { features } as Dataset, {} as never);
    assert.ok(!w.deferred && w.preparing, "started by the request's libxgboost time");
    await due.prepared();
    assert.match(String(due.logs.find((l) => l.msg === "xgboost walkers")?.reason), /agree with libxgboost/);
    await due.close();
    // SAGEBREW_XGBOOST_PREPARE_AFTER_MS=0: at once, as a small model's on a live server.
    for (const [options, env] of [
      [{ smallModelBytes: 0 }, { SAGEBREW_XGBOOST_PREPARE_AFTER_MS: "0" }],
      [{}, {}],
    ] as const) {
      const now = await loadWith(modelDir, options, env);
      assert.ok(!now.model.walkers![0]!.deferred && now.model.walkers![0]!.preparing, "prepared at once");
      await now.close();
    }
    b.dispose();
  });

  it("predicts a request the server answers alone on the event loop up to aloneWorkLimit, one among others on the pool", async () => {
    const b = train({}, 30);
    const modelDir = await saved("alone", b);
    const data = dataset(200, 5);
    const features = { kind: "dense" as const, values: data.values, rows: data.rows, cols: COLS };
    const want = b.predictDense(data).values;
    const m = await loadWith(modelDir, { walkers: "libxgboost" });
    const predict = (options: XGBoostHandlerOptions, concurrent: number | undefined) =>
      createXGBoostHandler({ pool, walkers: "libxgboost", syncWorkLimit: 1, ...options }).predict!(
        m.model,
        { features } as Dataset,
        { concurrent } as never,
      );
    for (const [options, concurrent, onLoop] of [
      [{}, 1, true],
      [{}, 2, false],
      [{}, undefined, false],
      [{ aloneWorkLimit: 0 }, 1, false],
      [{ aloneWorkLimit: 200 * m.model.trees - 1 }, 1, false],
      [{ aloneWorkLimit: 200 * m.model.trees }, 1, true],
    ] as const) {
      const out = predict(options, concurrent);
      assert.equal(!(out instanceof Promise), onLoop, `${JSON.stringify(options)}, concurrent ${concurrent}`);
      assert.equal(firstMismatch((await out).values, want), undefined);
    }
    await m.close();
    b.dispose();
  });

  it("times a request answered alone beyond the event loop's sizes: walker and libxgboost alternate, the faster keeps its size band", () => {
    const b = train({}, 30);
    const data = dataset(200, 5);
    const features = { kind: "dense" as const, values: data.values, rows: data.rows, cols: COLS };
    const want = b.predictDense(data).values;
    // One side held up 3 ms per call (the other takes well under 1 ms here), so that the timing's
    // outcome is known: this tests the alternation and the choice, not the machine.
    const hold = () => {
      const until = performance.now() + 3;
      while (performance.now() < until);
    };
    for (const slow of ["walker", "libxgboost"] as const) {
      const w = new BoosterWalkers("timed");
      const decided: AloneDecision[] = [];
      w.onAloneDecided = (d) => decided.push(d);
      const loop = compileTreeModel(readUbj(b.save("ubj")), "loop")!;
      const calls: string[] = [];
      w.here.set("loop", {
        ...loop,
        predict: (v, r, o) => {
          calls.push("walker");
          if (slow === "walker") hold();
          return loop.predict(v, r, o);
        },
      });
      const native = () => {
        calls.push("libxgboost");
        if (slow === "libxgboost") hold();
        return b.predictDense(features);
      };
      // Before the walkers are in place: libxgboost, no trial.
      assert.equal(firstMismatch(w.predictAlone(features, native).values, want), undefined);
      assert.deepEqual(calls.splice(0), ["libxgboost"]);
      w.bySize = [{ upToRows: undefined, walker: "loop" }];
      for (let i = 0; i < 2 * ALONE_TRIALS; i++) {
        assert.equal(w.aloneWalker(200), undefined, "on trial");
        assert.equal(w.marginsHere(features, true), undefined, "no margins while on trial");
        assert.equal(firstMismatch(w.predictAlone(features, native).values, want), undefined);
      }
      assert.deepEqual(
        calls.splice(0),
        Array.from({ length: 2 * ALONE_TRIALS }, (_, i) => (i % 2 === 0 ? "walker" : "libxgboost")),
      );
      const winner = slow === "walker" ? "libxgboost" : "loop";
      assert.equal(w.aloneWalker(200), winner);
      assert.equal(w.aloneWalker(129), winner, "the band of 129 to 256 rows");
      assert.equal(w.aloneWalker(257), undefined, "the next band is timed apart");
      assert.deepEqual(
        decided.map((d) => [d.upToRows, d.tried, d.walker]),
        [[256, "loop", winner]],
      );
      assert.ok(decided[0]!.walkerUs > 0 && decided[0]!.libxgboostUs > 0);
      for (let i = 0; i < 3; i++)
        assert.equal(firstMismatch(w.predictAlone(features, native).values, want), undefined);
      const then = winner === "loop" ? "walker" : "libxgboost";
      assert.deepEqual(calls.splice(0), [then, then, then], "decided: no more trials");
      assert.equal(w.marginsHere(features, true) !== undefined, winner === "loop");
      assert.ok(w.marginsHere(features) !== undefined, "not alone: the size's choice as before");
    }
    b.dispose();
  });

  it("prepareAfterMs: at once for a small model on a live server, else about what the preparation costs", () => {
    const MiB = 1 << 20;
    const large = { small: false, batch: false };
    assert.equal(prepareAfterMs({ bytes: 200_000, trees: 20 }, { small: true, batch: false }), 0);
    assert.equal(
      prepareAfterMs({ bytes: 200_000, trees: 20 }, { small: true, batch: true }),
      PREPARE_AFTER_MS,
    );
    assert.equal(prepareAfterMs({ bytes: 1.5 * MiB, trees: 100 }, large), PREPARE_AFTER_MS);
    // By trees (many shallow ones), or by bytes (fewer, deeper), whichever says more.
    assert.equal(prepareAfterMs({ bytes: 8 * MiB, trees: 2000 }, large), 2000 * PREPARE_MS_PER_TREE);
    assert.equal(prepareAfterMs({ bytes: 64 * MiB, trees: 500 }, large), 64 * PREPARE_MS_PER_MIB);
    assert.equal(
      prepareAfterMs({ bytes: 8 * MiB, trees: 2000 }, { small: false, batch: true }),
      2000 * PREPARE_MS_PER_TREE,
    );
    // A file whose size could not be read counts its trees.
    assert.equal(prepareAfterMs({ bytes: Number.POSITIVE_INFINITY, trees: 1000 }, large), 2000);
    // The option (or the variable) wins, 0 included.
    assert.equal(prepareAfterMs({ bytes: 8 * MiB, trees: 2000 }, { ...large, override: 0 }), 0);
    assert.equal(
      prepareAfterMs({ bytes: 200_000, trees: 20 }, { small: true, batch: false, override: 40 }),
      40,
    );
  });

  it("stops preparing when the server stops: closing does not wait for the timing", async () => {
    const b = train({}, 30);
    const modelDir = await saved("stop", b);
    const m = await loadWith(modelDir);
    const w = m.model.walkers![0]!;
    assert.ok(w.preparing);
    await m.close();
    const line = m.logs.find((l) => l.msg === "xgboost walkers");
    assert.ok(line, "the outcome is logged");
    assert.ok(w.stopped);
    b.dispose();
  });

  it("builds no generated walker for a model over the node budget: the loop walker alone", async () => {
    const b = train({});
    const modelDir = await saved("budget", b);
    const small = await loadWith(modelDir, { walkers: "javascript", generatedMaxNodes: 10 });
    await small.prepared();
    const w = small.model.walkers![0]!;
    assert.deepEqual(w.bySize, [{ upToRows: undefined, walker: "loop" }]);
    assert.deepEqual([...w.here.keys()], ["loop"]);
    assert.match(w.reason, /no generated walker for \d+ nodes \(over 10\)/);
    assert.equal(
      firstMismatch(await predictValues(small.model, rows), b.predictDense(decoded(rows)).values),
      undefined,
    );
    b.dispose();
    await small.close();
  });

  it("follows SAGEBREW_XGBOOST_JS: off prepares nothing (libxgboost only), large takes JavaScript untimed", async () => {
    const b = train({});
    const modelDir = await saved("env", b);
    b.dispose();
    const off = await loadWith(modelDir, {}, { SAGEBREW_XGBOOST_JS: "off" });
    await off.prepared();
    assert.equal(off.model.walkers?.[0]?.preparing, undefined);
    assert.deepEqual(off.model.walkers?.[0]?.bySize, [{ upToRows: undefined, walker: "libxgboost" }]);
    assert.equal(
      off.logs.find((l) => l.msg === "xgboost walkers"),
      undefined,
    );
    await off.close();
    const large = await loadWith(modelDir, {}, { SAGEBREW_XGBOOST_JS: "large" });
    await large.prepared();
    const line = large.logs.find((l) => l.msg === "xgboost walkers");
    assert.deepEqual(line?.bySize, [{ upToRows: null, walker: "generated" }]);
    assert.equal(line?.timed, undefined, "untimed");
    await large.close();
  });

  it("serves an ensemble with walkers for the gbtree model and libxgboost for the dart one", async () => {
    const modelDir = join(dir, "ensemble");
    await mkdir(modelDir, { recursive: true });
    const gbtree = train({});
    const dart = train({ booster: "dart", rate_drop: 0.1 }, 6);
    await gbtree.saveFile(join(modelDir, "a-gbtree"), "json");
    await dart.saveFile(join(modelDir, "b-dart"), "ubj");
    gbtree.dispose();
    dart.dispose();
    const js = await loadWith(modelDir, { walkers: "javascript" });
    const native = await loadWith(modelDir, { walkers: "libxgboost" });
    await js.prepared();
    const lines = js.logs.filter((l) => l.msg === "xgboost walkers");
    assert.deepEqual(lines.map((l) => [l.file, (l.bySize as Array<{ walker: string }>)[0]?.walker]).sort(), [
      ["a-gbtree", "generated"],
      ["b-dart", "libxgboost"],
    ]);
    assert.match(String(lines.find((l) => l.file === "b-dart")?.reason), /booster dart/);
    assert.deepEqual(await predictValues(js.model, rows), await predictValues(native.model, rows));
    await js.close();
    await native.close();
  });
});

/** CSV lines as dense data (empty = missing). */
function decoded(lines: string[]) {
  const values = Float32Array.from(
    lines.flatMap((l) => l.split(",").map((v) => (v === "" ? Number.NaN : Number(v)))),
  );
  return { values, rows: lines.length, cols: COLS };
}
