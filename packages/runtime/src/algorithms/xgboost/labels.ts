/**
 * Labels for XGBoost: string class names mapped to class indices, and a check that labels fit the
 * objective before XGBoost sees them (so the message names the file and row). Pure.
 */
import { SagebrewError } from "../../errors/index.js";

/** Sorted unique class names; index in the array = class id. */
export function classNamesOf(labelStrings: readonly string[]): string[] {
  return [...new Set(labelStrings)].sort();
}

/** Maps label strings to class ids with `classNames`; an unknown name is an error naming the row. */
export function encodeLabels(
  labelStrings: readonly string[],
  classNames: readonly string[],
  source: string,
): Float32Array {
  const index = new Map(classNames.map((n, i) => [n, i]));
  const out = new Float32Array(labelStrings.length);
  for (let r = 0; r < labelStrings.length; r++) {
    const id = index.get(labelStrings[r]!);
    if (id === undefined) {
      throw new SagebrewError(
        "SB_LABEL",
        `Cannot use label ${JSON.stringify(labelStrings[r])} in row ${r + 1} of ${source}: it is not one of the training classes (${classNames.join(", ")})`,
      );
    }
    out[r] = id;
  }
  return out;
}

/** Checks that every label suits the objective; names the first offending row. */
export function checkLabels(
  labels: Float32Array,
  objective: string,
  numClass: number | undefined,
  source: string,
): void {
  const bad = (r: number, what: string): never => {
    throw new SagebrewError(
      "SB_LABEL",
      `Cannot train on ${source}: label ${labels[r]} in row ${r + 1} ${what}`,
    );
  };
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r]!;
    if (!Number.isFinite(y)) bad(r, "is not a finite number");
    if (objective.startsWith("multi:")) {
      if (!Number.isInteger(y) || y < 0 || y >= (numClass ?? 0))
        bad(r, `is not a class index in [0, num_class=${numClass})`);
    } else if (
      objective === "binary:logistic" ||
      objective === "binary:logitraw" ||
      objective === "reg:logistic"
    ) {
      if (y < 0 || y > 1) bad(r, `is outside [0, 1], which ${objective} needs`);
    } else if (objective === "binary:hinge") {
      if (y !== 0 && y !== 1) bad(r, "is not 0 or 1, which binary:hinge needs");
    } else if (objective === "count:poisson" || objective === "reg:tweedie") {
      if (y < 0) bad(r, `is negative, which ${objective} does not allow`);
    } else if (objective === "reg:gamma") {
      if (y <= 0) bad(r, "is not positive, which reg:gamma needs");
    } else if (objective === "reg:squaredlogerror") {
      if (y <= -1) bad(r, "is not greater than -1, which reg:squaredlogerror needs");
    }
  }
}
