/**
 * SageMaker's XGBoost container's hyperparameter validation, per image version: the toolkit's
 * `Hyperparameters.validate` (`sagemaker_algorithm_toolkit/hyperparameter_validation.py`) over the
 * declarations of `_tables.ts`, and the container's range and dependency validators
 * (`algorithm_mode/hyperparameter_validation.py`) — the same steps in the same order, with the
 * same messages. Pure.
 */
import type { XGBoostImageVersion } from "../../../config/emulate.js";
import {
  evalLiteral,
  isFloat,
  numeric,
  PyException,
  type PyValue,
  pyEquals,
  pyFloat,
  pyInt,
  pyIter,
  pyStr,
} from "./_py.js";
import type { UpstreamHyperparameter, UpstreamTable } from "./_table-types.js";
import { UPSTREAM_TABLES } from "./_tables.js";

/** An exception the container raises itself: `UserError` or `AlgorithmError`, with its text. */
export class UpstreamError extends Error {
  constructor(
    readonly upstreamClass: "UserError" | "AlgorithmError",
    message: string,
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

/**
 * Where the container itself would crash with a Python traceback (`KeyError`, `NameError`, …): the
 * exception it would die of, said in a sentence. SageMaker shows such a job as an algorithm error.
 */
export class UpstreamCrash extends Error {
  constructor(
    readonly pyClass: string,
    readonly pyMessage: string,
    sentence: string,
  ) {
    super(sentence);
    this.name = "UpstreamCrash";
  }
}

const user = (m: string) => new UpstreamError("UserError", m);

/** The declarations of a version. */
export function upstreamTable(version: XGBoostImageVersion): UpstreamTable {
  return UPSTREAM_TABLES[version];
}

function interval(h: UpstreamHyperparameter) {
  const [minOpen, minClosed, maxOpen, maxClosed] = h.interval!;
  const str =
    (minOpen !== null ? `(${minOpen}, ` : minClosed !== null ? `[${minClosed}, ` : "(-inf, ") +
    (maxOpen !== null ? `${maxOpen})` : maxClosed !== null ? `${maxClosed}]` : "+inf)");
  const contains = (v: PyValue): boolean => {
    const n = numeric(v);
    if (n === undefined) {
      const type =
        typeof v === "string" ? "str" : Array.isArray(v) ? "list" : v === null ? "NoneType" : "tuple";
      throw new PyException("TypeError", `'<' not supported between instances of '${type}' and 'int'`);
    }
    return !(
      (minOpen !== null && n <= Number(minOpen)) ||
      (minClosed !== null && n < Number(minClosed)) ||
      (maxOpen !== null && n >= Number(maxOpen)) ||
      (maxClosed !== null && n > Number(maxClosed))
    );
  };
  return { str, contains };
}

const listStr = (values: readonly (string | number)[]) => pyStr(values.map(toPy));
const toPy = (v: string | number): PyValue => (typeof v === "number" ? BigInt(v) : v);
const inList = (values: readonly (string | number)[], v: PyValue) => values.some((x) => pyEquals(toPy(x), v));

/** `Hyperparameter.parse` of each toolkit class. */
function parse(h: UpstreamHyperparameter, raw: string): PyValue {
  try {
    switch (h.kind) {
      case "int":
        return pyInt(raw);
      case "float":
        return { float: pyFloat(raw) };
      case "list":
        return raw.split(",");
      case "nested":
        return evalLiteral(raw, "literal_eval");
      case "tuple":
        return evalLiteral(raw, "eval");
      default:
        return raw;
    }
  } catch (e) {
    if (e instanceof PyException && e.pyClass === "ValueError") {
      throw user(`Hyperparameter ${h.name}: could not parse value (caused by ValueError)`);
    }
    throw crash(e, `Hyperparameter ${h.name}: cannot read ${JSON.stringify(raw)} as a Python literal`);
  }
}

function crash(e: unknown, sentence: string): UpstreamCrash {
  if (e instanceof PyException) {
    const what =
      e.pyClass === "Unsupported" ? "an expression that is not a literal" : `${e.pyClass}: ${e.message}`;
    return new UpstreamCrash(e.pyClass, e.message, `${sentence} (${what})`);
  }
  throw e;
}

/** `Hyperparameter.validate_range` of each toolkit class, with the container's range validators. */
function validateRange(h: UpstreamHyperparameter, v: PyValue, version: UpstreamTable): void {
  // The toolkit writes `any([x not in range for x in value])`: every element is checked (and may
  // raise) before the answer is read.
  if (h.kind === "list") {
    const values = h.values ?? [];
    const isMetric = h.name === "eval_metric";
    const misses = (v as string[]).map((m) => !(isMetric ? evalMetricInRange(values, m) : inList(values, m)));
    if (misses.some(Boolean))
      throw user(`Hyperparameter ${h.name}: value ${pyStr(v)} not in range ${listStr(values)}`);
    return;
  }
  if (h.kind === "nested") {
    const range = interval(h);
    const misses = pyIter(v).flatMap((outer) => pyIter(outer).map((element) => !range.contains(element)));
    if (misses.some(Boolean))
      throw user(`Hyperparameter ${h.name}: value ${pyStr(v)} not in range ${range.str}`);
    return;
  }
  if (h.kind === "tuple") {
    const misses = pyIter(v).map((element) => !inList(h.values ?? [], element));
    if (misses.some(Boolean))
      throw user(`Hyperparameter ${h.name}: value ${pyStr(v)} not in range ${listStr(h.values ?? [])}`);
    return;
  }
  if (h.interval) {
    if (!interval(h).contains(v))
      throw user(`Hyperparameter ${h.name}: ${pyStr(v)} is not in ${interval(h).str}`);
    return;
  }
  // 0.90 and 1.0 refuse GPU tree methods and predictors in their range validators.
  const gpuCheck =
    (h.name === "tree_method" && version.validators.tree_method_range_validator === "888a1b") ||
    (h.name === "predictor" && version.validators.predictor_validator === "8c5f7c");
  if (gpuCheck && (v as string).includes("gpu")) throw user("GPU training is not supported yet.");
  if (!inList(h.values ?? [], v))
    throw user(`Hyperparameter ${h.name}: ${pyStr(v)} is not in ${listStr(h.values ?? [])}`);
}

/** `eval_metric_range_validator`: a metric name, or `error|ndcg|map@<float>`. */
function evalMetricInRange(supported: readonly (string | number)[], metric: string): boolean {
  if (metric.includes("<function"))
    throw user(`User defined evaluation metric ${metric} is not supported yet.`);
  if (metric.includes("@")) {
    const [name, threshold] = metric.split("@") as [string, string];
    if (!["error", "ndcg", "map"].includes(name.trim())) {
      throw user(
        `Metric '${metric}' is not supported. Parameter 'eval_metric' with customized threshold should be one of these options: 'error', 'ndcg', 'map'.`,
      );
    }
    try {
      pyFloat(threshold.trim());
    } catch {
      throw user(`Threshold value 't' in '${name.trim()}@t' expects float input.`);
    }
    return true;
  }
  return supported.includes(metric);
}

/** Updater lists of each variant of `updater_validator`. */
const UPDATERS: Record<
  string,
  { tree: string[]; build: string[]; treeMessage: string; buildMessage: string }
> = {
  // 0.90-1, 0.90-2
  "46d5ac": {
    tree: [
      "grow_colmaker",
      "distcol",
      "grow_histmaker",
      "grow_local_histmaker",
      "grow_skmaker",
      "sync",
      "refresh",
      "prune",
    ],
    build: ["grow_colmaker", "distcol", "grow_histmaker", "grow_local_histmaker"],
    treeMessage:
      "'grow_colmaker', 'distcol', 'grow_histmaker', 'grow_local_histmaker', 'grow_skmaker', 'sync', 'refresh', 'prune', 'shortgun', 'coord_descent'.",
    buildMessage: "'grow_colmaker', 'distcol', 'grow_histmaker', 'grow_local_histmaker', 'grow_skmaker'",
  },
  // 1.0-1 … 1.5-1
  bd8ca8: {
    tree: [
      "grow_colmaker",
      "distcol",
      "grow_histmaker",
      "grow_local_histmaker",
      "grow_skmaker",
      "sync",
      "refresh",
      "prune",
      "grow_quantile_histmaker",
    ],
    build: ["grow_colmaker", "distcol", "grow_histmaker", "grow_local_histmaker", "grow_quantile_histmaker"],
    treeMessage:
      "'grow_colmaker', 'distcol', 'grow_histmaker', 'grow_local_histmaker', 'grow_skmaker', 'grow_quantile_histmaker', 'sync', 'refresh', 'prune', 'shortgun', 'coord_descent'.",
    buildMessage: "'grow_colmaker', 'distcol', 'grow_histmaker', 'grow_local_histmaker', 'grow_skmaker'",
  },
  // 1.7-1, 3.0-5
  "988b30": {
    tree: [
      "grow_colmaker",
      "distcol",
      "grow_histmaker",
      "grow_skmaker",
      "sync",
      "refresh",
      "prune",
      "grow_quantile_histmaker",
    ],
    build: ["grow_colmaker", "distcol", "grow_histmaker", "grow_quantile_histmaker"],
    treeMessage:
      "'grow_colmaker', 'distcol', 'grow_histmaker', 'grow_skmaker', 'grow_quantile_histmaker', 'sync', 'refresh', 'prune', 'shortgun', 'coord_descent'.",
    buildMessage: "'grow_colmaker', 'distcol', 'grow_histmaker', 'grow_skmaker'",
  },
};

/** The container's dependency validators. */
function validateDependencies(
  name: string,
  v: PyValue,
  deps: ReadonlyMap<string, PyValue>,
  version: UpstreamTable,
): void {
  switch (name) {
    case "objective":
      if ((v === "multi:softmax" || v === "multi:softprob") && !deps.has("num_class"))
        throw user("Require input for parameter 'num_class' for multi-classification");
      return;
    case "eval_metric": {
      const metrics = v as string[];
      const objective = () => {
        if (!deps.has("objective"))
          throw new UpstreamCrash(
            "KeyError",
            "'objective'",
            "Hyperparameter eval_metric: the container reads objective to check the metrics, and none is set (KeyError: 'objective'); set objective",
          );
        return deps.get("objective") as string;
      };
      // 0.90 and 1.0 read the objective only for `auc`.
      const early = version.validators.eval_metric_dep_validator === "cb6d19";
      const o = early ? undefined : objective();
      if (metrics.includes("auc")) {
        const obj = o ?? objective();
        if (!obj.startsWith("binary:") && !obj.startsWith("rank:"))
          throw user("Metric 'auc' can only be applied for classification and ranking problems.");
      }
      if (!early && metrics.includes("aft-nloglik") && o !== "survival:aft")
        throw user("Metric 'aft-nloglik' can only be applied for 'survival:aft' objective.");
      return;
    }
    case "updater": {
      const list = v as string[];
      const variant = UPDATERS[version.validators.updater_validator ?? ""] ?? UPDATERS["988b30"]!;
      if (deps.get("booster") === "gblinear") {
        if (!(list.length === 1 && ["shotgun", "coord_descent"].includes(list[0]!)))
          // Upstream formats a generator object here (its text holds a memory address); the options are these.
          throw user("Linear updater should be one of these options: 'shotgun', 'coord_descent'.");
      } else if (deps.get("process_type") === "update") {
        if (!list.every((u) => u === "refresh" || u === "prune"))
          throw user("process_type 'update' can only be used with updater 'refresh' and 'prune'");
      } else {
        if (!list.every((u) => variant.tree.includes(u)))
          throw user(`Tree updater should be selected from these options: ${variant.treeMessage}`);
        if (list.filter((u) => variant.build.includes(u)).length > 1)
          throw user(
            `Only one tree grow plugin can be selected. Choose one from thefollowing: ${variant.buildMessage}`,
          );
      }
      return;
    }
    case "monotone_constraints": {
      const t = deps.get("tree_method");
      if (v !== null && t !== "exact" && t !== "hist")
        throw user(
          "monotone_constraints can be used only when the tree_method parameter is set to either 'exact' or 'hist'.",
        );
      return;
    }
    case "interaction_constraints": {
      const t = deps.get("tree_method");
      if (v !== null && t !== "exact" && t !== "hist" && t !== "approx")
        throw user(
          "interaction_constraints can be used only when the tree_method parameter is set to either 'exact', 'hist' or 'approx'.",
        );
      return;
    }
  }
}

/** `Hyperparameters._sort_dependencies`: a depth-first post-order, read back from its end. */
function sortDependencies(names: readonly string[], byName: ReadonlyMap<string, UpstreamHyperparameter>) {
  const stack: string[] = [];
  const visited = new Map(names.map((n) => [n, false]));
  const visit = (name: string) => {
    visited.set(name, true);
    for (const dep of byName.get(name)?.dependencies ?? []) {
      if (visited.has(dep) && !visited.get(dep)) visit(dep);
    }
    stack.unshift(name);
  };
  for (const n of names) if (!visited.get(n)) visit(n);
  return stack;
}

/**
 * Validates hyperparameters (as `hyperparameters.json` holds them: strings) as that version's
 * container does; returns the parsed values in the order it validated them.
 *
 * @throws UpstreamError with the container's message; UpstreamCrash where it would crash.
 * @example validateUpstream("1.7-1", { num_round: "10", eta: "0.2" }) // Map { num_round → 10n, eta → {float: 0.2} }
 */
export function validateUpstream(
  version: XGBoostImageVersion,
  input: Readonly<Record<string, string>>,
): Map<string, PyValue> {
  const table = upstreamTable(version);
  const byName = new Map(table.hyperparameters.map((h) => [h.name, h]));
  // 0. aliases (a dict keeps the first position of a key assigned twice; the last value wins)
  const given = new Map<string, string>();
  for (const [k, raw] of Object.entries(input)) given.set(table.aliases[k] ?? k, raw);
  // 1. required
  for (const h of table.hyperparameters)
    if (h.required && !given.has(h.name)) throw user(`Missing required hyperparameter: ${h.name}`);
  // 2. convert
  const converted = new Map<string, PyValue>();
  for (const [name, raw] of given) {
    const h = byName.get(name);
    if (!h) throw user(`Extraneous hyperparameter found: ${name}`);
    converted.set(name, parse(h, raw));
  }
  // 3. ranges
  for (const [name, v] of converted) {
    try {
      validateRange(byName.get(name)!, v, table);
    } catch (e) {
      if (e instanceof UpstreamError || e instanceof UpstreamCrash) throw e;
      const cls = e instanceof PyException ? e.pyClass : "Exception";
      throw new UpstreamError(
        "AlgorithmError",
        `Hyperparameter ${name}: unexpected failure when validating ${pyStr(v)} (caused by ${cls})`,
      );
    }
  }
  // 4. dependencies, each after those it reads
  const sorted = sortDependencies([...converted.keys()], byName);
  const validated = new Map<string, PyValue>();
  while (sorted.length > 0) {
    const name = sorted.pop()!;
    const v = converted.get(name)!;
    const h = byName.get(name)!;
    if (h.dependencies) {
      const deps = new Map(h.dependencies.filter((d) => validated.has(d)).map((d) => [d, validated.get(d)!]));
      validateDependencies(name, v, deps, table);
    }
    validated.set(name, v);
  }
  return validated;
}

/** A validated value as JSON (ints as numbers, NaN and infinities as Python writes them), for comparisons. */
export function pyToJson(v: PyValue): unknown {
  if (typeof v === "bigint") return Math.abs(Number(v)) < 2 ** 53 ? Number(v) : v.toString();
  if (isFloat(v)) return Number.isFinite(v.float) ? v.float : pyStr(v);
  if (Array.isArray(v)) return v.map(pyToJson);
  if (typeof v === "object" && v !== null) return v.tuple.map(pyToJson);
  return v;
}
