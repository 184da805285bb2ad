/**
 * End to end: `runTransform` with `SplitType=RecordIO` against the real `serve` program (a child
 * process on a free port, real sockets, real libxgboost). The `.rec` inputs are written with
 * `encodeRecordioProtobuf` (dense records with labels, sparse records with varying padding); the
 * output must equal one request per record to the same server, byte for byte, for every
 * BatchStrategy and for RecordIO-protobuf, JSON Lines and CSV answers.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeRecordioRecords, encodeRecordioProtobuf, recordioRecordBounds } from "@sagebrew/runtime";
import {
  type BatchStrategy,
  runTransform,
  startServe,
} from "../../packages/cli/src/local/transform/index.js";
import { IRIS_CLASSES, irisMlRoot, irisRows } from "../kit/iris.js";
import { SERVE_FROM_SOURCE } from "../kit/process.js";

const SERVE = [...SERVE_FROM_SOURCE];
const RECORDIO = "application/x-recordio-protobuf";
const ACCEPTS: Array<[string, "None" | "Line"]> = [
  [RECORDIO, "None"],
  ["application/jsonlines", "Line"],
  ["text/csv", "Line"],
];

let root: string;
let work: string;
const files = new Map<string, Uint8Array>();
/** Accept → the two files' answers, one request per record, concatenated (a.rec then nested/b.rec). */
const expected = new Map<string, Buffer>();

/** Rows 0–99 as dense float32 records, each with its class as the label (ignored by serve). */
function denseFile(features: number[][], labels: number[]): Uint8Array {
  return encodeRecordioProtobuf({
    features: { kind: "dense", rows: 100, cols: 4, values: Float32Array.from(features.slice(0, 100).flat()) },
    labels: Float32Array.from(labels.slice(0, 100)),
  });
}

/** Rows 100–149 as sparse records; odd rows leave out feature 1 (sepal width), so frames differ in padding. */
function sparseFile(features: number[][]): Uint8Array {
  const indptr = new Uint32Array(51);
  const indices: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < 50; r++) {
    features[100 + r]!.forEach((v, c) => {
      if (r % 2 === 1 && c === 1) return;
      indices.push(c);
      values.push(v);
    });
    indptr[r + 1] = indices.length;
  }
  return encodeRecordioProtobuf({
    features: {
      kind: "csr",
      rows: 50,
      cols: 4,
      indptr,
      indices: Uint32Array.from(indices),
      values: Float32Array.from(values),
    },
  });
}

before(async () => {
  root = await irisMlRoot();
  work = await mkdtemp(join(tmpdir(), "sagebrew-transform-recordio-"));
  const { features, labels } = irisRows();
  files.set("a.rec", denseFile(features, labels));
  files.set(join("nested", "b.rec"), sparseFile(features));
  await mkdir(join(work, "in", "nested"), { recursive: true });
  for (const [name, bytes] of files) await writeFile(join(work, "in", name), bytes);
  const sparse = files.get(join("nested", "b.rec"))!;
  const view = new DataView(sparse.buffer, sparse.byteOffset, sparse.byteLength);
  const paddings = recordioRecordBounds(sparse).map(([s, e]) => e - s - 8 - view.getUint32(s + 4, true));
  assert.ok(new Set(paddings).size > 1, `frames with different paddings: ${[...new Set(paddings)]}`);

  const server = await startServe({ command: SERVE, baseDir: root });
  try {
    for (const [accept] of ACCEPTS) {
      const parts: Uint8Array[] = [];
      for (const bytes of files.values()) {
        for (const [s, e] of recordioRecordBounds(bytes)) {
          const r = await server.post("/invocations", bytes.subarray(s, e), {
            "content-type": RECORDIO,
            accept,
          });
          assert.equal(r.status, 200, r.body.toString());
          parts.push(r.body);
        }
      }
      expected.set(accept, Buffer.concat(parts));
    }
  } finally {
    await server.stop();
  }
});

after(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(root, { recursive: true, force: true });
});

describe("runTransform() with SplitType=RecordIO against the real serve", () => {
  it("per-record answers are right: one Record, JSON line or CSV line per input record", () => {
    const names = [...Array(150).keys()].map((i) => IRIS_CLASSES[Math.floor(i / 50)]);
    const csv = expected.get("text/csv")!.toString().trimEnd().split("\n");
    assert.equal(csv.length, 150);
    assert.ok(csv.filter((n, i) => n === names[i]).length >= 140);
    const recs = decodeRecordioRecords(expected.get(RECORDIO)!);
    assert.equal(recs.length, 150);
    recs.forEach((rec, i) => {
      assert.deepEqual(Object.keys(rec.label), ["predicted_label", "probabilities"]);
      assert.equal(IRIS_CLASSES[rec.label.predicted_label!.values[0]!], csv[i]);
    });
  });

  const strategies: BatchStrategy[] = ["SingleRecord", "MultiRecord"];
  for (const strategy of strategies) {
    for (const [accept, assembleWith] of ACCEPTS) {
      it(`${strategy}, Accept ${accept}, AssembleWith ${assembleWith}: output equals per-record predictions exactly`, async () => {
        const out = join(work, `out-${strategy}-${accept.replace("/", "_")}`);
        const summary = await runTransform({
          inputPath: join(work, "in"),
          outputDir: out,
          baseDir: root,
          serveCommand: SERVE,
          contentType: RECORDIO,
          accept,
          splitType: "RecordIO",
          assembleWith,
          batchStrategy: strategy,
          maxPayloadMb: 1,
          maxConcurrentTransforms: 2,
        });
        assert.equal(summary.failed.length, 0, JSON.stringify(summary.failed));
        assert.equal(summary.records, 150);
        assert.equal(summary.requests, strategy === "SingleRecord" ? 150 : 2);
        const got = Buffer.concat([
          await readFile(join(out, "a.rec.out")),
          await readFile(join(out, "nested", "b.rec.out")),
        ]);
        assert.ok(got.equals(expected.get(accept)!), `${accept} output differs from per-record answers`);
      });
    }
  }

  it("a truncated .rec file fails with a message naming file and record; the others still succeed", async () => {
    const dir = join(work, "mixed");
    await mkdir(dir, { recursive: true });
    const a = files.get("a.rec")!;
    const tenth = recordioRecordBounds(a)[9]![1];
    await writeFile(join(dir, "good.rec"), a.subarray(0, tenth));
    await writeFile(join(dir, "cut.rec"), a.subarray(0, tenth + 5));
    const out = join(work, "out-mixed");
    const summary = await runTransform({
      inputPath: dir,
      outputDir: out,
      baseDir: root,
      serveCommand: SERVE,
      contentType: RECORDIO,
      accept: RECORDIO,
      splitType: "RecordIO",
      assembleWith: "None",
      batchStrategy: "MultiRecord",
    });
    assert.equal(summary.succeeded, 1);
    assert.ok(existsSync(join(out, "good.rec.out")));
    assert.ok(!existsSync(join(out, "cut.rec.out")));
    assert.equal(decodeRecordioRecords(await readFile(join(out, "good.rec.out"))).length, 10);
    const cut = summary.failed.find((f) => f.file === "cut.rec");
    assert.match(
      cut?.error ?? "",
      new RegExp(`RecordIO record 11 at byte ${tenth} of cut\\.rec: truncated header`),
    );
  });
});
