/** Human-readable lines about a finished training run, shared by `train` and `sagebrew train`. */
import type { TrainingSummary } from "./run.js";

const secs = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The summary lines printed after training. */
export function summaryLines(s: TrainingSummary): string[] {
  const stop =
    s.stoppedBy === "early-stopping"
      ? ` (early stopping after ${s.rounds} of ${s.totalRounds})`
      : s.stoppedBy === "signal"
        ? ` (stopped by SIGTERM; ${s.totalRounds} planned)`
        : "";
  const lines = [
    `rounds: ${s.rounds}${stop}`,
    `data: ${s.trainRows} training rows${s.validationRows ? `, ${s.validationRows} validation rows` : ""}, ${s.features} features${s.classNames ? `, classes ${s.classNames.join(", ")}` : ""}`,
  ];
  if (s.bestIteration !== undefined)
    lines.push(`best iteration: ${s.bestIteration} (${s.stoppingMetric} ${s.bestScore})`);
  const last = s.finalMetrics.map((m) => `${m.set}-${m.metric} ${m.value}`).join(", ");
  if (last) lines.push(`final metrics: ${last}`);
  lines.push(
    `time: ${secs(s.totalMs)} total (load ${secs(s.loadMs)}, dmatrix ${secs(s.dmatrixMs)}, boosting ${secs(s.boostMs)})`,
  );
  if (s.modelPath) lines.push(`model: ${s.modelPath} (${bytes(s.modelBytes ?? 0)})`);
  return lines;
}
