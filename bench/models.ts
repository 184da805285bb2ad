/**
 * The realistic models of the serving benchmark (issue 22), trained by sagebrew's own `train` on
 * the bench data sets and cached in bench/work/models/<name>/ while their recipe is unchanged:
 *  - binary-500x8: 500 trees of depth 8 on the 28 HIGGS-like features (binary:logistic, 200,000 rows);
 *  - regression-1000x6: 1,000 trees of depth 6 on 200 features (reg:squarederror, 50,000 rows);
 *  - multiclass-10x200: 10 classes × 200 rounds of depth 6 on 40 features (multi:softprob, 100,000 rows).
 * Each comes with CSV bodies of 1, 100 and 1,000 rows (no label) from the last rows of its set.
 * Runnable alone: `node --import tsx bench/models.ts` (trains what is missing, prints the paths).
 */
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DATA_DIR, ensureTrainingData, REPO_DIR, WORK_DIR } from "./data.js";
import { runTimed } from "./lib/proc.js";

export const BODY_ROWS = [1, 100, 1000] as const;

export interface ModelRecipe {
  readonly name: string;
  /** How the table names it. */
  readonly label: string;
  readonly features: number;
  readonly trees: number;
  readonly hyperparameters: Readonly<Record<string, string>>;
  /** The training CSV (label first), made on demand. */
  data(log: (s: string) => void): string;
}

/** A trained model: an /opt/ml-shaped dir holding `model/xgboost-model`, and its bodies by row count. */
export interface BenchModel {
  readonly recipe: ModelRecipe;
  readonly optMl: string;
  readonly modelFile: string;
  readonly bodies: ReadonlyMap<number, string>;
}

const common = { tree_method: "hist", nthread: "2" } as const;

export const MODELS: readonly ModelRecipe[] = [
  {
    name: "binary-500x8",
    label: "500 trees × depth 8, 28 features (binary:logistic)",
    features: 28,
    trees: 500,
    hyperparameters: { ...common, num_round: "500", max_depth: "8", objective: "binary:logistic" },
    data: (log) => ensureTrainingData(200_000, log).path,
  },
  {
    name: "regression-1000x6",
    label: "1,000 trees × depth 6, 200 features (reg:squarederror)",
    features: 200,
    trees: 1000,
    hyperparameters: { ...common, num_round: "1000", max_depth: "6", objective: "reg:squarederror" },
    data: (log) => ensureSynthetic("wide-regression", 50_000, 200, log),
  },
  {
    name: "multiclass-10x200",
    label: "10 classes × 200 rounds × depth 6, 40 features (multi:softprob)",
    features: 40,
    trees: 2000,
    hyperparameters: {
      ...common,
      num_round: "200",
      max_depth: "6",
      objective: "multi:softprob",
      num_class: "10",
    },
    data: (log) => ensureSynthetic("ten-class", 100_000, 40, log),
  },
];

/** Bump when a generator below changes: cached files of another version are rebuilt. */
const SYNTHETIC_VERSION = 1;

/** mulberry32: small, seeded, reproducible. */
function uniformSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A synthetic set: `features` float32 columns (normal, log-normal and uniform mixed, 2 % missing
 * as empty cells) and a label from a fixed random function of some of them — a noisy sum of
 * products and thresholds (regression), or the arg-max of 10 such scores (ten classes).
 */
function ensureSynthetic(
  kind: "wide-regression" | "ten-class",
  rows: number,
  features: number,
  log: (s: string) => void,
): string {
  const path = join(DATA_DIR, `${kind}-${rows}x${features}.csv`);
  const meta = `${path}.meta.json`;
  const want = JSON.stringify({ kind, rows, features, version: SYNTHETIC_VERSION });
  if (existsSync(path) && existsSync(meta) && readFileSync(meta, "utf8") === want) return path;
  mkdirSync(DATA_DIR, { recursive: true });
  log(`generating ${kind} ${rows} × ${features} at ${path}`);
  const u = uniformSource(kind === "ten-class" ? 1010 : 2020);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const scores = kind === "ten-class" ? 10 : 1;
  // Each score: 12 terms over random features, a product or a step.
  const terms = Array.from({ length: scores }, () =>
    Array.from({ length: 12 }, () => ({
      a: Math.floor(u() * features),
      b: Math.floor(u() * features),
      w: normal(),
      step: u() < 0.5,
      t: normal() * 0.5,
    })),
  );
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  const x = new Float64Array(features);
  let chunk: string[] = [];
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) {
      const k = f % 3;
      x[f] = Math.fround(k === 0 ? normal() : k === 1 ? Math.exp(0.5 * normal()) : u() * 4 - 2);
    }
    const value = (s: number) => {
      let v = 0;
      for (const t of terms[s]!) v += t.step ? (x[t.a]! > t.t ? t.w : -t.w) : t.w * x[t.a]! * x[t.b]!;
      return v + 0.3 * normal();
    };
    let label: string;
    if (scores === 1) label = String(Math.fround(value(0)));
    else {
      let best = 0;
      let bestV = Number.NEGATIVE_INFINITY;
      for (let s = 0; s < scores; s++) {
        const v = value(s);
        if (v > bestV) [best, bestV] = [s, v];
      }
      label = String(best);
    }
    let line = label;
    for (let f = 0; f < features; f++) line += u() < 0.02 ? "," : `,${x[f]}`;
    chunk.push(line);
    if (chunk.length === 5000 || r === rows - 1) {
      writeSync(fd, `${chunk.join("\n")}\n`);
      chunk = [];
    }
  }
  closeSync(fd);
  renameSync(tmp, path);
  writeFileSync(meta, want);
  return path;
}

/** Bodies: the last rows of the training CSV without their label (1, 100 and 1,000 rows). */
function writeBodies(csv: string, dir: string): Map<number, string> {
  const text = readFileSync(csv, "utf8");
  const lines = text
    .slice(Math.max(0, text.length - 4_000_000))
    .trimEnd()
    .split("\n")
    .slice(1);
  const last = lines.slice(-Math.max(...BODY_ROWS)).map((l) => l.slice(l.indexOf(",") + 1));
  const out = new Map<number, string>();
  for (const rows of BODY_ROWS) {
    const file = join(dir, `body-${rows}.csv`);
    writeFileSync(file, `${last.slice(0, rows).join("\n")}\n`);
    out.set(rows, file);
  }
  return out;
}

/** Trains `recipe` with sagebrew's `train` unless the cached model matches it; writes its bodies. */
export async function ensureModel(recipe: ModelRecipe, log: (s: string) => void): Promise<BenchModel> {
  const dir = join(WORK_DIR, "models", recipe.name);
  const optMl = join(dir, "opt_ml");
  const modelFile = join(optMl, "model", "xgboost-model");
  const stamp = join(dir, "recipe.json");
  const want = JSON.stringify({ hp: recipe.hyperparameters, version: SYNTHETIC_VERSION });
  const csv = recipe.data(log);
  if (!(existsSync(modelFile) && existsSync(stamp) && readFileSync(stamp, "utf8") === want)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(optMl, "input", "config"), { recursive: true });
    mkdirSync(join(optMl, "input", "data", "train"), { recursive: true });
    writeFileSync(
      join(optMl, "input", "config", "hyperparameters.json"),
      JSON.stringify(recipe.hyperparameters),
    );
    writeFileSync(
      join(optMl, "input", "config", "inputdataconfig.json"),
      JSON.stringify({
        train: { ContentType: "text/csv", TrainingInputMode: "File", RecordWrapperType: "None" },
      }),
    );
    linkSync(csv, join(optMl, "input", "data", "train", "data.csv"));
    log(`training ${recipe.name} with sagebrew's train (${JSON.stringify(recipe.hyperparameters)})`);
    const t0 = performance.now();
    const run = await runTimed(process.execPath, [join(REPO_DIR, "packages", "runtime", "bin", "train")], {
      env: { ...process.env, SAGEMAKER_BASE_DIR: optMl },
      timeoutS: 3600,
    });
    if (run.code !== 0 || !existsSync(modelFile))
      throw new Error(
        `sagebrew train failed on ${recipe.name} (${run.code}): ${(run.stderr || run.stdout).slice(-2000)}`,
      );
    log(`trained ${recipe.name} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    writeFileSync(stamp, want);
  }
  return { recipe, optMl, modelFile, bodies: writeBodies(csv, dir) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const r of MODELS) {
    const m = await ensureModel(r, (s) => console.log(s));
    console.log(JSON.stringify({ name: r.name, model: m.modelFile, bodies: [...m.bodies.values()] }));
  }
}
