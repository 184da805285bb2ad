/**
 * The training-curve picture: one panel per metric, a line per data set (channel) across rounds,
 * the best round marked with a dashed line and a ring on the watched series. Hand-written SVG (see
 * `index.ts` for why). Pure.
 */
import { esc, extent, FONT, label, linear, PALETTE, px, ticks } from "./_svg.js";

/** A round as the runtime recorded it. */
export interface CurveRound {
  readonly round: number;
  readonly metrics: ReadonlyArray<{ readonly set: string; readonly metric: string; readonly value: number }>;
}

/** The best round, its score and the series it was chosen on (`validation-merror`). */
export interface CurveBest {
  readonly round: number;
  readonly score: number;
  readonly metric: string;
}

/** A series: one data set's values of one metric. */
export interface CurveSeries {
  /** `train-mlogloss`. */
  readonly id: string;
  readonly set: string;
  readonly metric: string;
  readonly points: ReadonlyArray<readonly [round: number, value: number]>;
}

/** The series of a run, grouped by metric in the order they first appear. */
export function curveSeries(rounds: readonly CurveRound[]): Map<string, CurveSeries[]> {
  const byMetric = new Map<string, Map<string, Array<readonly [number, number]>>>();
  for (const r of rounds) {
    for (const m of r.metrics) {
      const sets = byMetric.get(m.metric) ?? new Map<string, Array<readonly [number, number]>>();
      byMetric.set(m.metric, sets);
      const points = sets.get(m.set) ?? [];
      sets.set(m.set, points);
      points.push([r.round, m.value]);
    }
  }
  const out = new Map<string, CurveSeries[]>();
  for (const [metric, sets] of byMetric) {
    out.set(
      metric,
      [...sets].map(([set, points]) => ({ id: `${set}-${metric}`, set, metric, points })),
    );
  }
  return out;
}

const W = 720;
/** A panel: its title, the plot, the round numbers and the axis name below it. */
const PANEL_H = 230;
const M = { left: 64, right: 150, top: 44 };

function pathOf(points: CurveSeries["points"], x: (v: number) => number, y: (v: number) => number): string {
  let d = "";
  let pen = false;
  for (const [r, v] of points) {
    if (!Number.isFinite(v)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${px(x(r))},${px(y(v))}`;
    pen = true;
  }
  return d;
}

function panel(
  metric: string,
  series: readonly CurveSeries[],
  top: number,
  xDomain: [number, number],
  best: CurveBest | undefined,
  colors: Map<string, string>,
): string {
  const plotTop = top + 28;
  const plotBottom = top + PANEL_H - 52;
  const x = linear(xDomain, [M.left, W - M.right]);
  const [lo, hi] = extent(series.flatMap((s) => s.points.map(([, v]) => v)));
  const y = linear([lo, hi], [plotBottom, plotTop]);
  const parts: string[] = [`<g class="panel" data-metric="${esc(metric)}">`];
  parts.push(`<text x="${M.left}" y="${top + 14}" font-size="14" font-weight="600">${esc(metric)}</text>`);
  for (const t of ticks(lo, hi, 4)) {
    const ty = px(y(t));
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${ty}" y2="${ty}" stroke="#e5e5e5"/>`,
      `<text x="${M.left - 6}" y="${ty}" font-size="11" text-anchor="end" dominant-baseline="middle" fill="#555">${esc(label(t))}</text>`,
    );
  }
  for (const t of ticks(xDomain[0], xDomain[1], 8).filter(Number.isInteger)) {
    parts.push(
      `<text x="${px(x(t))}" y="${plotBottom + 16}" font-size="11" text-anchor="middle" fill="#555">${t}</text>`,
    );
  }
  parts.push(
    `<line x1="${M.left}" x2="${W - M.right}" y1="${plotBottom}" y2="${plotBottom}" stroke="#999"/>`,
  );
  const dots = series.every((s) => s.points.length <= 40);
  series.forEach((s, i) => {
    const color = colors.get(s.set) ?? PALETTE[i % PALETTE.length]!;
    parts.push(
      `<path class="series" data-series="${esc(s.id)}" data-points="${s.points.length}" d="${pathOf(s.points, x, y)}" fill="none" stroke="${color}" stroke-width="2"/>`,
    );
    if (dots) {
      for (const [r, v] of s.points) {
        if (Number.isFinite(v))
          parts.push(`<circle cx="${px(x(r))}" cy="${px(y(v))}" r="2.5" fill="${color}"/>`);
      }
    }
    const ly = plotTop + 6 + i * 18;
    parts.push(
      `<line x1="${W - M.right + 14}" x2="${W - M.right + 34}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${W - M.right + 40}" y="${ly}" font-size="12" dominant-baseline="middle">${esc(s.set)}</text>`,
    );
  });
  if (best) {
    const bx = px(x(best.round));
    parts.push(
      `<line class="best-round" data-best-round="${best.round}" x1="${bx}" x2="${bx}" y1="${plotTop}" y2="${plotBottom}" stroke="#444" stroke-dasharray="4 3"/>`,
    );
    const watched = series.find((s) => s.id === best.metric);
    if (watched && Number.isFinite(best.score)) {
      parts.push(
        `<circle class="best" cx="${bx}" cy="${px(y(best.score))}" r="5" fill="none" stroke="#444" stroke-width="2"/>`,
        `<text x="${px(x(best.round) + 8)}" y="${px(y(best.score) - 8)}" font-size="11">best round ${best.round}: ${esc(label(best.score))}</text>`,
      );
    }
  }
  parts.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${plotBottom + 32}" font-size="11" text-anchor="middle" fill="#555">round</text>`,
  );
  parts.push("</g>");
  return parts.join("\n");
}

/**
 * The training curve as an SVG document: every metric of every data set per round, the best round
 * marked. Each series is a `<path class="series" data-series="<set>-<metric>">`; the best round a
 * `<line class="best-round" data-best-round="<n>">`.
 *
 * @example trainingCurveSvg(rounds, { round: 12, score: 0.04, metric: "validation-mlogloss" }, "XGBoost")
 */
export function trainingCurveSvg(
  rounds: readonly CurveRound[],
  best: CurveBest | undefined,
  title: string,
): string {
  const panels = curveSeries(rounds);
  const first = rounds[0]?.round ?? 0;
  const last = rounds.at(-1)?.round ?? 0;
  const xDomain: [number, number] = last > first ? [first, last] : [first - 1, first + 1];
  const sets = [...new Set([...panels.values()].flat().map((s) => s.set))];
  const colors = new Map(sets.map((s, i) => [s, PALETTE[i % PALETTE.length]!]));
  const height = M.top + Math.max(1, panels.size) * PANEL_H + 8;
  const heading = `${title}: ${rounds.length} round${rounds.length === 1 ? "" : "s"}${best ? `, best round ${best.round} (${best.metric} ${label(best.score)})` : ""}`;
  const body = [...panels].map(([metric, series], i) =>
    panel(metric, series, M.top + i * PANEL_H, xDomain, best, colors),
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" ${FONT}>`,
    `<title>${esc(heading)}</title>`,
    `<rect width="${W}" height="${height}" fill="#fff"/>`,
    `<text x="${M.left}" y="24" font-size="16" font-weight="600">${esc(heading)}</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}
