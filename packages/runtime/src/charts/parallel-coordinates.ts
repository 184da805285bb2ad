/**
 * The parallel-coordinates picture of a tuning job: one vertical axis per tuned hyperparameter
 * (numeric ones on their own scale, linear or logarithmic; categorical ones with a tick per
 * value) and a last axis for the objective; each training job is a line across them coloured by
 * its objective, the best drawn last and thickest. Hand-written SVG (see `index.ts`). Pure.
 */
import { esc, FONT, label, linear, px } from "./_svg.js";

/** One axis: a tuned hyperparameter. */
export type Axis =
  | { readonly name: string; readonly kind: "linear" | "log"; readonly min: number; readonly max: number }
  | { readonly name: string; readonly kind: "categorical"; readonly values: readonly string[] };

/** One training job: its hyperparameters (as strings) and objective. */
export interface CoordinateLine {
  readonly name: string;
  readonly values: Readonly<Record<string, string>>;
  readonly objective?: number;
}

const H = 400;
const M = { left: 60, right: 90, top: 90, bottom: 60 };
/** At least this wide; wider by this much per axis past six. */
const MIN_W = 720;
const SPACING = 120;

/**
 * A colour from dark blue (worst) through green to yellow (best): viridis, sampled at five
 * stops and interpolated, readable by colour-blind viewers and in grey.
 */
export function rampColor(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ] as const;
  const v = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(v));
  const f = v - i;
  const c = stops[i]!.map((a, k) => Math.round(a + (stops[i + 1]![k]! - a) * f));
  return `#${c.map((n) => n.toString(16).padStart(2, "0")).join("")}`;
}

function position(axis: Axis, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (axis.kind === "categorical") {
    const i = axis.values.indexOf(value);
    return i < 0 ? undefined : axis.values.length === 1 ? 0.5 : i / (axis.values.length - 1);
  }
  const v = Number(value);
  if (!Number.isFinite(v)) return undefined;
  if (axis.max === axis.min) return 0.5;
  if (axis.kind === "log" && axis.min > 0 && v > 0)
    return (Math.log(v) - Math.log(axis.min)) / (Math.log(axis.max) - Math.log(axis.min));
  return (v - axis.min) / (axis.max - axis.min);
}

function axisLabels(axis: Axis): Array<[number, string]> {
  if (axis.kind === "categorical")
    return axis.values.map((v, i) => [axis.values.length === 1 ? 0.5 : i / (axis.values.length - 1), v]);
  if (axis.kind === "log") {
    const mid = Math.sqrt(axis.min * axis.max);
    return [
      [0, label(axis.min)],
      [0.5, label(mid)],
      [1, label(axis.max)],
    ];
  }
  return [
    [0, label(axis.min)],
    [0.5, label((axis.min + axis.max) / 2)],
    [1, label(axis.max)],
  ];
}

/**
 * The picture as an SVG document: each job a `<path class="trial" data-name>`, coloured by its
 * objective (`data-objective`), the best one with `class="trial best"`; each axis a `<g
 * class="axis" data-name>`.
 *
 * @example parallelCoordinatesSvg(axes, lines, { metric: "validation:auc", maximize: true, title: "xgb-tune" })
 */
export function parallelCoordinatesSvg(
  axes: readonly Axis[],
  lines: readonly CoordinateLine[],
  options: { readonly metric: string; readonly maximize: boolean; readonly title: string },
): string {
  const scored = lines.filter((l) => l.objective !== undefined && Number.isFinite(l.objective));
  const objectives = scored.map((l) => l.objective!);
  const lo = objectives.length ? Math.min(...objectives) : 0;
  const hi = objectives.length ? Math.max(...objectives) : 1;
  const goodness = (v: number) => {
    const t = hi > lo ? (v - lo) / (hi - lo) : 1;
    return options.maximize ? t : 1 - t;
  };
  const objectiveAxis: Axis = { name: options.metric, kind: "linear", min: lo, max: hi };
  const all = [...axes, objectiveAxis];
  const W = Math.max(MIN_W, M.left + M.right + SPACING * Math.max(1, all.length - 1));
  const step = (W - M.left - M.right) / Math.max(1, all.length - 1);
  const xs = all.map((_, i) => M.left + i * step);
  const y = linear([0, 1], [H - M.bottom, M.top]);
  const best = scored.reduce<CoordinateLine | undefined>(
    (b, l) => (!b || goodness(l.objective!) > goodness(b.objective!) ? l : b),
    undefined,
  );
  const parts: string[] = [];
  // Worst first, so the good lines are on top; unscored ones (grey) under everything.
  const ordered = [
    ...lines.filter((l) => !scored.includes(l)),
    ...[...scored].sort((a, b) => goodness(a.objective!) - goodness(b.objective!)),
  ];
  for (const l of ordered) {
    let d = "";
    let pen = false;
    all.forEach((axis, i) => {
      const p =
        i === all.length - 1
          ? l.objective !== undefined && Number.isFinite(l.objective)
            ? position(axis, String(l.objective))
            : undefined
          : position(axis, l.values[axis.name]);
      if (p === undefined) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${px(xs[i]!)},${px(y(p))}`;
      pen = true;
    });
    const isBest = l === best;
    const color =
      l.objective !== undefined && Number.isFinite(l.objective) ? rampColor(goodness(l.objective)) : "#bbb";
    parts.push(
      `<path class="trial${isBest ? " best" : ""}" data-name="${esc(l.name)}"${l.objective !== undefined ? ` data-objective="${esc(String(l.objective))}"` : ""} d="${d}" fill="none" stroke="${color}" stroke-width="${isBest ? 4 : 1.6}" stroke-opacity="${isBest ? 1 : 0.75}"><title>${esc(`${l.name}: ${l.objective !== undefined ? label(l.objective) : "no objective"}`)}</title></path>`,
    );
  }
  all.forEach((axis, i) => {
    const ax = px(xs[i]!);
    parts.push(`<g class="axis" data-name="${esc(axis.name)}">`);
    parts.push(`<line x1="${ax}" x2="${ax}" y1="${M.top}" y2="${H - M.bottom}" stroke="#333"/>`);
    parts.push(
      `<text x="${ax}" y="${M.top - 12}" font-size="12" font-weight="600" text-anchor="middle">${esc(axis.name)}</text>`,
    );
    if (axis.kind === "log")
      parts.push(
        `<text x="${ax}" y="${H - M.bottom + 34}" font-size="10" text-anchor="middle" fill="#555">log scale</text>`,
      );
    for (const [p, text] of axisLabels(axis)) {
      parts.push(
        `<text x="${px(xs[i]! + 6)}" y="${px(y(p))}" font-size="10" dominant-baseline="middle" fill="#333" paint-order="stroke" stroke="#fff" stroke-width="3">${esc(text)}</text>`,
      );
    }
    parts.push("</g>");
  });
  const detail = `${lines.length} training job${lines.length === 1 ? "" : "s"} across ${axes.length} hyperparameter${axes.length === 1 ? "" : "s"}`;
  const heading = `${options.title}: ${detail}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}>`,
    `<title>${esc(heading)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="22" font-size="15" font-weight="600">${esc(options.title)}</text>`,
    `<text x="${M.left}" y="40" font-size="12">${esc(detail)}</text>`,
    `<text x="${M.left}" y="56" font-size="11" fill="#555">colour: ${esc(options.metric)}, yellow best, dark blue worst (${options.maximize ? "higher" : "lower"} is better); thick: the best job; grey: no objective</text>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
