/**
 * The rounds an algorithm reports: each becomes a metric line (XGBoost's format, which SageMaker's
 * `MetricDefinitions` read) and an entry of `output/data/metrics.json`.
 */
import { metricLine } from "../contract/index.js";
import type { RoundMetrics, RoundReport, TrainOutput } from "./algorithm.js";

/** Records reported rounds in order. */
export class RoundHistory {
  readonly rounds: RoundReport[] = [];
  #last = performance.now();

  /** Records a round and returns it as printed. */
  record(m: RoundMetrics): RoundReport {
    const now = performance.now();
    const report: RoundReport = {
      round: m.round,
      totalRounds: m.totalRounds ?? m.round + 1,
      metrics: Object.freeze([...m.metrics]),
      line: metricLine(m.round, m.metrics),
      elapsedMs: now - this.#last,
    };
    this.#last = now;
    this.rounds.push(report);
    return report;
  }

  /** `metrics.json`: every round's values by `set-metric`, and the best round. */
  toJson(best: TrainOutput["best"]): string {
    const doc = {
      rounds: this.rounds.map((h) => ({
        round: h.round,
        ...Object.fromEntries(h.metrics.map((m) => [`${m.set}-${m.metric}`, m.value])),
      })),
      best_iteration: best?.round ?? null,
      best_score: best?.score ?? null,
      stopping_metric: best?.metric ?? null,
    };
    return `${JSON.stringify(doc, null, 1)}\n`;
  }
}
