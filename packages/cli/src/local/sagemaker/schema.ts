/**
 * Request shapes checked the way AWS's service framework checks them: a member of the wrong JSON
 * type is a `SerializationException` ("NUMBER_VALUE can not be converted to a String"); every
 * constraint that fails (required, length, pattern, enum, range) is collected into one
 * `ValidationException` — "2 validation errors detected: Value 'a_b' at 'trainingJobName' failed
 * to satisfy constraint: Member must satisfy regular expression pattern: …; …". Paths name members
 * in lower camel case with 1-based list indexes (`productionVariants.1.member.modelName`).
 * Constraints are copied from the SageMaker API model (botocore's service-2.json).
 */
import { serialization, validation } from "./api-error.js";

export type Schema =
  | {
      readonly t: "string";
      readonly min?: number;
      readonly max?: number;
      /** A Java-style pattern, matched against the whole value. */
      readonly pattern?: string;
      readonly enum?: readonly string[];
    }
  | { readonly t: "integer" | "long" | "float"; readonly min?: number; readonly max?: number }
  | { readonly t: "boolean" }
  | { readonly t: "timestamp" }
  | { readonly t: "list"; readonly member: Schema; readonly min?: number; readonly max?: number }
  | {
      readonly t: "map";
      readonly key: Schema;
      readonly value: Schema;
      readonly min?: number;
      readonly max?: number;
    }
  | {
      readonly t: "structure";
      readonly members: Readonly<Record<string, Schema>>;
      readonly required?: readonly string[];
    }
  /** Accepted as is (members sagebrew stores but does not interpret). */
  | { readonly t: "any" };

type StringOpts = { min?: number; max?: number; pattern?: string; enum?: readonly string[] };

/** Small constructors for schemas. */
export const s = {
  str: (o: StringOpts = {}): Schema => ({ t: "string", ...o }),
  int: (o: { min?: number; max?: number } = {}): Schema => ({ t: "integer", ...o }),
  long: (o: { min?: number; max?: number } = {}): Schema => ({ t: "long", ...o }),
  float: (o: { min?: number; max?: number } = {}): Schema => ({ t: "float", ...o }),
  bool: (): Schema => ({ t: "boolean" }),
  time: (): Schema => ({ t: "timestamp" }),
  any: (): Schema => ({ t: "any" }),
  list: (member: Schema, o: { min?: number; max?: number } = {}): Schema => ({ t: "list", member, ...o }),
  map: (key: Schema, value: Schema, o: { min?: number; max?: number } = {}): Schema => ({
    t: "map",
    key,
    value,
    ...o,
  }),
  struct: (members: Record<string, Schema>, required: readonly string[] = []): Schema => ({
    t: "structure",
    members,
    required,
  }),
};

const compiled = new Map<string, RegExp>();

/** Java's `String.matches`: the whole value. `\p{…}` classes need the `u` flag. */
function matches(pattern: string, value: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, "u");
    compiled.set(pattern, re);
  }
  return re.test(value);
}

/** `camelCase` of a member name, as the framework writes paths. */
function memberPath(parent: string, name: string): string {
  const camel = name.charAt(0).toLowerCase() + name.slice(1);
  return parent ? `${parent}.${camel}` : camel;
}

/** How Java prints a value inside a message: strings raw, lists `[a, b]`, maps `{k=v}`. */
function show(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${show(v)}`)
      .join(", ")}}`;
  }
  return String(value);
}

/** The JSON token name the framework reports for a value of the wrong type. */
function token(value: unknown): string {
  if (typeof value === "string") return "STRING_VALUE";
  if (typeof value === "number") return "NUMBER_VALUE";
  if (typeof value === "boolean") return value ? "TRUE_VALUE" : "FALSE_VALUE";
  return "VALUE";
}

function typeError(value: unknown, javaType: string, path: string): never {
  if (Array.isArray(value)) throw serialization(`Start of list found where not expected (at '${path}')`);
  if (typeof value === "object" && value !== null) {
    throw serialization(`Start of structure or map found where not expected (at '${path}')`);
  }
  const article = /^[AEIOU]/.test(javaType) ? "an" : "a";
  throw serialization(`${token(value)} can not be converted to ${article} ${javaType} (at '${path}')`);
}

function lengthViolations(
  value: { length: number },
  o: { min?: number; max?: number },
  what: string,
): string[] {
  const out: string[] = [];
  if (o.max !== undefined && value.length > o.max)
    out.push(`${what} must have length less than or equal to ${o.max}`);
  if (o.min !== undefined && value.length < o.min)
    out.push(`${what} must have length greater than or equal to ${o.min}`);
  return out;
}

/** Constraint failures of a string against its schema, as "Member must …" phrases. */
function stringViolations(value: string, schema: Extract<Schema, { t: "string" }>): string[] {
  const out = lengthViolations(value, schema, "Member");
  if (schema.pattern !== undefined && !matches(schema.pattern, value))
    out.push(`Member must satisfy regular expression pattern: ${schema.pattern}`);
  if (schema.enum && !schema.enum.includes(value))
    out.push(`Member must satisfy enum value set: [${schema.enum.join(", ")}]`);
  return out;
}

/** Walks `value` against `schema`, collecting violations; throws on a type mismatch. */
function walk(schema: Schema, value: unknown, path: string, out: string[]): void {
  if (value === undefined || value === null || schema.t === "any") return;
  const fail = (phrase: string) =>
    out.push(`Value '${show(value)}' at '${path}' failed to satisfy constraint: ${phrase}`);
  switch (schema.t) {
    case "string": {
      if (typeof value !== "string") typeError(value, "String", path);
      for (const p of stringViolations(value, schema)) fail(p);
      return;
    }
    case "integer":
    case "long":
    case "float": {
      const javaType = schema.t === "integer" ? "Integer" : schema.t === "long" ? "Long" : "Float";
      if (typeof value !== "number" || !Number.isFinite(value)) typeError(value, javaType, path);
      if (schema.t !== "float" && !Number.isInteger(value)) typeError(String(value), javaType, path);
      if (schema.max !== undefined && value > schema.max)
        fail(`Member must have value less than or equal to ${schema.max}`);
      if (schema.min !== undefined && value < schema.min)
        fail(`Member must have value greater than or equal to ${schema.min}`);
      return;
    }
    case "boolean":
      if (typeof value !== "boolean") typeError(value, "Boolean", path);
      return;
    case "timestamp":
      if (typeof value !== "number") typeError(value, "Date", path);
      return;
    case "list": {
      if (!Array.isArray(value)) typeError(value, "List", path);
      for (const p of lengthViolations(value, schema, "Member")) fail(p);
      value.forEach((item, i) => {
        if (item === null || item === undefined) {
          out.push(
            `Value null at '${path}.${i + 1}.member' failed to satisfy constraint: Member must not be null`,
          );
        } else walk(schema.member, item, `${path}.${i + 1}.member`, out);
      });
      return;
    }
    case "map": {
      if (typeof value !== "object" || Array.isArray(value)) typeError(value, "Map", path);
      const entries = Object.entries(value as Record<string, unknown>);
      for (const p of lengthViolations(entries, schema, "Member")) fail(p);
      const keyPhrases = new Set<string>();
      const valuePhrases = new Set<string>();
      for (const [k, v] of entries) {
        if (schema.key.t === "string") for (const p of stringViolations(k, schema.key)) keyPhrases.add(p);
        if (v === null || v === undefined) {
          valuePhrases.add("Member must not be null");
          continue;
        }
        if (schema.value.t === "string") {
          if (typeof v !== "string") typeError(v, "String", `${path}.${k}`);
          for (const p of stringViolations(v, schema.value)) valuePhrases.add(p);
        } else walk(schema.value, v, `${path}.${k}`, out);
      }
      if (keyPhrases.size) fail(`Map keys must satisfy constraint: [${[...keyPhrases].join(", ")}]`);
      if (valuePhrases.size) fail(`Map value must satisfy constraint: [${[...valuePhrases].join(", ")}]`);
      return;
    }
    case "structure": {
      if (typeof value !== "object" || Array.isArray(value)) typeError(value, "Structure", path);
      const obj = value as Record<string, unknown>;
      for (const name of schema.required ?? []) {
        if (obj[name] === undefined || obj[name] === null) {
          out.push(
            `Value null at '${memberPath(path, name)}' failed to satisfy constraint: Member must not be null`,
          );
        }
      }
      for (const [name, member] of Object.entries(schema.members)) {
        walk(member, obj[name], memberPath(path, name), out);
      }
      return;
    }
  }
}

/**
 * Checks a request body against its schema.
 *
 * @throws ApiError `SerializationException` for a member of the wrong JSON type,
 *   `ValidationException` listing every violated constraint.
 * @example checkRequest(CREATE_MODEL, body);
 */
export function checkRequest(schema: Schema, body: unknown): void {
  const out: string[] = [];
  walk(schema, body ?? {}, "", out);
  if (out.length === 0) return;
  const n = out.length;
  throw validation(`${n} validation error${n === 1 ? "" : "s"} detected: ${out.join("; ")}`);
}
