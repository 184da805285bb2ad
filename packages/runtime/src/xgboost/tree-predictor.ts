/**
 * Pure-TypeScript walkers for XGBoost tree models.
 *
 * The model, as libxgboost saves it (UBJ read by `readUbj`, or JSON), becomes a `TreeSpec`: every
 * node packed in typed arrays. Two walkers reproduce the CPU predictor over it — go left iff
 * `x < threshold` (float32 values), a missing value (NaN) takes the node's default direction, each
 * output group's margin starts at the base margin and adds each tree's leaf in float32, in tree
 * order, then the objective's transform:
 *  - `"loop"`: one function walks the arrays (`_tree-loop.ts`): no generated code, little memory,
 *    at full speed after its first calls;
 *  - `"generated"`: each tree compiled to JavaScript (`_tree-generated.ts`): the fastest on small
 *    models, dearer in memory and slow until V8 has optimised it.
 * Which serves which request is measured, not assumed (`algorithms/xgboost/_js-path.ts`). Where
 * code generation is refused (`--disallow-code-generation-from-strings`) `"generated"` falls back
 * to the loop.
 *
 * Anything it does not reproduce exactly gives `undefined` ("use native"): dart, gblinear,
 * categorical splits, multi-target trees, other objectives, iteration ranges. Callers must still
 * check parity with the native predictor before trusting it (see `_js-path.ts`).
 */
import { generateKernels } from "./_tree-generated.js";
import { walkForest } from "./_tree-loop.js";
import { OBJECTIVES } from "./_tree-objectives.js";
import { type ProbeBatch, type ProbeOptions, probeBatch as probeSpec } from "./_tree-probe.js";
import { specOf, type TreeSpec, Unsupported } from "./_tree-spec.js";

export { mulberry32, type ProbeBatch, type ProbeOptions } from "./_tree-probe.js";
export { parseBaseScore, type TreeSpec } from "./_tree-spec.js";
export { readUbj, type UbjValue } from "./_ubj.js";

/** Options of `TreePredictor.predict`, as the native predictor takes them. */
export interface TreePredictOptions {
  iterationBegin?: number;
  iterationEnd?: number;
}

/** Which code walks the trees: one loop over the arrays, or functions generated per tree. */
export type TreeKernel = "loop" | "generated";

/** A compiled tree ensemble. */
export interface TreePredictor {
  readonly objective: string;
  readonly numFeatures: number;
  readonly numTrees: number;
  /** Nodes of all trees. */
  readonly numNodes: number;
  /** Values per row of `predict`'s output (the class count for `multi:softprob`, else 1). */
  readonly width: number;
  /** The model as plain data, to rebuild the predictor on another thread (`treePredictorFromSpec`). */
  readonly spec: TreeSpec;
  /** The code that walks the trees (`"loop"` where `"generated"` was asked for but refused). */
  readonly kernel: TreeKernel;
  /**
   * Predicts `rows` dense row-major float32 rows of `numFeatures` values (NaN = missing).
   * `undefined` for requests it does not reproduce (an iteration range).
   */
  predict(values: Float32Array, rows: number, options?: TreePredictOptions): Float32Array | undefined;
  /** The margins alone (before the objective's transform), as libxgboost's `output_margin`. */
  margins(values: Float32Array, rows: number): Float32Array;
}

/**
 * Compiles a parsed XGBoost model (`JSON.parse` of a JSON save, or `readUbj` of a UBJ one);
 * `undefined` when it is not one this module reproduces (see `treeModelSupport` for why).
 *
 * @example const p = compileTreeModel(readUbj(booster.save("ubj")), "loop");
 */
export function compileTreeModel(
  model: unknown,
  kernel: TreeKernel = "generated",
): TreePredictor | undefined {
  const spec = specOf(model);
  return spec instanceof Unsupported ? undefined : treePredictorFromSpec(spec, kernel);
}

/** Why `compileTreeModel` rejects `model`, or `undefined` when it compiles. */
export function treeModelSupport(model: unknown): string | undefined {
  const spec = specOf(model);
  return spec instanceof Unsupported ? spec.reason : undefined;
}

/** The spec of a parsed model, or why it is not reproduced. */
export function treeSpecOf(model: unknown): TreeSpec | string {
  const spec = specOf(model);
  return spec instanceof Unsupported ? spec.reason : spec;
}

/**
 * The predictor a spec describes (a `TreePredictor`'s `spec`, possibly from another thread).
 *
 * @throws TypeError when the spec names an objective this module does not reproduce, or its
 *   numbers are not whole where they must be.
 */
export function treePredictorFromSpec(spec: TreeSpec, kernel: TreeKernel = "generated"): TreePredictor {
  const objective = OBJECTIVES[spec.objective];
  if (!objective) throw new TypeError(`treePredictorFromSpec: objective ${spec.objective} is not reproduced`);
  const { groups, baseMargin, numFeatures, nodes, roots } = spec;
  // These go into generated source as they are: whole numbers only.
  if (!Number.isSafeInteger(numFeatures) || !Number.isSafeInteger(groups) || numFeatures < 1 || groups < 1)
    throw new TypeError(`treePredictorFromSpec: ${numFeatures} features, ${groups} groups`);
  checkSpec(spec);
  const kernels = kernel === "generated" ? generateKernels(spec) : undefined;
  const margins = (values: Float32Array, rows: number): Float32Array => {
    const m = new Float32Array(rows * groups);
    for (let g = 0; g < groups; g++) {
      const b = baseMargin[g]!;
      for (let i = g; i < m.length; i += groups) m[i] = b;
    }
    if (kernels) for (const k of kernels) k(values, rows, m);
    else walkForest(spec, values, rows, m);
    return m;
  };
  return {
    objective: spec.objective,
    numFeatures,
    numTrees: roots.length,
    numNodes: nodes.length / 3,
    width: spec.objective === "multi:softmax" ? 1 : groups,
    spec,
    kernel: kernels ? "generated" : "loop",
    predict(values, rows, options) {
      if ((options?.iterationBegin ?? 0) !== 0 || (options?.iterationEnd ?? 0) !== 0) return undefined;
      return objective.transform(margins(values, rows), rows, groups);
    },
    margins,
  };
}

/** Probe rows aimed at every branch direction of `p`'s trees (`_tree-probe.ts`). */
export function probeBatch(p: TreePredictor | TreeSpec, options: ProbeOptions = {}): ProbeBatch {
  return probeSpec("spec" in p ? p.spec : p, options);
}

/**
 * Checks that walking `spec` ends and reads in range, whoever made it: roots and children on node
 * boundaries, every child after its parent (so no walk loops), features and groups in range.
 *
 * @throws TypeError naming the first fault.
 */
function checkSpec(spec: TreeSpec): void {
  const { nodes, roots, treeGroups, numFeatures, groups, baseMargin } = spec;
  const fail = (what: string): never => {
    throw new TypeError(`treePredictorFromSpec: ${what}`);
  };
  if (!(nodes instanceof Int32Array) || !(roots instanceof Int32Array) || !(treeGroups instanceof Int32Array))
    fail("the nodes, roots and groups must be Int32Arrays");
  if (!(baseMargin instanceof Float32Array) || baseMargin.length !== groups)
    fail("one base margin per group");
  if (nodes.length % 3 !== 0 || roots.length !== treeGroups.length) fail("arrays of mismatched lengths");
  for (let t = 0; t < roots.length; t++) {
    const r = roots[t]!;
    if (r < 0 || r % 3 !== 0 || r >= nodes.length) fail(`tree ${t} has its root at ${r}`);
    if (treeGroups[t]! < 0 || treeGroups[t]! >= groups) fail(`tree ${t} is in group ${treeGroups[t]}`);
  }
  for (let n = 0; n < nodes.length; n += 3) {
    const key = nodes[n]!;
    if (key === -1) continue;
    const l = nodes[n + 1]!;
    if (key < 0 || key >> 1 >= numFeatures) fail(`node ${n / 3} splits on feature ${key >> 1}`);
    if (l <= n || l % 3 !== 0 || l + 5 >= nodes.length) fail(`node ${n / 3} has its children at ${l}`);
  }
}
