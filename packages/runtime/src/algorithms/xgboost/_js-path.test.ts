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
import { Booster, DMatrix, sharedPool, XGBoostPool } from "../../xgboost/index.js";
import {
  chooseJsPath,
  DEFAULT_JS_WORK_LIMIT,
  firstMismatch,
  MAX_JS_TREES,
  predictJs,
  timeJsPath,
} from "./_js-path.js";
import { createXGBoostHandler, type XGBoostServingModel } from "./handler.js";

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

describe("the JavaScript prediction path (parity gate)", () => {
  it("is chosen for a gbtree model that agrees with native, up to the work limit in rows", () => {
    const b = train({});
    const { path, reason } = chooseJsPath(b, DEFAULT_JS_WORK_LIMIT, "never");
    assert.ok(path, reason);
    assert.match(reason, /agrees with native on \d+ probe rows/);
    assert.equal(path.beatsNative, false);
    assert.equal(path.maxRows, Math.floor(DEFAULT_JS_WORK_LIMIT / 30));
    const row = { values: new Float32Array([1, 2, Number.NaN, 0.5]), rows: 1, cols: COLS };
    const js = predictJs(path, row);
    assert.ok(js);
    assert.deepEqual(js.shape, [1, 3]);
    assert.equal(firstMismatch(js.values, b.predictDense(row).values), undefined);
    const big = { values: new Float32Array(COLS * (path.maxRows + 1)), rows: path.maxRows + 1, cols: COLS };
    assert.equal(predictJs(path, big), undefined, "larger requests stay native");
    assert.equal(predictJs(undefined, row), undefined);
    const always = chooseJsPath(b, DEFAULT_JS_WORK_LIMIT, "always").path;
    assert.ok(always?.beatsNative);
    assert.equal(firstMismatch(predictJs(always, big)?.values, b.predictDense(big).values), undefined);
    b.dispose();
  });

  it("serves small requests until timed on the pool, then large ones too if it won (which wins depends on the machine)", async () => {
    const b = train({});
    b.usePool(pool);
    const { path, reason } = chooseJsPath(b);
    assert.ok(path, reason);
    assert.equal(path.beatsNative, false, "not timed yet");
    assert.match(await timeJsPath(b, path, pool), /^\d+ ns per row in JS, \d+ native$/);
    assert.equal(typeof path.beatsNative, "boolean");
    b.dispose();
  });

  it("falls back to native for dart and gblinear models, a zero work limit, and too many trees", () => {
    const dart = train({ booster: "dart", rate_drop: 0.1 }, 3); // dropout: XGBoost 3.1+ trains a plain gbtree without it;
    const dartChoice = chooseJsPath(dart);
    assert.equal(dartChoice.path, undefined);
    assert.match(dartChoice.reason, /unsupported model: booster dart/);
    dart.dispose();
    const linear = train({ booster: "gblinear", objective: "reg:squarederror", num_class: 0 }, 3);
    const linearChoice = chooseJsPath(linear);
    assert.equal(linearChoice.path, undefined);
    assert.match(linearChoice.reason, /unsupported model: booster gblinear/);
    linear.dispose();
    const b = train({});
    assert.match(chooseJsPath(b, 0).reason, /disabled/);
    assert.match(chooseJsPath(b, 29).reason, /30 trees exceed the work limit 29/);
    assert.match(chooseJsPath(b, 9).reason, /10 rounds exceed the work limit 9/);
    const big = train({ max_depth: 1 }, Math.ceil((MAX_JS_TREES + 1) / 3)); // 3 trees a round
    assert.match(
      chooseJsPath(big).reason,
      new RegExp(`${big.boostedRounds * 3} trees exceed ${MAX_JS_TREES}$`),
    );
    big.dispose();
    b.dispose();
  });

  it("compares within 1e-6 (relative above 1), NaN equal to NaN, and the value counts", () => {
    const f = (...v: number[]) => new Float32Array(v);
    assert.equal(firstMismatch(f(0.5, Number.NaN, 1000), f(0.5000005, Number.NaN, 1000.0005)), undefined);
    assert.match(firstMismatch(f(0.5), f(0.500002)) ?? "", /value 0 is 0.5 in JavaScript/);
    assert.match(firstMismatch(f(Number.NaN), f(0)) ?? "", /value 0/);
    assert.match(firstMismatch(f(1, 2), f(1)) ?? "", /2 values from JavaScript, 1 from native/);
    assert.match(firstMismatch(undefined, f(1)) ?? "", /no values from JavaScript/);
  });
});

describe("the XGBoost handler with the JavaScript path", () => {
  const csv = parseMediaType(MEDIA.csv)!;
  const body = (rows: string[]) => new TextEncoder().encode(`${rows.join("\n")}\n`);
  const rows = ["1,2,,0.5", "3.5,0.25,1,1", ",,,", "0,4,2,3"];

  async function loadWith(
    modelDir: string,
    jsWorkLimit?: number,
    options: { jsSpeed?: "always" | "never"; pool?: XGBoostPool } = { jsSpeed: "never" },
  ): Promise<{
    model: XGBoostServingModel;
    logs: Array<Record<string, unknown>>;
    close: () => Promise<void>;
  }> {
    const logs: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: "info", write: (l) => void logs.push(JSON.parse(l)) });
    const config = readServingConfig({ SAGEMAKER_BASE_DIR: dir });
    const handler = createXGBoostHandler({
      pool,
      ...options,
      ...(jsWorkLimit === undefined ? {} : { jsWorkLimit }),
    });
    const model = await handler.load({ modelDir, config, logger });
    return { model, logs, close: () => handler.close!(model, { modelDir, config, logger }) as Promise<void> };
  }

  async function predictValues(model: XGBoostServingModel, lines: string[]): Promise<Float32Array> {
    const handler = createXGBoostHandler({ pool });
    const data = handler.decode!(body(lines), { contentType: csv } as never) as Dataset;
    return (await handler.predict!(model, data, {} as never)).values;
  }

  it("answers small requests in JavaScript, identically to native, and logs the choice", async () => {
    const modelDir = join(dir, "single");
    const b = train({});
    await mkdir(modelDir, { recursive: true });
    await b.saveFile(join(modelDir, "xgboost-model"), "ubj");
    b.dispose();
    const js = await loadWith(modelDir);
    const native = await loadWith(modelDir, 0);
    const line = js.logs.find((l) => l.msg === "xgboost prediction path");
    assert.equal(line?.path, "javascript", JSON.stringify(line));
    assert.equal(line?.jsMaxRows, Math.floor(DEFAULT_JS_WORK_LIMIT / 30));
    assert.equal(native.logs.find((l) => l.msg === "xgboost prediction path")?.path, "native");
    assert.ok(js.model.jsPaths?.[0]);
    // Native must not be called for a small dense request.
    const booster = js.model.boosters[0]!;
    const real = booster.predictDense.bind(booster);
    booster.predictDense = () => {
      throw new Error("native called");
    };
    const fast = await predictValues(js.model, rows);
    booster.predictDense = real;
    assert.deepEqual(fast, await predictValues(native.model, rows));
    // One row more than the work limit allows for 30 trees: native again, still the same answers.
    const many = Array.from(
      { length: Math.floor(DEFAULT_JS_WORK_LIMIT / 30) + 1 },
      (_, i) => rows[i % rows.length]!,
    );
    assert.deepEqual(await predictValues(js.model, many), await predictValues(native.model, many));
    await js.close();
    await native.close();
  });

  it("predicts large requests on every pool thread, in JavaScript or natively, identically", async () => {
    const modelDir = join(dir, "large");
    const b = train({}, 30); // 90 trees: 35,000 rows are 3.15M row × tree visits, split in 2
    await mkdir(modelDir, { recursive: true });
    await b.saveFile(join(modelDir, "xgboost-model"), "ubj");
    const threads = new XGBoostPool(2);
    const js = await loadWith(modelDir, undefined, { jsSpeed: "always", pool: threads });
    const native = await loadWith(modelDir, undefined, { jsSpeed: "never", pool: threads });
    const data = dataset(35_000, 5);
    const features = { kind: "dense" as const, values: data.values, rows: data.rows, cols: COLS };
    const handler = createXGBoostHandler({ pool: threads });
    const predict = (m: XGBoostServingModel) => handler.predict!(m, { features } as Dataset, {} as never);
    // JavaScript on the pool: libxgboost is not called, on this thread or on the pool.
    const booster = js.model.boosters[0]!;
    const [sync, async] = [booster.predictDense, booster.predictDenseAsync];
    booster.predictDense = booster.predictDenseAsync = () => {
      throw new Error("native called");
    };
    const fromJs = await predict(js.model);
    booster.predictDense = sync;
    booster.predictDenseAsync = async;
    const fromNative = await predict(native.model);
    const whole = b.predictDense(data).values;
    assert.equal(fromJs.rows, 35_000);
    assert.equal(fromJs.values.length, 35_000 * 3);
    assert.deepEqual(fromNative.values, whole, "native, split in two, equals one native call");
    assert.equal(firstMismatch(fromJs.values, whole), undefined);
    b.dispose();
    await js.close();
    await native.close();
    await threads.close();
  });

  it("times the JS predictor after warm-up, and a large request that comes meanwhile waits for the outcome", async () => {
    const modelDir = join(dir, "timed");
    const b = train({}, 30);
    await mkdir(modelDir, { recursive: true });
    await b.saveFile(join(modelDir, "xgboost-model"), "ubj");
    const threads = new XGBoostPool(2);
    const logs: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: "info", write: (l) => void logs.push(JSON.parse(l)) });
    const config = readServingConfig({ SAGEMAKER_BASE_DIR: dir });
    const handler = createXGBoostHandler({ pool: threads });
    const model = await handler.load({ modelDir, config, logger });
    await handler.warmup!(model, { modelDir, config, logger });
    const path = model.jsPaths?.[0];
    assert.ok(path?.timing, "timing in the background after warm-up");
    const data = dataset(35_000, 5);
    const features = { kind: "dense" as const, values: data.values, rows: data.rows, cols: COLS };
    const got = await handler.predict!(model, { features } as Dataset, {} as never);
    assert.equal(path.timing, undefined, "the request waited for the timing");
    const speed = logs.find((l) => l.msg === "xgboost prediction speed");
    assert.match(String(speed?.timed), /ns per row in JS/);
    assert.equal(speed?.largeRequests, path.beatsNative ? "javascript" : "native");
    assert.equal(firstMismatch(got.values, b.predictDense(data).values), undefined);
    b.dispose();
    await handler.close!(model, { modelDir, config, logger });
    await threads.close();
  });

  it("follows SAGEBREW_XGBOOST_JS: off is libxgboost only, large takes JavaScript for every size untimed", async () => {
    const modelDir = join(dir, "env");
    const b = train({});
    await mkdir(modelDir, { recursive: true });
    await b.saveFile(join(modelDir, "xgboost-model"), "ubj");
    b.dispose();
    const paths: Array<Record<string, unknown> | undefined> = [];
    for (const value of ["off", "large"]) {
      const logs: Array<Record<string, unknown>> = [];
      const logger = createLogger({ level: "info", write: (l) => void logs.push(JSON.parse(l)) });
      const config = readServingConfig({ SAGEMAKER_BASE_DIR: dir, SAGEBREW_XGBOOST_JS: value });
      const handler = createXGBoostHandler({ pool });
      const model = await handler.load({ modelDir, config, logger });
      paths.push(logs.find((l) => l.msg === "xgboost prediction path"));
      assert.equal(model.jsPaths?.[0]?.beatsNative ?? false, value === "large");
      await handler.close!(model, { modelDir, config, logger });
    }
    assert.equal(paths[0]?.path, "native");
    assert.match(String(paths[0]?.reason), /disabled/);
    assert.equal(paths[1]?.jsMaxRows, "any");
  });

  it("serves an ensemble with JavaScript for the gbtree model and native for the dart one", async () => {
    const modelDir = join(dir, "ensemble");
    await mkdir(modelDir, { recursive: true });
    const gbtree = train({});
    const dart = train({ booster: "dart", rate_drop: 0.1 }, 6);
    await gbtree.saveFile(join(modelDir, "a-gbtree"), "json");
    await dart.saveFile(join(modelDir, "b-dart"), "ubj");
    gbtree.dispose();
    dart.dispose();
    const js = await loadWith(modelDir);
    const native = await loadWith(modelDir, 0);
    const paths = js.logs.filter((l) => l.msg === "xgboost prediction path");
    assert.deepEqual(
      paths.map((l) => [l.file, l.path]),
      [
        ["a-gbtree", "javascript"],
        ["b-dart", "native"],
      ],
    );
    assert.match(String(paths[1]?.reason), /booster dart/);
    assert.equal(js.model.jsPaths?.[1], undefined);
    assert.deepEqual(await predictValues(js.model, rows), await predictValues(native.model, rows));
    await js.close();
    await native.close();
  });
});
