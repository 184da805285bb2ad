/**
 * The one validator of requests against the API table, in the words of AWS's service framework:
 *
 * - a member of the wrong type stops the request at once as a `SerializationException`
 *   ("NUMBER_VALUE can not be converted to a String (at 'hyperParameters.max_depth')");
 * - every constraint that fails is collected into one message, "2 validation errors detected:
 *   Value 'a_b' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular
 *   expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}; Value null at 'roleArn' failed to
 *   satisfy constraint: Member must not be null", which each service answers under its own error
 *   type (SageMaker `ValidationException`, its runtime `ValidationError`, CloudWatch Logs
 *   `InvalidParameterException`).
 *
 * Paths name members in lower camel case (`resourceConfig.instanceCount`), list members by their
 * 1-based index (`productionVariants.1.member.modelName`) and map values by their key. A list or
 * map of plain values is judged as a whole, listing every constraint of its members ("Member must
 * satisfy constraint: […]", "Map keys must satisfy constraint: […]", "Map value must satisfy
 * constraint: […]"). Values print as Java prints them (`[a, b]`, `{k=v}`), whole; a sensitive
 * member's value is never printed ("Value at 'customAttributes' …").
 */

import { describe, failing, PLAIN } from "./_constraints.js";
import { type MemberRef, type ServiceApi, type Shape, shapeName, shapeOf } from "./model.js";

/** Why a request was refused: a member of the wrong type, or the constraints it fails. */
export interface Invalid {
  readonly kind: "serialization" | "validation";
  readonly message: string;
}

export interface ValidateOptions {
  /** Top-level members left out (a REST payload not read yet, checked by its size instead). */
  readonly skip?: readonly string[];
  /**
   * Local extensions, by string shape name: a value this accepts passes that shape's pattern
   * (`sagebrew local` takes `file://` URIs where SageMaker takes `s3://` ones).
   */
  readonly alsoAccept?: Readonly<Record<string, (value: string) => boolean>>;
  /**
   * Bounds beyond the model's, by number shape name: the limits a service documents but its model
   * does not state (`MaxRuntimeInSeconds` at most 28 days: api/limits.ts).
   */
  readonly tighten?: Readonly<Record<string, { readonly min?: number; readonly max?: number }>>;
}

/** Thrown inside a walk when a value has the wrong JSON type; caught at the top. */
class WrongType {
  constructor(readonly message: string) {}
}

/** A member's path segment as the framework writes it: the first letter in lower case. */
function segment(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** How Java prints a value in a message: strings raw, lists `[a, b]`, maps and structures `{k=v}`. */
function show(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (value instanceof Uint8Array)
    return `java.nio.HeapByteBuffer[pos=0 lim=${value.length} cap=${value.length}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${show(v)}`)
      .join(", ")}}`;
  }
  return String(value);
}

/** The JSON token the framework names for a value of the wrong type. */
function token(value: unknown): string {
  if (typeof value === "string") return "STRING_VALUE";
  if (typeof value === "number") return "NUMBER_VALUE";
  if (typeof value === "boolean") return value ? "TRUE_VALUE" : "FALSE_VALUE";
  return "VALUE";
}

const JAVA_TYPE: Readonly<Record<Shape["type"], string>> = {
  string: "String",
  integer: "Integer",
  long: "Long",
  float: "Float",
  double: "Double",
  boolean: "Boolean",
  timestamp: "Date",
  blob: "ByteBuffer",
  list: "List",
  map: "Map",
  structure: "Structure",
};

function wrongType(value: unknown, shape: Shape, path: string): WrongType {
  if (Array.isArray(value)) return new WrongType(`Start of list found where not expected (at '${path}')`);
  if (typeof value === "object" && value !== null && !(value instanceof Uint8Array)) {
    return new WrongType(`Start of structure or map found where not expected (at '${path}')`);
  }
  const java = JAVA_TYPE[shape.type];
  const article = /^[AEIOU]/.test(java) ? "an" : "a";
  return new WrongType(`${token(value)} can not be converted to ${article} ${java} (at '${path}')`);
}

/** Java's `int` and `long` ranges: a number outside cannot be read into the member at all. */
const INTEGER_RANGE = { integer: 2 ** 31, long: 2 ** 63 } as const;

/** Checks that `value` has the JSON type of `shape`; throws WrongType when it does not. */
function checkType(shape: Shape, value: unknown, path: string): void {
  if (!hasType(shape, value)) throw wrongType(value, shape, path);
}

/** True when `value` has the JSON type of `shape`. */
function hasType(shape: Shape, value: unknown): boolean {
  switch (shape.type) {
    case "string":
      return typeof value === "string";
    case "integer":
    case "long":
      return (
        typeof value === "number" &&
        Number.isInteger(value) &&
        value >= -INTEGER_RANGE[shape.type] &&
        value < INTEGER_RANGE[shape.type]
      );
    case "float":
    case "double":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "timestamp":
      return typeof value === "number" || value instanceof Date;
    case "blob":
      return typeof value === "string" || value instanceof Uint8Array;
    case "list":
      return Array.isArray(value);
    case "map":
    case "structure":
      return (
        typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
      );
  }
}

type MemberEntry = readonly [name: string, ref: MemberRef, required: boolean, segment: string];

/** A structure's members with whether each is required and its path segment, read from the table once per shape. */
const memberLists = new WeakMap<object, readonly MemberEntry[]>();

function membersOf(shape: Extract<Shape, { type: "structure" }>): readonly MemberEntry[] {
  let list = memberLists.get(shape);
  if (!list) {
    const required = new Set(shape.required ?? []);
    list = Object.entries(shape.members).map(
      ([name, ref]): MemberEntry => [name, ref, required.has(name), segment(name)],
    );
    memberLists.set(shape, list);
  }
  return list;
}

class Walk {
  readonly errors: string[] = [];
  constructor(
    readonly api: ServiceApi,
    readonly options: ValidateOptions = {},
  ) {}

  /** The constraints `value` fails, local extensions and tighter bounds applied. */
  failing(name: string, shape: Shape, value: unknown): string[] {
    const { alsoAccept, tighten } = this.options;
    const t = tighten && Object.hasOwn(tighten, name) ? tighten[name] : undefined;
    const bounded: Shape =
      t && shape.type !== "boolean" && shape.type !== "timestamp" && shape.type !== "structure"
        ? {
            ...shape,
            min: t.min === undefined ? shape.min : Math.max(t.min, shape.min ?? t.min),
            max: t.max === undefined ? shape.max : Math.min(t.max, shape.max ?? t.max),
          }
        : shape;
    return failing(
      bounded,
      value,
      alsoAccept && Object.hasOwn(alsoAccept, name) ? alsoAccept[name] : undefined,
    );
  }

  fail(path: string, value: unknown, sensitive: boolean, phrase: string): void {
    const shown = value === null || value === undefined ? "null " : sensitive ? "" : `'${show(value)}' `;
    this.errors.push(`Value ${shown}at '${path}' failed to satisfy constraint: ${phrase}`);
  }

  value(ref: MemberRef, value: unknown, path: string): void {
    const shape = shapeOf(this.api, shapeName(ref));
    checkType(shape, value, path);
    const sensitive = "sensitive" in shape && shape.sensitive === true;
    for (const phrase of this.failing(shapeName(ref), shape, value))
      this.fail(path, value, sensitive || shape.type === "blob", phrase);
    if (shape.type === "list") this.list(shape.member, value as unknown[], path, sensitive);
    else if (shape.type === "map")
      this.map(shape.key, shape.value, value as Record<string, unknown>, path, sensitive);
    else if (shape.type === "structure") this.structure(shape, value as Record<string, unknown>, path);
  }

  list(member: MemberRef, items: unknown[], path: string, sensitive: boolean): void {
    const shape = shapeOf(this.api, shapeName(member));
    if (!PLAIN.has(shape.type)) {
      items.forEach((item, i) => {
        const at = `${path}.${i + 1}.member`;
        if (item === null || item === undefined) this.fail(at, null, false, "Member must not be null");
        else this.value(member, item, at);
      });
      return;
    }
    // A list of plain values is judged as a whole: one message listing every constraint of its members.
    let bad = false;
    let nulls = false;
    items.forEach((item, i) => {
      if (item === null || item === undefined) nulls = true;
      else {
        checkType(shape, item, `${path}.${i + 1}.member`);
        if (this.failing(shapeName(member), shape, item).length) bad = true;
      }
    });
    if (bad || nulls) {
      const phrases = [...describe(shape), ...(nulls ? ["Member must not be null"] : [])];
      this.fail(
        path,
        items,
        sensitive || ("sensitive" in shape && shape.sensitive === true),
        `Member must satisfy constraint: [${phrases.join(", ")}]`,
      );
    }
  }

  map(
    keyRef: MemberRef,
    valueRef: MemberRef,
    map: Record<string, unknown>,
    path: string,
    sensitive: boolean,
  ): void {
    const key = shapeOf(this.api, shapeName(keyRef));
    const value = shapeOf(this.api, shapeName(valueRef));
    const plain = PLAIN.has(value.type);
    let badKey = false;
    let badValue = false;
    let nulls = false;
    for (const [k, v] of Object.entries(map)) {
      if (this.failing(shapeName(keyRef), key, k).length) badKey = true;
      if (v === null || v === undefined) {
        if (plain) nulls = true;
        else this.fail(`${path}.${k}`, null, false, "Member must not be null");
      } else if (plain) {
        checkType(value, v, `${path}.${k}`);
        if (this.failing(shapeName(valueRef), value, v).length) badValue = true;
      } else this.value(valueRef, v, `${path}.${k}`);
    }
    const hide = sensitive || ("sensitive" in value && value.sensitive === true);
    if (badKey) this.fail(path, map, hide, `Map keys must satisfy constraint: [${describe(key).join(", ")}]`);
    if (badValue || nulls) {
      const phrases = [...describe(value), ...(nulls ? ["Member must not be null"] : [])];
      this.fail(path, map, hide, `Map value must satisfy constraint: [${phrases.join(", ")}]`);
    }
  }

  structure(
    shape: Extract<Shape, { type: "structure" }>,
    obj: Record<string, unknown>,
    path: string,
    skip: readonly string[] = [],
  ): void {
    for (const [name, ref, required, seg] of membersOf(shape)) {
      const v = Object.hasOwn(obj, name) ? obj[name] : undefined;
      if ((v === null || v === undefined) && !required) continue;
      if (skip.includes(name)) continue;
      const at = path ? `${path}.${seg}` : seg;
      if (v === null || v === undefined) this.fail(at, null, false, "Member must not be null");
      else this.value(ref, v, at);
    }
  }
}

/**
 * Checks an operation's input against the table.
 *
 * @returns undefined when the input is valid, else why not (the caller answers it in its protocol).
 * @throws Error when `api` has no such operation (a caller bug).
 * @example validateInput(SAGEMAKER, "DescribeModel", { ModelName: "m_1" })?.message
 *   // "1 validation error detected: Value 'm_1' at 'modelName' failed to satisfy constraint: …"
 */
export function validateInput(
  api: ServiceApi,
  operation: string,
  input: unknown,
  options: ValidateOptions = {},
): Invalid | undefined {
  const op = Object.hasOwn(api.operations, operation) ? api.operations[operation] : undefined;
  if (!op) throw new Error(`The ${api.id} API table has no operation ${operation}`);
  if (!op.input) return undefined;
  const shape = shapeOf(api, op.input);
  const walk = new Walk(api, options);
  try {
    checkType(shape, input ?? {}, "");
    if (shape.type === "structure")
      walk.structure(shape, (input ?? {}) as Record<string, unknown>, "", options.skip);
  } catch (e) {
    if (e instanceof WrongType) return { kind: "serialization", message: e.message };
    throw e;
  }
  const n = walk.errors.length;
  if (n === 0) return undefined;
  return {
    kind: "validation",
    message: `${n} validation error${n === 1 ? "" : "s"} detected: ${walk.errors.join("; ")}`,
  };
}

/**
 * The constraints of one shape that a value fails, as the framework's "Member must …" phrases:
 * what the CLI checks a name, a count or an instance type against before it calls AWS.
 *
 * @returns no phrase when the value is valid; a value of the wrong type fails every constraint.
 * @example violations(SAGEMAKER, "TrainingJobName", "a_b")
 *   // ["Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"]
 */
export function violations(api: ServiceApi, shape: string, value: unknown): string[] {
  const s = shapeOf(api, shape);
  try {
    checkType(s, value, "");
  } catch {
    return describe(s);
  }
  return failing(s, value);
}
