import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { linkMap } from "./_link-map.js";

type Dumped = Record<
  string,
  { tree: Record<string, number[]>; parent: Record<string, number>; ring: Record<string, number[]> }
>;
const expected = JSON.parse(
  readFileSync(new URL("./testdata/link-maps.json", import.meta.url), "utf8"),
) as Dumped;

const plain = <V>(m: ReadonlyMap<number, V>) =>
  Object.fromEntries([...m].sort(([a], [b]) => a - b).map(([k, v]) => [String(k), v]));

describe("linkMap()", () => {
  it("gives the tree, parent and ring maps of Python XGBoost 1.7's tracker for 1 to 40 workers", () => {
    assert.equal(Object.keys(expected).length, 40);
    for (const [n, want] of Object.entries(expected)) {
      const got = linkMap(Number(n));
      assert.deepEqual(plain(got.tree), want.tree, `tree of ${n}`);
      assert.deepEqual(plain(got.parent), want.parent, `parent of ${n}`);
      assert.deepEqual(
        plain(got.ring),
        Object.fromEntries(Object.entries(want.ring).map(([k, v]) => [k, v])),
        `ring of ${n}`,
      );
    }
  });
});
