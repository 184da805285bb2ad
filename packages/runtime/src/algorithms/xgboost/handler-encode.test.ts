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
