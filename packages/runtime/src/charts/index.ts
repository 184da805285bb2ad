/**
 * Pictures of a training run, as SVG: the training curve and a tree model's feature importance,
 * and a text view of the curve for terminals; and of a tuning job: its progress and a
 * parallel-coordinates view of the hyperparameters. Pure: data in, text out.
 *
 * Written by hand rather than with a charting library: the pictures are fixed shapes (lines
 * over rounds, bars per feature, points per trial, lines across axes), and the libraries that render SVG without a browser are large
 * for what they would draw here — vega 6.4 installs 59 packages, 16 MB, and takes 2.1 s to import
 * (62 MB RSS); echarts 6.1 is 60 MB unpacked; @observablehq/plot and chartist need a DOM. This
 * code goes into every image, where the runtime and its dependencies take about 6 MB.
 */
export { featureImportanceSvg, type Importance, TOP_FEATURES } from "./feature-importance.js";
export { type Axis, type CoordinateLine, parallelCoordinatesSvg, rampColor } from "./parallel-coordinates.js";
export { curveText, sparkline } from "./text-curve.js";
export {
  type CurveBest,
  type CurveRound,
  type CurveSeries,
  curveSeries,
  trainingCurveSvg,
} from "./training-curve.js";
export { type TuningPoint, tuningProgressSvg } from "./tuning-progress.js";
