/**
 * Benchmark inputs, written to bench/data/ (gitignored) and reused while their recipe is unchanged:
 *  - higgs-like.csv: 1,000,000 rows, label (0/1) first, then 28 float32 features printed the way
 *    float32 values usually reach a CSV (`0.8693140506744385`), fixed seed. The features mimic the
 *    HIGGS set: 21 kinematic values (log-normal momenta, normal pseudo-rapidities, uniform angles,
 *    discrete b-tags) and 7 derived masses, the label weakly visible in several of them.
 *  - iris-1.csv, iris-100.csv: inference bodies (no label) taken from the iris example.
 * Runnable alone: `node --import tsx bench/data.ts [--rows N]`.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = dirname(BENCH_DIR);
export const DATA_DIR = join(BENCH_DIR, "data");
export const WORK_DIR = join(BENCH_DIR, "work");
export const IRIS_EXAMPLE_DIR = join(REPO_DIR, "examples", "iris-xgboost", "local_test", "test_dir");
/** The iris job as SageMaker's built-in XGBoost image takes it (channel `train`, numeric labels). */
export const IRIS_BUILTIN_DIR = join(REPO_DIR, "examples", "iris-xgboost", "local_test", "builtin_dir");

export const TRAIN_ROWS = 1_000_000;
export const TRAIN_FEATURES = 28;
const SEED = 20240601;
const RECIPE = "higgs-like v1";

export interface TrainingData {
  path: string;
  rows: number;
  features: number;
  bytes: number;
}

/** xoshiro128** seeded through splitmix32: fast, reproducible, good enough for synthetic data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return () => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return (r >>> 0) / 4294967296;
  };
}
function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function normalSource(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const v = spare;
      spare = undefined;
      return v;
    }
    const u = 1 - uniform();
    const v = uniform();
    const m = Math.sqrt(-2 * Math.log(u));
    spare = m * Math.sin(2 * Math.PI * v);
    return m * Math.cos(2 * Math.PI * v);
  };
}

/** One row: label first, then 28 float32 features formatted with JavaScript's shortest round-trip. */
function makeRow(uniform: () => number, normal: () => number, out: string[]): void {
  const y = uniform() < 0.53 ? 1 : 0;
  out.length = 0;
  out.push(String(y));
  const f = (x: number) => out.push(String(Math.fround(x)));
  const shift = y === 1 ? 0.12 : 0;
  // lepton pT, eta, phi; missing energy magnitude, phi
  f(Math.exp(-0.15 + shift + 0.45 * normal()));
  f(Math.max(-2.5, Math.min(2.5, normal())));
  f((uniform() * 2 - 1) * 1.7412);
  f(Math.exp(-0.1 + 0.5 * normal()));
  f((uniform() * 2 - 1) * 1.7412);
  // four jets: pT, eta, phi, b-tag (0, 1.0865, 2.1731)
  for (let j = 0; j < 4; j++) {
    f(Math.exp(-0.1 - 0.08 * j + (j < 2 ? shift : 0) + 0.5 * normal()));
    f(Math.max(-2.7, Math.min(2.7, normal())));
    f((uniform() * 2 - 1) * 1.7412);
    const u = uniform();
    const pTag = y === 1 && j < 2 ? 0.45 : 0.3;
    f(u < 1 - pTag ? 0 : u < 1 - pTag / 3 ? 1.0865380764007568 : 2.1730761528015137);
  }
  // seven derived masses
  const masses = [0.02, 0.01, 0.0, 0.04, 0.25, 0.18, 0.15];
  for (const m of masses) f(Math.exp(m * (y === 1 ? 1 : -0.3) + 0.3 * normal()) * 0.95);
}

function metaPath(path: string): string {
  return path + ".meta.json";
}

/** Writes the training CSV unless an identical one (same recipe, seed and size) is already there. */
export function ensureTrainingData(rows = TRAIN_ROWS, log: (s: string) => void = () => {}): TrainingData {
  const path = join(DATA_DIR, rows === TRAIN_ROWS ? "higgs-like.csv" : `higgs-like-${rows}.csv`);
  const want = { recipe: RECIPE, seed: SEED, rows, features: TRAIN_FEATURES };
  if (existsSync(path) && existsSync(metaPath(path))) {
    const meta = JSON.parse(readFileSync(metaPath(path), "utf8")) as typeof want & { bytes: number };
    if (meta.recipe === RECIPE && meta.seed === SEED && meta.rows === rows) {
      return { path, rows, features: TRAIN_FEATURES, bytes: meta.bytes };
    }
  }
  mkdirSync(DATA_DIR, { recursive: true });
  log(`generating ${rows} x ${TRAIN_FEATURES} CSV at ${path}`);
  const t0 = performance.now();
  const uniform = rng(SEED);
  const normal = normalSource(uniform);
  const tmp = path + ".tmp";
  const fd = openSync(tmp, "w");
  let bytes = 0;
  const row: string[] = [];
  let chunk: string[] = [];
  for (let r = 0; r < rows; r++) {
    makeRow(uniform, normal, row);
    chunk.push(row.join(","));
    if (chunk.length === 10_000 || r === rows - 1) {
      const buf = Buffer.from(chunk.join("\n") + "\n");
      writeSync(fd, buf);
      bytes += buf.length;
      chunk = [];
    }
  }
  closeSync(fd);
  renameSync(tmp, path);
  writeFileSync(metaPath(path), JSON.stringify({ ...want, bytes }, null, 2) + "\n");
  log(`wrote ${(bytes / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { path, rows, features: TRAIN_FEATURES, bytes };
}

export interface IrisPayloads {
  source: string;
  one: string;
  hundred: string;
}

/** The iris example's training CSV (label first), or BENCH_IRIS_CSV when set. */
export function irisTrainingCsv(): string {
  const fromEnv = process.env.BENCH_IRIS_CSV;
  if (fromEnv) return fromEnv;
  const dir = join(IRIS_EXAMPLE_DIR, "input", "data", "training");
  const path = join(dir, "iris.csv");
  if (!existsSync(path)) {
    throw new Error(`Cannot find the iris example's training data: ${path} does not exist`);
  }
  return path;
}

/** 1-row and 100-row CSV bodies without the label: row 0, then 100 rows spread over all classes. */
export function ensureIrisPayloads(): IrisPayloads {
  const source = irisTrainingCsv();
  const rows = readFileSync(source, "utf8")
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "")
    .map((l) => l.split(",").slice(1).join(","));
  if (rows.length < 3) throw new Error(`Cannot build iris payloads from ${source}: only ${rows.length} rows`);
  const hundredRows: string[] = [];
  for (let i = 0; i < 100; i++) hundredRows.push(rows[(i * 3) % rows.length]!);
  mkdirSync(DATA_DIR, { recursive: true });
  const one = join(DATA_DIR, "iris-1.csv");
  const hundred = join(DATA_DIR, "iris-100.csv");
  writeFileSync(one, rows[0] + "\n");
  writeFileSync(hundred, hundredRows.join("\n") + "\n");
  return { source, one, hundred };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf("--rows");
  const rows = i > 0 ? Number(process.argv[i + 1]) : TRAIN_ROWS;
  const data = ensureTrainingData(rows, (s) => console.log(s));
  console.log(JSON.stringify(data));
  try {
    console.log(JSON.stringify(ensureIrisPayloads()));
  } catch (e) {
    console.log(`iris payloads skipped: ${(e as Error).message}`);
  }
}
