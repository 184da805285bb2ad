/**
 * A tree model as the JavaScript walkers read it (`TreeSpec`), built from XGBoost's model as
 * `JSON.parse` or `readUbj` gives it. Every node of every tree packed in one `Int32Array`, three
 * words a node — the form that walks fastest and clones to another thread in one copy.
 */
import { OBJECTIVES } from "./_tree-objectives.js";

/** Everything a predictor is made of, as structured-cloneable data. */
export interface TreeSpec {
  readonly objective: string;
  readonly numFeatures: number;
  /** Margins per row: the class count for multi-class objectives, else 1. */
  readonly groups: number;
  /** Per group, the margin every row starts from. */
  readonly baseMargin: Float32Array;
  /**
   * Three words per node (in a `SharedArrayBuffer` when built here, never written after), tree
   * after tree, each tree's nodes breadth first with the two children
   * of a split side by side: `key` (-1 for a leaf, else feature × 2 + 1 when a missing value goes
   * left), `left` (the word offset of the left child; the right child's is `left + 3`) and the
   * float32 bits of the split threshold (go left iff `x < threshold`) or of the leaf value.
   */
  readonly nodes: Int32Array;
  /** Word offset of each tree's root in `nodes`. */
  readonly roots: Int32Array;
  /** Output group of each tree. */
  readonly treeGroups: Int32Array;
}

/** What `prepareTrees` (`_tree-prepare.ts`, on a thread of its own) is asked to build. */
export interface PrepareOptions {
  /** Build the generated walker only for models of at most this many nodes (its code costs memory). */
  readonly generatedMaxNodes: number;
  /** Time the walkers (`true`), or only build and check them. */
  readonly time: boolean;
  /**
   * In the background (`true`: a large model, whose preparation takes a while and memory): at a
   * lower priority, one model at a time; else at once, as the serving threads run (a small one).
   */
  readonly background: boolean;
  /**
   * Over a SharedArrayBuffer: set to 1 by the server when it stops, and read between the steps of
   * the timing, which then gives up (a stopping server does not wait for walkers it will not use).
   */
  readonly cancel?: Int32Array;
}

/** Why a model is not walked in JavaScript. */
export class Unsupported {
  constructor(readonly reason: string) {}
}

type Json = Record<string, unknown>;
type Numbers = ArrayLike<unknown>;

const obj = (v: unknown): Json | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v)
    ? (v as Json)
    : undefined;

/** A JSON array or the typed array UBJ gives for it. */
const list = (v: unknown): Numbers | undefined =>
  Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView)) ? (v as Numbers) : undefined;

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

/** Most features a spec may have: `key` holds feature × 2 in 31 bits. */
const MAX_FEATURES = 2 ** 29;

/** The spec of a parsed XGBoost model, or why the walkers do not reproduce it. */
export function specOf(model: unknown): TreeSpec | Unsupported {
  const learner = obj(obj(model)?.learner);
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
  if (numFeatures === undefined || numFeatures <= 0 || numFeatures >= MAX_FEATURES)
    return new Unsupported("no feature count");
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
  const forest = packForest(obj(booster.model), groups, numFeatures);
  if (forest instanceof Unsupported) return forest;
  return { objective, numFeatures, groups, baseMargin, ...forest };
}

interface Tree {
  left: Numbers;
  right: Numbers;
  feature: Numbers;
  threshold: Numbers;
  defaultLeft: Numbers;
}

function packForest(
  model: Json | undefined,
  groups: number,
  numFeatures: number,
): Pick<TreeSpec, "nodes" | "roots" | "treeGroups"> | Unsupported {
  const trees = list(model?.trees);
  const info = list(model?.tree_info);
  if (!trees || !info || info.length !== trees.length) return new Unsupported("no trees or tree_info");
  const parsed: Tree[] = [];
  let total = 0;
  for (let i = 0; i < trees.length; i++) {
    const t = parseTree(obj(trees[i]), numFeatures);
    if (t instanceof Unsupported) return new Unsupported(`tree ${i}: ${t.reason}`);
    parsed.push(t);
    total += t.left.length;
  }
  // Shared memory: every thread that walks the trees (the event loop's, the pool's) reads this
  // one copy, where a structured clone per thread took 3 MB a thread for a 500-tree model.
  const nodes = new Int32Array(new SharedArrayBuffer(total * 3 * 4));
  const values = new Float32Array(nodes.buffer);
  const roots = new Int32Array(parsed.length);
  const treeGroups = new Int32Array(parsed.length);
  let next = 0; // the next free node slot
  const queue = new Int32Array(2 * total + 2); // (source node, slot) pairs of one tree at a time
  for (const [i, t] of parsed.entries()) {
    const g = int(info[i]);
    if (g === undefined || g < 0 || g >= groups)
      return new Unsupported(`tree_info[${i}] = ${String(info[i])}`);
    treeGroups[i] = g;
    roots[i] = next * 3;
    // Breadth first, the two children of a split given adjacent slots.
    let head = 0;
    let tail = 0;
    queue[tail++] = 0;
    queue[tail++] = next++;
    while (head < tail) {
      const n = queue[head++]!;
      const at = queue[head++]! * 3;
      values[at + 2] = t.threshold[n] as number;
      const l = t.left[n] as number;
      if (l === -1) {
        nodes[at] = -1;
        continue;
      }
      nodes[at] = (t.feature[n] as number) * 2 + (t.defaultLeft[n] as number);
      nodes[at + 1] = next * 3;
      queue[tail++] = l;
      queue[tail++] = next++;
      queue[tail++] = t.right[n] as number;
      queue[tail++] = next++;
    }
  }
  // Nodes no walk reaches (XGBoost keeps pruned ones in its arrays) took no slot: drop the tail.
  if (next * 3 < nodes.length) {
    const used = new Int32Array(new SharedArrayBuffer(next * 3 * 4));
    used.set(nodes.subarray(0, next * 3));
    return { nodes: used, roots, treeGroups };
  }
  return { nodes, roots, treeGroups };
}

function parseTree(t: Json | undefined, numFeatures: number): Tree | Unsupported {
  if (!t) return new Unsupported("not an object");
  const size = int(obj(t.tree_param)?.size_leaf_vector ?? "0") ?? -1;
  if (size > 1 || size < 0) return new Unsupported("vector leaves (multi-target tree)");
  const tree = {
    left: list(t.left_children),
    right: list(t.right_children),
    feature: list(t.split_indices),
    threshold: list(t.split_conditions),
    defaultLeft: list(t.default_left),
  };
  const arrays = Object.values(tree);
  if (!arrays.every((a) => a !== undefined)) return new Unsupported("missing node arrays");
  const n = tree.left!.length;
  if (n === 0 || !arrays.every((a) => a!.length === n))
    return new Unsupported("node arrays differ in length");
  const splitType = list(t.split_type);
  if (splitType)
    for (let i = 0; i < splitType.length; i++)
      if (splitType[i] !== 0) return new Unsupported("categorical splits");
  return checkTree(tree as Tree, numFeatures);
}

/**
 * A tree: every node reachable once from node 0, children in range, features below
 * `numFeatures`, finite numbers, a default direction; booleans read as 0/1 (JSON's true/false).
 */
function checkTree(t: Tree, numFeatures: number): Tree | Unsupported {
  const n = t.left.length;
  const dl = new Uint8Array(n);
  const seen = new Uint8Array(n);
  const stack = [0];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (seen[i]) return new Unsupported(`node ${i} is reached twice`);
    seen[i] = 1;
    const v = t.threshold[i];
    if (typeof v !== "number" || !Number.isFinite(v) || !Number.isFinite(Math.fround(v)))
      return new Unsupported(`node ${i} has no finite value`);
    if (t.left[i] === -1) continue;
    const [l, r, f, d] = [t.left[i], t.right[i], t.feature[i], t.defaultLeft[i]];
    if (!(int(l)! > 0 && int(l)! < n && int(r)! > 0 && int(r)! < n))
      return new Unsupported(`node ${i} has children ${String(l)}, ${String(r)}`);
    if (!(int(f)! >= 0 && int(f)! < numFeatures))
      return new Unsupported(`node ${i} splits on feature ${String(f)}`);
    if (d === 1 || d === true) dl[i] = 1;
    else if (!(d === 0 || d === false)) return new Unsupported(`node ${i} has no default direction`);
    stack.push(r as number, l as number);
  }
  return { ...t, defaultLeft: dl };
}
