/**
 * The XGBoost model artifact, both ways. Writing: `model/xgboost-model` as UBJ carrying sagebrew's
 * metadata as booster attributes (`sagebrew_version`, `sagebrew_objective`, `sagebrew_class_names`),
 * and a readable copy as the dot-file `.sagebrew.json`. Reading, for serving: every regular,
 * non-dot file of the model directory is a model (an ensemble, as https://github.com/aws/sagemaker-xgboost-container loads it) unless
 * `SAGEMAKER_INFERENCE_ENSEMBLE=false`; the objective, the class count and the class names.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { XGBOOST_MODEL_FILE } from "../../contract/index.js";
import { SagebrewError } from "../../errors/index.js";
import { RUNTIME_VERSION } from "../../version.js";
import { Booster, xgboostVersion } from "../../xgboost/index.js";
import type { OutputModel } from "./_output.js";
import { looksLikePickle, readPickledBooster } from "./_pickle.js";

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
  stamp(booster, facts);
  return {
    [XGBOOST_MODEL_FILE]: booster.save("ubj"),
    ".sagebrew.json": metaJson(facts, { model_file: XGBOOST_MODEL_FILE }),
  };
}

/**
 * The model directory's files for boosters trained on parts of the same data (k-fold
 * cross-validation): `xgboost-model-0`, `xgboost-model-1`, … (served as an ensemble, as SageMaker's
 * container serves them) and one `.sagebrew.json`.
 */
export function foldModelFiles(
  boosters: readonly Booster[],
  facts: ModelFacts,
  extra: Readonly<Record<string, unknown>>,
): Record<string, Uint8Array | string> {
  const files: Record<string, Uint8Array | string> = {};
  const names = boosters.map((_, i) => `${XGBOOST_MODEL_FILE}-${i}`);
  boosters.forEach((b, i) => {
    stamp(b, facts);
    files[names[i]!] = b.save("ubj");
  });
  files[".sagebrew.json"] = metaJson(facts, { model_files: names, ...extra });
  return files;
}

/** sagebrew's metadata as booster attributes, so a model file is self-contained. */
function stamp(booster: Booster, facts: ModelFacts): void {
  booster.setAttr("sagebrew_version", RUNTIME_VERSION);
  booster.setAttr("sagebrew_objective", facts.objective);
  if (facts.classNames) booster.setAttr(CLASS_NAMES_ATTR, JSON.stringify(facts.classNames));
}

function metaJson(facts: ModelFacts, files: Readonly<Record<string, unknown>>): string {
  const meta = {
    format: "sagebrew-xgboost/1",
    sagebrew_version: RUNTIME_VERSION,
    ...files,
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
  return `${JSON.stringify(meta, null, 2)}\n`;
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
      const b = await loadModelFile(join(modelDir, name));
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

/**
 * Loads one model file: XGBoost's JSON or UBJ, its legacy binary format, or a Python pickle of a
 * Booster (SageMaker XGBoost before 1.3-1), read without Python (`_pickle.ts`).
 *
 * @throws SagebrewError SB_MODEL_LOAD naming the file and, when the library cannot read it, its format.
 */
export async function loadModelFile(path: string): Promise<Booster> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new SagebrewError("SB_MODEL_LOAD", `Cannot read model ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (looksLikePickle(bytes)) return loadPickled(bytes, path);
  try {
    return Booster.fromBuffer(bytes);
  } catch (e) {
    const why = isLegacyBinary(bytes)
      ? `it is in XGBoost's legacy binary format, which ${libraryCannot()}`
      : (e as Error).message;
    throw new SagebrewError("SB_MODEL_LOAD", `Cannot load model ${path}: ${why}`, { cause: e });
  }
}

function loadPickled(bytes: Uint8Array, path: string): Booster {
  let pickled: ReturnType<typeof readPickledBooster>;
  try {
    pickled = readPickledBooster(bytes);
  } catch (e) {
    throw new SagebrewError("SB_MODEL_LOAD", `Cannot load model ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  let booster: Booster;
  try {
    booster = Booster.fromSerialized(pickled.raw);
  } catch (e) {
    const legacy = !((pickled.raw[0] === 0x7b) /* { */);
    const why = legacy
      ? `it is a Python pickle of ${pickled.pickledAs} holding XGBoost's legacy serialization, which ${libraryCannot()}`
      : `it is a Python pickle of ${pickled.pickledAs}, and libxgboost ${xgboostVersion().join(".")} cannot restore it: ${(e as Error).message}`;
    throw new SagebrewError("SB_MODEL_LOAD", `Cannot load model ${path}: ${why}`, { cause: e });
  }
  // A pickle keeps every round of an early-stopped training, and SageMaker's container then
  // predicts with the best ones only (its best_ntree_limit); keep just those.
  const best = pickled.bestIteration;
  if (best !== undefined && best + 1 < booster.boostedRounds) {
    const sliced = booster.slice(0, best + 1);
    booster.dispose();
    return sliced;
  }
  return booster;
}

function libraryCannot(): string {
  const v = xgboostVersion().join(".");
  return `libxgboost ${v} cannot read (XGBoost 3.1 removed it; 3.0 and older read it): load it in Python XGBoost 3.0 or older and save it with Booster.save_model("xgboost-model.ubj")`;
}

/**
 * XGBoost's legacy binary model: no JSON/UBJ brace, and within its first bytes the objective and
 * booster names as length-prefixed strings (`multi:softprob`, `gbtree`).
 */
function isLegacyBinary(bytes: Uint8Array): boolean {
  if (bytes[0] === 0x7b) return false;
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 1024));
  return /[a-z]+:[a-z]+[\s\S]{8}(gbtree|gblinear|dart)/.test(head);
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
