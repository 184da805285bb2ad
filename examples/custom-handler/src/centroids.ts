/**
 * A nearest-centroid classifier in plain TypeScript: the model is one mean vector per class,
 * optionally moved by learning vector quantization (LVQ1): for each row in turn, the nearest
 * centroid steps towards the row when its class is right and away from it when it is wrong.
 */

export type Distance = "euclidean" | "manhattan";

/** The saved model (`model/centroids.json`). */
export interface CentroidModel {
  readonly classes: readonly string[];
  /** `centroids[k]` is the centroid of class `classes[k]`. */
  readonly centroids: readonly (readonly number[])[];
  readonly distance: Distance;
}

/** Rows as views of one row-major float32 matrix. */
export interface Rows {
  readonly count: number;
  readonly width: number;
  readonly values: Float32Array;
}

const row = (rows: Rows, r: number) => rows.values.subarray(r * rows.width, (r + 1) * rows.width);

/** Fits one centroid per class (the class mean) from rows and their class names. */
export function fit(rows: Rows, labels: readonly string[], distance: Distance): CentroidModel {
  const classes = [...new Set(labels)].sort();
  const sums = classes.map(() => new Array<number>(rows.width).fill(0));
  const counts = classes.map(() => 0);
  for (let r = 0; r < rows.count; r++) {
    const k = classes.indexOf(labels[r]!);
    counts[k]!++;
    row(rows, r).forEach((v, j) => {
      sums[k]![j]! += v;
    });
  }
  return { classes, centroids: sums.map((s, k) => s.map((v) => v / counts[k]!)), distance };
}

function distanceOf(kind: Distance, a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let j = 0; j < b.length; j++) {
    const diff = a[j]! - b[j]!;
    d += kind === "manhattan" ? Math.abs(diff) : diff * diff;
  }
  return d;
}

/** The nearest class of one row, and its distance (squared for euclidean). */
export function nearest(model: CentroidModel, x: ArrayLike<number>): { label: string; distance: number } {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  model.centroids.forEach((c, k) => {
    const d = distanceOf(model.distance, x, c);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  });
  return { label: model.classes[best]!, distance: bestDistance };
}

/** One LVQ1 pass over the rows, in order; returns the moved model. */
export function refine(
  model: CentroidModel,
  rows: Rows,
  labels: readonly string[],
  rate: number,
): CentroidModel {
  const centroids = model.centroids.map((c) => [...c]);
  const moved: CentroidModel = { ...model, centroids };
  for (let r = 0; r < rows.count; r++) {
    const x = row(rows, r);
    const k = model.classes.indexOf(nearest(moved, x).label);
    const sign = model.classes[k] === labels[r] ? 1 : -1;
    const c = centroids[k]!;
    for (let j = 0; j < c.length; j++) c[j]! += sign * rate * (x[j]! - c[j]!);
  }
  return moved;
}

/** The share of rows whose nearest centroid has their class. */
export function accuracy(model: CentroidModel, rows: Rows, labels: readonly string[]): number {
  let right = 0;
  for (let r = 0; r < rows.count; r++) if (nearest(model, row(rows, r)).label === labels[r]) right++;
  return rows.count === 0 ? 0 : right / rows.count;
}
