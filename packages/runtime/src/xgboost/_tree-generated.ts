/**
 * The generated walker: each tree becomes one nested conditional expression over the row's
 * features held in local variables, compiled by V8 with `new Function`, so the machine code holds
 * the thresholds and leaves as constants (as treelite does with C). Fastest on small models (the
 * iris model's 100-row request in a quarter of the loop walker's time), but its code takes memory
 * and V8 optimises each function only after many calls, so callers build it for small models only
 * and warm it before use.
 *
 * The source holds only numbers read from the spec's typed arrays (finite thresholds and leaves,
 * integer features and groups), never text from the model file.
 */
import type { TreeSpec } from "./_tree-spec.js";

/** Adds a run of trees' leaves to the margins of `rows` rows (see `generateKernels`). */
export type Kernel = (values: Float32Array, rows: number, margins: Float32Array) => void;

/**
 * Whole trees per generated function, up to about this many nodes: V8 does not optimise very
 * large functions (100 depth-6 trees in one function ran 4× slower than in functions of 5).
 */
const KERNEL_NODES = 1024;

/** Trees deeper than this are not generated (the generator recurses once per level). */
const MAX_GENERATED_DEPTH = 64;

/**
 * The trees as functions, each adding a run of consecutive trees to every row's margins, in tree
 * order and float32 as XGBoost does; `undefined` where code generation is refused or a tree is
 * too deep. A tree becomes one conditional expression, e.g. with default-left on feature 2:
 * `(!(f2 >= 2.45) ? 0.43 : (f3 < 1.75 ? -0.21 : -0.22))` (a NaN fails both `<` and `>=`).
 */
export function generateKernels(spec: TreeSpec): Kernel[] | undefined {
  const { roots, nodes } = spec;
  const trees = roots.length;
  const size = (t: number) => ((t + 1 < trees ? roots[t + 1]! : nodes.length) - roots[t]!) / 3;
  const out: Kernel[] = [];
  for (let start = 0; start < trees; ) {
    let end = start + 1;
    let count = size(start);
    while (end < trees && count + size(end) <= KERNEL_NODES) count += size(end++);
    const source = kernelSource(spec, start, end);
    if (source === undefined) return undefined;
    try {
      out.push(new Function(source)() as Kernel);
    } catch {
      return undefined; // EvalError: code generation from strings is disallowed
    }
    start = end;
  }
  return out;
}

/** A number as a JavaScript literal that reads back as the same double (`-0` kept). */
const literal = (v: number): string => (Object.is(v, -0) ? "-0" : String(v));

function kernelSource(spec: TreeSpec, start: number, end: number): string | undefined {
  const { nodes, roots, treeGroups, numFeatures, groups: width } = spec;
  const values = new Float32Array(nodes.buffer, nodes.byteOffset, nodes.length);
  const features = new Set<number>();
  const groups = new Set<number>();
  const expression = (n: number, depth: number): string | undefined => {
    const key = nodes[n]!;
    if (key < 0) return literal(values[n + 2]!);
    if (depth >= MAX_GENERATED_DEPTH) return undefined;
    const c = key >> 1;
    features.add(c);
    const t = literal(values[n + 2]!);
    const goLeft = (key & 1) === 1 ? `!(f${c} >= ${t})` : `f${c} < ${t}`;
    const l = expression(nodes[n + 1]!, depth + 1);
    const r = expression(nodes[n + 1]! + 3, depth + 1);
    return l === undefined || r === undefined ? undefined : `(${goLeft} ? ${l} : ${r})`;
  };
  let sums = "";
  for (let t = start; t < end; t++) {
    const e = expression(roots[t]!, 0);
    if (e === undefined) return undefined;
    const g = treeGroups[t]!;
    groups.add(g);
    sums += `      g${g} = fr(g${g} + ${e});\n`;
  }
  const lines = (items: Set<number>, line: (i: number) => string) =>
    [...items]
      .sort((a, b) => a - b)
      .map(line)
      .join("\n");
  return `"use strict";
const fr = Math.fround;
return function trees_${start}_${end}(values, rows, margins) {
  for (let r = 0, x = 0, m = 0; r < rows; r++, x += ${numFeatures}, m += ${width}) {
${lines(features, (c) => `      const f${c} = values[x + ${c}];`)}
${lines(groups, (g) => `      let g${g} = margins[m + ${g}];`)}
${sums}${lines(groups, (g) => `      margins[m + ${g}] = g${g};`)}
  }
};`;
}
