/**
 * `train` for the nearest-centroid model, on sagebrew's training API: it declares its
 * hyperparameters and channels, and the runtime does the contract — validation, the failure file
 * and exit codes, SIGTERM, the metric lines, atomic model writes, checkpoints. This file only
 * trains.
 */
import { type Dataset, defineAlgorithm, SagebrewError } from "@sagebrew/runtime";
import { accuracy, type CentroidModel, fit, type Rows, refine } from "./centroids.js";

const DEFAULT_RATE = 0.05;

/** Dense rows and class names of a channel's data. */
function rowsOf(data: Dataset, channel: string): { rows: Rows; labels: string[] } {
  const f = data.features;
  if (f.kind !== "dense") {
    throw new SagebrewError(
      "SB_DATA_SHAPE",
      `Cannot train nearest-centroid on channel ${channel}: its rows are sparse (libsvm); give CSV rows`,
    );
  }
  const labels = data.labelStrings ? [...data.labelStrings] : Array.from(data.labels ?? [], String);
  return { rows: { count: f.rows, width: f.cols, values: f.values }, labels };
}

export default defineAlgorithm({
  name: "nearest-centroid",
  hyperparameters: {
    declarations: {
      epochs: {
        type: "int",
        min: 0,
        default: 20,
        description: "LVQ passes that move the centroids after the class means; 0 keeps the means",
      },
      learning_rate: { type: "float", gt: 0, max: 1, description: `LVQ step size (default ${DEFAULT_RATE})` },
      distance: { type: "enum", values: ["euclidean", "manhattan"], default: "euclidean" },
    },
    aliases: { eta: "learning_rate" },
    check(v, fail) {
      if (v.learning_rate !== undefined && v.epochs === 0) {
        fail("learning_rate", "has no effect with epochs=0; set epochs to 1 or more, or remove it");
      }
    },
  },
  channels: {
    train: { required: true, aliases: ["training"], contentTypes: ["text/csv"] },
    validation: { contentTypes: ["text/csv"] },
  },
  checkpointPrefix: "centroids-checkpoint",

  async train(ctx) {
    const { epochs, distance } = ctx.hyperparameters;
    const rate = ctx.hyperparameters.learning_rate ?? DEFAULT_RATE;
    const train = rowsOf(await ctx.channels.get("train").dataset(), "train");
    const validation = ctx.channels.has("validation")
      ? rowsOf(await ctx.channels.get("validation").dataset(), "validation")
      : undefined;
    const resume = await ctx.checkpoints.latest();
    let model: CentroidModel = resume
      ? (JSON.parse(new TextDecoder().decode(resume.data)) as CentroidModel)
      : fit(train.rows, train.labels, distance);
    if (resume) ctx.logger.info(`resuming from ${resume.path} (${resume.round + 1} passes done)`);
    for (let epoch = resume ? resume.round + 1 : 0; epoch < epochs; epoch++) {
      // Stopped by SIGTERM: returning no model makes the runtime fail the job (exit 143).
      if (ctx.signal.aborted) return {};
      model = refine(model, train.rows, train.labels, rate);
      ctx.report({
        round: epoch,
        totalRounds: epochs,
        metrics: [
          { set: "train", metric: "accuracy", value: accuracy(model, train.rows, train.labels) },
          ...(validation
            ? [
                {
                  set: "validation",
                  metric: "accuracy",
                  value: accuracy(model, validation.rows, validation.labels),
                },
              ]
            : []),
        ],
      });
      await ctx.checkpoints.save(epoch, new TextEncoder().encode(JSON.stringify(model)));
      await new Promise((resolve) => setImmediate(resolve)); // lets SIGTERM in between passes
    }
    return {
      model: { "centroids.json": `${JSON.stringify(model, null, 2)}\n` },
      summary: [
        `data: ${train.rows.count} training rows, ${train.rows.width} features, classes ${model.classes.join(", ")}`,
      ],
    };
  },
});
