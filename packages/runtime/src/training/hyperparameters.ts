/**
 * Declared hyperparameters: an algorithm lists each one's type, range, default and aliases as
 * plain data, and `validateDeclared` turns SageMaker's strings into typed values before training,
 * with messages that name the parameter, the value and what is allowed (and "did you mean" for a
 * misspelt name). Plain data, so that a project's algorithm module needs no import. Pure.
 */
import { SagebrewError } from "../errors/index.js";

interface Common<T> {
  /** Used when the job does not set the hyperparameter. */
  readonly default?: T;
  /** `true`, or a hint for the message when it is missing (`the number of boosting rounds, e.g. 100`). */
  readonly required?: true | string;
  /** One line for the documentation. */
  readonly description?: string;
  /** The range a tuning job would search, for the documentation. */
  readonly tunable?: readonly [number, number];
}

/** An integer or a number, with optional bounds (`min`/`max` inclusive, `gt`/`lt` exclusive). */
export interface NumberHyperparameter extends Common<number> {
  readonly type: "int" | "float";
  readonly min?: number;
  readonly max?: number;
  readonly gt?: number;
  readonly lt?: number;
}
/** `true` or `false` (any case). */
export interface BoolHyperparameter extends Common<boolean> {
  readonly type: "bool";
}
/** One of a list of strings. */
export interface EnumHyperparameter<V extends string = string> extends Common<V> {
  readonly type: "enum";
  readonly values: readonly V[];
}
/** Any string (trimmed). */
export interface StringHyperparameter extends Common<string> {
  readonly type: "string";
}
/**
 * A value with its own syntax: `parse` returns it or throws an Error whose message says what is
 * wrong (it becomes `Hyperparameter <name>: <message>`).
 */
export interface CustomHyperparameter<T = unknown> extends Common<T> {
  readonly type: "custom";
  /** What a valid value looks like, for the documentation (`comma list of metric names`). */
  readonly syntax: string;
  parse(raw: string): T;
}

/** How one hyperparameter is declared. */
export type HyperparameterDeclaration =
  | NumberHyperparameter
  | BoolHyperparameter
  | EnumHyperparameter
  | StringHyperparameter
  | CustomHyperparameter;

/** Name → declaration. */
export type HyperparameterDeclarations = Readonly<Record<string, HyperparameterDeclaration>>;

type ValueOf<D> = D extends { type: "int" | "float" }
  ? number
  : D extends { type: "bool" }
    ? boolean
    : D extends { type: "enum"; values: readonly (infer V)[] }
      ? V
      : D extends { type: "string" }
        ? string
        : D extends { type: "custom"; parse(raw: string): infer T }
          ? T
          : never;

type Settled<D> = D extends { default: unknown }
  ? true
  : D extends { required: true | string }
    ? true
    : false;

/** The typed values of a set of declarations: present when defaulted or required, else optional. */
export type HyperparameterValues<Ds> = {
  readonly [K in keyof Ds as Settled<Ds[K]> extends true ? K : never]: ValueOf<Ds[K]>;
} & {
  readonly [K in keyof Ds as Settled<Ds[K]> extends true ? never : K]?: ValueOf<Ds[K]>;
};

/** Reports a broken dependency between hyperparameters: `fail("num_class", "missing; …")`. */
export type HyperparameterFail = (name: string, message: string) => never;

/** What an algorithm declares about its hyperparameters. */
export interface HyperparameterSchema<Ds extends HyperparameterDeclarations = HyperparameterDeclarations> {
  readonly declarations: Ds;
  /** Other names accepted for a hyperparameter: alias → name. */
  readonly aliases?: Readonly<Record<string, string>>;
  /**
   * Dependencies between hyperparameters, checked after each one is valid on its own
   * (`num_class` is required for a `multi:*` objective).
   */
  readonly check?: (values: HyperparameterValues<Ds>, fail: HyperparameterFail) => void;
  /**
   * Replaces the declared validation altogether: takes the job's hyperparameters and returns the
   * validated values, or throws the job's failure (the XGBoost algorithm under `SAGEBREW_EMULATE`
   * validates as SageMaker's image does).
   */
  readonly validate?: (
    input: Readonly<Record<string, string>>,
  ) => ValidatedHyperparameters<HyperparameterValues<Ds>>;
}

/** The validated hyperparameters. */
export interface ValidatedHyperparameters<V> {
  /** Typed values, defaults applied. */
  readonly values: V;
  /** Names (aliases resolved) that the job set itself, in the order given. */
  readonly given: readonly string[];
  /** Alias → name for each alias the job used. */
  readonly aliasesUsed: Readonly<Record<string, string>>;
}

/** The error of one hyperparameter: `Hyperparameter eta: 2 is not in [0, 1]`. */
export function hyperparameterError(name: string, message: string): SagebrewError {
  return new SagebrewError("SB_HYPERPARAMETER", `Hyperparameter ${name}: ${message}`);
}

const fail: HyperparameterFail = (name, message) => {
  throw hyperparameterError(name, message);
};

/** `[0, 1]`, `(0, 1]`, `[1, inf)`: the allowed range of a number. */
export function describeRange(d: NumberHyperparameter): string {
  const lo = d.gt !== undefined ? `(${d.gt}` : d.min !== undefined ? `[${d.min}` : "(-inf";
  const hi = d.lt !== undefined ? `${d.lt})` : d.max !== undefined ? `${d.max}]` : "inf)";
  return `${lo}, ${hi}`;
}

/** What a valid value of `d` looks like, for documentation. */
export function describeDeclaration(d: HyperparameterDeclaration): string {
  switch (d.type) {
    case "int":
    case "float":
      return `${d.type} in ${describeRange(d)}`;
    case "bool":
      return "`true` or `false`";
    case "enum":
      return d.values.map((v) => `\`${v}\``).join(", ");
    case "string":
      return "string";
    case "custom":
      return d.syntax;
  }
}

/** Python's `int()` grammar, as SageMaker's containers parse values (less `_` separators). */
export const INTEGER_NUMBER = /^[+-]?\d+$/;
/** Python's `float()` grammar, less `_` separators and non-finite values. */
export const DECIMAL_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseNumber(name: string, raw: string, d: NumberHyperparameter): number {
  const t = raw.trim();
  const v = (d.type === "int" ? INTEGER_NUMBER : DECIMAL_NUMBER).test(t) ? Number(t) : Number.NaN;
  if (!Number.isFinite(v) || (d.type === "int" && !Number.isSafeInteger(v))) {
    fail(
      name,
      `could not parse value ${JSON.stringify(raw)} as ${d.type === "int" ? "an integer" : "a number"}`,
    );
  }
  const below = (d.min !== undefined && v < d.min) || (d.gt !== undefined && v <= d.gt);
  const above = (d.max !== undefined && v > d.max) || (d.lt !== undefined && v >= d.lt);
  if (below || above) fail(name, `${t} is not in ${describeRange(d)}`);
  return v;
}

function parseValue(name: string, raw: string, d: HyperparameterDeclaration): unknown {
  switch (d.type) {
    case "int":
    case "float":
      return parseNumber(name, raw, d);
    case "bool": {
      const v = raw.trim().toLowerCase();
      if (v !== "true" && v !== "false") fail(name, `${JSON.stringify(raw)} is not true or false`);
      return v === "true";
    }
    case "enum": {
      const v = raw.trim();
      if (!d.values.includes(v)) fail(name, `${JSON.stringify(raw)} is not one of ${d.values.join(", ")}`);
      return v;
    }
    case "string":
      return raw.trim();
    case "custom":
      try {
        return d.parse(raw);
      } catch (e) {
        if (e instanceof SagebrewError) throw e;
        return fail(name, e instanceof Error ? e.message : String(e));
      }
  }
}

/** The closest known name within two edits, for "did you mean" hints. */
export function suggestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** Resolves aliases; a name given twice (itself and an alias) is an error. */
function resolveAliases(
  input: Readonly<Record<string, string>>,
  aliases: Readonly<Record<string, string>>,
): { raw: Record<string, string>; used: Record<string, string> } {
  const raw: Record<string, string> = {};
  const used: Record<string, string> = {};
  for (const [given, value] of Object.entries(input)) {
    const name = Object.hasOwn(aliases, given) ? aliases[given]! : given;
    if (Object.hasOwn(raw, name))
      fail(name, `given twice (as ${given} and ${name === given ? "an alias" : name})`);
    if (name !== given) used[given] = name;
    raw[name] = value;
  }
  return { raw, used };
}

/**
 * Validates the job's hyperparameters (strings) against an algorithm's declarations: aliases,
 * then required names, then unknown names, then each value, then the dependencies.
 *
 * @example validateDeclared({ declarations: { k: { type: "int", min: 1, default: 3 } } }, { k: "5" }, "k-means").values.k // 5
 * @throws SagebrewError SB_HYPERPARAMETER naming the parameter, the value and what is allowed.
 */
export function validateDeclared<Ds extends HyperparameterDeclarations>(
  schema: HyperparameterSchema<Ds>,
  input: Readonly<Record<string, string>>,
  algorithm: string,
): ValidatedHyperparameters<HyperparameterValues<Ds>> {
  if (schema.validate) return schema.validate(input);
  const declarations: HyperparameterDeclarations = schema.declarations;
  const aliases = schema.aliases ?? {};
  const { raw, used } = resolveAliases(input, aliases);
  for (const [name, d] of Object.entries(declarations)) {
    if (d.required !== undefined && !Object.hasOwn(raw, name)) {
      fail(name, `missing; it is required${typeof d.required === "string" ? ` (${d.required})` : ""}`);
    }
  }
  const known = Object.keys(declarations).concat(Object.keys(aliases));
  for (const name of Object.keys(raw)) {
    if (!Object.hasOwn(declarations, name)) {
      const hint = suggestName(name, known);
      fail(
        name,
        `not a hyperparameter of the ${algorithm} algorithm${hint ? ` (did you mean ${hint}?)` : ""}`,
      );
    }
  }
  const values: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(declarations)) {
    if (d.default !== undefined) values[name] = d.default;
  }
  for (const [name, value] of Object.entries(raw))
    values[name] = parseValue(name, value, declarations[name]!);
  const typed = Object.freeze(values) as HyperparameterValues<Ds>;
  schema.check?.(typed, fail);
  return { values: typed, given: Object.freeze(Object.keys(raw)), aliasesUsed: Object.freeze(used) };
}
