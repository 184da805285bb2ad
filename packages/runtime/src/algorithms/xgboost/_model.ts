/**
 * Loads the XGBoost model directory for serving: every regular, non-dot file is a model (an
 * ensemble, contract §5.5) unless `SAGEMAKER_INFERENCE_ENSEMBLE=false`; reads the objective, the
 * class count and sagebrew's `sagebrew_class_names` attribute.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { XGBOOST_MODEL_FILE } from "../../contract/index.js";
import { SagebrewError } from "../../errors/index.js";
import { Booster } from "../../xgboost/index.js";
import type { OutputModel } from "./_output.js";

/** A loaded XGBoost model (one booster, or an ensemble of them). */
export interface LoadedXGBoost extends OutputModel {
  readonly boosters: readonly Booster[];
  readonly files: readonly string[];
  readonly numFeatures: number;
  /** Trees per booster, to estimate the cost of a prediction. */
  readonly trees: number;
}

/**
 * Loads the model files of `modelDir`.
 *
 * @throws SagebrewError SB_MODEL_LOAD naming the directory or file and what is wrong.
 */
export async function loadXGBoostDir(
  modelDir: string,
  options: { ensemble: boolean },
): Promise<LoadedXGBoost> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(modelDir, { withFileTypes: true });
  } catch (e) {
    throw new SagebrewError(
      "SB_MODEL_LOAD",
      `Cannot read the model directory ${modelDir}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  let names = entries
    .filter((e) => e.isFile() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
  if (names.length === 0) {
    throw new SagebrewError(
      "SB_MODEL_LOAD",
      `Cannot load an XGBoost model from ${modelDir}: it holds no model file (expected ${XGBOOST_MODEL_FILE})`,
    );
  }
  if (!options.ensemble) names = [names.includes(XGBOOST_MODEL_FILE) ? XGBOOST_MODEL_FILE : names[0]!];
  const boosters: Booster[] = [];
  try {
    for (const name of names) {
      const b = await Booster.fromFile(join(modelDir, name));
      boosters.push(b);
      // One thread per prediction: concurrency comes from the pool, not from OpenMP.
      b.setParam("nthread", 1);
    }
    const facts = boosters.map((b, i) => describe(b, names[i]!));
    const first = facts[0]!;
    for (const [i, f] of facts.entries()) {
      if (
        f.objective !== first.objective ||
        f.numFeatures !== first.numFeatures ||
        f.numClass !== first.numClass
      ) {
        throw new SagebrewError(
          "SB_MODEL_LOAD",
          `Cannot serve the ensemble in ${modelDir}: ${names[i]} (${f.objective}, ${f.numFeatures} features) differs from ${names[0]} (${first.objective}, ${first.numFeatures} features)`,
        );
      }
    }
    return {
      boosters,
      files: names,
      objective: first.objective,
      numClass: first.numClass,
      numFeatures: first.numFeatures,
      classNames: first.classNames,
      trees: Math.max(...facts.map((f) => f.trees)),
    };
  } catch (e) {
    for (const b of boosters) b.dispose();
    throw e;
  }
}

function describe(b: Booster, file: string) {
  const config = b.config() as {
    learner?: {
      objective?: { name?: string };
      learner_model_param?: { num_class?: string };
      gradient_booster?: { gbtree_model_param?: { num_trees?: string } };
    };
  };
  const objective = config.learner?.objective?.name ?? b.getAttr("sagebrew_objective") ?? "reg:squarederror";
  const numClass = Math.max(0, Number(config.learner?.learner_model_param?.num_class ?? 0) || 0);
  const trees =
    Number(config.learner?.gradient_booster?.gbtree_model_param?.num_trees) ||
    b.boostedRounds * Math.max(1, numClass);
  return { objective, numClass, numFeatures: b.numFeatures, trees, classNames: classNames(b, file) };
}

function classNames(b: Booster, file: string): readonly string[] | undefined {
  const raw = b.getAttr("sagebrew_class_names");
  if (raw === undefined) return undefined;
  let names: unknown;
  try {
    names = JSON.parse(raw);
  } catch {
    names = undefined;
  }
  if (!Array.isArray(names) || !names.every((n) => typeof n === "string")) {
    throw new SagebrewError(
      "SB_MODEL_LOAD",
      `Cannot read attribute sagebrew_class_names of ${file}: expected a JSON array of strings, got ${raw.slice(0, 80)}`,
    );
  }
  return Object.freeze(names as string[]);
}
