import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { concatDatasets, toCsr } from "../codecs/concat.js";
import { formatOfContentType, guessFormat, listChannelFiles } from "./channels.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("channels", () => {
  it("lists files recursively in a stable order, skipping hidden files and markers", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sb-ch-"));
    try {
      await mkdir(join(dir, "b"), { recursive: true });
      for (const f of ["b/2.csv", "a.csv", "b/1.csv", ".DS_Store", "_SUCCESS"])
        await writeFile(join(dir, f), "1,2\n");
      const l = await listChannelFiles(dir, "train");
      assert.deepEqual(
        l.files.map((f) => f.name),
        ["a.csv", "b/1.csv", "b/2.csv"],
      );
      assert.deepEqual(l.skipped, [".DS_Store", "_SUCCESS"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("maps content types with parameters, in any case", () => {
    assert.deepEqual(formatOfContentType("Text/CSV; label_size=1"), {
      format: "csv",
      params: { label_size: "1" },
    });
    assert.equal(formatOfContentType("text/x-libsvm")?.format, "libsvm");
    assert.equal(formatOfContentType("recordio-protobuf")?.format, "recordio-protobuf");
    assert.equal(formatOfContentType("application/json"), undefined);
  });

  it("guesses undeclared formats from extension and content", () => {
    assert.equal(guessFormat("x.parquet", enc("")), "parquet");
    assert.equal(guessFormat("data", enc("1 0:1 3:2\n")), "libsvm");
    assert.equal(guessFormat("data", enc("1,2,3\n")), "csv");
    assert.equal(guessFormat("data", new Uint8Array([0x0a, 0x23, 0xd7, 0xce])), "recordio-protobuf");
  });
});

describe("concatDatasets()", () => {
  const dense = (rows: number[][], labels: number[]) => ({
    features: {
      kind: "dense" as const,
      rows: rows.length,
      cols: rows[0]!.length,
      values: new Float32Array(rows.flat()),
    },
    labels: new Float32Array(labels),
  });

  it("stacks dense parts in order", () => {
    const d = concatDatasets([dense([[1, 2]], [0]), dense([[3, 4]], [1])], "train");
    assert.equal(d.features.rows, 2);
    assert.deepEqual(Array.from(d.labels!), [0, 1]);
  });

  it("makes CSR when any part is sparse, dropping missing values", () => {
    const csr = toCsr(dense([[1, Number.NaN]], [0]).features);
    assert.deepEqual(Array.from(csr.indices), [0]);
    const d = concatDatasets(
      [dense([[1, 2]], [0]), { features: csr, labels: new Float32Array([1]) }],
      "train",
    );
    assert.equal(d.features.kind, "csr");
    if (d.features.kind === "csr") assert.deepEqual(Array.from(d.features.indptr), [0, 2, 3]);
  });

  it("rejects parts of different widths", () => {
    assert.throws(
      () => concatDatasets([dense([[1, 2]], [0]), dense([[1, 2, 3]], [0])], "train"),
      /one file has 2 feature columns, another 3/,
    );
  });
});
