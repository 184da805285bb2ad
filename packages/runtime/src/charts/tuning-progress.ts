/**
 * The picture of a tuning job's progress: each training job's final objective in the order the
 * jobs were started, and the best so far as a step line, the best job ringed. Stopped jobs are
 * drawn hollow, failed ones as a cross on the axis. Hand-written SVG (see `index.ts`). Pure.
 */
import { esc, extent, FONT, label, linear, PALETTE, px, ticks } from "./_svg.js";

/** One training job of the tuning job. */
export interface TuningPoint {
  /** 1-based, in start order. */
  readonly index: number;
  readonly name: string;
  readonly status: "Completed" | "Stopped" | "Failed" | "InProgress";
  /** Its final objective; undefined when it has none. */
  readonly value?: number;
}

const W = 720;
const H = 340;
const M = { left: 70, right: 24, top: 70, bottom: 48 };

/**
 * The progress picture as an SVG document. Each job is a `<circle class="trial" data-index>`
 * (or a `<path class="failed">`), the best-so-far line a `<path class="best-so-far">`, the best
 * job a `<circle class="best" data-index>`.
 *
 * @example tuningProgressSvg(points, { metric: "validation:auc", maximize: true, title: "xgb-tune" })
 */
export function tuningProgressSvg(
  points: readonly TuningPoint[],
  options: { readonly metric: string; readonly maximize: boolean; readonly title: string },
): string {
  const scored = points.filter((p) => p.value !== undefined && Number.isFinite(p.value));
  const n = Math.max(1, ...points.map((p) => p.index));
  const x = linear(n > 1 ? [1, n] : [0, 2], [M.left, W - M.right]);
  const [lo, hi] = extent(scored.map((p) => p.value!));
  const y = linear([lo, hi], [H - M.bottom, M.top]);
  const better = (a: number, b: number) => (options.maximize ? a > b : a < b);
  let best: TuningPoint | undefined;
  let step = "";
  for (const p of [...scored].sort((a, b) => a.index - b.index)) {
    const prev = best;
    if (!best || better(p.value!, best.value!)) best = p;
    step += prev ? `H${px(x(p.index))}V${px(y(best.value!))}` : `M${px(x(p.index))},${px(y(best.value!))}`;
  }
  if (best) step += `H${px(x(n))}`;
  const parts: string[] = [];
  for (const t of ticks(lo, hi, 5)) {
    const ty = px(y(t));
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${ty}" y2="${ty}" stroke="#e5e5e5"/>`,
      `<text x="${M.left - 6}" y="${ty}" font-size="11" text-anchor="end" dominant-baseline="middle" fill="#555">${esc(label(t))}</text>`,
    );
  }
  for (const t of ticks(1, n, 10).filter((v) => Number.isInteger(v) && v >= 1)) {
    parts.push(
      `<text x="${px(x(t))}" y="${H - M.bottom + 16}" font-size="11" text-anchor="middle" fill="#555">${t}</text>`,
    );
  }
  parts.push(
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#999"/>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" font-size="11" text-anchor="middle" fill="#555">training job, in start order</text>`,
  );
  if (step) {
    parts.push(`<path class="best-so-far" d="${step}" fill="none" stroke="${PALETTE[1]}" stroke-width="2"/>`);
  }
  for (const p of points) {
    const cx = px(x(p.index));
    const title = `<title>${esc(`${p.index}. ${p.name}: ${p.status}${p.value !== undefined ? `, ${label(p.value)}` : ""}`)}</title>`;
    if (p.value === undefined || !Number.isFinite(p.value)) {
      const cy = H - M.bottom;
      parts.push(
        `<path class="failed" data-index="${p.index}" d="M${px(x(p.index) - 4)},${cy - 4}l8,8m0,-8l-8,8" stroke="#D55E00" stroke-width="1.5">${title}</path>`,
      );
      continue;
    }
    const hollow = p.status === "Stopped";
    parts.push(
      `<circle class="trial" data-index="${p.index}" data-status="${p.status}" cx="${cx}" cy="${px(y(p.value))}" r="4" fill="${hollow ? "#fff" : PALETTE[0]}" stroke="${PALETTE[0]}" stroke-width="1.5">${title}</circle>`,
    );
  }
  if (best) {
    // The label goes on the side with room: left of a best job near the right edge.
    const right = x(best.index) > W - M.right - 90;
    parts.push(
      `<circle class="best" data-index="${best.index}" cx="${px(x(best.index))}" cy="${px(y(best.value!))}" r="8" fill="none" stroke="#444" stroke-width="2"/>`,
      `<text x="${px(x(best.index) + (right ? -12 : 12))}" y="${px(y(best.value!) - 10)}" font-size="11"${right ? ' text-anchor="end"' : ""}>best: ${esc(label(best.value!))}</text>`,
    );
  }
  const detail = `${points.length} training job${points.length === 1 ? "" : "s"}${best ? `, best ${options.metric} ${label(best.value!)} (job ${best.index})` : ""}`;
  const heading = `${options.title}: ${detail}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}>`,
    `<title>${esc(heading)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="22" font-size="15" font-weight="600">${esc(options.title)}</text>`,
    `<text x="${M.left}" y="40" font-size="12">${esc(detail)}</text>`,
    `<text x="${M.left}" y="56" font-size="11" fill="#555">${esc(options.metric)} (${options.maximize ? "higher" : "lower"} is better); line: best so far; hollow: stopped early; ×: no objective</text>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
