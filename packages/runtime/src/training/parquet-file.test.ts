import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parquetWriteBuffer } from "hyparquet-writer";
import { fc } from "../../../../test/kit/property.js";
import { decodeParquet } from "../codecs/parquet.js";
import { isSagebrewError } from "../errors/index.js";
import { decodeParquetFile, parquetBudgetMs } from "./parquet-file.js";

/** 200 rows in row groups of 64: the file the mutation tests start from. */
const big = new Uint8Array(
  parquetWriteBuffer({
    columnData: [
      { name: "y", data: Array.from({ length: 200 }, (_, i) => i % 3), type: "INT32" },
      { name: "a", data: Float64Array.from({ length: 200 }, (_, i) => i), type: "DOUBLE" },
      { name: "b", data: Float32Array.from({ length: 200 }, (_, i) => -i), type: "FLOAT" },
    ],
    rowGroupSize: 64,
  }),
);

function mutate(edits: ReadonlyArray<readonly [number, number]>, cut = 0): Uint8Array {
  const bytes = big.slice(0, big.length - cut);
  for (const [i, b] of edits) bytes[i % bytes.length] = b;
  return bytes;
}

describe("decodeParquetFile()", () => {
  it("decodes as decodeParquet does, on its own thread", async () => {
    assert.deepEqual(
      await decodeParquetFile(big, { source: "t.parquet" }),
      await decodeParquet(big, { source: "t.parquet" }),
    );
  });

  it("stops a file that makes the reader loop and says it is corrupt, then decodes the next one", async () => {
    // Found by fuzzing: three bytes changed make hyparquet 1.17 run for minutes (a run length in a data page).
    const stuck = mutate([
      [476858473, 254],
      [278066629, 34],
      [214863860, 3],
    ]);
    await assert.rejects(
      decodeParquetFile(stuck, { source: "stuck.parquet", budgetMs: 1000 }),
      (e: unknown) => {
        assert.ok(isSagebrewError(e, "SB_DATA_PARSE"), String(e));
        assert.match(
          (e as Error).message,
          /^Cannot read Parquet file stuck\.parquet: decoding did not finish within 1 s; the file is corrupt/,
        );
        return true;
      },
    );
    const next = await decodeParquetFile(big, { source: "t.parquet" });
    assert.equal(next.features.rows, 200);
  });

  it("keeps a corrupt file's late failures to that file: the next one decodes (found by fuzzing, seed 61)", async () => {
    // A later row group fails at once while an earlier column fails a moment later: that rejection
    // once killed the thread, and the next file failed with "The Parquet thread failed: …".
    const late = big.slice();
    late[2538] = 18;
    late[985] = 24;
    await assert.rejects(decodeParquetFile(late, { source: "late.parquet" }), (e: unknown) =>
      isSagebrewError(e, "SB_DATA_PARSE"),
    );
    const next = await decodeParquetFile(big, { source: "t.parquet" });
    assert.equal(next.features.rows, 200);
  });

  it("gives a large file a longer budget", () => {
    assert.equal(parquetBudgetMs(0), 10_000);
    assert.equal(parquetBudgetMs(50e6), 110_000);
  });

  it("mutated files decode or fail with SB_DATA_PARSE naming the file, never hang", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        async (edits, cut) => {
          const bytes = mutate(edits, cut % 3 === 0 ? cut % big.length : 0);
          try {
            const d = await decodeParquetFile(bytes, { source: "fuzz.parquet", budgetMs: 3000 });
            assert.equal(d.features.rows * d.features.cols, d.features.values.length);
            assert.equal(d.labels?.length ?? d.labelStrings?.length, d.features.rows);
          } catch (e) {
            assert.ok(isSagebrewError(e, "SB_DATA_PARSE"), String(e));
            assert.match((e as Error).message, /^Cannot read Parquet file fuzz\.parquet: /);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
