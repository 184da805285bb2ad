/**
 * A pure-TypeScript predictor for XGBoost tree models.
 *
 * It compiles XGBoost's JSON model format (`booster.save("json")`) into flat typed arrays and
 * reproduces the CPU predictor: go left iff `x < threshold` (float32 values), missing (NaN) takes
 * the node's default direction, the margin of each output group starts at the base margin and adds
 * each tree's leaf in float32, in tree order, then the objective's transform is applied.
 *
 * The trees are then turned into JavaScript source — one nested conditional expression per tree,
 * the row's features in local variables — and compiled with `new Function`, so V8 makes machine
 * code of each tree's branches (as treelite does with C). Written by hand because it is the hot
 * loop of prediction: on the iris model (60 trees of depth 3) it walks 393,216 rows in 32 ms
 * where libxgboost 1.7 takes 110 ms on one thread. Deep trees walk slower than libxgboost
 * (100 trees of depth 6: 170 vs 109 ms per 100,000 rows), so callers measure before they choose
 * (`_js-path.ts`). Where code generation is refused (`--disallow-code-generation-from-strings`)
 * the same arrays are walked by a loop.
 *
 * The generated source holds only numbers that `compile` checked (finite thresholds, integer
 * feature and group indices), never text from the model file.
 *
 * Anything it does not reproduce exactly gives `undefined` ("use native"): dart, gblinear,
 * categorical splits, multi-target trees, other objectives, iteration ranges. Callers must still
 * check parity with the native predictor before trusting it (see `_js-path.ts`).
 */

/** Maps an objective's margin to its output, in place, for `rows` rows of `groups` margins. */
type Transform = (margins: Float32Array, rows: number, groups: number) => Float32Array;

interface ObjectiveSpec {
  /** base_score (as saved) → base margin, in float32 (XGBoost's `ProbToMargin`). */
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
      const e = f32(Math.exp(f32(m[o + g]! - max)));
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

/** The objectives reproduced, with XGBoost 1.7's base-margin conversion and output transform. */
const OBJECTIVES: Readonly<Record<string, ObjectiveSpec>> = {
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

/** Options of `TreePredictor.predict`, as the native predictor takes them. */
export interface TreePredictOptions {
  iterationBegin?: number;
  iterationEnd?: number;
}

/** A compiled tree ensemble. */
export interface TreePredictor {
  readonly objective: string;
  readonly numFeatures: number;
  readonly numTrees: number;
  /** Values per row of `predict`'s output (the class count for `multi:softprob`, else 1). */
  readonly width: number;
  /** The model as plain data, to rebuild the predictor on another thread (`treePredictorFromSpec`). */
  readonly spec: TreeSpec;
  /** `"generated"`: the trees run as generated JavaScript; `"loop"`: a loop walks the arrays. */
  readonly kernel: "generated" | "loop";
  /**
   * Predicts `rows` dense row-major float32 rows of `numFeatures` values (NaN = missing).
   * `undefined` for requests it does not reproduce (an iteration range).
   */
  predict(values: Float32Array, rows: number, options?: TreePredictOptions): Float32Array | undefined;
}

/** Everything a predictor is made of, as structured-cloneable data. */
export interface TreeSpec {
  readonly objective: string;
  readonly numFeatures: number;
  /** Margins per row: the class count for multi-class objectives, else 1. */
  readonly groups: number;
  /** Per group, the margin every row starts from. */
  readonly baseMargin: Float32Array;
  readonly forest: Forest;
}

/** Flat nodes of all trees, tree after tree; node `n` is a leaf iff `left[n] < 0`, its value then `threshold[n]`. */
export interface Forest {
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float32Array;
  readonly defaultLeft: Uint8Array;
  readonly roots: Int32Array;
  readonly groups: Int32Array;
}

class Unsupported {
  constructor(readonly reason: string) {}
}

/**
 * Compiles a parsed XGBoost JSON model; `undefined` when the model is not one this predictor
 * reproduces (see `treeModelSupport` for why).
 *
 * @example const p = compileTreeModel(JSON.parse(booster.save("json").toString()));
 */
export function compileTreeModel(json: unknown): TreePredictor | undefined {
  const c = compile(json);
  return c instanceof Unsupported ? undefined : c;
}

/** Why `compileTreeModel` rejects `json`, or `undefined` when it compiles. */
export function treeModelSupport(json: unknown): string | undefined {
  const c = compile(json);
  return c instanceof Unsupported ? c.reason : undefined;
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;

/** An integer parameter; XGBoost writes most of them as strings. */
function int(v: unknown): number | undefined {
  const n = typeof v === "string" ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) ? n : undefined;
}

/** base_score: "5E-1", or from XGBoost 3.1 a vector "[5E-1]" (one value per output). */
export function parseBaseScore(v: unknown): number[] | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? [v] : undefined;
  if (typeof v !== "string") return undefined;
  const s = v.trim();
  const inner = s.startsWith("[") && s.endsWith("]") ? s.slice(1, -1) : s;
  const parts = inner.split(",").map((p) => p.trim());
  if (parts.some((p) => p === "")) return undefined;
  const values = parts.map(Number);
  return values.every(Number.isFinite) ? values : undefined;
}

function compile(json: unknown): TreePredictor | Unsupported {
  const learner = obj(obj(json)?.learner);
  if (!learner) return new Unsupported("not an XGBoost JSON model (no learner)");
  const objective = obj(learner.objective)?.name;
  if (typeof objective !== "string") return new Unsupported("no objective name");
  const objectiveSpec = OBJECTIVES[objective];
  if (!objectiveSpec) return new Unsupported(`objective ${objective} is not reproduced`);
  const booster = obj(learner.gradient_booster);
  if (booster?.name !== "gbtree") return new Unsupported(`booster ${String(booster?.name)} is not gbtree`);
  // XGBoost 3.1+ saves a dart model as gbtree, its per-tree dropout weights beside the trees.
  if (booster.weight_drop !== undefined)
    return new Unsupported("booster dart (a gbtree with dropout weights) is not reproduced");
  const params = obj(learner.learner_model_param) ?? {};
  const numFeatures = int(params.num_feature);
  if (numFeatures === undefined || numFeatures <= 0) return new Unsupported("no feature count");
  const numClass = int(params.num_class ?? "0") ?? -1;
  const numTarget = int(params.num_target ?? "1") ?? -1;
  if (numClass < 0 || numTarget !== 1) return new Unsupported(`num_target ${String(params.num_target)}`);
  const groups = Math.max(1, numClass);
  const multiClass = objective.startsWith("multi:");
  if (multiClass !== numClass > 0) return new Unsupported(`${objective} with num_class ${numClass}`);
  const base = parseBaseScore(params.base_score);
  if (!base || (base.length !== 1 && base.length !== groups))
    return new Unsupported(`base_score ${String(params.base_score)}`);
  const baseMargin = Float32Array.from({ length: groups }, (_, g) =>
    objectiveSpec.toMargin(base[base.length === 1 ? 0 : g]!),
  );
  if (!baseMargin.every(Number.isFinite)) return new Unsupported(`base_score ${String(params.base_score)}`);
  const forest = compileForest(obj(booster.model), groups, numFeatures);
  if (forest instanceof Unsupported) return forest;
  return treePredictorFromSpec({ objective, numFeatures, groups, baseMargin, forest });
}

/**
 * The predictor a spec describes (a `TreePredictor`'s `spec`, possibly from another thread).
 *
 * @throws TypeError when the spec names an objective this module does not reproduce.
 */
export function treePredictorFromSpec(spec: TreeSpec): TreePredictor {
  const objective = OBJECTIVES[spec.objective];
  if (!objective) throw new TypeError(`treePredictorFromSpec: objective ${spec.objective} is not reproduced`);
  const { forest, groups, baseMargin, numFeatures } = spec;
  // These two go into generated source as they are: whole numbers only.
  if (!Number.isSafeInteger(numFeatures) || !Number.isSafeInteger(groups) || numFeatures < 1 || groups < 1)
    throw new TypeError(`treePredictorFromSpec: ${numFeatures} features, ${groups} groups`);
  const kernels = generateKernels(spec);
  return {
    objective: spec.objective,
    numFeatures,
    numTrees: forest.roots.length,
    width: spec.objective === "multi:softmax" ? 1 : groups,
    spec,
    kernel: kernels ? "generated" : "loop",
    predict(values, rows, options) {
      if ((options?.iterationBegin ?? 0) !== 0 || (options?.iterationEnd ?? 0) !== 0) return undefined;
      const margins = new Float32Array(rows * groups);
      for (let g = 0; g < groups; g++) {
        const b = baseMargin[g]!;
        for (let i = g; i < margins.length; i += groups) margins[i] = b;
      }
      if (kernels) for (const k of kernels) k(values, rows, margins);
      else accumulate(forest, values, rows, numFeatures, groups, margins);
      return objective.transform(margins, rows, groups);
    },
  };
}

/** Adds trees' leaves to the margins of `rows` rows (see `generateKernels`). */
type Kernel = (values: Float32Array, rows: number, margins: Float32Array) => void;

/**
 * Whole trees per generated function, up to about this many nodes: V8 does not optimise very
 * large functions (100 depth-6 trees in one function ran 4× slower than in functions of 5).
 */
const KERNEL_NODES = 1024;

/** Trees deeper than this are walked by the loop (the generator recurses once per level). */
const MAX_GENERATED_DEPTH = 64;

/**
 * The trees as functions, each adding a run of consecutive trees to every row's margins, in tree
 * order and float32 as XGBoost does; `undefined` where code generation is refused or a tree is
 * too deep. A tree becomes one conditional expression, e.g. with default-left on feature 2:
 * `(!(f2 >= 2.45) ? 0.43 : (f3 < 1.75 ? -0.21 : -0.22))` (a NaN fails both `<` and `>=`).
 */
function generateKernels(spec: TreeSpec): Kernel[] | undefined {
  const f = spec.forest;
  const trees = f.roots.length;
  const size = (t: number) => (t + 1 < trees ? f.roots[t + 1]! : f.left.length) - f.roots[t]!;
  const out: Kernel[] = [];
  for (let start = 0; start < trees; ) {
    let end = start + 1;
    let nodes = size(start);
    while (end < trees && nodes + size(end) <= KERNEL_NODES) nodes += size(end++);
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
  const f = spec.forest;
  const features = new Set<number>();
  const groups = new Set<number>();
  let sums = "";
  for (let t = start; t < end; t++) {
    const expression = treeExpression(f, f.roots[t]!, features, 0);
    if (expression === undefined) return undefined;
    const g = f.groups[t]!;
    groups.add(g);
    sums += `      g${g} = fr(g${g} + ${expression});\n`;
  }
  const lines = (items: Set<number>, line: (i: number) => string) =>
    [...items]
      .sort((a, b) => a - b)
      .map(line)
      .join("\n");
  return `"use strict";
const fr = Math.fround;
return function trees_${start}_${end}(values, rows, margins) {
  for (let r = 0, x = 0, m = 0; r < rows; r++, x += ${spec.numFeatures}, m += ${spec.groups}) {
${lines(features, (c) => `      const f${c} = values[x + ${c}];`)}
${lines(groups, (g) => `      let g${g} = margins[m + ${g}];`)}
${sums}${lines(groups, (g) => `      margins[m + ${g}] = g${g};`)}
  }
};`;
}

function treeExpression(f: Forest, n: number, features: Set<number>, depth: number): string | undefined {
  const left = f.left[n]!;
  if (left < 0) return literal(f.threshold[n]!);
  if (depth >= MAX_GENERATED_DEPTH) return undefined;
  const c = f.feature[n]!;
  features.add(c);
  const t = literal(f.threshold[n]!);
  const goLeft = f.defaultLeft[n] === 1 ? `!(f${c} >= ${t})` : `f${c} < ${t}`;
  const l = treeExpression(f, left, features, depth + 1);
  const r = treeExpression(f, f.right[n]!, features, depth + 1);
  return l === undefined || r === undefined ? undefined : `(${goLeft} ? ${l} : ${r})`;
}

function compileForest(model: Json | undefined, groups: number, numFeatures: number): Forest | Unsupported {
  const trees = model?.trees;
  const info = model?.tree_info;
  if (!Array.isArray(trees) || !Array.isArray(info) || info.length !== trees.length)
    return new Unsupported("no trees or tree_info");
  const parsed: ParsedTree[] = [];
  for (const [i, t] of trees.entries()) {
    const p = parseTree(obj(t), numFeatures);
    if (p instanceof Unsupported) return new Unsupported(`tree ${i}: ${p.reason}`);
    parsed.push(p);
  }
  const total = parsed.reduce((s, t) => s + t.left.length, 0);
  const f: Forest = {
    left: new Int32Array(total),
    right: new Int32Array(total),
    feature: new Int32Array(total),
    threshold: new Float32Array(total),
    defaultLeft: new Uint8Array(total),
    roots: new Int32Array(parsed.length),
    groups: new Int32Array(parsed.length),
  };
  let offset = 0;
  for (const [i, t] of parsed.entries()) {
    const g = int(info[i]);
    if (g === undefined || g < 0 || g >= groups)
      return new Unsupported(`tree_info[${i}] = ${String(info[i])}`);
    f.roots[i] = offset;
    f.groups[i] = g;
    for (let n = 0; n < t.left.length; n++) {
      const leaf = t.left[n]! < 0;
      f.left[offset + n] = leaf ? -1 : offset + t.left[n]!;
      f.right[offset + n] = leaf ? -1 : offset + t.right[n]!;
      f.feature[offset + n] = leaf ? 0 : t.feature[n]!;
      f.threshold[offset + n] = t.threshold[n]!;
      f.defaultLeft[offset + n] = t.defaultLeft[n]!;
    }
    offset += t.left.length;
  }
  return f;
}

interface ParsedTree {
  left: number[];
  right: number[];
  feature: number[];
  threshold: number[];
  defaultLeft: number[];
}

function parseTree(t: Json | undefined, numFeatures: number): ParsedTree | Unsupported {
  if (!t) return new Unsupported("not an object");
  const size = int(obj(t.tree_param)?.size_leaf_vector ?? "0") ?? -1;
  if (size > 1 || size < 0) return new Unsupported("vector leaves (multi-target tree)");
  const { left_children: left, right_children: right, split_indices: feature } = t;
  const { split_conditions: threshold, default_left: defaultLeft, split_type: splitType } = t;
  const arrays = [left, right, feature, threshold, defaultLeft];
  if (!arrays.every(Array.isArray)) return new Unsupported("missing node arrays");
  const n = (left as unknown[]).length;
  if (n === 0 || !arrays.every((a) => (a as unknown[]).length === n))
    return new Unsupported("node arrays differ in length");
  if (Array.isArray(splitType) && splitType.some((s) => s !== 0))
    return new Unsupported("categorical splits");
  const tree: ParsedTree = {
    left: (left as unknown[]).map((v) => int(v) ?? Number.NaN),
    right: (right as unknown[]).map((v) => int(v) ?? Number.NaN),
    feature: (feature as unknown[]).map((v) => int(v) ?? Number.NaN),
    threshold: (threshold as unknown[]).map((v) => (typeof v === "number" ? v : Number.NaN)),
    defaultLeft: (defaultLeft as unknown[]).map((v) =>
      v === 1 || v === true ? 1 : v === 0 || v === false ? 0 : -1,
    ),
  };
  return checkTree(tree, numFeatures);
}

/** A tree: every node reachable once from node 0, children in range, features below `numFeatures`. */
function checkTree(t: ParsedTree, numFeatures: number): ParsedTree | Unsupported {
  const n = t.left.length;
  const seen = new Uint8Array(n);
  const stack = [0];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (seen[i]) return new Unsupported(`node ${i} is reached twice`);
    seen[i] = 1;
    if (!Number.isFinite(t.threshold[i]!)) return new Unsupported(`node ${i} has no finite value`);
    if (t.left[i] === -1) continue;
    const [l, r, f, d] = [t.left[i]!, t.right[i]!, t.feature[i]!, t.defaultLeft[i]!];
    if (!(l > 0 && l < n && r > 0 && r < n)) return new Unsupported(`node ${i} has children ${l}, ${r}`);
    if (!(f >= 0 && f < numFeatures)) return new Unsupported(`node ${i} splits on feature ${f}`);
    if (d < 0) return new Unsupported(`node ${i} has no default direction`);
    stack.push(r, l);
  }
  return t;
}

/** Adds each tree's leaf to its group's margin, in float32 and tree order (without generated code). */
function accumulate(
  f: Forest,
  values: Float32Array,
  rows: number,
  cols: number,
  groups: number,
  margins: Float32Array,
): void {
  const { left, right, feature, threshold, defaultLeft, roots } = f;
  const treeGroups = f.groups;
  const trees = roots.length;
  for (let r = 0; r < rows; r++) {
    const x0 = r * cols;
    const m0 = r * groups;
    for (let t = 0; t < trees; t++) {
      let n = roots[t]!;
      let l = left[n]!;
      while (l >= 0) {
        const x = values[x0 + feature[n]!]!;
        if (x < threshold[n]!) n = l;
        else if (defaultLeft[n] === 1 && Number.isNaN(x)) n = l;
        else n = right[n]!;
        l = left[n]!;
      }
      const o = m0 + treeGroups[t]!;
      margins[o] = margins[o]! + threshold[n]!;
    }
  }
}

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
 * A deterministic batch that exercises every branch direction of `p`'s trees: for each
 * root-to-leaf path, one row sitting exactly on the path's thresholds (`x == t` goes right) or one
 * float32 step below them (goes left), and one row taking the missing-value (default) direction
 * wherever the path allows it, else the other edge of the interval; features the path does not
 * test get random values or NaN. Then random rows over the thresholds' range ± 1, ±∞ and NaN.
 */
export function probeBatch(p: TreePredictor, options: ProbeOptions = {}): ProbeBatch {
  const forest = p.spec.forest;
  const cols = p.numFeatures;
  const random = mulberry32(options.seed ?? 0x5a9e);
  const ranges = featureRanges(forest, cols);
  const randomValue = (f: number): number => {
    const u = random();
    if (u < 0.12) return Number.NaN;
    if (u < 0.14) return u < 0.13 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    const [lo, hi] = ranges[f]!;
    return lo - 1 + random() * (hi - lo + 2);
  };
  const paths = leafPaths(forest, cols);
  const maxLeafRows = options.maxLeafRows ?? 8192;
  const stride = Math.max(1, Math.ceil((paths.length * 2) / maxLeafRows));
  const rows: Float32Array[] = [];
  for (let i = 0; i < paths.length; i += stride) {
    const path = paths[i]!;
    for (const variant of [0, 1]) {
      const row = Float32Array.from({ length: cols }, (_, f) => randomValue(f));
      let feasible = true;
      for (const [f, c] of path) {
        const v = pick(c, variant === 1);
        if (v === undefined) feasible = false;
        else row[f] = v;
      }
      if (feasible) rows.push(row);
    }
  }
  for (let i = 0; i < (options.randomRows ?? 256); i++)
    rows.push(Float32Array.from({ length: cols }, (_, f) => randomValue(f)));
  const values = new Float32Array(rows.length * cols);
  for (const [r, row] of rows.entries()) values.set(row, r * cols);
  return { values, rows: rows.length };
}

/** What a path to a leaf requires of one feature: `lo <= x < hi`, or missing when `missingOk`. */
interface Constraint {
  lo: number;
  hi: number;
  missingOk: boolean;
}

/** A value meeting `c`: on its lower edge or just below its upper edge; NaN first when `missing`. */
function pick(c: Constraint, missing: boolean): number | undefined {
  if (missing && c.missingOk) return Number.NaN;
  if (c.lo >= c.hi) return c.missingOk ? Number.NaN : undefined;
  const below = Number.isFinite(c.hi) ? stepFloat32(c.hi, -1) : undefined;
  const edge = Number.isFinite(c.lo) ? c.lo : below;
  const v = missing ? (below ?? edge) : (edge ?? below);
  return v === undefined ? 0 : v;
}

/** The constraints of every root-to-leaf path of every tree. */
function leafPaths(f: Forest, cols: number): Map<number, Constraint>[] {
  const out: Map<number, Constraint>[] = [];
  const walk = (n: number, path: Map<number, Constraint>): void => {
    const l = f.left[n]!;
    if (l < 0) {
      out.push(path);
      return;
    }
    const feature = f.feature[n]!;
    const t = f.threshold[n]!;
    const prior = path.get(feature) ?? {
      lo: Number.NEGATIVE_INFINITY,
      hi: Number.POSITIVE_INFINITY,
      missingOk: true,
    };
    const toLeft = new Map(path).set(feature, {
      lo: prior.lo,
      hi: Math.min(prior.hi, t),
      missingOk: prior.missingOk && f.defaultLeft[n] === 1,
    });
    const toRight = new Map(path).set(feature, {
      lo: Math.max(prior.lo, t),
      hi: prior.hi,
      missingOk: prior.missingOk && f.defaultLeft[n] === 0,
    });
    walk(l, toLeft);
    walk(f.right[n]!, toRight);
  };
  for (const root of f.roots) walk(root, new Map());
  return cols > 0 ? out : [];
}

/** The smallest and largest threshold per feature ([-1, 1] for a feature no tree tests). */
function featureRanges(f: Forest, cols: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = Array.from({ length: cols }, () => [
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ]);
  for (let n = 0; n < f.left.length; n++) {
    if (f.left[n]! < 0) continue;
    const r = ranges[f.feature[n]!]!;
    r[0] = Math.min(r[0], f.threshold[n]!);
    r[1] = Math.max(r[1], f.threshold[n]!);
  }
  return ranges.map(([lo, hi]) => (lo <= hi ? [lo, hi] : [-1, 1]));
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
