/**
 * A Gaussian process regression model for the Bayesian strategy: a Matérn 5/2 kernel with one
 * length scale per input (ARD), an amplitude and a noise level, fitted by maximising the log
 * marginal likelihood, and the posterior mean and variance at new points. Inputs live in the unit
 * cube; outputs are standardised here. Pure.
 *
 * The linear algebra is written here rather than taken from a library such as ml-matrix: the
 * model needs one Cholesky factorisation and two triangular solves on at most a few hundred
 * points, about 60 lines, and the CLI would otherwise carry a matrix library for them.
 */
import { normal, type Uniform } from "./_rng.js";

/** The kernel's hyperparameters. */
export interface GpHyper {
  /** One per input dimension. */
  readonly lengthscales: readonly number[];
  /** Signal variance (of the standardised outputs). */
  readonly amplitude: number;
  /** Noise variance (of the standardised outputs). */
  readonly noise: number;
}

/** A fitted model. */
export interface Gp {
  readonly hyper: GpHyper;
  readonly x: readonly (readonly number[])[];
  /** L of K = L Lᵀ, row-major n × n. */
  readonly chol: Float64Array;
  /** K⁻¹ (y − mean) of the standardised outputs. */
  readonly alpha: Float64Array;
  readonly yMean: number;
  readonly yStd: number;
}

const SQRT5 = Math.sqrt(5);

function matern52(x: readonly number[], y: readonly number[], h: GpHyper): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i]! - y[i]!) / h.lengthscales[i]!;
    s += d * d;
  }
  const r = Math.sqrt(s);
  return h.amplitude * (1 + SQRT5 * r + (5 / 3) * s) * Math.exp(-SQRT5 * r);
}

/**
 * The lower Cholesky factor of a symmetric positive definite n × n matrix (row-major), or
 * undefined when it is not positive definite.
 */
export function cholesky(a: Float64Array, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) return undefined;
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j]!;
      }
    }
  }
  return l;
}

/** Solves L z = b (L lower triangular). */
export function solveLower(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * z[k]!;
    z[i] = s / l[i * n + i]!;
  }
  return z;
}

/** Solves Lᵀ z = b (L lower triangular). */
export function solveUpper(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const z = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * z[k]!;
    z[i] = s / l[i * n + i]!;
  }
  return z;
}

function gram(x: readonly (readonly number[])[], h: GpHyper): Float64Array {
  const n = x.length;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = matern52(x[i]!, x[j]!, h);
      k[i * n + j] = v;
      k[j * n + i] = v;
    }
    k[i * n + i]! += h.noise;
  }
  return k;
}

/** Factorises K + noise·I, adding jitter until it is positive definite. */
function factor(x: readonly (readonly number[])[], h: GpHyper): Float64Array | undefined {
  const n = x.length;
  const k = gram(x, h);
  for (let jitter = 0, tries = 0; tries < 6; tries++, jitter = jitter === 0 ? 1e-8 : jitter * 10) {
    if (jitter > 0) for (let i = 0; i < n; i++) k[i * n + i]! += jitter;
    const l = cholesky(k, n);
    if (l) return l;
  }
  return undefined;
}

/** The log marginal likelihood of standardised outputs `y` under `h` (−Infinity when singular). */
export function logMarginal(x: readonly (readonly number[])[], y: readonly number[], h: GpHyper): number {
  const n = x.length;
  const l = factor(x, h);
  if (!l) return Number.NEGATIVE_INFINITY;
  const z = solveLower(l, n, y);
  let fit = 0;
  for (let i = 0; i < n; i++) fit += z[i]! * z[i]!;
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += Math.log(l[i * n + i]!);
  return -0.5 * fit - logDet - 0.5 * n * Math.log(2 * Math.PI);
}

/** Bounds of the kernel's hyperparameters, in log space. */
const BOUNDS = {
  lengthscale: [Math.log(0.02), Math.log(20)],
  amplitude: [Math.log(0.05), Math.log(20)],
  noise: [Math.log(1e-6), Math.log(0.5)],
} as const;

function hyperOf(theta: readonly number[], dims: number): GpHyper {
  return {
    lengthscales: theta.slice(0, dims).map(Math.exp),
    amplitude: Math.exp(theta[dims]!),
    noise: Math.exp(theta[dims + 1]!),
  };
}

function boundOf(i: number, dims: number): readonly [number, number] {
  if (i < dims) return BOUNDS.lengthscale;
  return i === dims ? BOUNDS.amplitude : BOUNDS.noise;
}

/**
 * Fits the kernel's hyperparameters by maximising the log marginal likelihood: a few starting
 * points (one fixed, the others drawn from `u`), each improved by a coordinate pattern search in
 * log space with a shrinking step. Deterministic for a given `u`.
 */
export function fitHyper(x: readonly (readonly number[])[], y: readonly number[], u: Uniform): GpHyper {
  const dims = x[0]?.length ?? 0;
  const size = dims + 2;
  const score = (theta: number[]) => logMarginal(x, y, hyperOf(theta, dims));
  const starts: number[][] = [[...Array(dims).fill(Math.log(0.5)), Math.log(1), Math.log(0.01)]];
  for (let s = 0; s < 2; s++) {
    starts.push(
      Array.from({ length: size }, (_, i) => {
        const [lo, hi] = boundOf(i, dims);
        return lo + u() * (hi - lo);
      }),
    );
  }
  let best = starts[0]!;
  let bestScore = Number.NEGATIVE_INFINITY;
  // Larger models get fewer refinement passes: each evaluation is a Cholesky of n × n.
  const passes = x.length > 150 ? 4 : x.length > 60 ? 8 : 14;
  for (const start of starts) {
    const theta = [...start];
    let current = score(theta);
    let step = 1;
    for (let pass = 0; pass < passes && step > 0.02; pass++) {
      let moved = false;
      for (let i = 0; i < size; i++) {
        const [lo, hi] = boundOf(i, dims);
        for (const dir of [1, -1]) {
          const old = theta[i]!;
          theta[i] = Math.min(hi, Math.max(lo, old + dir * step));
          if (theta[i] === old) continue;
          const s = score(theta);
          if (s > current) {
            current = s;
            moved = true;
            break;
          }
          theta[i] = old;
        }
      }
      if (!moved) step /= 2;
    }
    if (current > bestScore) {
      bestScore = current;
      best = theta;
    }
  }
  return hyperOf(best, dims);
}

/**
 * Fits a model to `(x, y)` (outputs standardised here); `hyper` given: used as is, else fitted.
 * Undefined when the kernel matrix cannot be factorised.
 */
export function fitGp(
  x: readonly (readonly number[])[],
  y: readonly number[],
  options: { hyper?: GpHyper; u: Uniform },
): Gp | undefined {
  const n = y.length;
  const yMean = y.reduce((s, v) => s + v, 0) / n;
  const variance = y.reduce((s, v) => s + (v - yMean) ** 2, 0) / n;
  const yStd = variance > 1e-24 ? Math.sqrt(variance) : 1;
  const ys = y.map((v) => (v - yMean) / yStd);
  const hyper = options.hyper ?? fitHyper(x, ys, options.u);
  const chol = factor(x, hyper);
  if (!chol) return undefined;
  const alpha = solveUpper(chol, n, solveLower(chol, n, ys));
  return { hyper, x, chol, alpha, yMean, yStd };
}

/** The posterior mean and standard deviation at `p`, in the outputs' own units. */
export function predict(gp: Gp, p: readonly number[]): { mean: number; sd: number } {
  const n = gp.x.length;
  const k = new Float64Array(n);
  for (let i = 0; i < n; i++) k[i] = matern52(gp.x[i]!, p, gp.hyper);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += k[i]! * gp.alpha[i]!;
  const v = solveLower(gp.chol, n, k);
  let reduce = 0;
  for (let i = 0; i < n; i++) reduce += v[i]! * v[i]!;
  const variance = Math.max(1e-12, gp.hyper.amplitude - reduce);
  return { mean: gp.yMean + mean * gp.yStd, sd: Math.sqrt(variance) * gp.yStd };
}

/** Φ, the standard normal CDF: Abramowitz & Stegun 7.1.26 for erf (|error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** φ, the standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/**
 * Expected improvement over `best` of a maximised output with posterior `mean`, `sd`.
 *
 * @example expectedImprovement(1, 0, 0.5) // 1 (certain improvement of 1)
 */
export function expectedImprovement(mean: number, sd: number, best: number): number {
  if (sd <= 1e-12) return Math.max(0, mean - best);
  const z = (mean - best) / sd;
  return (mean - best) * normalCdf(z) + sd * normalPdf(z);
}

/** A Gaussian step of scale `sigma` from `u` clamped into [0, 1] (for local candidate search). */
export function jitter(u: Uniform, value: number, sigma: number): number {
  return Math.min(1, Math.max(0, value + sigma * normal(u)));
}
