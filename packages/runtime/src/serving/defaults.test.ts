import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseMediaType } from "../codecs/media-type.js";
import { decodeDataset, encodeOutput } from "./defaults.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("decodeDataset()", () => {
  it("reads the same rows from CSV, JSON, JSON Lines and libsvm", () => {
    const bodies: Array<[string, string]> = [
      ["text/csv", "1,2\n3,4\n"],
      ["application/json", "[[1,2],[3,4]]"],
      ["application/jsonlines", "[1,2]\n[3,4]\n"],
      ["text/libsvm", "0:1 1:2\n0:3 1:4\n"],
    ];
    for (const [type, body] of bodies) {
      const ds = decodeDataset(enc(body), parseMediaType(type)!);
      assert.equal(ds.features.rows, 2, type);
      assert.equal(ds.features.cols, 2, type);
    }
  });
});

describe("encodeOutput()", () => {
  it("writes arrays, typed arrays and records as CSV, JSON and JSON Lines", () => {
    assert.equal(encodeOutput(Float32Array.of(0.5, 1), "text/csv"), "0.5\n1\n");
    assert.equal(
      encodeOutput(
        [
          [1, 2],
          [3, 4],
        ],
        "text/csv",
      ),
      "1,2\n3,4\n",
    );
    assert.equal(encodeOutput([{ label: "a", p: 0.25 }], "text/csv"), "a,0.25\n");
    assert.equal(encodeOutput(Float32Array.of(0.5), "application/json"), "[0.5]");
    assert.equal(encodeOutput([{ a: 1 }, { a: 2 }], "application/jsonlines"), '{"a":1}\n{"a":2}\n');
  });
});
