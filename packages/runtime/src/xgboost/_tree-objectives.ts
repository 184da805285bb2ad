/**
 * The objectives the JavaScript tree walkers reproduce: XGBoost 1.7's base-margin conversion
 * (`ProbToMargin`) and output transform, in float32 as the library computes them.
 */

/** Maps an objective's margins to its output, in place, for `rows` rows of `groups` margins. */
export type Transform = (margins: Float32Array, rows: number, groups: number) => Float32Array;

export interface ObjectiveSpec {
  /** base_score (as saved) → base margin, in float32. */
  readonly toMargin: (baseScore: number) => number;
  readonly transform: Transform;
}

const f32 = Math.fround;

const identity: Transform = (m) => m;
const logit = (p: number): number => f32(-Math.log(f32(f32(1 / p) - 1)));
const sigmoid: Transform = (m) => {
  for (let i = 0; i < m.length; i++) m[i] = f32(1 / f32(1 + f32(Math.exp(-m[i]!))));
  return m;
};
const exp: Transform = (m) => {
  for (let i = 0; i < m.length; i++) m[i] = f32(Math.exp(m[i]!));
  return m;
};
const hinge: Transform = (m) => {
  for (let i = 0; i < m.length; i++) m[i] = m[i]! > 0 ? 1 : 0;
  return m;
};
const softprob: Transform = (m, rows, groups) => {
  for (let r = 0; r < rows; r++) {
    const o = r * groups;
    let max = m[o]!;
    for (let g = 1; g < groups; g++) max = Math.max(max, m[o + g]!);
    let sum = 0;
    for (let g = 0; g < groups; g++) {
      // exp(0) is 1 exactly: the largest margin's term needs no call.
      const d = f32(m[o + g]! - max);
      const e = d === 0 ? 1 : f32(Math.exp(d));
      m[o + g] = e;
      sum += e; // XGBoost 1.7 sums in double
    }
    const total = f32(sum);
    for (let g = 0; g < groups; g++) m[o + g] = f32(m[o + g]! / total);
  }
  return m;
};
const softmax: Transform = (m, rows, groups) => {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * groups;
    let best = 0;
    for (let g = 1; g < groups; g++) if (m[o + g]! > m[o + best]!) best = g;
    out[r] = best;
  }
  return out;
};

const raw = (b: number): number => f32(b);
const log = (b: number): number => f32(Math.log(b));

/** The objectives reproduced, by XGBoost's name. */
export const OBJECTIVES: Readonly<Record<string, ObjectiveSpec>> = {
  "binary:logistic": { toMargin: logit, transform: sigmoid },
  "reg:logistic": { toMargin: logit, transform: sigmoid },
  // XGBoost 1.7 adds binary:logitraw's base_score as is (no logit), measured against libxgboost.
  "binary:logitraw": { toMargin: raw, transform: identity },
  "binary:hinge": { toMargin: raw, transform: hinge },
  "multi:softprob": { toMargin: raw, transform: softprob },
  "multi:softmax": { toMargin: raw, transform: softmax },
  "reg:squarederror": { toMargin: raw, transform: identity },
  "reg:linear": { toMargin: raw, transform: identity },
  "reg:squaredlogerror": { toMargin: raw, transform: identity },
  "reg:pseudohubererror": { toMargin: raw, transform: identity },
  "reg:absoluteerror": { toMargin: raw, transform: identity },
  "count:poisson": { toMargin: log, transform: exp },
  "reg:gamma": { toMargin: log, transform: exp },
  "reg:tweedie": { toMargin: log, transform: exp },
};
