/**
 * A compact text view of the training curve for a terminal: one line per series, a sparkline of
 * block characters, the first and last value, and the best round. Pure.
 */
import { label } from "./_svg.js";
import { type CurveBest, type CurveRound, curveSeries } from "./training-curve.js";

const BLOCKS = "▁▂▃▄▅▆▇█";

/** Values resampled to at most `width` (the mean of each bucket). */
function resample(values: readonly number[], width: number): number[] {
  if (values.length <= width) return [...values];
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const a = Math.floor((i * values.length) / width);
    const b = Math.max(a + 1, Math.floor(((i + 1) * values.length) / width));
    const bucket = values.slice(a, b).filter(Number.isFinite);
    out.push(bucket.length ? bucket.reduce((s, v) => s + v, 0) / bucket.length : Number.NaN);
  }
  return out;
}

/** A sparkline of the values (a space for a missing one). */
export function sparkline(values: readonly number[], width = 40): string {
  const v = resample(values, width);
  const finite = v.filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return v
    .map((x) => {
      if (!Number.isFinite(x)) return " ";
      const k = hi > lo ? Math.round(((x - lo) / (hi - lo)) * (BLOCKS.length - 1)) : 0;
      return BLOCKS[k];
    })
    .join("");
}

/** The lines of the text view, one per series (`validation-mlogloss  █▆▄▂▁▁  1.05 → 0.041  best 17`). */
export function curveText(rounds: readonly CurveRound[], best: CurveBest | undefined, width = 40): string[] {
  const series = [...curveSeries(rounds).values()].flat();
  const pad = Math.max(0, ...series.map((s) => s.id.length));
  return series.map((s) => {
    const values = s.points.map(([, v]) => v);
    const mark = best && best.metric === s.id ? `  best round ${best.round}` : "";
    return `${s.id.padEnd(pad)}  ${sparkline(values, width)}  ${label(values[0]!)} → ${label(values.at(-1)!)}${mark}`;
  });
}
