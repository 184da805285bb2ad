/**
 * The leaderboard of a tuning job as text for a terminal: one row per training job, best
 * objective first (running and failed ones after), with its status and tuned hyperparameters.
 * Pure: summaries in, lines out.
 */
import { formatMetricValue } from "@sagebrew/runtime/core";
import { isBetter, type Objective } from "./_objective.js";

/** A row of the leaderboard: what the list of a tuning job's training jobs says of one. */
export interface LeaderboardRow {
  readonly name: string;
  readonly status: string;
  readonly hyperParameters: Readonly<Record<string, string>>;
  readonly final?: number;
  /** The latest objective of a running trial, and its epoch. */
  readonly latest?: { readonly value: number; readonly epoch: number };
}

function short(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : formatMetricValue(v);
}

/**
 * The leaderboard's lines: a header, then at most `limit` rows (default 20) and a count of the
 * others. The best row is marked with `*`.
 *
 * @example leaderboardLines(rows, { metricName: "validation:auc", type: "Maximize" }, ["eta", "max_depth"])
 */
export function leaderboardLines(
  rows: readonly LeaderboardRow[],
  objective: Objective,
  names: readonly string[],
  options: { limit?: number } = {},
): string[] {
  const limit = options.limit ?? 20;
  const scored = rows.filter((r) => r.final !== undefined && Number.isFinite(r.final));
  const others = rows.filter((r) => !scored.includes(r));
  scored.sort((a, b) =>
    isBetter(objective.type, a.final!, b.final!) ? -1 : isBetter(objective.type, b.final!, a.final!) ? 1 : 0,
  );
  const ordered = [...scored, ...others];
  const best = scored[0];
  const header = ["", "training job", "status", objective.metricName, ...names];
  const table = ordered
    .slice(0, limit)
    .map((r) => [
      r === best ? "*" : " ",
      r.name,
      r.status,
      r.final !== undefined ? short(r.final) : r.latest ? `${short(r.latest.value)} @${r.latest.epoch}` : "-",
      ...names.map((n) => r.hyperParameters[n] ?? ""),
    ]);
  const all = [header, ...table];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const lines = all.map((row) =>
    row
      .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
  if (ordered.length > limit) lines.push(`  … and ${ordered.length - limit} more`);
  return lines;
}
