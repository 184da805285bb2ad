/**
 * The feature-importance picture of a tree model: one panel per measure (gain, weight, cover), a
 * horizontal bar per feature, the features in order of gain. Hand-written SVG. Pure.
 */
import { esc, FONT, label, PALETTE, px } from "./_svg.js";

/** Importance per measure, one value per feature. */
export interface Importance {
  readonly features: readonly string[];
  readonly measures: Readonly<Record<string, readonly number[]>>;
}

/** At most this many features are drawn (the most important by the first measure). */
export const TOP_FEATURES = 20;

const W = 720;
const BAR_H = 16;
const M = { left: 140, right: 80, top: 40 };

/** Measures in a fixed order: gain, weight, cover, then any other. */
function measureOrder(importance: Importance): string[] {
  const known = ["gain", "weight", "cover"].filter((m) => m in importance.measures);
  return [...known, ...Object.keys(importance.measures).filter((m) => !known.includes(m))];
}

/**
 * The feature importance as an SVG document. Each bar is a
 * `<rect class="bar" data-measure="gain" data-feature="f2" data-value="…">`.
 */
export function featureImportanceSvg(importance: Importance, title: string): string {
  const measures = measureOrder(importance);
  const rank = importance.measures[measures[0] ?? ""] ?? [];
  const order = importance.features
    .map((f, i) => ({ f, i, v: rank[i] ?? 0 }))
    .filter((e) => measures.some((m) => (importance.measures[m]?.[e.i] ?? 0) > 0))
    .sort((a, b) => b.v - a.v || a.i - b.i)
    .slice(0, TOP_FEATURES);
  const panelH = 30 + order.length * (BAR_H + 4) + 16;
  const height = M.top + measures.length * panelH + 8;
  const split = importance.features.filter((_, i) =>
    measures.some((m) => (importance.measures[m]?.[i] ?? 0) > 0),
  );
  const unused = importance.features.length - split.length;
  const notes = [
    ...(order.length < split.length ? [`the ${order.length} most important of ${split.length}`] : []),
    ...(unused > 0 ? [`${unused} of ${importance.features.length} features never split on`] : []),
  ];
  const heading = `${title}: feature importance${notes.length ? ` (${notes.join("; ")})` : ""}`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" ${FONT}>`,
    `<title>${esc(heading)}</title>`,
    `<rect width="${W}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600">${esc(heading)}</text>`,
  ];
  measures.forEach((m, k) => {
    const values = importance.measures[m]!;
    const top = M.top + k * panelH;
    const max = Math.max(0, ...order.map((e) => values[e.i] ?? 0)) || 1;
    parts.push(`<g class="panel" data-measure="${esc(m)}">`);
    parts.push(`<text x="16" y="${top + 16}" font-size="14" font-weight="600">${esc(m)}</text>`);
    order.forEach((e, j) => {
      const v = values[e.i] ?? 0;
      const y = top + 26 + j * (BAR_H + 4);
      const w = ((W - M.left - M.right) * Math.max(0, v)) / max;
      parts.push(
        `<text x="${M.left - 8}" y="${px(y + BAR_H / 2)}" font-size="12" text-anchor="end" dominant-baseline="middle">${esc(e.f)}</text>`,
        `<rect class="bar" data-measure="${esc(m)}" data-feature="${esc(e.f)}" data-value="${v}" x="${M.left}" y="${y}" width="${px(w)}" height="${BAR_H}" fill="${PALETTE[k % PALETTE.length]}"/>`,
        `<text x="${px(M.left + w + 6)}" y="${px(y + BAR_H / 2)}" font-size="11" dominant-baseline="middle" fill="#555">${esc(label(v))}</text>`,
      );
    });
    parts.push("</g>");
  });
  parts.push("</svg>", "");
  return parts.join("\n");
}
