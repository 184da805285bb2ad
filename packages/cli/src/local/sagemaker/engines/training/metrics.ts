/**
 * `FinalMetricDataList`: the last value each metric took in a job's logs. Metrics come from the
 * job's `MetricDefinitions` (the first capture group of each regex, tried against the line as
 * printed and as CloudWatch shows it, with TAB as `#011`); for SageMaker's built-in XGBoost image
 * also from XGBoost's evaluation lines (`[3]\ttrain-mlogloss:0.08` → `train:mlogloss`), as the
 * built-in algorithm publishes them.
 */

export interface MetricDatum {
  readonly MetricName: string;
  readonly Value: number;
  readonly Timestamp: number;
}

const EVAL_LINE = /^\[\d+\]\t/;
const EVAL_ITEM = /^([A-Za-z0-9_]+)-([A-Za-z0-9_@.:-]+):([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)$/;

export class MetricCollector {
  readonly #definitions: Array<{ name: string; regex: RegExp }> = [];
  readonly #builtin: boolean;
  readonly #last = new Map<string, MetricDatum>();
  /** Names that came from evaluation lines (a definition of the same name wins over them). */
  readonly #builtinNames = new Set<string>();

  constructor(
    definitions: ReadonlyArray<{ Name: string; Regex: string }>,
    options: { builtinXGBoost: boolean },
  ) {
    for (const d of definitions) {
      try {
        this.#definitions.push({ name: d.Name, regex: new RegExp(d.Regex) });
      } catch {
        // a regex JavaScript cannot compile publishes nothing, as a non-matching one would not
      }
    }
    this.#builtin = options.builtinXGBoost;
  }

  /** Reads one log line printed at `timestamp` (epoch seconds). */
  feed(line: string, timestamp: number): void {
    if (this.#definitions.length) {
      const cloudwatch = line.replaceAll("\t", "#011");
      for (const d of this.#definitions) {
        const m = d.regex.exec(line) ?? d.regex.exec(cloudwatch);
        const v = m?.[1] !== undefined ? Number(m[1]) : Number.NaN;
        if (Number.isFinite(v))
          this.#last.set(d.name, { MetricName: d.name, Value: v, Timestamp: timestamp });
      }
    }
    if (this.#builtin && EVAL_LINE.test(line)) {
      for (const item of line.split("\t").slice(1)) {
        const m = EVAL_ITEM.exec(item.trim());
        if (!m) continue;
        const v = Number(m[3]);
        if (!Number.isFinite(v)) continue;
        const name = `${m[1]}:${m[2]}`;
        if (!this.#last.has(name) || this.#builtinNames.has(name)) {
          this.#builtinNames.add(name);
          this.#last.set(name, { MetricName: name, Value: v, Timestamp: timestamp });
        }
      }
    }
  }

  /** The metrics seen, sorted by name. */
  final(): MetricDatum[] {
    return [...this.#last.values()].sort((a, b) => (a.MetricName < b.MetricName ? -1 : 1));
  }
}
