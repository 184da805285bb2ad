import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeRecordioProtobuf, isSagebrewError } from "@sagebrew/runtime";
import { fc } from "../../../../../test/kit/property.js";
import { type BatchStrategy, batchRecords } from "./batch.js";
import { joinOutput } from "./join.js";
import { compileJsonPath } from "./jsonpath.js";
import { assemble } from "./run.js";
import { type Records, recordAt, recordsOf, type SplitType, splitRecords } from "./split.js";

const enc = new TextEncoder();
const text = (b: Uint8Array) => new TextDecoder().decode(b);
/** `batchRecords` with the options spelled as arguments. */
const batch = (
  r: Records,
  strategy: BatchStrategy,
  splitType: SplitType,
  maxPayloadBytes: number,
  source = "f",
) => batchRecords(r, { strategy, splitType, maxPayloadBytes, source });
const texts = (r: Records) => Array.from({ length: r.count }, (_, i) => text(recordAt(r, i)));

describe("splitRecords()", () => {
  it("Line splits on newlines, drops \\r and empty lines", () => {
    const r = splitRecords(enc.encode("1,2\r\n\n3,4\n5,6"), "Line");
    assert.deepEqual(texts(r), ["1,2", "3,4", "5,6"]);
  });
  it("Line agrees with a plain split on any bytes, short lines included (the tables grow)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("1", "22", ",", "\r", "\n", "\n", "\n"), { maxLength: 400 }),
        (parts) => {
          const s = parts.join("");
          const expected = s
            .split("\n")
            .map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l))
            .filter((l) => l !== "");
          assert.deepEqual(texts(splitRecords(enc.encode(s), "Line")), expected);
        },
      ),
    );
  });
  it("None keeps the whole file as one record", () => {
    assert.deepEqual(texts(splitRecords(enc.encode("a\nb\n"), "None")), ["a\nb\n"]);
    assert.equal(splitRecords(new Uint8Array(0), "None").count, 0);
  });
  it("RecordIO splits on frames and knows each frame's padding", () => {
    const rows = encodeRecordioProtobuf({
      features: { kind: "dense", rows: 3, cols: 1, values: Float32Array.from([1, 2, 3]) },
    });
    const r = splitRecords(rows, "RecordIO");
    assert.equal(r.count, 3);
    assert.equal(
      texts(r).reduce((n, _x, i) => n + recordAt(r, i).length, 0),
      rows.length,
    );
    for (let i = 0; i < r.count; i++) {
      const b = recordAt(r, i);
      const payload = new DataView(b.buffer, b.byteOffset).getUint32(4, true);
      assert.equal(r.padding![i], b.length - 8 - payload);
    }
  });
});

describe("batchRecords()", () => {
  const lines = splitRecords(enc.encode("aaaa\nbbbb\ncccc\ndddd\n"), "Line");
  it("SingleRecord sends one record per request", () => {
    const b = batch(lines, "SingleRecord", "Line", 100);
    assert.deepEqual(
      b.map((x) => text(x.body)),
      ["aaaa\n", "bbbb\n", "cccc\n", "dddd\n"],
    );
  });
  it("MultiRecord packs whole records up to the payload limit, in order", () => {
    const b = batch(lines, "MultiRecord", "Line", 11);
    assert.deepEqual(
      b.map((x) => [text(x.body), x.first, x.count]),
      [
        ["aaaa\nbbbb\n", 0, 2],
        ["cccc\ndddd\n", 2, 2],
      ],
    );
  });
  it("MultiRecord adds the newlines a file lacks (\\r\\n, blank lines, no final newline)", () => {
    const messy = splitRecords(enc.encode("aa\r\nbb\n\ncc\ndd"), "Line");
    const b = batch(messy, "MultiRecord", "Line", 100);
    assert.deepEqual(
      b.map((x) => text(x.body)),
      ["aa\nbb\ncc\ndd\n"],
    );
    const tidy = splitRecords(enc.encode("aa\nbb\ncc\n"), "Line");
    const t = batch(tidy, "MultiRecord", "Line", 6);
    assert.deepEqual(
      t.map((x) => text(x.body)),
      ["aa\nbb\n", "cc\n"],
    );
    assert.equal(t[0]!.body.buffer, tidy.bytes.buffer, "a tidy file is sent without a copy");
  });
  it("records made from separate strings batch like a file's", () => {
    const r = recordsOf([enc.encode("x"), enc.encode("yy")]);
    const b = batch(r, "MultiRecord", "Line", 100);
    assert.deepEqual(
      b.map((x) => text(x.body)),
      ["x\nyy\n"],
    );
  });
  it("MultiRecord: whole records in order, each body within the limit and as full as it can be (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", "bb", "ccc", "", "\r", "dddddd"), { maxLength: 60 }),
        fc.integer({ min: 8, max: 40 }),
        (parts, limit) => {
          const r = splitRecords(enc.encode(parts.join("\n")), "Line");
          const b = batch(r, "MultiRecord", "Line", limit);
          const expected = texts(r)
            .map((t) => `${t}\n`)
            .join("");
          assert.equal(b.map((x) => text(x.body)).join(""), expected);
          let next = 0;
          for (const [k, x] of b.entries()) {
            assert.equal(x.first, next);
            next += x.count;
            assert.ok(x.body.length <= limit);
            const following = b[k + 1];
            if (following) assert.ok(x.body.length + recordAt(r, following.first).length + 1 > limit);
          }
          assert.equal(next, r.count);
        },
      ),
    );
  });
  it("a record larger than MaxPayloadInMB is a clear error", () => {
    assert.throws(
      () => batch(lines, "MultiRecord", "Line", 4, "big.csv"),
      (e: unknown) =>
        isSagebrewError(e, "SB_TRANSFORM") &&
        /record 1 of big\.csv: it is 5 bytes, over MaxPayloadInMB \(4 bytes\)/.test((e as Error).message),
    );
  });
  it("SingleRecord strips RecordIO padding, MultiRecord keeps it", () => {
    const rows = encodeRecordioProtobuf({
      features: { kind: "dense", rows: 2, cols: 1, values: Float32Array.from([1, 2]) },
    });
    const recs = splitRecords(rows, "RecordIO");
    const single = batch(recs, "SingleRecord", "RecordIO", 1000);
    const multi = batch(recs, "MultiRecord", "RecordIO", 1000);
    assert.equal(single.length, 2);
    const first = recordAt(recs, 0);
    assert.deepEqual(single[0]!.body, first.subarray(0, first.length - recs.padding![0]!));
    assert.deepEqual(
      multi.map((b) => b.body),
      [rows],
    );
  });
});

describe("compileJsonPath()", () => {
  const cases: Array<[string, unknown, unknown]> = [
    ["$", [1, 2], [1, 2]],
    ["$[1:]", ["a", "b", "c"], ["b", "c"]],
    ["$[0,-1]", ["a", "b", "c"], ["a", "c"]],
    ["$[0,2:]", ["a", "b", "c", "d"], ["a", "c", "d"]],
    ["$[-1]", ["a", "b"], "b"],
    ["$.features", { features: [1], id: 3 }, [1]],
    ["$['id','SageMakerOutput']", { id: 1, x: 2, SageMakerOutput: 3 }, { id: 1, SageMakerOutput: 3 }],
    ["$.SageMakerOutput.score", { SageMakerOutput: { score: 0.5 } }, 0.5],
  ];
  for (const [path, input, expected] of cases) {
    it(`${path} selects ${JSON.stringify(expected)}`, () =>
      assert.deepEqual(compileJsonPath(path).apply(input), expected));
  }
  it("rejects syntax outside the subset", () => {
    assert.throws(() => compileJsonPath("$..a"), /Cannot parse JSONPath "\$\.\.a"/);
    assert.throws(() => compileJsonPath("features"), /must start with \$/);
  });
});

describe("joinOutput()", () => {
  it("CSV: appends output fields to the input row, then filters", () => {
    const dp = {
      joinSource: "Input" as const,
      inputFormat: "csv" as const,
      outputFormat: "csv" as const,
      outputFilter: compileJsonPath("$[0,-1]"),
    };
    assert.equal(joinOutput(enc.encode("id7,5.1,3.5"), "0.9", dp, "r"), "id7,0.9");
  });
  it("JSON: puts the output under SageMakerOutput, or wraps a non-object input", () => {
    const dp = { joinSource: "Input" as const, inputFormat: "json" as const, outputFormat: "json" as const };
    assert.equal(
      joinOutput(enc.encode('{"id":1}'), '{"score":2}', dp, "r"),
      '{"id":1,"SageMakerOutput":{"score":2}}',
    );
    assert.equal(
      joinOutput(enc.encode("[1,2]"), "3", dp, "r"),
      '{"SageMakerInput":[1,2],"SageMakerOutput":3}',
    );
  });
});

describe("assemble()", () => {
  it("None concatenates; Line ends every response with one newline", () => {
    const parts = [enc.encode("1\n2\n"), enc.encode("3")];
    assert.equal(text(assemble(parts, "None")), "1\n2\n3");
    assert.equal(text(assemble(parts, "Line")), "1\n2\n3\n");
  });
});
