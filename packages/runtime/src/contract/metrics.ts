/**
 * Metric lines and the `MetricDefinitions` that read them (https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-define-metrics-variables.html). Training
 * prints one line per round in XGBoost's evaluation format, `[3]\ttrain-rmse:0.41\tvalidation-rmse:0.52`;
 * SageMaker matches each definition's regex against the job's log, where a tab shows as `#011`,
 * and takes the first capture group as the value. Pure.
 */

/** One `MetricDefinitions` entry of `CreateTrainingJob`'s `AlgorithmSpecification`. */
export interface MetricDefinition {
  /** `validation:auc`: the data set (channel) and the metric. */
  readonly Name: string;
  readonly Regex: string;
}

/** SageMaker accepts at most this many metric definitions per job. */
export const MAX_METRIC_DEFINITIONS = 40;

/**
 * A metric value as XGBoost prints it: the shortest decimal that reads back as the same double,
 * `nan`, `inf` and `-inf` for the non-finite.
 *
 * @example formatMetricValue(0.1 + 0.2) // "0.30000000000000004"
 */
export function formatMetricValue(v: number): string {
  if (!Number.isFinite(v)) return String(v).toLowerCase().replace("infinity", "inf");
  return String(Number(v.toPrecision(17)));
}

/**
 * The metric line of one round.
 *
 * @example metricLine(3, [{ set: "train", metric: "rmse", value: 0.41 }]) // "[3]\ttrain-rmse:0.41"
 */
export function metricLine(
  round: number,
  metrics: ReadonlyArray<{ readonly set: string; readonly metric: string; readonly value: number }>,
): string {
  let line = `[${round}]`;
  for (const m of metrics) line += `\t${m.set}-${m.metric}:${formatMetricValue(m.value)}`;
  return line;
}

/** Parses a metric line back into its entries (sets are the text before the first `-`). */
export function parseMetricLine(line: string): Array<{ set: string; metric: string; value: number }> {
  const out: Array<{ set: string; metric: string; value: number }> = [];
  for (const part of line.split(/\t|#011/).slice(1)) {
    const m = /^(.+?)-(.+):(.+)$/.exec(part.trim());
    if (m) out.push({ set: m[1]!, metric: m[2]!, value: Number(m[3]) });
  }
  return out;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A number as printed by `formatMetricValue`, in a capture group. */
const VALUE = "([-+]?(?:[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?|nan|inf))";

/**
 * The `MetricDefinitions` entry for `set:metric` (SageMaker's names, `validation:auc`): matches
 * the metric line whether the log shows the tab as a tab or as `#011`.
 *
 * @example metricDefinition("validation:auc").Regex // ".*\\[[0-9]+\\].*(?:\\t|#011)validation-auc:(…)"
 * @throws RangeError when `name` is not `set:metric`.
 */
export function metricDefinition(name: string): MetricDefinition {
  const colon = name.indexOf(":");
  if (colon <= 0 || colon === name.length - 1) {
    throw new RangeError(
      `Cannot define metric ${JSON.stringify(name)}: expected <set>:<metric> such as validation:auc`,
    );
  }
  const set = name.slice(0, colon);
  const metric = name.slice(colon + 1);
  return {
    Name: name,
    Regex: `.*\\[[0-9]+\\].*(?:\\t|#011)${escapeRegex(set)}-${escapeRegex(metric)}:${VALUE}`,
  };
}

/**
 * `MetricDefinitions` for every set and metric: `metricDefinitions(["train", "validation"], ["auc"])`.
 *
 * @throws RangeError when there would be more than `MAX_METRIC_DEFINITIONS`.
 */
export function metricDefinitions(sets: readonly string[], metrics: readonly string[]): MetricDefinition[] {
  const out = sets.flatMap((s) => metrics.map((m) => metricDefinition(`${s}:${m}`)));
  if (out.length > MAX_METRIC_DEFINITIONS) {
    throw new RangeError(
      `Cannot define ${out.length} metrics: SageMaker accepts at most ${MAX_METRIC_DEFINITIONS} per training job`,
    );
  }
  return out;
}
