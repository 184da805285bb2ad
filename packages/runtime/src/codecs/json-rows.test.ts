import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fc } from "../../../../test/kit/property.js";
import { isSagebrewError } from "../errors/index.js";
import { parseJsonLinesRows, parseJsonRows, stringifyJsonLinesRows, stringifyJsonRows } from "./json-rows.js";
import type { DenseMatrix } from "./types.js";

const enc = (s: string) => new TextEncoder().encode(s);
const rowsOf = (s: string) => {
  const f = parseJsonRows(enc(s), { source: "request body" }).features as DenseMatrix;
  return { rows: f.rows, cols: f.cols, values: Array.from(f.values) };
};

describe("parseJsonRows()", () => {
  const shapes: Array<[string, string]> = [
    ["rows", "[[1, 2], [3, 4]]"],
    ["instances of rows", '{"instances": [[1, 2], [3, 4]]}'],
    ["inputs of rows", '{"inputs": [[1, 2], [3, 4]]}'],
    ["instances of features", '{"instances": [{"features": [1, 2]}, {"features": [3, 4]}]}'],
    [
      "instances of sparse data",
      '{"instances": [{"data": {"features": {"values": [1, 2]}}}, {"data": {"features": {"keys": [1, 0], "values": [4, 3], "shape": [2]}}}]}',
    ],
  ];
  for (const [name, body] of shapes) {
    it(`reads ${name}`, () => {
      assert.deepEqual(rowsOf(body), { rows: 2, cols: 2, values: [1, 2, 3, 4] });
    });
  }
  it("reads one row given as an array or as features, with a BOM", () => {
    assert.deepEqual(rowsOf("\uFEFF[5.1, 3.5, null]").values, [5.1, 3.5, Number.NaN].map(Math.fround));
    assert.deepEqual(rowsOf('{"features": [1]}'), { rows: 1, cols: 1, values: [1] });
  });
  const bad: Array<[string, string, RegExp]> = [
    ["not JSON", "[1, 2", /Cannot parse JSON request body/],
    ["NaN", "[NaN]", /Cannot parse JSON/],
    ["a string value", '[[1, "a"]]', /row 1 column 2: expected a number, got "a"/],
    ["a huge number", "[[1e39]]", /does not fit a 32-bit float/],
    ["ragged rows", "[[1, 2], [3]]", /row 2 has 1 values, row 1 has 2/],
    ["a scalar", "42", /expected rows/],
    ["instances not an array", '{"instances": 3}', /must be an array/],
    [
      "a sparse row claiming a huge width",
      '{"instances":[{"data":{"features":{"keys":[0],"values":[1],"shape":[1e12]}}}]}',
      /not a usable width/,
    ],
  ];
  for (const [name, body, message] of bad) {
    it(`rejects ${name} with a message`, () => {
      assert.throws(
        () => parseJsonRows(enc(body), { source: "request body" }),
        (e: unknown) => isSagebrewError(e) && e.status === 400 && message.test(e.message),
      );
    });
  }
  it("rejects bytes that are not UTF-8", () => {
    assert.throws(
      () => parseJsonRows(new Uint8Array([0x5b, 0xff, 0x5d]), { source: "x" }),
      /not valid UTF-8/,
    );
  });
  it("throws only 400 SagebrewErrors on arbitrary input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array()), (input) => {
        const bytes = typeof input === "string" ? enc(input) : input;
        try {
          parseJsonRows(bytes, { source: "fuzz" });
          parseJsonLinesRows(bytes, { source: "fuzz" });
        } catch (e) {
          assert.ok(isSagebrewError(e) && e.status === 400, String(e));
        }
      }),
    );
  });
});

describe("parseJsonLinesRows()", () => {
  it("reads one row per line, skipping blank lines and CRLF", () => {
    const f = parseJsonLinesRows(enc('[1, 2]\r\n\n{"features": [3, 4]}\n'), { source: "b" }).features;
    assert.deepEqual(Array.from(f.values), [1, 2, 3, 4]);
  });
  it("names the line of a bad record", () => {
    assert.throws(() => parseJsonLinesRows(enc("[1]\n[oops]\n"), { source: "b" }), /line 2/);
  });
});

describe("stringifyJsonRows() / stringifyJsonLinesRows()", () => {
  it("round-trip through the decoders", () => {
    const cell = fc.oneof(fc.float({ noDefaultInfinity: true }), fc.constant(Number.NaN));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(cell, { minLength: 36, maxLength: 36 }),
        (rows, cols, cells) => {
          const m: DenseMatrix = {
            kind: "dense",
            rows,
            cols,
            values: Float32Array.from(cells.slice(0, rows * cols)),
          };
          for (const [write, read] of [
            [stringifyJsonRows, parseJsonRows],
            [stringifyJsonLinesRows, parseJsonLinesRows],
          ] as const) {
            const back = read(enc(write(m)), { source: "rt" }).features;
            assert.deepEqual([back.rows, back.cols], [rows, cols]);
            // JSON has no negative zero.
            assert.deepEqual(
              Array.from(back.values),
              Array.from(m.values, (v) => (v === 0 ? 0 : v)),
            );
          }
        },
      ),
    );
  });
});
