/**
 * Micro-benchmark: µs per prediction call, the JavaScript tree walkers (generated and loop) vs native in-place
 * prediction (`Booster.predictDense`, nthread 1 as in serving), on the iris model and on a
 * 100-tree depth-6 binary model, for 1-row and 100-row batches (plus the rows in between, to see
 * where the paths cross).
 *
 *   npm run build && node --import tsx bench/predict.ts [path/to/iris/xgboost-model]
 *
 * Without a path, the iris example is trained with `packages/runtime/bin/train` into bench/work.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  Booster,
  compileTreeModel,
  DMatrix,
  readUbj,
  type TreeKernel,
} from "../packages/runtime/src/xgboost/index.js";
import { IRIS_EXAMPLE_DIR, REPO_DIR, WORK_DIR } from "./data.js";

const ROWS = [1, 2, 5, 10, 20, 50, 100];

interface Case {
  name: string;
  booster: Booster;
  /** A pool of float32 rows to draw batches from. */
  pool: Float32Array;
  cols: number;
}

function trainIris(): string {
  const dir = join(WORK_DIR, "predict-iris");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(IRIS_EXAMPLE_DIR, dir, { recursive: true });
  const res = spawnSync(process.execPath, [join(REPO_DIR, "packages/runtime/bin/train")], {
    env: { ...process.env, SAGEMAKER_BASE_DIR: dir },
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (res.status !== 0) throw new Error("training the iris model failed (run `npm run build` first)");
  return join(dir, "model", "xgboost-model");
}

async function irisCase(modelPath: string): Promise<Case> {
  const booster = await Booster.fromFile(modelPath);
  booster.setParam("nthread", 1);
  const csv = join(IRIS_EXAMPLE_DIR, "input", "data", "training", "iris.csv");
  const lines = readFileSync(csv, "utf8").trim().split("\n");
  const pool = Float32Array.from(lines.flatMap((l) => l.split(",").slice(1).map(Number)));
  return { name: `iris (multi:softprob, ${trees(booster)} trees, depth 3)`, booster, pool, cols: 4 };
}

function binaryCase(): Case {
  const rows = 5000;
  const cols = 10;
  let s = 42;
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const values = Float32Array.from({ length: rows * cols }, () =>
    rnd() < 0.05 ? Number.NaN : rnd() * 2 - 1,
  );
  const labels = Float32Array.from({ length: rows }, (_, r) => {
    const x = (c: number) => values[r * cols + c] || 0;
    return x(0) * x(1) + Math.sin(3 * x(2)) + x(3) - x(4) * x(5) + 0.3 * rnd() > 0 ? 1 : 0;
  });
  const d = DMatrix.fromDense({ values, rows, cols }, { labels });
  const booster = Booster.create([d], {
    objective: "binary:logistic",
    max_depth: 6,
    tree_method: "hist",
    seed: 1,
  });
  for (let i = 0; i < 100; i++) booster.update(i, d);
  d.dispose();
  booster.setParam("nthread", 1);
  return { name: `binary (binary:logistic, ${trees(booster)} trees, depth 6)`, booster, pool: values, cols };
}

function trees(b: Booster): number {
  const config = b.config() as {
    learner?: { gradient_booster?: { gbtree_model_param?: { num_trees?: string } } };
  };
  return Number(config.learner?.gradient_booster?.gbtree_model_param?.num_trees);
}

/** Median µs per call of `fn` over 7 samples of enough calls for ~40 ms each. */
function measure(fn: (i: number) => unknown): number {
  for (let i = 0; i < 2000; i++) fn(i);
  let calls = 100;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < calls; i++) fn(i);
    if (performance.now() - t > 40) break;
    calls *= 2;
  }
  const samples: number[] = [];
  for (let k = 0; k < 7; k++) {
    const t = performance.now();
    for (let i = 0; i < calls; i++) fn(i);
    samples.push(((performance.now() - t) * 1000) / calls);
  }
  samples.sort((a, b) => a - b);
  return samples[3]!;
}

function run(c: Case, kernel: TreeKernel): void {
  const predictor = compileTreeModel(readUbj(c.booster.save("ubj")), kernel);
  if (!predictor) throw new Error(`${c.name}: the JavaScript walkers do not reproduce it`);
  const path = { predictor };
  console.log(`\n${c.name}, ${predictor.kernel} walker:`);
  console.log("rows | JS µs/call | native µs/call | JS µs/row | native µs/row | native/JS");
  console.log("---: | ---: | ---: | ---: | ---: | ---:");
  const poolRows = c.pool.length / c.cols;
  for (const rows of ROWS) {
    // A few distinct batches, so neither path sees the same row every call.
    const batches = Array.from({ length: 16 }, (_, b) => {
      const start = ((b * 37) % Math.max(1, poolRows - rows)) * c.cols;
      return c.pool.slice(start, start + rows * c.cols);
    });
    let sink = 0;
    const js = measure((i) => {
      sink += path.predictor.predict(batches[i & 15]!, rows)![0]!;
    });
    const native = measure((i) => {
      sink += c.booster.predictDense({ values: batches[i & 15]!, rows, cols: c.cols }).values[0]!;
    });
    const f = (x: number) => x.toFixed(x < 10 ? 2 : 1);
    console.log(
      `${rows} | ${f(js)} | ${f(native)} | ${f(js / rows)} | ${f(native / rows)} | ${(native / js).toFixed(1)}×${Number.isNaN(sink) ? " " : ""}`,
    );
  }
}

const irisModel = process.argv[2] ?? trainIris();
if (!existsSync(irisModel)) throw new Error(`no model at ${irisModel}`);
console.log(`node ${process.version}; µs per predict call, median of 7 samples`);
for (const c of [await irisCase(irisModel), binaryCase()])
  for (const k of ["generated", "loop"] as const) run(c, k);
