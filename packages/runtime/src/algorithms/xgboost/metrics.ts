/**
 * The metrics SageMaker's XGBoost container computes from predictions rather than inside XGBoost
 * (`shared/contract.md` §5.4): accuracy, F1, precision, recall (binary, macro, micro), balanced
 * accuracy, MSE and R². Class label = argmax for multi-column output, margin > 0 / p > 0.5 for binary.
 * Pure.
 */

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

function confusion(
  labels: Float32Array,
  pred: Float64Array,
): { classes: number[]; tp: number[]; fp: number[]; fn: number[] } {
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

const safe = (n: number, d: number) => (d === 0 ? 0 : n / d);

/**
 * Computes one sagebrew metric.
 *
 * @param predictions XGBoost's default output (probabilities, margins or values) with its shape.
 */
export function computeMetric(
  name: string,
  objective: string,
  labels: Float32Array,
  predictions: { values: Float32Array; shape: readonly number[] },
): number {
  const n = labels.length;
  if (n === 0) return Number.NaN;
  if (name === "mse" || name === "r2") {
    let sse = 0;
    let mean = 0;
    for (let r = 0; r < n; r++) mean += labels[r]!;
    mean /= n;
    let sst = 0;
    for (let r = 0; r < n; r++) {
      const e = predictions.values[r]! - labels[r]!;
      sse += e * e;
      sst += (labels[r]! - mean) ** 2;
    }
    return name === "mse" ? sse / n : 1 - safe(sse, sst);
  }
  const pred = predictedLabels(objective, predictions.values, predictions.shape);
  const { classes, tp, fp, fn } = confusion(labels, pred);
  let correct = 0;
  for (const t of tp) correct += t;
  const accuracy = correct / n;
  const positive = classes.indexOf(1);
  const binary = objective.startsWith("binary:") || objective === "reg:logistic";
  const precisionOf = (i: number) => safe(tp[i]!, tp[i]! + fp[i]!);
  const recallOf = (i: number) => safe(tp[i]!, tp[i]! + fn[i]!);
  const f1Of = (i: number) => safe(2 * tp[i]!, 2 * tp[i]! + fp[i]! + fn[i]!);
  const labelClasses = classes.map((_, i) => i).filter((i) => tp[i]! + fn[i]! > 0);
  const macro = (f: (i: number) => number) =>
    labelClasses.length === 0 ? 0 : labelClasses.reduce((s, i) => s + f(i), 0) / labelClasses.length;
  const binaryOr = (f: (i: number) => number) => (binary ? (positive < 0 ? 0 : f(positive)) : macro(f));
  switch (name) {
    case "accuracy":
    case "precision_micro":
    case "recall_micro":
      return accuracy;
    case "balanced_accuracy":
      return macro(recallOf);
    case "f1":
    case "f1_binary":
      return binaryOr(f1Of);
    case "f1_macro":
      return macro(f1Of);
    case "precision":
      return binaryOr(precisionOf);
    case "precision_macro":
      return macro(precisionOf);
    case "recall":
      return binaryOr(recallOf);
    case "recall_macro":
      return macro(recallOf);
    default:
      throw new Error(`unknown metric ${name}`);
  }
}
