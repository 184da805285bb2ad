/**
 * What an XGBoost answer holds per row: the default (class name, or XGBoost's score) or the keys
 * chosen with `SAGEMAKER_INFERENCE_OUTPUT` (https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost.html; docs/serving.md). Pure.
 */
import { SagebrewError } from "../../errors/index.js";

/** The selectable output keys of SageMaker's XGBoost container. */
export const OUTPUT_KEYS = [
  "predicted_label",
  "labels",
  "probability",
  "probabilities",
  "raw_score",
  "raw_scores",
  "predicted_score",
] as const;
export type OutputKey = (typeof OUTPUT_KEYS)[number];

const REGRESSION = new Set([
  "reg:squarederror",
  "reg:logistic",
  "reg:gamma",
  "reg:absoluteerror",
  "reg:tweedie",
]);
const CLASSIFICATION: Record<string, readonly OutputKey[]> = {
  "binary:logistic": ["predicted_label", "labels", "probability", "probabilities", "raw_score", "raw_scores"],
  "multi:softprob": ["predicted_label", "labels", "probability", "probabilities", "raw_score", "raw_scores"],
  "binary:logitraw": ["predicted_label", "labels", "raw_score", "raw_scores"],
  "binary:hinge": ["predicted_label", "labels", "raw_score", "raw_scores"],
  "multi:softmax": ["predicted_label", "labels", "raw_score", "raw_scores"],
};

/** Facts about the model that shape its answers. */
export interface OutputModel {
  readonly objective: string;
  readonly numClass: number;
  readonly classNames: readonly string[] | undefined;
}

/** Keys valid for an objective (`predicted_score` for regression). */
export function validKeys(objective: string): readonly OutputKey[] {
  if (REGRESSION.has(objective)) return ["predicted_score"];
  return CLASSIFICATION[objective] ?? [];
}

/**
 * Checks `SAGEMAKER_INFERENCE_OUTPUT` keys once, at load.
 *
 * @throws SagebrewError SB_ENV_INVALID for an unknown key, or keys with an objective that has none.
 */
export function checkOutputKeys(keys: readonly string[], objective: string): readonly OutputKey[] {
  for (const k of keys) {
    if (!(OUTPUT_KEYS as readonly string[]).includes(k)) {
      throw new SagebrewError(
        "SB_ENV_INVALID",
        `Cannot use SAGEMAKER_INFERENCE_OUTPUT key ${JSON.stringify(k)}: expected some of ${OUTPUT_KEYS.join(", ")}`,
      );
    }
  }
  if (validKeys(objective).length === 0) {
    throw new SagebrewError(
      "SB_ENV_INVALID",
      `Cannot use SAGEMAKER_INFERENCE_OUTPUT with objective ${objective}: selectable output supports regression, binary and multi-class objectives`,
    );
  }
  return keys as readonly OutputKey[];
}

type Value = number | string | ReadonlyArray<number | string>;

/** The value of `key` for one prediction row (`row` = the objective's output: p, vector, class id, score). */
export function keyValue(key: OutputKey, row: Float32Array, m: OutputModel): Value {
  if (!validKeys(m.objective).includes(key)) return Number.NaN;
  const binary = m.objective.startsWith("binary:");
  const name = (i: number): number | string => m.classNames?.[i] ?? i;
  const v = row[0] ?? Number.NaN;
  switch (key) {
    case "predicted_score":
      return v;
    case "labels":
      return binary ? [name(0), name(1)] : Array.from({ length: m.numClass }, (_, i) => name(i));
    case "predicted_label":
      return name(labelIndex(row, m));
    case "probability":
      return binary ? v : Math.max(...row);
    case "probabilities":
      return binary ? [1 - v, v] : Array.from(row);
    case "raw_score":
      return m.objective === "multi:softprob" ? Math.max(...row) : v;
    case "raw_scores":
      // Upstream's shape for every single-value objective, [1 - v, v], even where v is a margin
      // (binary:logitraw) or a class id (binary:hinge, multi:softmax): clients index it as a pair.
      if (m.objective === "multi:softprob") return Array.from(row);
      return [1 - v, v];
  }
}

/** The class index of a row. */
export function labelIndex(row: Float32Array, m: OutputModel): number {
  return labelIndexAt(row, 0, row.length, m);
}

/** The class index of the row of `width` values at `offset` in `values` (no view per row). */
export function labelIndexAt(values: Float32Array, offset: number, width: number, m: OutputModel): number {
  const v = width > 0 ? values[offset]! : Number.NaN;
  switch (m.objective) {
    case "binary:logistic":
      return v > 0.5 ? 1 : 0;
    case "binary:logitraw":
      return v > 0 ? 1 : 0;
    case "multi:softprob": {
      let best = 0;
      for (let i = 1; i < width; i++) if (values[offset + i]! > values[offset + best]!) best = i;
      return best;
    }
    default:
      return Math.round(v);
  }
}

/** True when the model has class names and an objective that picks a class. */
export function namesClasses(m: OutputModel): boolean {
  return m.classNames !== undefined && m.objective in CLASSIFICATION;
}
