/**
 * The same iris data as CSV, libsvm, RecordIO-protobuf and Parquet trains identical models, each
 * format picked from the channel's ContentType (or detected when none is declared).
 */
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { after, describe, it } from "node:test";
import { Booster, parseCsv } from "@sagebrew/runtime";
import { parquetWriteBuffer } from "hyparquet-writer";
import { encodeRecordioProtobuf } from "../../packages/runtime/src/codecs/recordio-protobuf.js";
import { IRIS_CSV, IRIS_DIR, type MlDir, makeMlDir, TRAIN_BIN } from "../kit/ml-dir.js";
import { run } from "../kit/process.js";

const dirs: MlDir[] = [];
after(async () => {
  for (const d of dirs) await d.remove();
});

async function irisNumeric() {
  const d = parseCsv(await readFile(IRIS_CSV), { source: "iris.csv", label: true });
  const names = [...new Set(d.labelStrings)].sort();
  const labels = new Float32Array(d.labelStrings!.map((n) => names.indexOf(n)));
  if (d.features.kind !== "dense") throw new Error("dense expected");
  return { features: d.features, labels };
}

describe("training formats", () => {
  it("CSV, libsvm, RecordIO-protobuf and Parquet give identical models", async () => {
    const iris = await irisNumeric();
    const { rows, cols, values } = iris.features;
    const csv = Array.from({ length: rows }, (_, r) =>
      [iris.labels[r], ...Array.from(values.subarray(r * cols, (r + 1) * cols), (v) => String(v))].join(","),
    ).join("\n");
    const libsvm = Array.from({ length: rows }, (_, r) =>
      [iris.labels[r], ...Array.from(values.subarray(r * cols, (r + 1) * cols), (v, j) => `${j}:${v}`)].join(
        " ",
      ),
    ).join("\n");
    const recordio = encodeRecordioProtobuf({ features: iris.features, labels: iris.labels });
    const parquet = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: "label", data: Array.from(iris.labels), type: "FLOAT" },
          ...Array.from({ length: cols }, (_, j) => ({
            name: `f${j}`,
            data: Array.from({ length: rows }, (_, r) => values[r * cols + j]!),
            type: "FLOAT" as const,
          })),
        ],
      }),
    );
    const variants: Array<[string, string, string | Uint8Array, string | undefined]> = [
      ["csv", "iris.csv", csv, "text/csv"],
      ["libsvm", "iris.libsvm", libsvm, "text/libsvm"],
      ["recordio", "iris.rec", recordio, "application/x-recordio-protobuf"],
      ["parquet", "iris.parquet", parquet, "application/x-parquet"],
      ["parquet, detected", "part-0000", parquet, undefined],
    ];
    const predictions: Record<string, number[]> = {};
    for (const [name, file, content, contentType] of variants) {
      const d = await makeMlDir({ from: IRIS_DIR });
      dirs.push(d);
      await rm(d.file("input/data/training"), { recursive: true });
      await d.write(`input/data/train/${file}`, content);
      await d.write(
        "input/config/inputdataconfig.json",
        JSON.stringify({ train: contentType ? { ContentType: contentType } : {} }),
      );
      const r = await run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root } });
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      const booster = await Booster.fromFile(d.file("model/xgboost-model"));
      predictions[name] = Array.from(booster.predictDense(iris.features).values);
      booster.dispose();
    }
    for (const name of Object.keys(predictions)) assert.deepEqual(predictions[name], predictions.csv, name);
  });

  it("rejects a truncated RecordIO file naming the record, not a short dataset", async () => {
    const iris = await irisNumeric();
    const recordio = encodeRecordioProtobuf({ features: iris.features, labels: iris.labels });
    const d = await makeMlDir({ from: IRIS_DIR });
    dirs.push(d);
    await rm(d.file("input/data/training"), { recursive: true });
    await d.write("input/data/train/iris.rec", recordio.subarray(0, recordio.length - 7));
    await d.write(
      "input/config/inputdataconfig.json",
      JSON.stringify({ train: { ContentType: "application/x-recordio-protobuf" } }),
    );
    const r = await run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root } });
    assert.equal(r.code, 1);
    assert.match(
      await readFile(d.file("output/failure"), "utf8"),
      /^Cannot decode RecordIO record 150 at byte \d+ of train\/iris\.rec: truncated/,
    );
  });

  it("rejects an unknown content type with the supported list", async () => {
    const d = await makeMlDir({ from: IRIS_DIR });
    dirs.push(d);
    await d.write(
      "input/config/inputdataconfig.json",
      JSON.stringify({ training: { ContentType: "application/json" } }),
    );
    const r = await run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root } });
    assert.equal(r.code, 1);
    assert.match(
      await readFile(d.file("output/failure"), "utf8"),
      /^Cannot read channel training: content type "application\/json" is not one of text\/csv, text\/libsvm/,
    );
  });
});
