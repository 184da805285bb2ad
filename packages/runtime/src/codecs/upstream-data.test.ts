/**
 * SageMaker XGBoost's own training test files (testdata/upstream/, from aws/sagemaker-xgboost-container
 * test/resources/data/), decoded by sagebrew's codecs to the shapes its tests assert
 * (test/unit/test_data_utils.py: 5 features x 5 rows; the sparse edge cases, which upstream skips
 * now, 3 features x 25 rows in all; single_feature_label.pb, 1 x 1).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { defaultCodecs } from "./builtin.js";
import type { Dataset } from "./types.js";

const dir = new URL("./testdata/upstream/", import.meta.url);
const codecs = defaultCodecs();

async function decode(file: string, contentType: string, weights = false): Promise<Dataset> {
  const { codec, params } = codecs.decoderFor(contentType, { purpose: "training", channel: "train" });
  return codec.decode!(readFileSync(new URL(file, dir)), { source: file, labels: true, weights, params });
}

describe("SageMaker XGBoost's training test files", () => {
  const cases: Array<[file: string, contentType: string, weights: boolean, cols: number, rows: number]> = [
    ["train.csv", "csv", false, 5, 5],
    ["train.csv.weights", "text/csv", true, 5, 5],
    ["train.libsvm", "libsvm", false, 5, 5],
    ["train.libsvm.weights", "text/x-libsvm", false, 5, 5],
    ["dense-train.pb", "recordio-protobuf", false, 5, 5],
    ["sparse-train.pb", "application/x-recordio-protobuf", false, 5, 5],
    ["single_feature_label.pb", "application/x-recordio-protobuf", false, 1, 1],
  ];
  for (const [file, contentType, weights, cols, rows] of cases) {
    it(`reads ${file} as ${contentType}: ${cols} features x ${rows} rows, with labels`, async () => {
      const d = await decode(file, contentType, weights);
      assert.equal(d.features.cols, cols);
      assert.equal(d.features.rows, rows);
      assert.equal(d.labels?.length, rows);
    });
  }

  it("reads the weights: the CSV's second column, libsvm's label:weight", async () => {
    const csv = await decode("train.csv.weights", "text/csv", true);
    assert.deepEqual(Array.from(csv.weights!), [0.2, 0.2, 0.2, 0.2, 0.2].map(Math.fround));
    assert.deepEqual(Array.from(csv.labels!), [0, 0, 0, 0, 1]);
    const libsvm = await decode("train.libsvm.weights", "text/libsvm");
    assert.deepEqual(Array.from(libsvm.weights!), [0.2, 0.2, 0.2, 0.2, 0.2].map(Math.fround));
    assert.deepEqual(Array.from(libsvm.labels!), [1, 1, 1, 1, 0]);
  });

  it("reads the sparse edge cases (empty records, one value in a corner, dense as sparse): 3 features x 25 rows", async () => {
    let rows = 0;
    let cols = 0;
    const names = readdirSync(new URL("sparse_edge_cases/", dir)).sort();
    assert.equal(names.length, 8);
    for (const name of names) {
      const d = await decode(`sparse_edge_cases/${name}`, "application/x-recordio-protobuf");
      rows += d.features.rows;
      cols = Math.max(cols, d.features.cols);
    }
    assert.equal(cols, 3);
    assert.equal(rows, 25);
  });
});
