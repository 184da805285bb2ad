import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fc } from "../../../../test/kit/property.js";
import { parseCsv } from "./csv.js";
import { encodeCsv, encodeJson, encodeJsonLines, formatFloat32 } from "./predictions.js";

describe("formatFloat32()", () => {
  it("prints the shortest decimal of a float32", () => {
    assert.equal(formatFloat32(Math.fround(0.1)), "0.1");
    assert.equal(formatFloat32(Math.fround(0.95311886)), "0.95311886");
    assert.equal(formatFloat32(3), "3");
    assert.equal(formatFloat32(Number.NaN), "NaN");
    assert.equal(formatFloat32(-Infinity), "-Infinity");
  });
  it("reads back as the same float32 for every float32", () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (v) => {
        assert.equal(Math.fround(Number(formatFloat32(v))), Math.fround(v));
      }),
    );
  });
});

describe("encodeCsv()", () => {
  it("writes one line per record and quotes lists and commas like SageMaker's XGBoost", () => {
    assert.equal(encodeCsv([["setosa"], ["virginica"]]), "setosa\nvirginica\n");
    assert.equal(encodeCsv([[1, [Math.fround(0.4), Math.fround(0.6)]]]), '1,"[0.4, 0.6]"\n');
    assert.equal(encodeCsv([['a,"b"', null, true]]), '"a,""b""",,true\n');
  });
  it("round-trips numeric rows through parseCsv", () => {
    const row = fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 8 }), (rows) => {
        const width = rows[0]!.length;
        const same = rows.map((r) => Array.from({ length: width }, (_, i) => r[i % r.length]!));
        const ds = parseCsv(new TextEncoder().encode(encodeCsv(same)), { source: "test" });
        assert.deepEqual(Array.from(ds.features.values), same.flat().map(Math.fround));
      }),
    );
  });
});

describe("encodeJson() and encodeJsonLines()", () => {
  it("prints float32 numbers short and non-finite numbers as null", () => {
    assert.equal(
      encodeJson({ predictions: [{ score: [Math.fround(0.1), Number.NaN] }] }),
      '{"predictions":[{"score":[0.1,null]}]}',
    );
    assert.equal(encodeJsonLines([{ a: 1 }, { a: 2 }]), '{"a":1}\n{"a":2}\n');
  });
});
