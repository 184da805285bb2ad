import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fc } from "../../../../test/kit/property.js";
import { isSagebrewError } from "../errors/index.js";
import { parseLibsvm } from "./libsvm.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("parseLibsvm()", () => {
  it("reads labels and CSR features with indices as given", () => {
    const d = parseLibsvm(enc("1 0:2.5 3:1\n0 1:0.5\n"), { source: "t", label: true });
    assert.equal(d.features.kind, "csr");
    if (d.features.kind !== "csr") return;
    assert.equal(d.features.rows, 2);
    assert.equal(d.features.cols, 4);
    assert.deepEqual(Array.from(d.features.indptr), [0, 2, 3]);
    assert.deepEqual(Array.from(d.features.indices), [0, 3, 1]);
    assert.deepEqual(Array.from(d.features.values), [2.5, 1, 0.5]);
    assert.deepEqual(Array.from(d.labels!), [1, 0]);
  });

  it("reads label:weight", () => {
    const d = parseLibsvm(enc("1:0.5 0:1\n0:2 1:1\n"), { source: "t", label: true });
    assert.deepEqual(Array.from(d.weights!), [0.5, 2]);
  });

  it("ignores a leading label at inference and accepts rows without one", () => {
    const d = parseLibsvm(enc("7 0:1\n1:2\n"), { source: "t" });
    assert.equal(d.labels, undefined);
    assert.equal(d.features.rows, 2);
  });

  it("rejects an index without a value in a request too", () => {
    assert.throws(
      () => parseLibsvm(enc("0:1.5 3:"), { source: "request body" }),
      /Cannot parse libsvm request body line 1: index 3 has no value in "3:"/,
    );
  });

  it("widens to minCols", () => {
    const d = parseLibsvm(enc("0:1\n"), { source: "t", minCols: 4 });
    assert.equal(d.features.cols, 4);
  });

  it("skips blank lines, comments and qid", () => {
    const d = parseLibsvm(enc("# c\n\n1 qid:3 0:1 # tail\n"), { source: "t", label: true });
    assert.equal(d.features.rows, 1);
    if (d.features.kind === "csr") assert.deepEqual(Array.from(d.features.indices), [0]);
  });

  const errors: Array<[string, string, RegExp]> = [
    ["a non-ascending index", "1 3:1 2:1", /line 1: index 2 after 3 is not ascending/],
    ["a repeated index", "1 3:1 3:1", /index 3 after 3 is not ascending/],
    ["a bad index", "1 x:1", /index in "x:1" is not a non-negative integer/],
    ["a bad value", "1 1:abc", /value in "1:abc" is not a number/],
    ["a bad label", "abc 1:1", /label "abc" is not a finite number/],
    ["a bare token", "1 1", /expected index:value, got "1"/],
    ["an infinite value", "1 1:1e39", /not a finite float32/],
    ["weights on some lines only", "1:1 0:1\n1 0:1\n", /line 2: the line has no weight/],
    [
      "an index without a value",
      "1 0:1 3:\n0 1:2\n",
      /^Cannot parse libsvm t line 1: index 3 has no value in "3:"$/,
    ],
    [
      "an index without a value at the end of the text",
      "1 0:1\n0 2:",
      /line 2: index 2 has no value in "2:"$/,
    ],
  ];
  for (const [what, text, message] of errors) {
    it(`rejects ${what}`, () => {
      assert.throws(
        () => parseLibsvm(enc(text), { source: "t", label: true }),
        (e: unknown) => isSagebrewError(e) && message.test(e.message),
      );
    });
  }

  it("round-trips generated sparse rows", () => {
    const row = fc.uniqueArray(fc.nat({ max: 50 }), { maxLength: 8 }).map((ix) => ix.sort((a, b) => a - b));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), row), { minLength: 1, maxLength: 20 }),
        (rows) => {
          const text = rows
            .map(([y, ix]) => [String(y), ...ix.map((i) => `${i}:${i + 0.5}`)].join(" "))
            .join("\n");
          const d = parseLibsvm(enc(text), { source: "g", label: true });
          assert.equal(d.features.rows, rows.length);
          if (d.features.kind !== "csr") return;
          rows.forEach(([y, ix], r) => {
            assert.equal(d.labels![r], y);
            const s = d.features.kind === "csr" ? d.features.indptr[r]! : 0;
            const got =
              d.features.kind === "csr" ? Array.from(d.features.indices.subarray(s, s + ix.length)) : [];
            assert.deepEqual(got, ix);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never throws anything but a SagebrewError on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, label) => {
        try {
          parseLibsvm(bytes, { source: "fuzz", label });
        } catch (e) {
          assert.ok(isSagebrewError(e), String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
