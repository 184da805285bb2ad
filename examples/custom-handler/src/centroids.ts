/** A nearest-centroid classifier in plain TypeScript: the model is one mean vector per class. */

/** The saved model (`model/centroids.json`). */
export interface CentroidModel {
  readonly classes: readonly string[];
  /** `centroids[k]` is the mean feature vector of class `classes[k]`. */
  readonly centroids: readonly (readonly number[])[];
}

/** Fits one centroid per class from rows and their class names. */
export function fit(rows: readonly Float32Array[], labels: readonly string[]): CentroidModel {
  const classes = [...new Set(labels)].sort();
  const width = rows[0]?.length ?? 0;
  const sums = classes.map(() => new Array<number>(width).fill(0));
  const counts = classes.map(() => 0);
  rows.forEach((row, i) => {
    const k = classes.indexOf(labels[i]!);
    counts[k]!++;
    row.forEach((v, j) => {
      sums[k]![j]! += v;
    });
  });
  return { classes, centroids: sums.map((s, k) => s.map((v) => v / counts[k]!)) };
}

/** The nearest class of one row and its squared distance. */
export function nearest(model: CentroidModel, row: ArrayLike<number>): { label: string; distance: number } {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  model.centroids.forEach((c, k) => {
    let d = 0;
    for (let j = 0; j < c.length; j++) d += (row[j]! - c[j]!) ** 2;
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  });
  return { label: model.classes[best]!, distance: bestDistance };
}
