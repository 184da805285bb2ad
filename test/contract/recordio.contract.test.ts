/**
 * `application/x-recordio-protobuf` both ways (docs/formats.md, docs/serving.md) against the XGBoost
 * handler, run twice with the same cases: in-process and over a real socket on port 0.
 * Requests: dense and sparse records, the feature count checked like CSV. Responses: one Record
 * per prediction, every output key a float32 tensor in the `label` map, each record holding only
 * its own prediction (byte-exact against `encodeRecordioPredictions`).
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  Booster,
  type CsrMatrix,
  checkHandler,
  createXGBoostHandler,
  type Dataset,
  DMatrix,
  decodeRecordioRecords,
  encodeRecordioPredictions,
  encodeRecordioProtobuf,
  type PredictionRecord,
  readServingConfig,
  recordioRecordBounds,
} from "@sagebrew/runtime";
import { IRIS_CLASSES, irisMlRoot, irisRows } from "../kit/iris.js";
import { type DriverName, makeTarget, type Reply, type Target } from "../kit/serving-drivers.js";

const RECORDIO = "application/x-recordio-protobuf";
const { features } = irisRows();
const PICK = [0, 50, 100, 1, 51, 101];

/** Dense RecordIO-protobuf records of the given iris rows (`cols` features of each). */
function denseRec(rows: readonly number[], cols = 4, withLabels = false): Uint8Array {
  const values = Float32Array.from(rows.flatMap((i) => features[i]!.slice(0, cols)));
  const ds: Dataset = {
    features: { kind: "dense", rows: rows.length, cols, values },
    ...(withLabels ? { labels: Float32Array.from(rows, (i) => Math.floor(i / 50)) } : {}),
  };
  return encodeRecordioProtobuf(ds);
}

/** Sparse records (keys + shape) of the given iris rows; feature `drop` left out (missing). */
function sparseRec(rows: readonly number[], width = 4, drop?: number): Uint8Array {
  const indptr = new Uint32Array(rows.length + 1);
  const indices: number[] = [];
  const values: number[] = [];
  rows.forEach((i, r) => {
    features[i]!.forEach((v, c) => {
      if (c === drop) return;
      indices.push(c);
      values.push(v);
    });
    indptr[r + 1] = indices.length;
  });
  const m: CsrMatrix = {
    kind: "csr",
    rows: rows.length,
    cols: width,
    indptr,
    indices: Uint32Array.from(indices),
    values: Float32Array.from(values),
  };
  return encodeRecordioProtobuf({ features: m });
}

const post = (body: string | Uint8Array, contentType: string, accept?: string) => ({
  method: "POST",
  headers: { "content-type": contentType, ...(accept ? { accept } : {}) },
  body,
});

/** The `label` map of each answered Record, as plain numbers. */
function labelMaps(r: Reply): Array<Record<string, number[]>> {
  return decodeRecordioRecords(r.bytes).map((rec) => {
    assert.deepEqual(rec.features, {});
    return Object.fromEntries(
      Object.entries(rec.label).map(([k, t]) => {
        assert.equal(t.dtype, "float32", k);
        assert.equal(t.keys, undefined);
        return [k, Array.from(t.values as Float32Array)];
      }),
    );
  });
}

async function irisTarget(driver: DriverName, env: Record<string, string> = {}, classNames = true) {
  const root = await irisMlRoot({ classNames });
  const config = readServingConfig(
    { SAGEMAKER_BASE_DIR: root, SAGEMAKER_BIND_TO_PORT: "0", ...env },
    { cpuCount: 2 },
  );
  const t = await makeTarget(driver, checkHandler(createXGBoostHandler(), "xgboost"), config);
  await t.start();
  return t;
}

/** A binary:logistic model (versicolor or not) under a temp `/opt/ml` root; returns the root and its bytes. */
async function binaryMlRoot(): Promise<{ root: string; bytes: Buffer }> {
  const { labels } = irisRows();
  const dtrain = DMatrix.fromDense(
    { values: Float32Array.from(features.flat()), rows: features.length, cols: 4 },
    { labels: Float32Array.from(labels, (l) => (l === 1 ? 1 : 0)) },
  );
  const booster = Booster.create([dtrain], {
    objective: "binary:logistic",
    max_depth: 2,
    eta: 0.3,
    nthread: 1,
    seed: 1,
  });
  for (let i = 0; i < 5; i++) await booster.updateAsync(i, dtrain);
  booster.setAttr("sagebrew_objective", "binary:logistic");
  const bytes = booster.save("ubj");
  booster.dispose();
  dtrain.dispose();
  const root = await mkdtemp(join(tmpdir(), "sagebrew-binary-"));
  await mkdir(join(root, "model"), { recursive: true });
  await writeFile(join(root, "model", "xgboost-model"), bytes);
  return { root, bytes };
}

for (const driver of ["in-process", "socket"] as const) {
  describe(`RecordIO-protobuf (${driver})`, () => {
    describe("iris model with class names", () => {
      let t: Target;
      before(async () => {
        t = await irisTarget(driver);
      });
      after(() => t.close());

      const names = PICK.map((i) => IRIS_CLASSES[Math.floor(i / 50)]).join("\n");

      it("reads dense records (Content-Type application/x-recordio-protobuf)", async () => {
        const r = await t.send("/invocations", post(denseRec(PICK), RECORDIO, "text/csv"));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.text, `${names}\n`);
      });

      it("reads dense records carrying labels, and ignores the labels", async () => {
        const r = await t.send("/invocations", post(denseRec(PICK, 4, true), RECORDIO, "text/csv"));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.text, `${names}\n`);
      });

      it("reads sparse records (keys + shape) like the same rows in libsvm", async () => {
        const r = await t.send("/invocations", post(sparseRec(PICK), RECORDIO, "text/csv"));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.text, `${names}\n`);
        const libsvm = PICK.map((i) => features[i]!.map((v, c) => (c === 2 ? "" : `${c}:${v}`)).join(" "));
        const missing = await t.send(
          "/invocations",
          post(sparseRec(PICK, 4, 2), RECORDIO, "application/json"),
        );
        const viaLibsvm = await t.send(
          "/invocations",
          post(`${libsvm.join("\n")}\n`, "text/libsvm", "application/json"),
        );
        assert.equal(missing.status, 200, missing.text);
        assert.equal(missing.text, viaLibsvm.text);
      });

      it("accepts narrower sparse records (absent features are missing)", async () => {
        const r = await t.send("/invocations", post(sparseRec([0], 3, 3), RECORDIO, "text/csv"));
        assert.equal(r.status, 200, r.text);
      });

      it("answers one Record per prediction: predicted_label (class index) and probabilities", async () => {
        const body = denseRec(PICK);
        const r = await t.send("/invocations", post(body, RECORDIO, RECORDIO));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers["content-type"], RECORDIO);
        assert.equal(recordioRecordBounds(r.bytes).length, PICK.length);
        const maps = labelMaps(r);
        const json = await t.send("/invocations", post(body, RECORDIO, "application/json"));
        const preds = JSON.parse(json.text).predictions as Array<{
          predicted_label: string;
          probabilities: number[];
        }>;
        assert.deepEqual(
          maps.map((m) => Object.keys(m)),
          PICK.map(() => ["predicted_label", "probabilities"]),
        );
        maps.forEach((m, k) => {
          assert.deepEqual(m.predicted_label, [IRIS_CLASSES.indexOf(preds[k]!.predicted_label as never)]);
          assert.deepEqual(m.predicted_label, [Math.floor(PICK[k]! / 50)]);
          assert.deepEqual(m.probabilities, preds[k]!.probabilities.map(Math.fround));
        });
        // Each record holds only its own prediction (no upstream re-emission): byte-exact.
        const expected: PredictionRecord[] = maps.map((m) => ({
          predicted_label: m.predicted_label![0]!,
          probabilities: m.probabilities!,
        }));
        assert.deepEqual(r.bytes, encodeRecordioPredictions(expected));
      });

      it("answers RecordIO for a sparse RecordIO request, and for a CSV request", async () => {
        const a = await t.send("/invocations", post(sparseRec(PICK), RECORDIO, RECORDIO));
        const csvBody = `${PICK.map((i) => features[i]!.join(",")).join("\n")}\n`;
        const b = await t.send("/invocations", post(csvBody, "text/csv", `${RECORDIO}; q=0.9, text/html`));
        assert.equal(a.status, 200, a.text);
        assert.equal(b.status, 200, b.text);
        assert.equal(b.headers["content-type"], RECORDIO);
        assert.deepEqual(a.bytes, b.bytes);
      });

      const failures: Array<[string, Uint8Array, RegExp]> = [
        [
          "dense records of 3 features",
          denseRec([0, 1], 3),
          /expects 4 features per row, the request body has 3/,
        ],
        [
          "dense records of 5 features",
          encodeRecordioProtobuf({
            features: { kind: "dense", rows: 1, cols: 5, values: new Float32Array(5) },
          }),
          /expects 4 features per row, the request body has 5/,
        ],
        [
          "sparse records of shape 6",
          sparseRec([0], 6),
          /expects 4 features per row, the request body has 6/,
        ],
        ["no records", new Uint8Array(0), /holds no rows/],
        [
          "a truncated record",
          denseRec([0, 1]).subarray(0, 50),
          /^Cannot decode RecordIO record 2 at byte 40 of request body: .*trunc/,
        ],
        [
          "a bad magic number",
          Uint8Array.from([0xde, 0xad, 0xbe, 0xef, ...denseRec([0]).subarray(4)]),
          /^Cannot decode RecordIO record 1 at byte 0 of request body: .*magic/,
        ],
      ];
      for (const [name, body, message] of failures) {
        it(`answers 400 for ${name}, with one sentence`, async () => {
          const r = await t.send("/invocations", post(body, RECORDIO, RECORDIO));
          assert.equal(r.status, 400, r.text);
          assert.match(r.text, message);
          assert.equal(r.headers["content-type"], "text/plain; charset=utf-8");
          assert.equal(r.text.trimEnd().split("\n").length, 1);
        });
      }
    });

    describe("configuration", () => {
      it("answers `score` records for a model without class names", async () => {
        const t = await irisTarget(driver, {}, false);
        try {
          const r = await t.send("/invocations", post(denseRec(PICK), RECORDIO, RECORDIO));
          assert.equal(r.status, 200, r.text);
          const csv = await t.send("/invocations", post(denseRec(PICK), RECORDIO, "text/csv"));
          const scores = csv.text
            .trimEnd()
            .split("\n")
            .map((l) => l.split(",").map((v) => Math.fround(Number(v))));
          assert.deepEqual(
            labelMaps(r),
            scores.map((s) => ({ score: s })),
          );
        } finally {
          await t.close();
        }
      });

      it("answers the keys of SAGEMAKER_INFERENCE_OUTPUT in order, class indices for names, NaN for keys of other objectives", async () => {
        const t = await irisTarget(driver, {
          SAGEMAKER_INFERENCE_OUTPUT: "probability,labels,predicted_label,predicted_score,raw_scores",
        });
        try {
          const r = await t.send("/invocations", post(denseRec([100]), RECORDIO, RECORDIO));
          assert.equal(r.status, 200, r.text);
          const [m] = labelMaps(r);
          assert.deepEqual(Object.keys(m!), [
            "probability",
            "labels",
            "predicted_label",
            "predicted_score",
            "raw_scores",
          ]);
          assert.deepEqual(m!.labels, [0, 1, 2]);
          assert.deepEqual(m!.predicted_label, [2]);
          assert.equal(m!.predicted_score!.length, 1);
          assert.ok(Number.isNaN(m!.predicted_score![0]));
          assert.equal(m!.probability![0], Math.max(...m!.raw_scores!));
        } finally {
          await t.close();
        }
      });

      it("binary:logistic: raw_score is XGBoost's default output (the probability), as SageMaker's container answers", async () => {
        // sagemaker-xgboost-container predicts without output_margin and derives raw_score from
        // that prediction (serve_utils._get_raw_score; its test_serve_utils expects raw_score 0.6
        // and raw_scores [0.4, 0.6] for p = 0.6). The margin is the logit of that probability, and
        // is not what raw_score answers.
        const { root, bytes } = await binaryMlRoot();
        const config = readServingConfig(
          {
            SAGEMAKER_BASE_DIR: root,
            SAGEMAKER_BIND_TO_PORT: "0",
            SAGEMAKER_INFERENCE_OUTPUT: "raw_score,raw_scores,probability,probabilities,predicted_label",
          },
          { cpuCount: 2 },
        );
        const t = await makeTarget(driver, checkHandler(createXGBoostHandler(), "xgboost"), config);
        const booster = Booster.fromBuffer(bytes);
        try {
          await t.start();
          const rows = [0, 50, 60, 70, 100, 120];
          const data = {
            values: Float32Array.from(rows.flatMap((i) => features[i]!)),
            rows: rows.length,
            cols: 4,
          };
          const margins = booster.predictDense(data, { type: 1 }).values;
          const probs = booster.predictDense(data).values;
          for (const accept of [RECORDIO, "application/json"]) {
            const r = await t.send("/invocations", post(denseRec(rows), RECORDIO, accept));
            assert.equal(r.status, 200, r.text);
            const got =
              accept === RECORDIO
                ? labelMaps(r).map((m) => ({
                    raw_score: m.raw_score![0]!,
                    raw_scores: m.raw_scores!,
                    probability: m.probability![0]!,
                  }))
                : (JSON.parse(r.text).predictions as Array<{
                    raw_score: number;
                    raw_scores: number[];
                    probability: number;
                  }>);
            got.forEach((g, k) => {
              const p = probs[k]!;
              const logit = Math.log(p / (1 - p));
              assert.ok(Math.abs(logit - margins[k]!) < 1e-4, `margin ${margins[k]} is the logit of ${p}`);
              assert.equal(Math.fround(g.raw_score), p, `${accept} row ${rows[k]}`);
              assert.equal(Math.fround(g.probability), p);
              assert.deepEqual(g.raw_scores.map(Math.fround), [Math.fround(1 - p), p]);
            });
          }
        } finally {
          booster.dispose();
          await t.close();
        }
      });
    });
  });
}
