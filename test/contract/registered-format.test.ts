/**
 * One codec registry for training and serving: a format registered here (semicolon-separated
 * rows, `text/x-semicolons`) is read by a training channel that declares it — for a custom
 * algorithm and for XGBoost — and by a handler's default `decode`, with no other change.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, describe, it } from "node:test";
import {
  type Codec,
  checkHandler,
  createInferenceApp,
  createLogger,
  createXGBoostAlgorithm,
  type Dataset,
  defaultCodecs,
  defineAlgorithm,
  defineHandler,
  readServingConfig,
  runTraining,
  type TrainingReporter,
} from "@sagebrew/runtime";
import { IRIS_CSV, IRIS_DIR, type MlDir, makeMlDir } from "../kit/ml-dir.js";

const semicolons: Codec = {
  name: "semicolons",
  mediaType: "text/x-semicolons",
  extensions: [".scsv"],
  decode(bytes, o) {
    const rows = new TextDecoder()
      .decode(bytes)
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => l.split(";"));
    const labels = o.labels ? rows.map((r) => r.shift()!) : undefined;
    const cols = rows[0]?.length ?? 0;
    const data: Dataset = {
      features: { kind: "dense", rows: rows.length, cols, values: new Float32Array(rows.flat().map(Number)) },
      ...(labels ? { labelStrings: labels } : {}),
    };
    return data;
  },
};

const quiet: TrainingReporter = { info: () => undefined, warn: () => undefined, round: () => undefined };

const dirs: MlDir[] = [];
after(async () => {
  for (const d of dirs) await d.remove();
});

async function semicolonJob(): Promise<MlDir> {
  const d = await makeMlDir({ from: IRIS_DIR });
  dirs.push(d);
  const csv = await readFile(IRIS_CSV, "utf8");
  await d.write("input/data/training/iris.csv", csv.replaceAll(",", ";"));
  await d.write(
    "input/config/inputdataconfig.json",
    JSON.stringify({ training: { ContentType: "text/x-semicolons" } }),
  );
  return d;
}

/** Class means, the smallest model that proves the rows arrived. */
const means = defineAlgorithm({
  name: "class-means",
  hyperparameters: { declarations: {} },
  channels: { train: { required: true, aliases: ["training"] } },
  codecs: [semicolons],
  async train(ctx) {
    const d = await ctx.channels.get("train").dataset();
    if (d.features.kind !== "dense" || !d.labelStrings)
      throw new Error("expected dense rows with class names");
    const sums = new Map<string, { n: number; sum: number[] }>();
    for (let r = 0; r < d.features.rows; r++) {
      const s = sums.get(d.labelStrings[r]!) ?? { n: 0, sum: new Array<number>(d.features.cols).fill(0) };
      s.n++;
      for (let c = 0; c < d.features.cols; c++) s.sum[c]! += d.features.values[r * d.features.cols + c] ?? 0;
      sums.set(d.labelStrings[r]!, s);
    }
    const model = Object.fromEntries([...sums].map(([k, s]) => [k, s.sum.map((v) => v / s.n)]));
    return { model: { "means.json": JSON.stringify(model) } };
  },
});

describe("a format registered once", () => {
  it("is read by a custom algorithm's channel and by a handler's default decode", async () => {
    const d = await semicolonJob();
    await d.write("input/config/hyperparameters.json", "{}");
    const outcome = await runTraining({
      root: d.root,
      algorithm: means,
      reporter: quiet,
      codecs: defaultCodecs(),
    });
    assert.equal(outcome.exitCode, 0, outcome.error?.message);
    const model = JSON.parse(await readFile(d.file("model/means.json"), "utf8")) as Record<string, number[]>;
    assert.deepEqual(Object.keys(model).sort(), ["setosa", "versicolor", "virginica"]);

    const handler = checkHandler(
      defineHandler({
        codecs: [semicolons],
        contentTypes: ["text/x-semicolons"],
        accepts: ["text/csv"],
        load: async ({ modelDir }) =>
          JSON.parse(await readFile(`${modelDir}/means.json`, "utf8")) as Record<string, number[]>,
        predict: (m: Record<string, number[]>, data: Dataset) => {
          if (data.features.kind !== "dense") throw new Error("dense rows expected");
          const { cols, values } = data.features;
          return Array.from({ length: data.features.rows }, (_, r) => {
            const row = values.subarray(r * cols, (r + 1) * cols);
            let best = "";
            let bestD = Number.POSITIVE_INFINITY;
            for (const [k, mean] of Object.entries(m)) {
              const dist = mean.reduce((s, v, i) => s + (v - row[i]!) ** 2, 0);
              if (dist < bestD) [best, bestD] = [k, dist];
            }
            return [best];
          });
        },
      }),
      "semicolon handler",
    );
    const config = readServingConfig({ SAGEMAKER_BASE_DIR: d.root }, { cpuCount: 1 });
    const app = createInferenceApp(handler, { config, logger: createLogger({ level: "error" }) });
    await app.start();
    const res = await app.request("/invocations", {
      method: "POST",
      headers: { "content-type": "text/x-semicolons", accept: "text/csv" },
      body: "5.1;3.5;1.4;0.2\n6.3;3.3;6;2.5\n",
    });
    assert.equal(res.status, 200, String(res.body));
    assert.equal(res.body, "setosa\nvirginica\n");
    await app.stop();
  });

  it("is read by XGBoost's channel when the registry holds it", async () => {
    const d = await semicolonJob();
    const outcome = await runTraining({
      root: d.root,
      algorithm: createXGBoostAlgorithm(),
      reporter: quiet,
      codecs: defaultCodecs().register(semicolons),
    });
    assert.equal(outcome.exitCode, 0, outcome.error?.message);
    assert.match(
      outcome.summary!.lines.join("\n"),
      /150 training rows, 4 features, classes setosa, versicolor, virginica/,
    );
  });

  it("is refused, naming what is read, where nobody registered it", async () => {
    const d = await semicolonJob();
    const outcome = await runTraining({
      root: d.root,
      algorithm: createXGBoostAlgorithm(),
      reporter: quiet,
      codecs: defaultCodecs(),
    });
    assert.equal(outcome.exitCode, 1);
    assert.match(
      outcome.error!.message,
      /^Cannot read channel training: content type "text\/x-semicolons" is not one of text\/csv, /,
    );
  });
});
