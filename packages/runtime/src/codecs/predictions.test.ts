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

describe("formatFloat32() against the plain toPrecision search", () => {
  /** What formatFloat32 returned before its fast path: the first precision that round-trips. */
  const reference = (v: number): string => {
    if (!Number.isFinite(v)) return String(v);
    const f = Math.fround(v);
    if (Object.is(f, -0)) return "-0";
    if (Number.isInteger(f) && Math.abs(f) < 2 ** 24) return String(f);
    for (let p = 1; p < 9; p++) {
      const n = Number(f.toPrecision(p));
      if (Math.fround(n) === f) return String(n);
    }
    return String(Number(f.toPrecision(9)));
  };

  it("writes the same string for every float32 (property: any bit pattern, and typical outputs)", () => {
    const bits = new Uint32Array(1);
    const f32 = new Float32Array(bits.buffer);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((b) => {
            bits[0] = b;
            return f32[0]!;
          }),
          fc.float({ min: 0, max: 1, noNaN: true }),
          fc.float({ min: -1000, max: 1000, noNaN: true }),
        ),
        (v) => formatFloat32(v) === reference(v),
      ),
      { numRuns: 20_000 },
    );
  });

  it("writes the same string at every power of two, where its search rests on no proof, and beside them", () => {
    const bits = new Uint32Array(1);
    const f32 = new Float32Array(bits.buffer);
    for (let exponent = 1; exponent < 255; exponent++) {
      for (const delta of [-2, -1, 0, 1, 2]) {
        bits[0] = ((exponent << 23) + delta) >>> 0;
        for (const v of [f32[0]!, -f32[0]!]) assert.equal(formatFloat32(v), reference(v), `bits ${bits[0]}`);
      }
    }
  });

  it("writes the same string for a sweep of probabilities and scores (every 9,973rd float32 in [1e-4, 1e4])", () => {
    const bits = new Uint32Array(1);
    const f32 = new Float32Array(bits.buffer);
    f32[0] = 1e-4;
    const from = bits[0]!;
    f32[0] = 1e4;
    const to = bits[0]!;
    for (let b = from; b <= to; b += 9973) {
      bits[0] = b;
      const v: number = f32[0]!;
      assert.equal(formatFloat32(v), reference(v), `bits ${b}`);
    }
  });
});
