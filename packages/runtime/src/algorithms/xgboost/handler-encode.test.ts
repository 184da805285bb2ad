import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeCsv } from "../../codecs/predictions.js";
import { encodePrediction, type XGBoostServingModel } from "./handler.js";

/** A prediction of `rows` rows of `width` values, seeded, for a model naming its classes. */
function prediction(objective: string, classNames: string[], rows: number, width: number) {
  let s = 7;
  const values = Float32Array.from({ length: rows * width }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % 4 === 0 ? 0.25 : s / 4294967296; // some ties
  });
  const model = { objective, numClass: width > 1 ? width : 0, classNames, keys: undefined };
  return { rows, width, values, model: model as unknown as XGBoostServingModel };
}

/** The answer as one CSV line per row, written the plain way. */
function expected(p: ReturnType<typeof prediction>): string {
  const names = p.model.classNames!;
  let out = "";
  for (let r = 0; r < p.rows; r++) {
    const row = p.values.subarray(r * p.width, (r + 1) * p.width);
    let label: number;
    if (p.model.objective === "multi:softprob") {
      label = 0;
      for (let i = 1; i < row.length; i++) if (row[i]! > row[label]!) label = i;
    } else label = row[0]! > 0.5 ? 1 : 0;
    out += encodeCsv([[names[label]!]]);
  }
  return out;
}

const text = (v: string | Uint8Array) => (typeof v === "string" ? v : new TextDecoder().decode(v));

describe("class names as CSV (the classic tutorial's answer)", () => {
  for (const rows of [1, 255, 256, 5000]) {
    it(`writes one name per row, first of tied classes, quoted as CSV needs (${rows} rows)`, () => {
      const multi = prediction("multi:softprob", ["setosa", "versi,color", 'vir"ginica'], rows, 3);
      assert.equal(text(encodePrediction(multi, { accept: "text/csv" })), expected(multi));
      const binary = prediction("binary:logistic", ["no", "yes"], rows, 1);
      assert.equal(text(encodePrediction(binary, { accept: "text/csv" })), expected(binary));
    });
  }
});

describe("answers on a multi-model endpoint, as SageMaker's XGBoost multi-model container gives them", () => {
  const scores = (objective: string, values: number[], width: number) => ({
    rows: values.length / width,
    width,
    values: Float32Array.from(values),
    model: {
      objective,
      numClass: width > 1 ? width : 0,
      classNames: undefined,
      keys: undefined,
    } as unknown as XGBoostServingModel,
  });
  const mme = { multiModel: true, batch: false };

  it("JSON is a plain array: one number per row, or one list per row", () => {
    const binary = scores("binary:logistic", [0.25, 0.75], 1);
    assert.equal(encodePrediction(binary, { accept: "application/json", config: mme }), "[0.25,0.75]");
    const softprob = scores("multi:softprob", [0.5, 0.25, 0.25, 0.125, 0.125, 0.75], 3);
    assert.equal(
      encodePrediction(softprob, { accept: "application/json", config: mme }),
      "[[0.5,0.25,0.25],[0.125,0.125,0.75]]",
    );
  });

  it("CSV is every row on one line, joined by commas (rows of several values as [a, b, c]); one per line in batch", () => {
    const binary = scores("binary:logistic", [0.25, 0.75, 0.5], 1);
    assert.equal(encodePrediction(binary, { accept: "text/csv", config: mme }), "0.25,0.75,0.5");
    assert.equal(
      encodePrediction(binary, { accept: "text/csv", config: { multiModel: true, batch: true } }),
      "0.25\n0.75\n0.5\n",
    );
    const softprob = scores("multi:softprob", [0.5, 0.25, 0.25, 0.125, 0.125, 0.75], 3);
    assert.equal(
      encodePrediction(softprob, { accept: "text/csv", config: mme }),
      "[0.5, 0.25, 0.25],[0.125, 0.125, 0.75]",
    );
  });

  it('a single-model endpoint keeps one line per row and {"predictions": [{"score": …}]}', () => {
    const binary = scores("binary:logistic", [0.25, 0.75], 1);
    const single = { multiModel: false, batch: false };
    assert.equal(encodePrediction(binary, { accept: "text/csv", config: single }), "0.25\n0.75\n");
    assert.equal(
      encodePrediction(binary, { accept: "application/json", config: single }),
      '{"predictions":[{"score":0.25},{"score":0.75}]}',
    );
  });
});
