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
  const lines: string[] = [];
  if (s.rounds > 0) {
    const stop =
      s.stoppedBy === "early-stopping"
        ? ` (early stopping after ${s.rounds} of ${s.totalRounds})`
        : s.stoppedBy === "signal"
          ? ` (stopped by SIGTERM; ${s.totalRounds} planned)`
          : "";
    lines.push(`rounds: ${s.rounds}${stop}`);
  }
  lines.push(...s.lines);
  if (s.best) lines.push(`best iteration: ${s.best.round} (${s.best.metric} ${s.best.score})`);
  const last = s.finalMetrics.map((m) => `${m.set}-${m.metric} ${m.value}`).join(", ");
  if (last) lines.push(`final metrics: ${last}`);
  const phases = [["load", s.loadMs] as const, ...Object.entries(s.timings)]
    .map(([name, ms]) => `${name} ${secs(ms)}`)
    .join(", ");
  lines.push(`time: ${secs(s.totalMs)} total (${phases})`);
  if (s.modelPath) {
    // Dot-files are metadata beside the model (SageMaker's XGBoost container skips them too).
    const others = s.modelFiles.slice(1).filter((f) => !/(^|[\\/])\.[^\\/]*$/.test(f)).length;
    const more = others > 0 ? ` and ${others} more file${others > 1 ? "s" : ""}` : "";
    lines.push(`model: ${s.modelPath} (${bytes(s.modelBytes ?? 0)})${more}`);
  }
  if (s.noModel) lines.push(`model: none on this host (${s.noModel})`);
  if (s.pictures.length) lines.push(`pictures: ${s.pictures.join(", ")}`);
  return lines;
}
