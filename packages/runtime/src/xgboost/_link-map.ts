/**
 * The topology that XGBoost 1.7's tracker gives its workers: a binary tree over the ranks plus a
 * ring that shares edges with the tree, relabelled so that the ring runs 0, 1, …, n-1 (the
 * `get_link_map` of `xgboost/tracker.py`, v1.7.4). It must match Python's tracker exactly: the
 * order in which a ring or tree allreduce adds the workers' histograms decides the model's last
 * bits, and sagebrew's hosts are tested to train the same model as Python's own ring. Pure.
 */

export interface LinkMap {
  /** Each rank's tree neighbours (parent first, then children). */
  readonly tree: ReadonlyMap<number, readonly number[]>;
  /** Each rank's tree parent; -1 for the root. */
  readonly parent: ReadonlyMap<number, number>;
  /** Each rank's ring neighbours [previous, next]. */
  readonly ring: ReadonlyMap<number, readonly [number, number]>;
}

function neighbours(rank: number, n: number): number[] {
  const r = rank + 1;
  const out: number[] = [];
  if (r > 1) out.push(Math.floor(r / 2) - 1);
  if (r * 2 - 1 < n) out.push(r * 2 - 1);
  if (r * 2 < n) out.push(r * 2);
  return out;
}

/**
 * A ring that tends to share edges with the tree, starting at `rank`. Python walks the children
 * as a set: two consecutive integers in an 8-slot hash table, visited in slot order (value & 7),
 * which is ascending except for 7 and 8, 15 and 16, … The same order is used here.
 */
function shareRing(tree: Map<number, number[]>, parent: Map<number, number>, rank: number): number[] {
  const children = tree
    .get(rank)!
    .filter((v) => v !== parent.get(rank))
    .sort((a, b) => (a & 7) - (b & 7));
  if (children.length === 0) return [rank];
  const out = [rank];
  children.forEach((child, i) => {
    const sub = shareRing(tree, parent, child);
    if (i === children.length - 1) sub.reverse();
    out.push(...sub);
  });
  return out;
}

/** The link map for `n` workers. */
export function linkMap(n: number): LinkMap {
  const tree = new Map<number, number[]>();
  const parent = new Map<number, number>();
  for (let r = 0; r < n; r++) {
    tree.set(r, neighbours(r, n));
    parent.set(r, Math.floor((r + 1) / 2) - 1);
  }
  const order = shareRing(tree, parent, 0);
  const ring = new Map<number, [number, number]>();
  for (let i = 0; i < n; i++) ring.set(order[i]!, [order[(i + n - 1) % n]!, order[(i + 1) % n]!]);
  // Relabel so that following the ring from 0 visits 0, 1, 2, …
  const relabel = new Map<number, number>([[0, 0]]);
  let k = 0;
  for (let i = 0; i < n - 1; i++) {
    k = ring.get(k)![1];
    relabel.set(k, i + 1);
  }
  const at = (v: number) => relabel.get(v)!;
  const outTree = new Map<number, number[]>();
  const outParent = new Map<number, number>();
  const outRing = new Map<number, readonly [number, number]>();
  for (const [v, [prev, next]] of ring) outRing.set(at(v), [at(prev), at(next)]);
  for (const [v, nodes] of tree) outTree.set(at(v), nodes.map(at));
  for (const [v, p] of parent) outParent.set(at(v), v === 0 ? -1 : at(p));
  return { tree: outTree, parent: outParent, ring: outRing };
}
