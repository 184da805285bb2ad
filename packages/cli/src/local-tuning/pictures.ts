/**
 * The pictures of a tuning job, drawn by the runtime's charts: its objective per training job in
 * start order with the best so far (`objective.svg`), and its hyperparameters as parallel
 * coordinates coloured by the objective (`parallel-coordinates.svg`). For a job run here and for a
 * SageMaker job's results alike.
 */
import { join } from "node:path";
import { type ParameterRange, scaleOf } from "../tuning/index.js";
import { writeWhole } from "./_files.js";

/** A training job of the tuning job, as the pictures need it. */
export interface PictureTrial {
  readonly name: string;
  readonly status: string;
  readonly hyperParameters: Readonly<Record<string, string>>;
  readonly final?: number;
}

/**
 * Draws both pictures into `dir`; resolves to their paths.
 *
 * @example await drawTuningPictures(".sagebrew/tuning/xgb-tune", { title, metric, maximize, ranges, trials })
 */
export async function drawTuningPictures(
  dir: string,
  job: {
    readonly title: string;
    readonly metric: string;
    readonly maximize: boolean;
    readonly ranges: readonly ParameterRange[];
    /** In start order. */
    readonly trials: readonly PictureTrial[];
  },
): Promise<string[]> {
  // The charts are the runtime's (pure SVG writers), loaded with it only when there is something to draw.
  const { parallelCoordinatesSvg, tuningProgressSvg } = await import("@sagebrew/runtime");
  const options = { metric: job.metric, maximize: job.maximize, title: job.title };
  const progress = tuningProgressSvg(
    job.trials.map((t, i) => ({
      index: i + 1,
      name: t.name,
      status: (["Completed", "Stopped", "Failed", "InProgress"].includes(t.status) ? t.status : "Failed") as
        | "Completed"
        | "Stopped"
        | "Failed"
        | "InProgress",
      ...(t.final !== undefined && t.status !== "Failed" ? { value: t.final } : {}),
    })),
    options,
  );
  const axes = job.ranges.map((r) =>
    r.kind === "Categorical"
      ? { name: r.name, kind: "categorical" as const, values: r.values }
      : {
          name: r.name,
          kind: scaleOf(r) === "Logarithmic" ? ("log" as const) : ("linear" as const),
          min: r.min,
          max: r.max,
        },
  );
  const coordinates = parallelCoordinatesSvg(
    axes,
    job.trials.map((t) => ({
      name: t.name,
      values: t.hyperParameters,
      ...(t.final !== undefined && t.status !== "Failed" ? { objective: t.final } : {}),
    })),
    options,
  );
  const paths = [join(dir, "objective.svg"), join(dir, "parallel-coordinates.svg")];
  await writeWhole(paths[0]!, progress);
  await writeWhole(paths[1]!, coordinates);
  return paths;
}
