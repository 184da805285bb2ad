/**
 * The constraints of the framework's plain values (strings, numbers, blobs) and of a list's or
 * map's size, checked and phrased as its messages phrase them ("Member must …").
 */
import type { Shape } from "./model.js";
import { javaPatternToRegExp } from "./pattern.js";

const compiled = new Map<string, RegExp>();

function matches(pattern: string, value: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = javaPatternToRegExp(pattern);
    compiled.set(pattern, re);
  }
  return re.test(value);
}

/** A value's length as the framework counts it: UTF-16 units of a string, bytes of a blob, entries. */
function lengthOf(value: unknown): number {
  if (typeof value === "string" || Array.isArray(value)) return value.length;
  if (value instanceof Uint8Array) return value.length;
  if (typeof value === "object" && value !== null) return Object.keys(value).length;
  return 0;
}

/** Every constraint of a plain shape, as the "Member must …" phrases the framework lists. */
export function describe(shape: Shape): string[] {
  const out: string[] = [];
  if (shape.type === "boolean" || shape.type === "timestamp" || shape.type === "structure") return out;
  const what =
    shape.type === "integer" || shape.type === "long" || shape.type === "float" || shape.type === "double"
      ? "value"
      : "length";
  if (shape.max !== undefined) out.push(`Member must have ${what} less than or equal to ${shape.max}`);
  if (shape.min !== undefined) out.push(`Member must have ${what} greater than or equal to ${shape.min}`);
  if (shape.type === "string") {
    if (shape.pattern !== undefined)
      out.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
    if (shape.enum) out.push(`Member must satisfy enum value set: [${shape.enum.join(", ")}]`);
  }
  return out;
}

/** The constraints of a plain shape that `value` (of the right type) fails, as phrases. */
export function failing(shape: Shape, value: unknown, accept?: (value: string) => boolean): string[] {
  const out: string[] = [];
  switch (shape.type) {
    case "integer":
    case "long":
    case "float":
    case "double": {
      const n = value as number;
      if (shape.max !== undefined && n > shape.max)
        out.push(`Member must have value less than or equal to ${shape.max}`);
      if (shape.min !== undefined && n < shape.min)
        out.push(`Member must have value greater than or equal to ${shape.min}`);
      return out;
    }
    case "string":
    case "blob":
    case "list":
    case "map": {
      // A blob travels in JSON as base64: its constraints count the bytes it stands for.
      const n =
        shape.type === "blob" && typeof value === "string"
          ? Buffer.byteLength(value, "base64")
          : lengthOf(value);
      if (shape.max !== undefined && n > shape.max)
        out.push(`Member must have length less than or equal to ${shape.max}`);
      if (shape.min !== undefined && n < shape.min)
        out.push(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.type === "string") {
        const s = value as string;
        if (shape.pattern !== undefined && !matches(shape.pattern, s) && !accept?.(s))
          out.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
        if (shape.enum && !shape.enum.includes(s))
          out.push(`Member must satisfy enum value set: [${shape.enum.join(", ")}]`);
      }
      return out;
    }
    default:
      return out;
  }
}

export const PLAIN = new Set<Shape["type"]>([
  "string",
  "integer",
  "long",
  "float",
  "double",
  "boolean",
  "timestamp",
  "blob",
]);
