/**
 * Requests for any operation of a generated AWS API table (`packages/cli/src/api/*.gen.ts`), drawn
 * by fast-check from the operation's input shape: structures with any subset of their members,
 * strings near their length bounds and from their enums, numbers around their ranges, short lists
 * and maps — and now and then a value of the wrong type, a hostile string (`..`, NUL, a newline,
 * non-ASCII) or garbage — then encoded as the operation's protocol carries it (JSON 1.1, REST-JSON,
 * REST-XML, Query). What a fuzz of `sagebrew local` sends.
 */
import {
  javaPatternToRegExp,
  type MemberRef,
  type ServiceApi,
  type Shape,
} from "../../packages/cli/src/api/index.js";
import { fc } from "./property.js";

/** An HTTP request as the fuzz sends it. */
export interface FuzzRequest {
  readonly method: string;
  /** Path and query string. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

const shapeName = (ref: MemberRef) => (typeof ref === "string" ? ref : ref.shape);

/** Strings a client (or an attacker) might send anywhere. */
const HOSTILE = fc.constantFrom(
  "",
  "..",
  "../../etc/passwd",
  "a/../../b",
  "x\u0000y",
  "line\nbreak",
  "é-ü-✓",
  "%2e%2e%2f",
  "s3://bucket/key",
  "file:///etc/passwd",
  "iris-1",
  "a".repeat(70),
  " ",
);

/** Any JSON value, small: what a value of the wrong type looks like. */
const WRONG = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 8 }),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

/** Strings matching a pattern of the table, when fast-check can draw them from it. */
const matching = new Map<string, fc.Arbitrary<string> | undefined>();

function matchingPattern(pattern: string, max: number): fc.Arbitrary<string> | undefined {
  const key = `${pattern} ${max}`;
  if (!matching.has(key)) {
    let arb: fc.Arbitrary<string> | undefined;
    try {
      const re = javaPatternToRegExp(pattern);
      arb = fc.stringMatching(re).filter((v) => v.length <= max);
      fc.sample(arb, 1);
    } catch {
      arb = undefined;
    }
    matching.set(key, arb);
  }
  return matching.get(key);
}

function stringOf(shape: Extract<Shape, { type: "string" }>): fc.Arbitrary<string> {
  const min = shape.min ?? 0;
  const max = Math.min(shape.max ?? 64, 300);
  const sized = fc.string({ minLength: Math.min(min, max), maxLength: max });
  const choices: fc.Arbitrary<string>[] = [sized, HOSTILE, fc.string({ maxLength: max + 3 })];
  // Values the validator lets through, so that requests reach the handlers behind it.
  const valid = shape.pattern ? matchingPattern(shape.pattern, max) : undefined;
  if (valid) choices.unshift(valid, valid);
  if (shape.enum?.length) choices.unshift(fc.constantFrom(...shape.enum), fc.constantFrom(...shape.enum));
  return fc.oneof(...choices);
}

function numberOf(
  shape: Extract<Shape, { type: "integer" | "long" | "float" | "double" }>,
): fc.Arbitrary<number> {
  const min = shape.min ?? -1_000;
  const max = shape.max ?? 1_000_000;
  const near = fc.integer({
    min: Math.max(Number.MIN_SAFE_INTEGER, min - 2),
    max: Math.min(Number.MAX_SAFE_INTEGER, max + 2),
  });
  return shape.type === "float" || shape.type === "double"
    ? fc.oneof(near, fc.double({ min: min - 1, max: max + 1, noNaN: true }))
    : fc.oneof(near, fc.constantFrom(0, -1, 2 ** 31, 2 ** 53));
}

/**
 * A value for `shape` of `api` (as JSON carries it), `depth` structures deep at most.
 *
 * @example fc.sample(shapeValue(SAGEMAKER, "CreateModelInput"), 3);
 */
export function shapeValue(api: ServiceApi, name: string, depth = 0): fc.Arbitrary<unknown> {
  const shape = api.shapes[name];
  if (!shape) return WRONG;
  let right: fc.Arbitrary<unknown>;
  switch (shape.type) {
    case "string":
      right = stringOf(shape);
      break;
    case "integer":
    case "long":
    case "float":
    case "double":
      right = numberOf(shape);
      break;
    case "boolean":
      right = fc.boolean();
      break;
    case "timestamp":
      right = fc.oneof(fc.integer({ min: 0, max: 2_000_000_000 }), fc.constant("2026-01-01T00:00:00Z"));
      break;
    case "blob":
      right = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString("base64"));
      break;
    case "list":
      right =
        depth > 3
          ? fc.constant([])
          : fc.array(shapeValue(api, shapeName(shape.member), depth + 1), { maxLength: 3 });
      break;
    case "map":
      right =
        depth > 3
          ? fc.constant({})
          : fc.dictionary(
              fc.oneof(fc.string({ maxLength: 12 }), HOSTILE),
              shapeValue(api, shapeName(shape.value), depth + 1),
              { maxKeys: 3 },
            );
      break;
    case "structure": {
      if (depth > 4) {
        right = fc.constant({});
        break;
      }
      const members: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [m, ref] of Object.entries(shape.members))
        members[m] = shapeValue(api, shapeName(ref), depth + 1);
      const required = (shape.required ?? []).filter((r) => r in members);
      const onlyRequired: Record<string, fc.Arbitrary<unknown>> = {};
      for (const r of required) onlyRequired[r] = members[r]!;
      right = fc.oneof(
        fc.record(members, { requiredKeys: [] }),
        fc.record(members, { requiredKeys: required }),
        // The smallest request: the likeliest to pass the checks and reach the handler.
        fc.record(onlyRequired),
      );
      break;
    }
  }
  return fc.oneof({ arbitrary: right, weight: 19 }, { arbitrary: WRONG, weight: 1 });
}

/** The SigV4 header of a request signed for `service` (signatures are not checked locally). */
export function authorization(service: string): string {
  return `AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

/** A header value as HTTP carries it: one line of visible Latin-1. */
const headerText = (v: unknown) =>
  (typeof v === "string" ? v : (JSON.stringify(v) ?? "")).replace(/[^\x20-\x7e]/g, "?").slice(0, 200);

/** Fills `/{Bucket}/{Key+}`-style templates; the rest of the members go where their traits say. */
function restRequest(api: ServiceApi, operation: string, input: Record<string, unknown>): FuzzRequest {
  const op = api.operations[operation]!;
  const shape = op.input ? api.shapes[op.input] : undefined;
  const members = shape?.type === "structure" ? shape.members : {};
  const headers: Record<string, string> = { authorization: authorization(api.signingName) };
  const query: string[] = [];
  let [path, fixedQuery] = op.http.uri.split("?") as [string, string | undefined];
  if (fixedQuery) query.push(fixedQuery);
  let body = Buffer.alloc(0);
  for (const [m, ref] of Object.entries(members)) {
    const v = input[m];
    const traits = typeof ref === "string" ? undefined : ref;
    if (traits?.location === "uri") {
      const label = traits.locationName ?? m;
      const text = typeof v === "string" && v ? v : "x";
      path = path
        .replace(`{${label}+}`, text.split("/").map(encodeURIComponent).join("/"))
        .replace(`{${label}}`, encodeURIComponent(text));
    } else if (v === undefined) {
    } else if (traits?.location === "header")
      headers[(traits.locationName ?? m).toLowerCase()] = headerText(v);
    else if (traits?.location === "querystring")
      query.push(`${encodeURIComponent(traits.locationName ?? m)}=${encodeURIComponent(headerText(v))}`);
    else if (shape?.type === "structure" && shape.payload === m) {
      const payload = api.shapes[shapeName(ref)];
      body =
        payload?.type === "blob" || payload?.type === "string"
          ? Buffer.from(typeof v === "string" ? v : (JSON.stringify(v) ?? ""))
          : Buffer.from(
              api.protocol === "rest-xml" ? xmlOf(traits?.locationName ?? m, v) : JSON.stringify(v),
            );
    }
  }
  path = path.replace(/\{[^}]+\}/g, "x");
  return { method: op.http.method, path: query.length ? `${path}?${query.join("&")}` : path, headers, body };
}

/** A value as a generic XML element (S3's payload structures). */
function xmlOf(name: string, v: unknown): string {
  const esc = (s: string) => s.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  if (Array.isArray(v)) return v.map((x) => xmlOf(name, x)).join("");
  if (v && typeof v === "object")
    return `<${name}>${Object.entries(v)
      .map(([k, x]) => xmlOf(k.replace(/[^A-Za-z0-9_]/g, "_") || "_", x))
      .join("")}</${name}>`;
  return `<${name}>${esc(String(v))}</${name}>`;
}

/** Query-protocol parameters (`A.B.member.1=…`) of a value. */
function queryParams(prefix: string, v: unknown, out: string[]): void {
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) queryParams(`${prefix}.member.${i + 1}`, x, out);
  } else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) queryParams(`${prefix}.${k}`, x, out);
  else out.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(String(v))}`);
}

/**
 * The request of `operation` carrying `input`, encoded in the service's protocol.
 *
 * @example requestFor(SAGEMAKER, "CreateModel", { ModelName: "m" });
 */
export function requestFor(api: ServiceApi, operation: string, input: unknown): FuzzRequest {
  const object = (input && typeof input === "object" && !Array.isArray(input) ? input : {}) as Record<
    string,
    unknown
  >;
  switch (api.protocol) {
    case "json":
      return {
        method: "POST",
        path: "/",
        headers: {
          "content-type": `application/x-amz-json-${api.jsonVersion ?? "1.1"}`,
          "x-amz-target": `${api.targetPrefix}.${operation}`,
          authorization: authorization(api.signingName),
        },
        // Sometimes the whole body is of the wrong type.
        body: Buffer.from(JSON.stringify(input) ?? "null"),
      };
    case "query": {
      const params = [`Action=${operation}`, `Version=${api.apiVersion}`];
      for (const [k, v] of Object.entries(object)) queryParams(k, v, params);
      return {
        method: "POST",
        path: "/",
        headers: {
          "content-type": "application/x-www-form-urlencoded; charset=utf-8",
          authorization: authorization(api.signingName),
        },
        body: Buffer.from(params.join("&")),
      };
    }
    default:
      return restRequest(api, operation, object);
  }
}
