/**
 * Generates sagebrew's AWS API table (packages/cli/src/api/*.gen.ts) from AWS's own service models,
 * botocore's JSON files vendored under vendor/botocore/ (their README says how to update them):
 * for the operations sagebrew serves or calls, the operation table, every shape their inputs,
 * outputs and errors use with every constraint, and the error types with their statuses.
 *   node --import tsx scripts/gen-aws-api.ts          write the files (npm run api:gen)
 *   node --import tsx scripts/gen-aws-api.ts --check  fail when they are stale (npm run api:check)
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type {
  ErrorTraits,
  MemberTraits,
  Operation,
  ServiceApi,
  Shape,
} from "../packages/cli/src/api/model.js";
import { javaPatternToRegExp } from "../packages/cli/src/api/pattern.js";

export const BOTOCORE_VERSION = "1.43.11";

const root = join(import.meta.dirname, "..");
const vendor = join(root, "vendor", "botocore");
const out = join(root, "packages", "cli", "src", "api");

interface ServiceSpec {
  /** The module written: packages/cli/src/api/<module>.gen.ts. */
  readonly module: string;
  /** The exported constant. */
  readonly constant: string;
  /** botocore's data directory of the service. */
  readonly dir: string;
  /** The operations sagebrew serves (`sagebrew local`) or calls (the CLI), or will (issues 19, 20). */
  readonly operations: readonly string[];
  /**
   * An older model of the service whose patterns still carry the `^…$` anchors the service writes in
   * its ValidationException messages, which later models dropped (vendor/botocore/README.md).
   */
  readonly anchoredPatterns?: string;
}

const SERVICES: readonly ServiceSpec[] = [
  {
    module: "sagemaker",
    constant: "SAGEMAKER",
    dir: "sagemaker/2017-07-24",
    anchoredPatterns: "1.38.13/sagemaker/2017-07-24",
    operations: [
      ...["CreateTrainingJob", "DescribeTrainingJob", "StopTrainingJob", "ListTrainingJobs"],
      ...["CreateModel", "DescribeModel", "DeleteModel", "ListModels"],
      ...["CreateEndpointConfig", "DescribeEndpointConfig", "DeleteEndpointConfig", "ListEndpointConfigs"],
      ...["CreateEndpoint", "DescribeEndpoint", "UpdateEndpoint", "DeleteEndpoint", "ListEndpoints"],
      ...["CreateTransformJob", "DescribeTransformJob", "StopTransformJob", "ListTransformJobs"],
      ...["AddTags", "ListTags", "DeleteTags"],
      ...["CreateHyperParameterTuningJob", "DescribeHyperParameterTuningJob", "ListHyperParameterTuningJobs"],
      ...["StopHyperParameterTuningJob", "DeleteHyperParameterTuningJob"],
      "ListTrainingJobsForHyperParameterTuningJob",
    ],
  },
  {
    module: "sagemaker-runtime",
    constant: "SAGEMAKER_RUNTIME",
    dir: "sagemaker-runtime/2017-05-13",
    operations: ["InvokeEndpoint", "InvokeEndpointAsync", "InvokeEndpointWithResponseStream"],
  },
  {
    module: "logs",
    constant: "LOGS",
    dir: "logs/2014-03-28",
    operations: ["DescribeLogGroups", "DescribeLogStreams", "GetLogEvents", "FilterLogEvents"],
  },
  {
    module: "s3",
    constant: "S3",
    dir: "s3/2006-03-01",
    operations: [
      ...["ListBuckets", "CreateBucket", "HeadBucket", "DeleteBucket"],
      ...[
        "PutObject",
        "GetObject",
        "HeadObject",
        "DeleteObject",
        "DeleteObjects",
        "ListObjectsV2",
        "CopyObject",
      ],
      ...[
        "CreateMultipartUpload",
        "UploadPart",
        "CompleteMultipartUpload",
        "AbortMultipartUpload",
        "ListParts",
      ],
    ],
  },
  { module: "sts", constant: "STS", dir: "sts/2011-06-15", operations: ["GetCallerIdentity"] },
];

// botocore's JSON, as far as this script reads it.
interface BotoRef {
  shape: string;
  [trait: string]: unknown;
}
interface BotoShape {
  type: string;
  members?: Record<string, BotoRef>;
  member?: BotoRef;
  key?: BotoRef;
  value?: BotoRef;
  [trait: string]: unknown;
}
interface BotoOperation {
  http: { method: string; requestUri: string; responseCode?: number };
  input?: BotoRef;
  output?: BotoRef;
  errors?: BotoRef[];
}
interface BotoModel {
  metadata: Record<string, string>;
  operations: Record<string, BotoOperation>;
  shapes: Record<string, BotoShape>;
}
interface BotoPaginator {
  input_token: string | string[];
  output_token: string | string[];
  limit_key?: string;
  result_key: string | string[];
}

/** The vendored files must be botocore's, unchanged: vendor/botocore/SHA256SUMS says which. */
function checkDigests(): void {
  for (const line of readFileSync(join(vendor, "SHA256SUMS"), "utf8").trim().split("\n")) {
    const [digest, file] = line.split(/\s+/) as [string, string];
    const have = createHash("sha256")
      .update(readFileSync(join(vendor, file)))
      .digest("hex");
    if (have !== digest) throw new Error(`vendor/botocore/${file} does not match SHA256SUMS`);
  }
}

const MEMBER_TRAITS = [
  "location",
  "locationName",
  "xmlAttribute",
  "xmlNamespace",
  "flattened",
  "jsonvalue",
  "idempotencyToken",
  "hostLabel",
  "streaming",
  "eventpayload",
  "timestampFormat",
] as const;

/** A reference, with the traits a wire encoder needs; the bare shape name when it has none. */
function ref(r: BotoRef, inCollection = false): string | MemberTraits {
  const traits: Record<string, unknown> = {};
  for (const t of MEMBER_TRAITS) {
    if (r[t] === undefined) continue;
    // In a list or map, botocore's `locationName` is the XML element's name.
    traits[inCollection && t === "locationName" ? "xmlName" : t] = r[t];
  }
  return Object.keys(traits).length ? ({ shape: r.shape, ...traits } as MemberTraits) : r.shape;
}

function errorTraits(s: BotoShape): ErrorTraits {
  const e = (s.error ?? {}) as { httpStatusCode?: number; senderFault?: boolean; code?: string };
  const status = e.httpStatusCode ?? (s.fault ? 500 : 400);
  const fault = s.fault === true || (e.senderFault === undefined && status >= 500) ? "server" : "client";
  return { status, fault, ...(e.code ? { code: e.code } : {}) };
}

/**
 * The pattern as the service writes it in its messages: the older model's when it is the same
 * pattern with anchors, else the model's own.
 */
function messagePattern(pattern: string, older: string | undefined): string {
  if (older === undefined) return pattern;
  const bare = older.replace(/^\^/, "").replace(/(?<!\\)\$$/, "");
  return bare === pattern ? older : pattern;
}

function convertShape(name: string, s: BotoShape, older?: BotoShape): Shape {
  const bounds = {
    ...(typeof s.min === "number" ? { min: s.min } : {}),
    ...(typeof s.max === "number" ? { max: s.max } : {}),
  };
  const flag = (t: string) => (s[t] === true ? { [t]: true } : {});
  switch (s.type) {
    case "string": {
      const pattern =
        typeof s.pattern === "string"
          ? messagePattern(s.pattern, typeof older?.pattern === "string" ? older.pattern : undefined)
          : undefined;
      if (pattern !== undefined) javaPatternToRegExp(pattern); // throws when JavaScript cannot run it
      return {
        type: "string",
        ...bounds,
        ...(pattern !== undefined ? { pattern } : {}),
        ...(Array.isArray(s.enum) ? { enum: s.enum as string[] } : {}),
        ...flag("sensitive"),
      };
    }
    case "integer":
    case "long":
    case "float":
    case "double":
      return { type: s.type, ...bounds };
    case "boolean":
      return { type: "boolean" };
    case "timestamp":
      return {
        type: "timestamp",
        ...(s.timestampFormat ? { timestampFormat: s.timestampFormat as "iso8601" } : {}),
      };
    case "blob":
      return {
        type: "blob",
        ...bounds,
        ...flag("streaming"),
        ...flag("requiresLength"),
        ...flag("sensitive"),
      };
    case "list":
      return {
        type: "list",
        member: ref(s.member!, true),
        ...bounds,
        ...flag("flattened"),
        ...flag("sensitive"),
      };
    case "map":
      return {
        type: "map",
        key: ref(s.key!, true),
        value: ref(s.value!, true),
        ...bounds,
        ...flag("flattened"),
        ...flag("sensitive"),
      };
    case "structure": {
      const members: Record<string, string | MemberTraits> = {};
      for (const [m, r] of Object.entries(s.members ?? {})) members[m] = ref(r);
      return {
        type: "structure",
        members,
        ...(Array.isArray(s.required) && s.required.length ? { required: s.required as string[] } : {}),
        ...(typeof s.payload === "string" ? { payload: s.payload } : {}),
        ...(s.exception ? { error: errorTraits(s) } : {}),
        ...flag("union"),
        ...flag("document"),
        ...flag("event"),
        ...flag("eventstream"),
        ...flag("sensitive"),
        ...(s.xmlNamespace ? { xmlNamespace: s.xmlNamespace as { uri: string } } : {}),
        ...(typeof s.locationName === "string" ? { locationName: s.locationName } : {}),
      };
    }
    default:
      throw new Error(`shape ${name}: type ${s.type} is not handled by scripts/gen-aws-api.ts`);
  }
}

/** Every shape reachable from `start`, following members, list members, map keys and values. */
function closure(model: BotoModel, start: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...start];
  while (todo.length) {
    const name = todo.pop()!;
    if (seen.has(name)) continue;
    const s = model.shapes[name];
    if (!s) throw new Error(`the model names a shape it does not define: ${name}`);
    seen.add(name);
    for (const r of Object.values(s.members ?? {})) todo.push(r.shape);
    for (const r of [s.member, s.key, s.value]) if (r) todo.push(r.shape);
  }
  return seen;
}

function readModel(dir: string): { model: BotoModel; paginators: Record<string, BotoPaginator> } {
  const model = JSON.parse(gunzipSync(readFileSync(join(vendor, dir, "service-2.json.gz"))).toString("utf8"));
  const pages = JSON.parse(readFileSync(join(vendor, dir, "paginators-1.json"), "utf8"));
  return { model, paginators: pages.pagination ?? {} };
}

function buildService(spec: ServiceSpec): ServiceApi {
  const { model, paginators } = readModel(spec.dir);
  const m = model.metadata;
  const operations: Record<string, Operation> = {};
  const roots: string[] = [];
  for (const name of [...spec.operations].sort()) {
    const o = model.operations[name];
    if (!o) throw new Error(`${spec.dir} has no operation ${name}`);
    const p = paginators[name];
    const inputXml =
      o.input?.locationName && o.input.xmlNamespace
        ? {
            locationName: o.input.locationName as string,
            xmlNamespace: o.input.xmlNamespace as { uri: string },
          }
        : undefined;
    operations[name] = {
      http: {
        method: o.http.method,
        uri: o.http.requestUri,
        ...(o.http.responseCode ? { responseCode: o.http.responseCode } : {}),
      },
      ...(o.input ? { input: o.input.shape } : {}),
      ...(inputXml ? { inputXml } : {}),
      ...(o.output ? { output: o.output.shape } : {}),
      ...(typeof o.output?.resultWrapper === "string" ? { resultWrapper: o.output.resultWrapper } : {}),
      errors: (o.errors ?? []).map((e) => e.shape).sort(),
      ...(p
        ? {
            paginator: {
              inputToken: p.input_token,
              outputToken: p.output_token,
              ...(p.limit_key ? { limitKey: p.limit_key } : {}),
              resultKey: p.result_key,
            },
          }
        : {}),
    };
    if (o.input) roots.push(o.input.shape);
    if (o.output) roots.push(o.output.shape);
    for (const e of o.errors ?? []) roots.push(e.shape);
  }
  const older = spec.anchoredPatterns
    ? (JSON.parse(
        gunzipSync(readFileSync(join(vendor, spec.anchoredPatterns, "service-2.json.gz"))).toString("utf8"),
      ) as BotoModel)
    : undefined;
  const shapes: Record<string, Shape> = {};
  for (const name of [...closure(model, roots)].sort())
    shapes[name] = convertShape(name, model.shapes[name]!, older?.shapes[name]);
  return {
    id: spec.module,
    apiVersion: m.apiVersion!,
    protocol: m.protocol as ServiceApi["protocol"],
    ...(m.targetPrefix ? { targetPrefix: m.targetPrefix } : {}),
    ...(m.jsonVersion ? { jsonVersion: m.jsonVersion } : {}),
    ...(m.xmlNamespace ? { xmlNamespace: m.xmlNamespace } : {}),
    signingName: m.signingName ?? m.endpointPrefix!,
    operations,
    shapes,
  };
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A value as a one-line TypeScript literal: keys unquoted where they can be. */
function literal(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(literal).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const body = Object.entries(v)
      .map(([k, x]) => `${IDENTIFIER.test(k) ? k : JSON.stringify(k)}: ${literal(x)}`)
      .join(", ");
    return body ? `{ ${body} }` : "{}";
  }
  return JSON.stringify(v);
}

/** The module's text: one operation, one shape per line, in name order, so a reader can find them. */
function render(spec: ServiceSpec, api: ServiceApi): string {
  const { operations, shapes, ...head } = api;
  const lines = [
    `// Generated by scripts/gen-aws-api.ts from botocore ${BOTOCORE_VERSION}'s ${spec.dir}/service-2.json.gz`,
    "// (vendor/botocore/): do not edit. Regenerate with `npm run api:gen` (docs/aws-api.md).",
    'import type { ServiceApi } from "./model.js";',
    "",
    `/** ${Object.keys(operations).length} operations of ${spec.dir}, and the ${Object.keys(shapes).length} shapes they use. */`,
    `export const ${spec.constant}: ServiceApi = {`,
    ...Object.entries(head).map(([k, v]) => `  ${k}: ${literal(v)},`),
    "  operations: {",
    ...Object.entries(operations).map(([k, v]) => `    ${k}: ${literal(v)},`),
    "  },",
    "  shapes: {",
    ...Object.entries(shapes).map(
      ([k, v]) => `    ${IDENTIFIER.test(k) ? k : JSON.stringify(k)}: ${literal(v)},`,
    ),
    "  },",
    "};",
    "",
  ];
  return lines.join("\n");
}

/** Every generated file, by path, with its text. */
export function generate(): Map<string, string> {
  checkDigests();
  const files = new Map<string, string>();
  for (const spec of SERVICES)
    files.set(join(out, `${spec.module}.gen.ts`), render(spec, buildService(spec)));
  return files;
}

if (process.argv[1] === import.meta.filename) {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const [path, text] of generate()) {
    const rel = path.slice(root.length + 1);
    if (!check) {
      writeFileSync(path, text);
      continue;
    }
    let have = "";
    try {
      have = readFileSync(path, "utf8");
    } catch {
      // a missing file is stale
    }
    if (have !== text) {
      console.error(`${rel} is stale: run npm run api:gen`);
      stale++;
    }
  }
  process.exit(stale ? 1 : 0);
}
