import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fc } from "../../../../test/kit/property.js";
import { isSagebrewError, SagebrewError } from "../errors/index.js";
import {
  decodeRecordioProtobuf,
  decodeRecordioRecords,
  encodeRecordioPredictions,
  encodeRecordioProtobuf,
  recordioRecordBounds,
} from "./recordio-protobuf.js";
import type { Dataset } from "./types.js";

const golden = (name: string) => new Uint8Array(readFileSync(new URL(`./testdata/${name}`, import.meta.url)));

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isSagebrewError(e, "SB_DATA_PARSE"), `expected SB_DATA_PARSE, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

describe("decodeRecordioProtobuf() golden vectors (codecs/testdata/README.md)", () => {
  it("decodes the dense int32 vector [42, 6, 9]", () => {
    const d = decodeRecordioProtobuf(golden("dense-int32.rec"));
    assert.equal(d.features.kind, "dense");
    assert.deepEqual([d.features.rows, d.features.cols], [1, 3]);
    assert.deepEqual(Array.from(d.features.values), [42, 6, 9]);
    assert.equal(d.labels, undefined);
  });
  it("decodes the dense float64 vector [42, 6, 9]", () => {
    const d = decodeRecordioProtobuf(golden("dense-float64.rec"));
    assert.deepEqual(Array.from(d.features.values), [42, 6, 9]);
  });
  it("decodes the sparse int32 row 0:1 5:1 of width 6 to CSR", () => {
    const d = decodeRecordioProtobuf(golden("sparse-int32.rec"));
    assert.equal(d.features.kind, "csr");
    if (d.features.kind !== "csr") return;
    assert.deepEqual([d.features.rows, d.features.cols], [1, 6]);
    assert.deepEqual(Array.from(d.features.indptr), [0, 2]);
    assert.deepEqual(Array.from(d.features.indices), [0, 5]);
    assert.deepEqual(Array.from(d.features.values), [1, 1]);
  });
});

describe("encodeRecordioProtobuf() golden vectors (codecs/testdata/README.md)", () => {
  const dense = (values: number[]): Dataset => ({
    features: { kind: "dense", rows: 1, cols: values.length, values: Float32Array.from(values) },
  });
  it("writes the dense int32 vector byte for byte", () => {
    assert.deepEqual(
      encodeRecordioProtobuf(dense([42, 6, 9]), { dtype: "int32" }),
      golden("dense-int32.rec"),
    );
  });
  it("writes the dense float64 vector byte for byte", () => {
    assert.deepEqual(
      encodeRecordioProtobuf(dense([42, 6, 9]), { dtype: "float64" }),
      golden("dense-float64.rec"),
    );
  });
  it("writes the sparse int32 vector byte for byte", () => {
    const sparse: Dataset = {
      features: {
        kind: "csr",
        rows: 1,
        cols: 6,
        indptr: Uint32Array.from([0, 2]),
        indices: Uint32Array.from([0, 5]),
        values: Float32Array.from([1, 1]),
      },
    };
    assert.deepEqual(encodeRecordioProtobuf(sparse, { dtype: "int32" }), golden("sparse-int32.rec"));
  });
  it("rejects a non-integer when asked for int32", () => {
    assert.throws(() => encodeRecordioProtobuf(dense([1.5]), { dtype: "int32" }), /row 1 as int32.*1\.5/);
  });
  it("writes negative int32 values as ten-byte varints that decode back", () => {
    const bytes = encodeRecordioProtobuf(dense([-1, -2147483648, 16777216]), { dtype: "int32" });
    assert.deepEqual(Array.from(decodeRecordioProtobuf(bytes).features.values), [-1, -2147483648, 16777216]);
  });
});

// ---- round trips over generated data ----

const float32 = fc.float({ noDefaultInfinity: false }).map((x) => Math.fround(x));

const denseDataset = fc
  .record({
    rows: fc.integer({ min: 0, max: 20 }),
    cols: fc.integer({ min: 0, max: 8 }),
    labelled: fc.boolean(),
  })
  .chain(({ rows, cols, labelled }) =>
    fc
      .record({
        values: fc.array(float32, { minLength: rows * cols, maxLength: rows * cols }),
        labels: fc.array(float32, { minLength: rows, maxLength: rows }),
      })
      .map(
        ({ values, labels }): Dataset => ({
          features: { kind: "dense", rows, cols: rows === 0 ? 0 : cols, values: Float32Array.from(values) },
          ...(labelled && rows > 0 ? { labels: Float32Array.from(labels) } : {}),
        }),
      ),
  );

const csrDataset = fc
  .record({ cols: fc.integer({ min: 1, max: 300 }), labelled: fc.boolean() })
  .chain(({ cols, labelled }) =>
    fc
      .array(fc.uniqueArray(fc.integer({ min: 0, max: cols - 1 }), { maxLength: 10 }), {
        minLength: 1,
        maxLength: 15,
      })
      .chain((rowKeys) =>
        fc
          .record({
            values: fc.array(float32, { minLength: rowKeys.flat().length, maxLength: rowKeys.flat().length }),
            labels: fc.array(float32, { minLength: rowKeys.length, maxLength: rowKeys.length }),
          })
          .map(({ values, labels }): Dataset => {
            const indptr = [0];
            const indices: number[] = [];
            for (const k of rowKeys) {
              indices.push(...[...k].sort((a, b) => a - b));
              indptr.push(indices.length);
            }
            return {
              features: {
                kind: "csr",
                rows: rowKeys.length,
                cols,
                indptr: Uint32Array.from(indptr),
                indices: Uint32Array.from(indices),
                values: Float32Array.from(values),
              },
              ...(labelled ? { labels: Float32Array.from(labels) } : {}),
            };
          }),
      ),
  );

describe("RecordIO-protobuf round trips", () => {
  it("decode(encode(d)) = d for dense float32 data sets (NaN kept)", () => {
    fc.assert(
      fc.property(denseDataset, (d) => {
        assert.deepEqual(decodeRecordioProtobuf(encodeRecordioProtobuf(d)), d);
      }),
    );
  });
  it("decode(encode(d)) = d for CSR data sets", () => {
    fc.assert(
      fc.property(csrDataset, (d) => {
        assert.deepEqual(decodeRecordioProtobuf(encodeRecordioProtobuf(d)), d);
      }),
    );
  });
  it("decode(encode(d, float64)) = d", () => {
    fc.assert(
      fc.property(fc.oneof(denseDataset, csrDataset), (d) => {
        assert.deepEqual(decodeRecordioProtobuf(encodeRecordioProtobuf(d, { dtype: "float64" })), d);
      }),
    );
  });
  it("predictions round-trip through decodeRecordioRecords(), one record each, nothing re-emitted", () => {
    const preds = fc.array(
      fc.dictionary(
        fc.constantFrom("predicted_label", "probability", "probabilities", "raw_score", "score"),
        fc.oneof(float32, fc.array(float32, { maxLength: 4 })),
        { minKeys: 1 },
      ),
      { maxLength: 10 },
    );
    fc.assert(
      fc.property(preds, (ps) => {
        const bytes = encodeRecordioPredictions(ps);
        const records = decodeRecordioRecords(bytes);
        assert.equal(records.length, ps.length);
        records.forEach((r, i) => {
          const p = ps[i]!;
          assert.deepEqual(Object.keys(r.label), Object.keys(p));
          for (const [k, v] of Object.entries(p)) {
            assert.equal(r.label[k]?.dtype, "float32");
            assert.deepEqual(Array.from(r.label[k]!.values), typeof v === "number" ? [v] : v);
          }
        });
        // each record is exactly as long as its own prediction needs
        const bounds = recordioRecordBounds(bytes);
        bounds.forEach(([s, e], i) => {
          assert.deepEqual(encodeRecordioPredictions([ps[i]!]), bytes.subarray(s, e));
        });
      }),
    );
  });
  it("encodes one scalar prediction as the expected bytes", () => {
    const bytes = encodeRecordioPredictions([{ predicted_label: 1 }]);
    // label map (field 2) entry: key "predicted_label", Value.float32_tensor (field 2) values [1.0]
    const expected = [
      ...[0x0a, 0x23, 0xd7, 0xce, 0x1d, 0, 0, 0],
      ...[0x12, 0x1b, 0x0a, 0x0f, ...Buffer.from("predicted_label"), 0x12, 0x08, 0x12, 0x06, 0x0a, 0x04],
      ...[0, 0, 0x80, 0x3f, 0, 0, 0],
    ];
    assert.deepEqual(Array.from(bytes), expected);
  });
});

// ---- hand-built frames and errors ----

function frame(payload: number[], cflag = 0): number[] {
  const len = payload.length;
  const word = ((cflag << 29) | len) >>> 0;
  const pad = ((len + 3) & ~3) - len;
  return [
    0x0a,
    0x23,
    0xd7,
    0xce,
    word & 0xff,
    (word >>> 8) & 0xff,
    (word >>> 16) & 0xff,
    word >>> 24,
    ...payload,
    ...Array(pad).fill(0),
  ];
}
const recordPayload = (bytes: Uint8Array) =>
  Array.from(bytes.subarray(8, 8 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true)));

describe("decodeRecordioProtobuf() framing", () => {
  it("joins a multi-part record split where the magic word occurs (cflag 1, 2, 3)", () => {
    // a float32 record whose values contain the magic word at an aligned offset of the payload
    const magicAsFloat = new DataView(new Uint8Array([0x0a, 0x23, 0xd7, 0xce]).buffer).getFloat32(0, true);
    const d: Dataset = {
      features: {
        kind: "dense",
        rows: 1,
        cols: 4,
        values: Float32Array.from([1, magicAsFloat, 2, magicAsFloat]),
      },
    };
    const payload = recordPayload(encodeRecordioProtobuf(d));
    const at: number[] = [];
    for (let i = 0; i + 4 <= payload.length; i += 4) {
      if (
        payload[i] === 0x0a &&
        payload[i + 1] === 0x23 &&
        payload[i + 2] === 0xd7 &&
        payload[i + 3] === 0xce
      )
        at.push(i);
    }
    if (at.length < 2) return; // the layout did not put the word at aligned offsets; nothing to test
    const parts: number[] = [];
    let from = 0;
    at.forEach((i, n) => {
      parts.push(...frame(payload.slice(from, i), n === 0 ? 1 : 2));
      from = i + 4;
    });
    parts.push(...frame(payload.slice(from), 3));
    const out = decodeRecordioProtobuf(Uint8Array.from(parts));
    assert.deepEqual(Array.from(out.features.values), Array.from(d.features.values));
  });
  it("accepts a last record without its padding (SingleRecord batching strips it)", () => {
    const bytes = golden("sparse-int32.rec");
    const d = decodeRecordioProtobuf(bytes.subarray(0, bytes.length - 3));
    assert.equal(d.features.rows, 1);
  });
  it("returns an empty data set for empty input", () => {
    const d = decodeRecordioProtobuf(new Uint8Array(0));
    assert.deepEqual([d.features.rows, d.features.cols], [0, 0]);
  });
  it("reads records written without packing and keeps the last features entry", () => {
    // values as three unpacked float32 fields, then a second `values` entry that wins
    const tensor = [0x0d, 0, 0, 0x80, 0x3f, 0x0d, 0, 0, 0, 0x40];
    const entry = (t: number[]) => [
      0x0a,
      0x06,
      ...Buffer.from("values"),
      0x12,
      t.length + 2,
      0x12,
      t.length,
      ...t,
    ];
    const first = entry([0x0d, 0, 0, 0x40, 0x40]);
    const second = entry(tensor);
    const payload = [0x0a, first.length, ...first, 0x0a, second.length, ...second];
    assert.deepEqual(
      Array.from(decodeRecordioProtobuf(Uint8Array.from(frame(payload))).features.values),
      [1, 2],
    );
  });
  it("sorts unsorted sparse keys", () => {
    const t = [0x0a, 0x08, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0x12, 0x02, 0x03, 0x01, 0x1a, 0x01, 0x04];
    const e = [0x0a, 0x06, ...Buffer.from("values"), 0x12, t.length + 2, 0x12, t.length, ...t];
    const d = decodeRecordioProtobuf(Uint8Array.from(frame([0x0a, e.length, ...e])));
    assert.ok(d.features.kind === "csr");
    assert.deepEqual(Array.from(d.features.indices), [1, 3]);
    assert.deepEqual(Array.from(d.features.values), [2, 1]);
  });
  it("mixes dense and sparse records into CSR", () => {
    const dense = encodeRecordioProtobuf({
      features: { kind: "dense", rows: 1, cols: 2, values: Float32Array.from([5, 6]) },
    });
    const both = Uint8Array.from([...dense, ...golden("sparse-int32.rec"), ...dense]);
    const d = decodeRecordioProtobuf(both);
    assert.ok(d.features.kind === "csr");
    assert.deepEqual([d.features.rows, d.features.cols], [3, 6]);
    assert.deepEqual(Array.from(d.features.indptr), [0, 2, 4, 6]);
    assert.deepEqual(Array.from(d.features.indices), [0, 1, 0, 5, 0, 1]);
    assert.deepEqual(f32(Array.from(d.features.values)), [5, 6, 1, 1, 5, 6]);
  });
});

describe("decodeRecordioProtobuf() errors name source, record and byte offset", () => {
  const two = Uint8Array.from([...golden("dense-int32.rec"), ...golden("dense-int32.rec")]);
  const cases: Array<[string, Uint8Array, RegExp]> = [
    [
      "bad magic",
      Uint8Array.from([...golden("dense-int32.rec"), 0, 0, 0, 0, 0, 0, 0, 0]),
      /record 2 at byte 28 of train\.rec: bad magic 0x00000000/,
    ],
    [
      "truncated header",
      two.subarray(0, 32),
      /record 2 at byte 28 of train\.rec: truncated header: 4 of 8 bytes/,
    ],
    [
      "truncated payload",
      two.subarray(0, 40),
      /record 2 at byte 28 of train\.rec: truncated payload: 4 of 19 bytes present/,
    ],
    [
      "bad protobuf",
      Uint8Array.from(frame([0x0a, 0x7f, 0x01])),
      /record 1 at byte 0 of train\.rec: bad protobuf at payload byte 1: length 127 runs past/,
    ],
    ["group wire type", Uint8Array.from(frame([0x1b])), /record 1 .*unsupported wire type 3/],
    ["no features", Uint8Array.from(frame([])), /record 1 at byte 0 .*no features\["values"\]/],
    [
      "continuation without first part",
      Uint8Array.from(frame([0x0a, 0x00], 2)),
      /continuation flag 2 without a first part/,
    ],
    ["missing last part", Uint8Array.from(frame([0x0a, 0x00, 0, 0], 1)), /last part missing/],
    [
      "uneven dense rows",
      Uint8Array.from([
        ...golden("dense-int32.rec"),
        ...encodeRecordioProtobuf({
          features: { kind: "dense", rows: 1, cols: 2, values: new Float32Array(2) },
        }),
      ]),
      /record 2 at byte 28 .*dense record has 2 values, record 1 has 3/,
    ],
    [
      "label in some records only",
      Uint8Array.from([
        ...encodeRecordioProtobuf({
          features: { kind: "dense", rows: 1, cols: 1, values: new Float32Array(1) },
          labels: new Float32Array(1),
        }),
        ...golden("dense-int32.rec"),
      ]),
      /record 2 .*no label\["values"\] but earlier records do/,
    ],
    [
      "packed float32 of odd length",
      Uint8Array.from(
        frame([0x0a, 0x0d, 0x0a, 0x06, ...Buffer.from("values"), 0x12, 0x03, 0x12, 0x01, 0x0a]),
      ),
      /bad protobuf/,
    ],
  ];
  for (const [name, bytes, pattern] of cases) {
    it(`rejects ${name}`, () =>
      rejects(() => decodeRecordioProtobuf(bytes, { source: "train.rec" }), pattern));
  }
});

// ---- fuzzing ----

function decodesOrRejectsCleanly(bytes: Uint8Array): Dataset | undefined {
  try {
    return decodeRecordioProtobuf(bytes, { source: "fuzz.rec" });
  } catch (e) {
    if (!(e instanceof SagebrewError) || e.code !== "SB_DATA_PARSE") throw e;
    assert.match(e.message, /^Cannot decode RecordIO record \d+ at byte \d+ of fuzz\.rec: \S/);
    return undefined;
  }
}

describe("decodeRecordioProtobuf() fuzzing", () => {
  it("a truncated encoding is an error unless it ends exactly at a record boundary", () => {
    fc.assert(
      fc.property(fc.oneof(denseDataset, csrDataset), fc.nat(), (d, cut) => {
        const bytes = encodeRecordioProtobuf(d);
        if (bytes.length === 0) return;
        const at = cut % bytes.length;
        const bounds = recordioRecordBounds(bytes);
        const ends = new Set(bounds.map(([, e]) => e));
        ends.add(0);
        const result = decodesOrRejectsCleanly(bytes.subarray(0, at));
        const boundary = ends.has(at) || ends.has(at + 1) || ends.has(at + 2) || ends.has(at + 3);
        if (result) {
          assert.ok(
            boundary,
            `a cut at byte ${at} of ${bytes.length} decoded to ${result.features.rows} rows`,
          );
        }
      }),
      { numRuns: 300 },
    );
  });
  it("mutated encodings decode or fail with SB_DATA_PARSE, never another exception", () => {
    fc.assert(
      fc.property(
        fc.oneof(denseDataset, csrDataset),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (d, edits) => {
          const bytes = encodeRecordioProtobuf(d);
          if (bytes.length === 0) return;
          for (const [i, b] of edits) bytes[i % bytes.length] = b;
          decodesOrRejectsCleanly(bytes);
        },
      ),
      { numRuns: 500 },
    );
  });
  it("random bytes after a valid header never throw anything but SB_DATA_PARSE", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (payload) => {
        decodesOrRejectsCleanly(Uint8Array.from(frame(Array.from(payload))));
        try {
          decodeRecordioRecords(Uint8Array.from(frame(Array.from(payload))));
        } catch (e) {
          assert.ok(isSagebrewError(e, "SB_DATA_PARSE"), String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
