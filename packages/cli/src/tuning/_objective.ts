/**
 * The objective of a tuning job: its metric name, whether it is maximised or minimised, and how
 * its values are read from a training job's log. The built-in XGBoost algorithm's metrics come
 * from the runtime's one list (`XGBOOST_TUNING_METRICS`, `MAXIMIZE_METRICS`, …); a custom image
 * names its metrics in `MetricDefinitions`, whose regexes are matched against each log line as
 * SageMaker matches them (the first capture group; a TAB may show as `#011`). Pure.
 */
import {
  CUSTOM_METRICS,
  MAXIMIZE_METRICS,
  type MetricDefinition,
  metricDefinition,
  SagebrewError,
  XGBOOST_METRICS,
  XGBOOST_TUNING_METRICS,
} from "@sagebrew/runtime/core";

export type ObjectiveType = "Maximize" | "Minimize";

export interface Objective {
  readonly type: ObjectiveType;
  readonly metricName: string;
}

const fail = (message: string): never => {
  throw new SagebrewError("SB_TUNING", message);
};

/** The metric part of `validation:auc` (`auc`), or undefined when the name has no set. */
function metricPart(name: string): string | undefined {
  const colon = name.indexOf(":");
  return colon > 0 ? name.slice(colon + 1) : undefined;
}

/** True when `name` is `<set>:<metric>` of a metric the built-in XGBoost algorithm prints. */
export function isXGBoostMetric(name: string): boolean {
  const m = metricPart(name);
  if (m === undefined) return false;
  const base = m.replace(/@.*$/, "");
  return (
    (XGBOOST_METRICS as readonly string[]).includes(base) || (CUSTOM_METRICS as readonly string[]).includes(m)
  );
}

/** The direction a built-in metric is optimised in, or undefined for a metric sagebrew does not know. */
export function defaultDirection(name: string): ObjectiveType | undefined {
  if (!isXGBoostMetric(name)) return undefined;
  const m = metricPart(name)!.replace(/@.*$/, "");
  return MAXIMIZE_METRICS.has(m) ? "Maximize" : "Minimize";
}

/**
 * Reads `--objective validation:auc[:max|:min]`: the direction is the metric's own for the
 * built-in algorithm's metrics, and must be given for any other.
 *
 * @throws SagebrewError SB_TUNING for an empty name or a custom metric without a direction.
 * @example parseObjective("validation:rmse") // { type: "Minimize", metricName: "validation:rmse" }
 */
export function parseObjective(text: string): Objective {
  const m = /^(.+?)(?::(max|min|maximize|minimize))?$/i.exec(text.trim());
  const name = m?.[1] ?? "";
  if (name === "")
    fail(`Cannot use objective ${JSON.stringify(text)}: give a metric name such as validation:auc`);
  const given = m?.[2]?.toLowerCase();
  const type: ObjectiveType | undefined =
    given === undefined ? defaultDirection(name) : given.startsWith("max") ? "Maximize" : "Minimize";
  if (type === undefined) {
    fail(
      `Cannot tune on ${name}: it is not a metric of the built-in XGBoost algorithm (AWS lists ${XGBOOST_TUNING_METRICS.map((m) => m.name).join(", ")}), so say which way is better: ${name}:max or ${name}:min`,
    );
  }
  return { type: type!, metricName: name };
}

/** True when `a` is strictly better than `b` under `type`. */
export function isBetter(type: ObjectiveType, a: number, b: number): boolean {
  return type === "Maximize" ? a > b : a < b;
}

/** The value oriented so that larger is better (what the strategies compare). */
export function oriented(type: ObjectiveType, value: number): number {
  return type === "Maximize" ? value : -value;
}

/**
 * The regex that reads the objective from a log line: the job's own `MetricDefinitions` entry of
 * that name, else (a built-in XGBoost metric) the evaluation-line regex the runtime generates.
 *
 * @throws SagebrewError SB_TUNING when neither defines the metric, or the regex does not compile.
 */
export function objectiveDefinition(
  objective: Objective,
  definitions: readonly MetricDefinition[] = [],
): MetricDefinition {
  const own = definitions.find((d) => d.Name === objective.metricName);
  if (own) {
    try {
      new RegExp(own.Regex);
    } catch (e) {
      fail(`Cannot read metric ${own.Name}: its Regex does not compile: ${(e as Error).message}`);
    }
    return own;
  }
  if (isXGBoostMetric(objective.metricName)) return metricDefinition(objective.metricName);
  return fail(
    `Cannot tune on ${objective.metricName}: no MetricDefinitions entry has that Name (give one with a Regex that captures its value)`,
  );
}

/**
 * A reader of one metric from log lines: the value of the first capture group, tried against the
 * line as printed and as CloudWatch shows it (TAB as `#011`); undefined when the line does not carry it.
 */
export function metricReader(definition: MetricDefinition): (line: string) => number | undefined {
  const regex = new RegExp(definition.Regex);
  return (line) => {
    const m = regex.exec(line) ?? (line.includes("\t") ? regex.exec(line.replaceAll("\t", "#011")) : null);
    if (m?.[1] === undefined) return undefined;
    // XGBoost prints nan and inf; they are values (the worst ones), not lines without the metric.
    const text = m[1].trim().replace(/^([-+]?)inf$/i, "$1Infinity");
    const v = /^nan$/i.test(text) ? Number.NaN : Number(text);
    return Number.isNaN(v) && !/^nan$/i.test(text) ? undefined : v;
  };
}
