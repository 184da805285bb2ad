/**
 * The loop walker: one small function walks every tree of a `TreeSpec` over typed arrays. No code
 * is generated, so it costs no memory beyond the spec and V8 optimises it within its first calls
 * (a server's first requests run at full speed). Tree by tree over blocks of rows, four rows side
 * by side: their walks do not depend on each other, so the CPU overlaps their memory loads and
 * mispredicted branches (on 500 trees of depth 8 this ran at libxgboost's speed where one row at
 * a time took twice as long).
 */
import type { TreeSpec } from "./_tree-spec.js";

/** Rows per block: every tree walks a block before the next tree starts, as libxgboost does. */
const BLOCK = 64;

/**
 * Adds every tree's leaf to the margins of `rows` dense row-major rows of `cols` values, in tree
 * order and float32 (each sum stored back into `margins`), as XGBoost accumulates them.
 */
export function walkForest(spec: TreeSpec, values: Float32Array, rows: number, margins: Float32Array): void {
  const nodes = spec.nodes;
  const f32 = new Float32Array(nodes.buffer, nodes.byteOffset, nodes.length);
  const { roots, treeGroups, groups, numFeatures: cols } = spec;
  const trees = roots.length;
  for (let b0 = 0; b0 < rows; b0 += BLOCK) {
    const b1 = b0 + BLOCK < rows ? b0 + BLOCK : rows;
    for (let t = 0; t < trees; t++) {
      const root = roots[t]!;
      const g = treeGroups[t]!;
      let r = b0;
      for (; r + 3 < b1; r += 4) {
        const y0 = r * cols;
        const y1 = y0 + cols;
        const y2 = y1 + cols;
        const y3 = y2 + cols;
        let n0 = root;
        let n1 = root;
        let n2 = root;
        let n3 = root;
        let k0 = nodes[root]!;
        let k1 = k0;
        let k2 = k0;
        let k3 = k0;
        // A split's key is >= 0, a leaf's -1: go on while any of the four is at a split.
        while ((k0 & k1 & k2 & k3) >= 0) {
          if (k0 >= 0) {
            const x = values[y0 + (k0 >> 1)]!;
            // biome-ignore lint/suspicious/noSelfCompare: x !== x is NaN, a missing value
            n0 = nodes[n0 + 1]! + (x === x ? +(x >= f32[n0 + 2]!) : 1 - (k0 & 1)) * 3;
            k0 = nodes[n0]!;
          }
          if (k1 >= 0) {
            const x = values[y1 + (k1 >> 1)]!;
            // biome-ignore lint/suspicious/noSelfCompare: x !== x is NaN, a missing value
            n1 = nodes[n1 + 1]! + (x === x ? +(x >= f32[n1 + 2]!) : 1 - (k1 & 1)) * 3;
            k1 = nodes[n1]!;
          }
          if (k2 >= 0) {
            const x = values[y2 + (k2 >> 1)]!;
            // biome-ignore lint/suspicious/noSelfCompare: x !== x is NaN, a missing value
            n2 = nodes[n2 + 1]! + (x === x ? +(x >= f32[n2 + 2]!) : 1 - (k2 & 1)) * 3;
            k2 = nodes[n2]!;
          }
          if (k3 >= 0) {
            const x = values[y3 + (k3 >> 1)]!;
            // biome-ignore lint/suspicious/noSelfCompare: x !== x is NaN, a missing value
            n3 = nodes[n3 + 1]! + (x === x ? +(x >= f32[n3 + 2]!) : 1 - (k3 & 1)) * 3;
            k3 = nodes[n3]!;
          }
        }
        const o = r * groups + g;
        margins[o] = margins[o]! + f32[n0 + 2]!;
        margins[o + groups] = margins[o + groups]! + f32[n1 + 2]!;
        margins[o + 2 * groups] = margins[o + 2 * groups]! + f32[n2 + 2]!;
        margins[o + 3 * groups] = margins[o + 3 * groups]! + f32[n3 + 2]!;
      }
      for (; r < b1; r++) {
        const y = r * cols;
        let n = root;
        let k = nodes[n]!;
        while (k >= 0) {
          const x = values[y + (k >> 1)]!;
          // Left iff x < threshold; a missing value (NaN) goes its node's default way.
          // biome-ignore lint/suspicious/noSelfCompare: x === x is false for NaN, a missing value
          n = x < f32[n + 2]! ? nodes[n + 1]! : x === x || (k & 1) === 0 ? nodes[n + 1]! + 3 : nodes[n + 1]!;
          k = nodes[n]!;
        }
        const o = r * groups + g;
        margins[o] = margins[o]! + f32[n + 2]!;
      }
    }
  }
}
