/**
 * The metrics SageMaker's XGBoost container computes from predictions rather than inside XGBoost
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost-tuning.html), with scikit-learn's definitions as the container uses them:
 * accuracy, balanced accuracy, F1 (`f1` and `f1_macro` are the macro average, `f1_binary` the
 * positive class's), precision and recall (plain = binary, `_macro`, `_micro`), MSE and R².
 * Class label = argmax for multi-column output, p > 0.5 for probabilities, margin > 0 for margins
 * (docs/compatibility.md says where this differs from the container). Pure.
 */
import { SagebrewError } from "../../errors/index.js";

/** Metrics computed on the positive class (label 1) alone: scikit-learn's `average="binary"`. */
export const BINARY_ONLY_METRICS: ReadonlySet<string> = new Set(["precision", "recall", "f1_binary"]);

/** Predicted class ids (or values for regression) from XGBoost's default prediction output. */
export function predictedLabels(
  objective: string,
  values: Float32Array,
  shape: readonly number[],
): Float64Array {
  const rows = shape[0] ?? values.length;
  const width = shape.length > 1 ? (shape[1] ?? 1) : 1;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    if (width > 1) {
      let best = 0;
      for (let k = 1; k < width; k++) if (values[r * width + k]! > values[r * width + best]!) best = k;
      out[r] = best;
    } else {
      const v = values[r]!;
      if (objective === "binary:logitraw") out[r] = v > 0 ? 1 : 0;
      else if (objective === "binary:logistic" || objective === "reg:logistic") out[r] = v > 0.5 ? 1 : 0;
      else out[r] = v;
    }
  }
  return out;
}

interface Confusion {
  /** Every class seen in the labels or the predictions, ascending (scikit-learn's `unique_labels`). */
  readonly classes: readonly number[];
  readonly tp: readonly number[];
  readonly fp: readonly number[];
  readonly fn: readonly number[];
}

function confusion(labels: Float32Array, pred: Float64Array): Confusion {
  const set = new Set<number>();
  for (const y of labels) set.add(y);
  for (const p of pred) set.add(p);
  const classes = [...set].sort((a, b) => a - b);
  const idx = new Map(classes.map((c, i) => [c, i]));
  const tp = classes.map(() => 0);
  const fp = classes.map(() => 0);
  const fn = classes.map(() => 0);
  for (let r = 0; r < labels.length; r++) {
    const y = idx.get(labels[r]!)!;
    const p = idx.get(pred[r]!)!;
    if (y === p) tp[y]!++;
    else {
      fp[p]!++;
      fn[y]!++;
    }
  }
  return { classes, tp, fp, fn };
}

/** A ratio whose zero denominator counts as 0, as scikit-learn's `zero_division` default does. */
const safe = (n: number, d: number) => (d === 0 ? 0 : n / d);

/** Classification metrics need class labels: names the first label that is not a whole number. */
function checkClassLabels(name: string, labels: Float32Array): void {
  for (let r = 0; r < labels.length; r++) {
    if (!Number.isInteger(labels[r])) {
      throw new SagebrewError(
        "SB_LABEL",
        `Cannot compute metric ${name}: label ${labels[r]} in row ${r + 1} is not a class; classification metrics need whole-number labels`,
      );
    }
  }
}

function regressionMetric(name: "mse" | "r2", labels: Float32Array, values: Float32Array): number {
  const n = labels.length;
  let mean = 0;
  for (let r = 0; r < n; r++) mean += labels[r]!;
  mean /= n;
  let sse = 0;
  let sst = 0;
  for (let r = 0; r < n; r++) {
    const e = values[r]! - labels[r]!;
    sse += e * e;
    sst += (labels[r]! - mean) ** 2;
  }
  return name === "mse" ? sse / n : 1 - safe(sse, sst);
}

/**
 * Computes one sagebrew metric.
 *
 * @param predictions XGBoost's default output (probabilities, margins or values) with its shape.
 * @throws SagebrewError SB_LABEL when a classification metric meets labels that are not classes,
 *   or a binary metric (`precision`, `recall`, `f1_binary`) meets more than two classes.
 */
export function computeMetric(
  name: string,
  objective: string,
  labels: Float32Array,
  predictions: { values: Float32Array; shape: readonly number[] },
): number {
  const n = labels.length;
  if (n === 0) return Number.NaN;
  if (name === "mse" || name === "r2") return regressionMetric(name, labels, predictions.values);
  checkClassLabels(name, labels);
  const pred = predictedLabels(objective, predictions.values, predictions.shape);
  return classificationMetric(name, n, confusion(labels, pred));
}

/** A classification metric from the confusion counts of `n` rows. */
function classificationMetric(name: string, n: number, c: Confusion): number {
  const { classes, tp, fp, fn } = c;
  const all = classes.map((_, i) => i);
  const precisionOf = (i: number) => safe(tp[i]!, tp[i]! + fp[i]!);
  const recallOf = (i: number) => safe(tp[i]!, tp[i]! + fn[i]!);
  const f1Of = (i: number) => safe(2 * tp[i]!, 2 * tp[i]! + fp[i]! + fn[i]!);
  const mean = (ids: readonly number[], f: (i: number) => number) =>
    ids.length === 0 ? 0 : ids.reduce((s, i) => s + f(i), 0) / ids.length;
  const positive = (f: (i: number) => number) => {
    if (classes.length > 2) {
      throw new SagebrewError(
        "SB_LABEL",
        `Cannot compute metric ${name}: it scores the positive class of a binary problem, and the labels and predictions hold ${classes.length} classes (${classes.slice(0, 5).join(", ")}${classes.length > 5 ? ", …" : ""}); use ${name === "f1_binary" ? "f1_macro" : `${name}_macro or ${name}_micro`}`,
      );
    }
    const i = classes.indexOf(1);
    return i < 0 ? 0 : f(i);
  };
  switch (name) {
    case "accuracy":
    case "precision_micro":
    case "recall_micro": {
      let correct = 0;
      for (const t of tp) correct += t;
      return correct / n;
    }
    case "balanced_accuracy":
      // scikit-learn leaves out classes that appear only among the predictions.
      return mean(
        all.filter((i) => tp[i]! + fn[i]! > 0),
        recallOf,
      );
    case "f1":
    case "f1_macro":
      return mean(all, f1Of);
    case "f1_binary":
      return positive(f1Of);
    case "precision":
      return positive(precisionOf);
    case "precision_macro":
      return mean(all, precisionOf);
    case "recall":
      return positive(recallOf);
    case "recall_macro":
      return mean(all, recallOf);
    default:
      throw new Error(`unknown metric ${name}`);
  }
}

/** Class ids 0…k-1 of a classification objective (2 for binary), or undefined for regression. */
function classSpace(objective: string, numClass: number | undefined): number | undefined {
  if (objective.startsWith("multi:")) return numClass;
  if (objective.startsWith("binary:") || objective === "reg:logistic") return 2;
  return undefined;
}

/**
 * What one host adds to a metric when training spans several hosts: sums that add up across hosts
 * (an allreduce), so that `metricFromSums` gives the metric over every host's rows. Regression:
 * rows, label sum, the host's squared deviations from its own mean, rows × mean², squared error.
 * Classification: rows, then true positives, false positives and false negatives per class id.
 *
 * @throws SagebrewError SB_LABEL as `computeMetric`, and SB_HYPERPARAMETER for a classification
 *   metric of a regression objective, whose classes (any label value) cannot be lined up across hosts.
 */
export function metricSums(
  name: string,
  objective: string,
  numClass: number | undefined,
  labels: Float32Array,
  predictions: { values: Float32Array; shape: readonly number[] },
): Float64Array {
  const n = labels.length;
  if (name === "mse" || name === "r2") {
    let sum = 0;
    for (let r = 0; r < n; r++) sum += labels[r]!;
    const mean = n === 0 ? 0 : sum / n;
    let sst = 0;
    let sse = 0;
    for (let r = 0; r < n; r++) {
      sst += (labels[r]! - mean) ** 2;
      sse += (predictions.values[r]! - labels[r]!) ** 2;
    }
    return new Float64Array([n, sum, sst, n * mean * mean, sse]);
  }
  const k = classSpace(objective, numClass);
  if (k === undefined)
    throw new SagebrewError(
      "SB_HYPERPARAMETER",
      `Hyperparameter eval_metric: ${name} cannot be combined across hosts for objective ${objective} (its classes are any label value); use it with a binary: or multi: objective, or train on one host`,
    );
  checkClassLabels(name, labels);
  const out = new Float64Array(1 + 3 * k);
  out[0] = n;
  const pred = predictedLabels(objective, predictions.values, predictions.shape);
  for (let r = 0; r < n; r++) {
    const y = labels[r]!;
    const p = pred[r]!;
    if (y === p) out[1 + y]!++;
    else {
      out[1 + k + p]!++;
      out[1 + 2 * k + y]!++;
    }
  }
  return out;
}

/** The metric from `metricSums` added up across hosts: the classes seen on any host, as `computeMetric` sees them. */
export function metricFromSums(name: string, sums: Float64Array): number {
  const n = sums[0]!;
  if (n === 0) return Number.NaN;
  if (name === "mse" || name === "r2") {
    const [, sum, sstWithin, nMeanSq, sse] = Array.from(sums);
    const sst = sstWithin! + nMeanSq! - (sum! * sum!) / n;
    return name === "mse" ? sse! / n : 1 - safe(sse!, sst);
  }
  const k = (sums.length - 1) / 3;
  const at = (part: number, i: number) => sums[1 + part * k + i]!;
  const seen = Array.from({ length: k }, (_, i) => i).filter((i) => at(0, i) + at(1, i) + at(2, i) > 0);
  return classificationMetric(name, n, {
    classes: seen,
    tp: seen.map((i) => at(0, i)),
    fp: seen.map((i) => at(1, i)),
    fn: seen.map((i) => at(2, i)),
  });
}
