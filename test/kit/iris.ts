/**
 * Test support: Fisher's iris data (`iris.csv`, class name first) and an XGBoost iris model
 * trained with the real binding, saved the way `train` saves it (UBJ, `sagebrew_class_names`).
 */
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Booster, DMatrix } from "@sagebrew/runtime";

export const IRIS_CLASSES = ["setosa", "versicolor", "virginica"] as const;

/** The 150 iris rows: features and class index. */
export function irisRows(): { features: number[][]; labels: number[] } {
  const text = readFileSync(new URL("./iris.csv", import.meta.url), "utf8");
  const features: number[][] = [];
  const labels: number[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const [name, ...values] = line.split(",");
    labels.push(IRIS_CLASSES.indexOf(name as (typeof IRIS_CLASSES)[number]));
    features.push(values.map(Number));
  }
  return { features, labels };
}

let cached: Promise<Buffer> | undefined;

/** UBJ bytes of a small multi:softprob iris model with class names (trained once per process). */
export function irisModelBytes(options: { classNames?: boolean } = {}): Promise<Buffer> {
  if (options.classNames === false) return trainIris(false);
  cached ??= trainIris(true);
  return cached;
}

/**
 * A small multi:softprob iris booster (10 rounds, depth 3); `shift` rotates the labels, so the same
 * row gets the next class. The caller disposes it.
 */
export function trainIrisBooster(shift = 0): Booster {
  const { features, labels } = irisRows();
  const dtrain = DMatrix.fromDense(
    { values: Float32Array.from(features.flat()), rows: features.length, cols: 4 },
    { labels: Float32Array.from(labels.map((l) => (l + shift) % 3)) },
  );
  const booster = Booster.create([dtrain], {
    objective: "multi:softprob",
    num_class: 3,
    max_depth: 3,
    eta: 0.3,
    nthread: 1,
    seed: 1,
  });
  for (let i = 0; i < 10; i++) booster.update(i, dtrain);
  dtrain.dispose();
  return booster;
}

async function trainIris(classNames: boolean): Promise<Buffer> {
  const booster = trainIrisBooster();
  if (classNames) booster.setAttr("sagebrew_class_names", JSON.stringify(IRIS_CLASSES));
  booster.setAttr("sagebrew_objective", "multi:softprob");
  const bytes = booster.save("ubj");
  booster.dispose();
  return bytes;
}

/** A temp `/opt/ml`-shaped root holding `model/xgboost-model` (the iris model); returns the root. */
export async function irisMlRoot(options: { classNames?: boolean } = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "sagebrew-iris-"));
  await mkdir(join(root, "model"), { recursive: true });
  await writeFile(join(root, "model", "xgboost-model"), await irisModelBytes(options));
  return root;
}
