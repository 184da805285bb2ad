import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { type ColumnSource, parquetWriteBuffer } from "hyparquet-writer";
import { fc } from "../../../../test/kit/property.js";
import { isSagebrewError, SagebrewError } from "../errors/index.js";
import { decodeParquet } from "./parquet.js";

/** Byte edits (offset, value) of the 200-row, 3-row-group file below that once left a rejection unhandled. */
const PARQUET_LATE_REJECTIONS: ReadonlyArray<ReadonlyArray<readonly [number, number]>> = [
  [
    [2538, 18],
    [985, 24],
  ],
  [
    [2383, 11],
    [125, 9],
  ],
  [
    [2478, 90],
    [1919, 25],
  ],
  [
    [145, 4],
    [2335, 21],
  ],
];

const write = (columnData: ColumnSource[], options: { rowGroupSize?: number; compressed?: boolean } = {}) =>
  new Uint8Array(parquetWriteBuffer({ columnData, ...options }));

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isSagebrewError(e, "SB_DATA_PARSE"), `expected SB_DATA_PARSE, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

describe("decodeParquet() with a DataFrame index stored as a column", () => {
  const testdata = (name: string) =>
    new Uint8Array(readFileSync(new URL(`./testdata/${name}`, import.meta.url)));
  const pandasMeta = (index: unknown[]) => [
    { key: "pandas", value: JSON.stringify({ index_columns: index, columns: [] }) },
  ];

  it("leaves out dask's __null_dask_index__ (a file written by dask, from SageMaker XGBoost's tests)", async () => {
    const d = await decodeParquet(testdata("dask-index.parquet"), { source: "train_0.parquet" });
    assert.equal(d.features.cols, 5);
    assert.equal(d.features.rows, 5);
    assert.deepEqual(Array.from(d.labels!), [0, 1, 2, 3, 4]);
    assert.deepEqual(Array.from(d.features.values.subarray(0, 5)), [0, 0, 0, 0, 0]);
  });

  it("reads a pandas file whose RangeIndex is stored as no column (from SageMaker XGBoost's tests)", async () => {
    const d = await decodeParquet(testdata("pandas-range-index.parquet"));
    assert.equal(d.features.cols, 5);
    assert.deepEqual(Array.from(d.labels!), [0, 0, 0, 0, 1]);
  });

  it("leaves out pandas' __index_level_0__, wherever it stands", async () => {
    for (const first of [true, false]) {
      const y: ColumnSource = { name: "y", data: [1, 0], type: "DOUBLE" };
      const a: ColumnSource = { name: "a", data: [0.5, 1.5], type: "DOUBLE" };
      const index: ColumnSource = { name: "__index_level_0__", data: [17n, 42n], type: "INT64" };
      const bytes = new Uint8Array(
        parquetWriteBuffer({
          columnData: first ? [index, y, a] : [y, a, index],
          kvMetadata: pandasMeta(["__index_level_0__"]),
        }),
      );
      const d = await decodeParquet(bytes);
      assert.deepEqual(d.features, {
        kind: "dense",
        rows: 2,
        cols: 1,
        values: Float32Array.from([0.5, 1.5]),
      });
      assert.deepEqual(Array.from(d.labels!), [1, 0]);
    }
  });

  it("leaves out a named index the pandas metadata lists, and keeps every other column", async () => {
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: "y", data: ["setosa", "virginica"], type: "STRING" },
          { name: "a", data: [1, 2], type: "DOUBLE" },
          { name: "customer_id", data: [7, 9], type: "INT32" },
        ],
        kvMetadata: pandasMeta(["customer_id", { kind: "range", name: null, start: 0, stop: 2, step: 1 }]),
      }),
    );
    const d = await decodeParquet(bytes);
    assert.equal(d.features.cols, 1);
    assert.deepEqual(d.labelStrings, ["setosa", "virginica"]);
  });

  it("says so when a file holds only its index", async () => {
    const bytes = new Uint8Array(
      parquetWriteBuffer({ columnData: [{ name: "__index_level_0__", data: [1n], type: "INT64" }] }),
    );
    await assert.rejects(
      decodeParquet(bytes, { source: "idx.parquet" }),
      /Cannot read Parquet file idx.parquet: the file holds only its index, no data columns/,
    );
  });
});

describe("decodeParquet()", () => {
  it("reads column 0 as the label and the rest as float32 features, any physical type", async () => {
    const bytes = write([
      { name: "y", data: [0, 1, 2], type: "INT32" },
      { name: "a", data: new Float64Array([1.5, 2.5, 3.5]), type: "DOUBLE" },
      { name: "b", data: new Float32Array([0.1, 0.2, 0.3]), type: "FLOAT" },
      { name: "c", data: [10n, 20n, 30n], type: "INT64" },
      { name: "d", data: [true, false, true], type: "BOOLEAN" },
    ]);
    const d = await decodeParquet(bytes, { source: "iris.parquet" });
    assert.deepEqual(d.features, {
      kind: "dense",
      rows: 3,
      cols: 4,
      values: Float32Array.from([1.5, 0.1, 10, 1, 2.5, 0.2, 20, 0, 3.5, 0.3, 30, 1]),
    });
    assert.deepEqual(d.labels, Float32Array.from([0, 1, 2]));
  });
  it("turns null features into NaN (missing)", async () => {
    const bytes = write([
      { name: "y", data: [1, 0], type: "DOUBLE" },
      { name: "a", data: [null, 2], type: "DOUBLE", nullable: true },
    ]);
    const d = await decodeParquet(bytes);
    assert.ok(Number.isNaN(d.features.values[0]));
    assert.equal(d.features.values[1], 2);
  });
  it("keeps string labels as labelStrings", async () => {
    const bytes = write([
      { name: "species", data: ["setosa", "virginica"], type: "STRING" },
      { name: "a", data: [1, 2], type: "DOUBLE" },
    ]);
    const d = await decodeParquet(bytes);
    assert.deepEqual(d.labelStrings, ["setosa", "virginica"]);
    assert.equal(d.labels, undefined);
  });
  it("reads files with several row groups, compressed or not", async () => {
    const n = 1000;
    const y = Array.from({ length: n }, (_, i) => i % 3);
    const a = Float64Array.from({ length: n }, (_, i) => i / 7);
    for (const compressed of [true, false]) {
      const d = await decodeParquet(
        write(
          [
            { name: "y", data: y, type: "INT32" },
            { name: "a", data: a, type: "DOUBLE" },
          ],
          { rowGroupSize: 128, compressed },
        ),
      );
      assert.equal(d.features.rows, n);
      assert.deepEqual(d.features.values, Float32Array.from(a));
      assert.deepEqual(d.labels, Float32Array.from(y));
    }
  });
  /** Writes `table` (null = missing) with a row-number label and checks it decodes to the same values. */
  async function roundTrip(table: (number | null)[][]): Promise<void> {
    const cols = table[0]!.length;
    const columnData: ColumnSource[] = [
      { name: "label", data: table.map((_, i) => i), type: "DOUBLE" },
      ...Array.from({ length: cols }, (_, j) => ({
        name: `f${j}`,
        data: table.map((row) => row[j] ?? null),
        type: "DOUBLE" as const,
        nullable: true,
      })),
    ];
    const d = await decodeParquet(write(columnData));
    // -0 is compared as 0: hyparquet-writer's dictionary encoding keeps one zero (a column of
    // nothing but -0 and nulls comes back +0), and a split compares them alike.
    const zeroless = (v: number) => (v === 0 ? 0 : v);
    assert.deepEqual(
      d.features.values.map(zeroless),
      Float32Array.from(table.flat().map((v) => (v === null ? Number.NaN : v))).map(zeroless),
    );
  }
  it("round-trips a column of -0 and nulls (found by npm run fuzz, seed 235410982)", () =>
    roundTrip([
      [null, null, null, null],
      [null, null, null, null],
      [null, null, null, -0],
    ]));
  it("round-trips generated numeric tables", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }).chain((cols) =>
          fc.array(
            fc.array(fc.option(fc.double({ noNaN: true }), { nil: null }), {
              minLength: cols,
              maxLength: cols,
            }),
            {
              minLength: 1,
              maxLength: 30,
            },
          ),
        ),
        roundTrip,
      ),
      { numRuns: 50 },
    );
  });
});

describe("decodeParquet() errors name the file", () => {
  const good = write([
    { name: "y", data: [0, 1, 2, 3], type: "INT32" },
    { name: "a", data: new Float64Array([1, 2, 3, 4]), type: "DOUBLE" },
  ]);
  it("rejects a truncated file", () =>
    rejects(
      decodeParquet(good.subarray(0, good.length - 10), { source: "t.parquet" }),
      /^Cannot read Parquet file t\.parquet: not a readable Parquet file/,
    ));
  it("rejects bytes that are not Parquet", () =>
    rejects(
      decodeParquet(new TextEncoder().encode("a,b\n1,2\n"), { source: "x.parquet" }),
      /x\.parquet: not a readable Parquet file: .*PAR1/,
    ));
  it("rejects a string feature column", async () => {
    const bytes = write([
      { name: "y", data: [0], type: "INT32" },
      { name: "colour", data: ["red"], type: "STRING" },
    ]);
    await rejects(
      decodeParquet(bytes, { source: "c.parquet" }),
      /c\.parquet: feature column "colour" \(column 2\) row 1 holds the string "red"; features must be numeric/,
    );
  });
  it("rejects a null label", async () => {
    const bytes = write([
      { name: "y", data: [0, null], type: "DOUBLE", nullable: true },
      { name: "a", data: [1, 2], type: "DOUBLE" },
    ]);
    await rejects(decodeParquet(bytes, { source: "n.parquet" }), /label column "y" is null in row 2/);
  });
  it("leaves no promise rejection behind when a later row group fails first (found by fuzzing)", async () => {
    // Each pair of bytes makes hyparquet fail a later row group at once while a column of an
    // earlier one fails a moment later (snappy): that rejection once went unhandled, killing the
    // process or the Parquet thread, whose next file then took the blame.
    const big = write(
      [
        { name: "y", data: Array.from({ length: 200 }, (_, i) => i % 3), type: "INT32" },
        { name: "a", data: Float64Array.from({ length: 200 }, (_, i) => i), type: "DOUBLE" },
        { name: "b", data: Float32Array.from({ length: 200 }, (_, i) => -i), type: "FLOAT" },
      ],
      { rowGroupSize: 64 },
    );
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      for (const edits of PARQUET_LATE_REJECTIONS) {
        const bytes = big.slice();
        for (const [i, b] of edits) bytes[i] = b;
        await rejects(
          decodeParquet(bytes, { source: "late.parquet" }),
          /^Cannot read Parquet file late\.parquet: /,
        );
        await new Promise((done) => setTimeout(done, 20));
      }
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    assert.deepEqual(unhandled.map(String), []);
  });
  it("mutated files decode or fail with SB_DATA_PARSE, never another exception (fixed sample)", async () => {
    const big = write(
      [
        { name: "y", data: Array.from({ length: 200 }, (_, i) => i % 3), type: "INT32" },
        { name: "a", data: Float64Array.from({ length: 200 }, (_, i) => i), type: "DOUBLE" },
        { name: "b", data: Float32Array.from({ length: 200 }, (_, i) => -i), type: "FLOAT" },
      ],
      { rowGroupSize: 64 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        async (edits, cut) => {
          const bytes = big.slice(0, big.length - (cut % 3 === 0 ? cut % big.length : 0));
          for (const [i, b] of edits) bytes[i % bytes.length] = b;
          try {
            const d = await decodeParquet(bytes, { source: "fuzz.parquet" });
            assert.equal(d.features.rows * d.features.cols, d.features.values.length);
            assert.equal(d.labels?.length ?? d.labelStrings?.length, d.features.rows);
          } catch (e) {
            assert.ok(e instanceof SagebrewError && e.code === "SB_DATA_PARSE", String(e));
            assert.match(e.message, /^Cannot read Parquet file fuzz\.parquet: /);
          }
        },
      ),
      // Its own fixed seed, kept under `npm run fuzz` too: hyparquet can loop for minutes on some corrupt
      // data pages, so this pure decoder cannot promise to finish on any input; training decodes on a
      // thread under a budget, and that property (training/parquet-file.test.ts) takes the suite's seed.
      { numRuns: 300, seed: 20261124 },
    );
  });
});
