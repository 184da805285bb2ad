import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeRecordioProtobuf, isSagebrewError } from "@sagebrew/runtime";
import { batchRecords } from "./batch.js";
import { joinOutput } from "./join.js";
import { compileJsonPath } from "./jsonpath.js";
import { assemble } from "./run.js";
import { splitRecords } from "./split.js";

const enc = new TextEncoder();
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("splitRecords()", () => {
  it("Line splits on newlines, drops \\r and empty lines", () => {
    const r = splitRecords(enc.encode("1,2\r\n\n3,4\n5,6"), "Line");
    assert.deepEqual(
      r.map((x) => text(x.bytes)),
      ["1,2", "3,4", "5,6"],
    );
  });
  it("None keeps the whole file as one record", () => {
    assert.equal(splitRecords(enc.encode("a\nb\n"), "None").length, 1);
  });
  it("RecordIO splits on frames and knows each frame's padding", () => {
    const rows = encodeRecordioProtobuf({
      features: { kind: "dense", rows: 3, cols: 1, values: Float32Array.from([1, 2, 3]) },
    });
    const r = splitRecords(rows, "RecordIO");
    assert.equal(r.length, 3);
    assert.equal(
      r.reduce((n, x) => n + x.bytes.length, 0),
      rows.length,
    );
    assert.ok(r.every((x) => x.padding === (x.bytes.length - 8) % 4 || x.padding >= 0));
  });
});

describe("batchRecords()", () => {
  const lines = splitRecords(enc.encode("aaaa\nbbbb\ncccc\ndddd\n"), "Line");
  it("SingleRecord sends one record per request", () => {
    const b = batchRecords(lines, {
      strategy: "SingleRecord",
      splitType: "Line",
      maxPayloadBytes: 100,
      source: "f",
    });
    assert.deepEqual(
      b.map((x) => text(x.body)),
      ["aaaa\n", "bbbb\n", "cccc\n", "dddd\n"],
    );
  });
  it("MultiRecord packs whole records up to the payload limit, in order", () => {
    const b = batchRecords(lines, {
      strategy: "MultiRecord",
      splitType: "Line",
      maxPayloadBytes: 11,
      source: "f",
    });
    assert.deepEqual(
      b.map((x) => [text(x.body), x.first, x.count]),
      [
        ["aaaa\nbbbb\n", 0, 2],
        ["cccc\ndddd\n", 2, 2],
      ],
    );
  });
  it("a record larger than MaxPayloadInMB is a clear error", () => {
    assert.throws(
      () =>
        batchRecords(lines, {
          strategy: "MultiRecord",
          splitType: "Line",
          maxPayloadBytes: 4,
          source: "big.csv",
        }),
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
    const single = batchRecords(recs, {
      strategy: "SingleRecord",
      splitType: "RecordIO",
      maxPayloadBytes: 1000,
      source: "f",
    });
    const multi = batchRecords(recs, {
      strategy: "MultiRecord",
      splitType: "RecordIO",
      maxPayloadBytes: 1000,
      source: "f",
    });
    assert.equal(single.length, 2);
    assert.deepEqual(single[0]!.body, recs[0]!.bytes.subarray(0, recs[0]!.bytes.length - recs[0]!.padding));
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
