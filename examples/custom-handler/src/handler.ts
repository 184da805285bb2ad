/**
 * The nearest-centroid model served through sagebrew's `serve`: `load` reads centroids.json,
 * the default `decode` turns CSV / JSON / JSON Lines / libsvm / RecordIO-protobuf into float32
 * rows, `predict` finds the nearest centroid, and `encode` answers class names (CSV) or labels
 * with distances (JSON).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Dataset, defineHandler, encodeCsv, encodeJson, SagebrewError } from "@sagebrew/runtime";
import { type CentroidModel, nearest } from "./centroids.js";

type Answer = Array<{ label: string; distance: number }>;

export default defineHandler<CentroidModel, Dataset, Answer>({
  name: "nearest-centroid",
  accepts: ["text/csv", "application/json"],

  async load({ modelDir }) {
    return JSON.parse(await readFile(join(modelDir, "centroids.json"), "utf8")) as CentroidModel;
  },

  warmup(model) {
    nearest(model, new Array(model.centroids[0]?.length ?? 0).fill(0));
  },

  predict(model, data, ctx) {
    const { rows, cols, kind } = data.features;
    const width = model.centroids[0]?.length ?? 0;
    if (kind !== "dense" || cols !== width) {
      throw new SagebrewError(
        "SB_DATA_SHAPE",
        `Cannot predict: the model expects ${width} features per row, the request body has ${cols}`,
      );
    }
    const values = data.features.values;
    const answer: Answer = [];
    for (let r = 0; r < rows; r++) answer.push(nearest(model, values.subarray(r * cols, (r + 1) * cols)));
    if (ctx.customAttributes?.includes("explain")) ctx.response.customAttributes = `rows=${rows}`;
    return answer;
  },

  encode(answer, ctx) {
    if (ctx.accept === "text/csv") return encodeCsv(answer.map((a) => [a.label]));
    return encodeJson({ predictions: answer });
  },
});
