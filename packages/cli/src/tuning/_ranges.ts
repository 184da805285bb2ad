/**
 * Hyperparameter ranges as SageMaker defines them (API ParameterRanges, IntegerParameterRange,
 * ContinuousParameterRange, CategoricalParameterRange; DG automatic-model-tuning-define-ranges):
 * integer and continuous ranges with a `ScalingType`, categorical ones with up to 30 values. Each
 * range maps a number u in [0, 1] to a value and back, on its scale, so that every strategy draws
 * and models in the same unit cube. Pure.
 */
import { SagebrewError } from "@sagebrew/runtime/core";

export type ScalingType = "Auto" | "Linear" | "Logarithmic" | "ReverseLogarithmic";
export const SCALING_TYPES: readonly ScalingType[] = ["Auto", "Linear", "Logarithmic", "ReverseLogarithmic"];

/** The scale a range is searched on once `Auto` is decided. */
export type Scale = Exclude<ScalingType, "Auto">;

export type ParameterRange =
  | {
      readonly kind: "Integer" | "Continuous";
      readonly name: string;
      readonly min: number;
      readonly max: number;
      readonly scaling: ScalingType;
    }
  | { readonly kind: "Categorical"; readonly name: string; readonly values: readonly string[] };

/** `ParameterRanges` as the API carries it (values are strings). */
export interface ParameterRangesShape {
  readonly IntegerParameterRanges?: readonly {
    readonly Name?: string;
    readonly MinValue?: string;
    readonly MaxValue?: string;
    readonly ScalingType?: string;
  }[];
  readonly ContinuousParameterRanges?: readonly {
    readonly Name?: string;
    readonly MinValue?: string;
    readonly MaxValue?: string;
    readonly ScalingType?: string;
  }[];
  readonly CategoricalParameterRanges?: readonly {
    readonly Name?: string;
    readonly Values?: readonly string[];
  }[];
}

/**
 * SageMaker's limits (DG automatic-model-tuning-limits; botocore's model): at most 30 ranges of
 * each kind and 30 searched hyperparameters in all, at most 30 values per categorical range,
 * names and values of at most 256 characters.
 */
export const RANGE_LIMITS = { perKind: 30, searched: 30, categoricalValues: 30, text: 256 } as const;

/**
 * The largest / smallest ratio over which `Auto` searches a positive range logarithmically.
 * SageMaker does not publish how `Auto` chooses; sagebrew searches a range that spans two orders of
 * magnitude or more (0.001 to 0.1, 10 to 1000) on the logarithmic scale, where a uniform draw
 * would spend nearly all its trials in the top decade, and every other range linearly. `Auto`
 * never picks ReverseLogarithmic.
 */
export const AUTO_LOG_RATIO = 100;

const fail = (message: string): never => {
  throw new SagebrewError("SB_TUNING", message);
};

const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

function numberOf(name: string, field: string, raw: string | undefined, integer: boolean): number {
  if (raw === undefined) fail(`Cannot tune ${name}: ${field} is missing`);
  const text = String(raw).trim();
  const v = DECIMAL.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(v)) fail(`Cannot tune ${name}: ${field} ${JSON.stringify(raw)} is not a number`);
  if (integer && !Number.isSafeInteger(v))
    fail(`Cannot tune ${name}: ${field} ${JSON.stringify(raw)} is not an integer (IntegerParameterRanges)`);
  return v;
}

function scalingOf(name: string, raw: string | undefined): ScalingType {
  if (raw === undefined) return "Auto";
  if (!(SCALING_TYPES as readonly string[]).includes(raw))
    fail(`Cannot tune ${name}: ScalingType ${JSON.stringify(raw)} is not one of ${SCALING_TYPES.join(", ")}`);
  return raw as ScalingType;
}

function checkName(name: string | undefined, seen: Set<string>): string {
  if (name === undefined || name === "") fail("Cannot tune a range without a Name");
  const n = name as string;
  if (n.length > RANGE_LIMITS.text) fail(`Cannot tune ${n.slice(0, 40)}…: the name is over 256 characters`);
  if (seen.has(n)) fail(`Cannot tune ${n} twice: each hyperparameter may have one range`);
  seen.add(n);
  return n;
}

/** Checks a numeric range against its scale's domain (DG automatic-model-tuning-define-ranges). */
function checkNumeric(r: Extract<ParameterRange, { kind: "Integer" | "Continuous" }>): void {
  if (r.min > r.max) fail(`Cannot tune ${r.name}: MinValue ${r.min} is greater than MaxValue ${r.max}`);
  if (r.scaling === "Logarithmic" && r.min <= 0) {
    fail(
      `Cannot tune ${r.name} on a Logarithmic scale: it works only for ranges above 0, and MinValue is ${r.min}`,
    );
  }
  if (r.scaling === "ReverseLogarithmic") {
    if (r.kind === "Integer")
      fail(`Cannot tune ${r.name} on a ReverseLogarithmic scale: it is for continuous ranges only`);
    if (r.min < 0 || r.max >= 1) {
      fail(
        `Cannot tune ${r.name} on a ReverseLogarithmic scale: it works only for ranges within 0 <= x < 1, and the range is [${r.min}, ${r.max}]`,
      );
    }
  }
}

/**
 * Reads and checks `ParameterRanges`.
 *
 * @throws SagebrewError SB_TUNING naming the range and the rule it breaks.
 * @example parseParameterRanges({ ContinuousParameterRanges: [{ Name: "eta", MinValue: "0.01", MaxValue: "0.5" }] })
 */
export function parseParameterRanges(shape: ParameterRangesShape | undefined): ParameterRange[] {
  const out: ParameterRange[] = [];
  const seen = new Set<string>();
  const kinds = [
    ["IntegerParameterRanges", shape?.IntegerParameterRanges],
    ["ContinuousParameterRanges", shape?.ContinuousParameterRanges],
    ["CategoricalParameterRanges", shape?.CategoricalParameterRanges],
  ] as const;
  for (const [field, list] of kinds) {
    if ((list?.length ?? 0) > RANGE_LIMITS.perKind)
      fail(`Cannot tune ${list!.length} ${field}: SageMaker takes at most ${RANGE_LIMITS.perKind}`);
  }
  for (const r of shape?.IntegerParameterRanges ?? []) {
    const name = checkName(r.Name, seen);
    const range = {
      kind: "Integer" as const,
      name,
      min: numberOf(name, "MinValue", r.MinValue, true),
      max: numberOf(name, "MaxValue", r.MaxValue, true),
      scaling: scalingOf(name, r.ScalingType),
    };
    checkNumeric(range);
    out.push(range);
  }
  for (const r of shape?.ContinuousParameterRanges ?? []) {
    const name = checkName(r.Name, seen);
    const range = {
      kind: "Continuous" as const,
      name,
      min: numberOf(name, "MinValue", r.MinValue, false),
      max: numberOf(name, "MaxValue", r.MaxValue, false),
      scaling: scalingOf(name, r.ScalingType),
    };
    checkNumeric(range);
    out.push(range);
  }
  for (const r of shape?.CategoricalParameterRanges ?? []) {
    const name = checkName(r.Name, seen);
    const values = r.Values ?? [];
    if (values.length === 0) fail(`Cannot tune ${name}: a categorical range needs at least one value`);
    if (values.length > RANGE_LIMITS.categoricalValues)
      fail(
        `Cannot tune ${name}: ${values.length} values, over SageMaker's ${RANGE_LIMITS.categoricalValues} per categorical range`,
      );
    if (new Set(values).size !== values.length) fail(`Cannot tune ${name}: a value is listed twice`);
    for (const v of values)
      if (v.length > RANGE_LIMITS.text) fail(`Cannot tune ${name}: a value is over 256 characters`);
    out.push({ kind: "Categorical", name, values: [...values] });
  }
  if (out.length > RANGE_LIMITS.searched)
    fail(`Cannot tune ${out.length} hyperparameters: SageMaker searches at most ${RANGE_LIMITS.searched}`);
  return out;
}

/** The ranges back in the API's shape (what CreateHyperParameterTuningJob sends). */
export function toParameterRangesShape(ranges: readonly ParameterRange[]): ParameterRangesShape {
  const numeric = (kind: "Integer" | "Continuous") =>
    ranges
      .filter((r): r is Extract<ParameterRange, { kind: "Integer" | "Continuous" }> => r.kind === kind)
      .map((r) => ({
        Name: r.name,
        MinValue: String(r.min),
        MaxValue: String(r.max),
        ScalingType: r.scaling,
      }));
  const integer = numeric("Integer");
  const continuous = numeric("Continuous");
  const categorical = ranges
    .filter((r) => r.kind === "Categorical")
    .map((r) => ({ Name: r.name, Values: [...(r as { values: readonly string[] }).values] }));
  return {
    ...(integer.length ? { IntegerParameterRanges: integer } : {}),
    ...(continuous.length ? { ContinuousParameterRanges: continuous } : {}),
    ...(categorical.length ? { CategoricalParameterRanges: categorical } : {}),
  };
}

/** The scale a numeric range is searched on (`Auto` decided as `AUTO_LOG_RATIO` says). */
export function scaleOf(range: Extract<ParameterRange, { kind: "Integer" | "Continuous" }>): Scale {
  if (range.scaling !== "Auto") return range.scaling;
  return range.min > 0 && range.max / range.min >= AUTO_LOG_RATIO ? "Logarithmic" : "Linear";
}

const clamp01 = (u: number) => Math.min(1, Math.max(0, u));

/**
 * The bounds of a numeric range on its scale's axis. An integer range covers [min - 0.5, max + 0.5]
 * so that rounding gives every integer the same share of the axis (the ends included).
 */
function axis(range: Extract<ParameterRange, { kind: "Integer" | "Continuous" }>): {
  lo: number;
  hi: number;
  to: (v: number) => number;
  from: (t: number) => number;
} {
  const scale = scaleOf(range);
  const pad = range.kind === "Integer" ? 0.5 : 0;
  const a = range.min - pad;
  const b = range.max + pad;
  if (scale === "Logarithmic") {
    // An integer range starting at 1 on a log axis starts at 0.5: still above 0.
    return { lo: Math.log(a), hi: Math.log(b), to: Math.log, from: Math.exp };
  }
  if (scale === "ReverseLogarithmic") {
    // Dense near 1: uniform in log(1 - x), which runs downwards as x grows.
    return {
      lo: Math.log(1 - a),
      hi: Math.log(1 - b),
      to: (v) => Math.log(1 - v),
      from: (t) => 1 - Math.exp(t),
    };
  }
  return { lo: a, hi: b, to: (v) => v, from: (t) => t };
}

/** A continuous value as a hyperparameter string: 10 significant digits, no float noise. */
export function formatContinuous(v: number): string {
  return String(Number(v.toPrecision(10)));
}

/** A value's text: ten digits, or all of them when ten would round past an end of the range. */
function textWithin(v: number, range: { readonly min: number; readonly max: number }): string {
  const text = formatContinuous(v);
  const n = Number(text);
  return n >= range.min && n <= range.max ? text : String(v);
}

/**
 * The value at `u` in [0, 1] on the range's scale, as the string a training job receives. A
 * categorical range splits [0, 1] into equal parts, one per value.
 */
export function valueAt(range: ParameterRange, u: number): string {
  const x = clamp01(u);
  if (range.kind === "Categorical") {
    return range.values[Math.min(range.values.length - 1, Math.floor(x * range.values.length))]!;
  }
  if (range.min === range.max)
    return range.kind === "Integer" ? String(range.min) : textWithin(range.min, range);
  const ax = axis(range);
  const v = ax.from(ax.lo + x * (ax.hi - ax.lo));
  if (range.kind === "Integer") return String(Math.min(range.max, Math.max(range.min, Math.round(v))));
  return textWithin(Math.min(range.max, Math.max(range.min, v)), range);
}

/**
 * Where `value` sits in [0, 1] on the range's scale (the middle of its share for an integer or a
 * categorical value), or undefined when the range does not hold it.
 */
export function unitOf(range: ParameterRange, value: string): number | undefined {
  if (range.kind === "Categorical") {
    const i = range.values.indexOf(value);
    return i < 0 ? undefined : (i + 0.5) / range.values.length;
  }
  const text = value.trim();
  const v = DECIMAL.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(v) || v < range.min || v > range.max) return undefined;
  if (range.kind === "Integer" && !Number.isInteger(v)) return undefined;
  if (range.min === range.max) return 0.5;
  const ax = axis(range);
  return clamp01((ax.to(v) - ax.lo) / (ax.hi - ax.lo));
}

/** How many distinct values a range holds (Infinity for a continuous one). */
export function cardinality(range: ParameterRange): number {
  if (range.kind === "Categorical") return range.values.length;
  if (range.kind === "Integer") return range.max - range.min + 1;
  return range.min === range.max ? 1 : Number.POSITIVE_INFINITY;
}
