/**
 * Probe rows for the parity check of the JavaScript walkers: rows aimed at the leaves and at both
 * sides of every split, missing values included, so that a walker that disagrees with libxgboost
 * anywhere is caught before it serves. Built in one depth-first pass per tree with the path's
 * constraints in flat arrays (no object per path: a 500-tree model has 100,000 leaves).
 */
import type { TreeSpec } from "./_tree-spec.js";

/** A dense row-major float32 batch. */
export interface ProbeBatch {
  readonly values: Float32Array;
  readonly rows: number;
}

/** Options of `probeBatch`. */
export interface ProbeOptions {
  /** Most rows aimed at leaves (two per leaf; leaves are sampled evenly beyond). Default 8192. */
  maxLeafRows?: number;
  /** Rows of random values around the thresholds, some missing. Default 256. */
  randomRows?: number;
  seed?: number;
}

/**
 * A deterministic batch that exercises every branch direction of the spec's trees: for each
 * root-to-leaf path (every `stride`-th one beyond `maxLeafRows / 2` leaves), one row sitting
 * exactly on the path's thresholds (`x == t` goes right) or one float32 step below them (goes
 * left), and one row taking the missing-value (default) direction wherever the path allows it,
 * else the other edge of the interval; features the path does not test get random values or NaN.
 * Then random rows over the thresholds' range ± 1, ±∞ and NaN.
 */
export function probeBatch(spec: TreeSpec, options: ProbeOptions = {}): ProbeBatch {
  const { nodes, roots, numFeatures: cols } = spec;
  const thresholds = new Float32Array(nodes.buffer, nodes.byteOffset, nodes.length);
  const random = mulberry32(options.seed ?? 0x5a9e);
  const ranges = featureRanges(spec);
  const randomValue = (f: number): number => {
    const u = random();
    if (u < 0.12) return Number.NaN;
    if (u < 0.14) return u < 0.13 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    const lo = ranges[2 * f]!;
    const hi = ranges[2 * f + 1]!;
    return lo - 1 + random() * (hi - lo + 2);
  };
  let leaves = 0;
  for (let n = 0; n < nodes.length; n += 3) if (nodes[n]! < 0) leaves++;
  const stride = Math.max(1, Math.ceil((leaves * 2) / (options.maxLeafRows ?? 8192)));
  const randomRows = options.randomRows ?? 256;
  const values = new Float32Array((2 * Math.ceil(leaves / stride) + randomRows) * cols);
  let rows = 0;
  // The current path's constraint per feature: lo <= x < hi, missing allowed when `missingOk`.
  const lo = new Float64Array(cols).fill(Number.NEGATIVE_INFINITY);
  const hi = new Float64Array(cols).fill(Number.POSITIVE_INFINITY);
  const missingOk = new Uint8Array(cols).fill(1);
  const onPath = new Uint16Array(cols);
  const emit = () => {
    for (const missing of [false, true]) {
      const at = rows * cols;
      let feasible = true;
      for (let f = 0; f < cols; f++) {
        if (onPath[f] === 0) values[at + f] = randomValue(f);
        else {
          const v = pick(lo[f]!, hi[f]!, missingOk[f] === 1, missing);
          if (v === undefined) feasible = false;
          else values[at + f] = v;
        }
      }
      if (feasible) rows++;
    }
  };
  // Depth first without recursion: a frame per split on the path, its feature's prior constraint
  // saved to restore on the way back.
  const frames: number[] = [];
  let leaf = 0;
  for (const root of roots) {
    let n = root;
    for (;;) {
      const key = nodes[n]!;
      if (key >= 0) {
        const f = key >> 1;
        frames.push(n, lo[f]!, hi[f]!, missingOk[f]!, 0);
        onPath[f]!++;
        hi[f] = Math.min(hi[f]!, thresholds[n + 2]!);
        if ((key & 1) === 0) missingOk[f] = 0;
        n = nodes[n + 1]!;
        continue;
      }
      if (leaf++ % stride === 0) emit();
      // Back up to the nearest split whose right side is still to walk.
      for (;;) {
        if (frames.length === 0) break;
        const top = frames.length - 5;
        const s = frames[top]!;
        const f = nodes[s]! >> 1;
        lo[f] = frames[top + 1]!;
        hi[f] = frames[top + 2]!;
        missingOk[f] = frames[top + 3]!;
        if (frames[top + 4] === 0) {
          frames[top + 4] = 1;
          lo[f] = Math.max(lo[f]!, thresholds[s + 2]!);
          if ((nodes[s]! & 1) === 1) missingOk[f] = 0;
          n = nodes[s + 1]! + 3;
          break;
        }
        onPath[f]!--;
        frames.length = top;
      }
      if (frames.length === 0) break;
    }
  }
  for (let i = 0; i < randomRows; i++, rows++)
    for (let f = 0; f < cols; f++) values[rows * cols + f] = randomValue(f);
  return { values: values.subarray(0, rows * cols), rows };
}

/** A value in `[lo, hi)`: on its lower edge or just below its upper edge; NaN first when `missing`. */
function pick(lo: number, hi: number, missingOk: boolean, missing: boolean): number | undefined {
  if (missing && missingOk) return Number.NaN;
  if (lo >= hi) return missingOk ? Number.NaN : undefined;
  const below = Number.isFinite(hi) ? stepFloat32(hi, -1) : undefined;
  const edge = Number.isFinite(lo) ? lo : below;
  const v = missing ? (below ?? edge) : (edge ?? below);
  return v === undefined ? 0 : v;
}

/** The smallest and largest threshold per feature, [lo0, hi0, lo1, …] ([-1, 1] for a feature no tree tests). */
function featureRanges(spec: TreeSpec): Float64Array {
  const { nodes, numFeatures: cols } = spec;
  const thresholds = new Float32Array(nodes.buffer, nodes.byteOffset, nodes.length);
  const out = new Float64Array(2 * cols);
  for (let f = 0; f < cols; f++) {
    out[2 * f] = Number.POSITIVE_INFINITY;
    out[2 * f + 1] = Number.NEGATIVE_INFINITY;
  }
  for (let n = 0; n < nodes.length; n += 3) {
    const key = nodes[n]!;
    if (key < 0) continue;
    const f = key >> 1;
    out[2 * f] = Math.min(out[2 * f]!, thresholds[n + 2]!);
    out[2 * f + 1] = Math.max(out[2 * f + 1]!, thresholds[n + 2]!);
  }
  for (let f = 0; f < cols; f++) {
    if (out[2 * f]! > out[2 * f + 1]!) {
      out[2 * f] = -1;
      out[2 * f + 1] = 1;
    }
  }
  return out;
}

const stepBuffer = new Float32Array(1);
const stepBits = new Int32Array(stepBuffer.buffer);

/** The next float32 after finite float32 `v` in direction `dir`. */
function stepFloat32(v: number, dir: 1 | -1): number {
  if (v === 0) return dir * 2 ** -149;
  stepBuffer[0] = v;
  stepBits[0] = stepBits[0]! + (v > 0 === dir > 0 ? 1 : -1);
  return stepBuffer[0]!;
}

/** A small deterministic generator in [0, 1) (mulberry32); the benchmarks' data uses it too. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
