/**
 * The XGBoost model artifact, both ways. Writing: `model/xgboost-model` as UBJ carrying sagebrew's
 * metadata as booster attributes (`sagebrew_version`, `sagebrew_objective`, `sagebrew_class_names`),
 * and a readable copy as the dot-file `.sagebrew.json`. Reading, for serving: every regular,
 * non-dot file of the model directory is a model (an ensemble, contract §5.5) unless
 * `SAGEMAKER_INFERENCE_ENSEMBLE=false`; the objective, the class count and the class names.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { XGBOOST_MODEL_FILE } from "../../contract/index.js";
import { SagebrewError } from "../../errors/index.js";
import { RUNTIME_VERSION } from "../../version.js";
import { Booster } from "../../xgboost/index.js";
import type { OutputModel } from "./_output.js";

/** The booster attribute holding the class names (JSON array; index = class id). */
export const CLASS_NAMES_ATTR = "sagebrew_class_names";

/** What the model files record about training. */
export interface ModelFacts {
  readonly objective: string;
  readonly numClass: number | undefined;
  readonly numFeatures: number;
  readonly classNames: readonly string[] | undefined;
  readonly rounds: number;
  readonly bestIteration: number | undefined;
  readonly bestScore: number | undefined;
  readonly stoppingMetric: string | undefined;
  readonly stoppedBy: string;
}

/**
 * The model directory's files for a trained booster: `xgboost-model` (UBJ, with sagebrew's
 * attributes set on the booster) and `.sagebrew.json`.
 */
export function modelFiles(booster: Booster, facts: ModelFacts): Record<string, Uint8Array | string> {
  booster.setAttr("sagebrew_version", RUNTIME_VERSION);
  booster.setAttr("sagebrew_objective", facts.objective);
  if (facts.classNames) booster.setAttr(CLASS_NAMES_ATTR, JSON.stringify(facts.classNames));
  const meta = {
    format: "sagebrew-xgboost/1",
    sagebrew_version: RUNTIME_VERSION,
    model_file: XGBOOST_MODEL_FILE,
    model_format: "ubj",
    objective: facts.objective,
    num_class: facts.numClass ?? null,
    num_features: facts.numFeatures,
    class_names: facts.classNames ?? null,
    rounds: facts.rounds,
    best_iteration: facts.bestIteration ?? null,
    best_score: facts.bestScore ?? null,
    stopping_metric: facts.stoppingMetric ?? null,
    stopped_by: facts.stoppedBy,
  };
  return {
    [XGBOOST_MODEL_FILE]: booster.save("ubj"),
    ".sagebrew.json": `${JSON.stringify(meta, null, 2)}\n`,
  };
}

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
  const raw = b.getAttr(CLASS_NAMES_ATTR);
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
