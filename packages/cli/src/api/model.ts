/**
 * The shape of the generated API table (`*.gen.ts`): botocore's service model, kept to the
 * operations sagebrew serves or calls and to what a validator, an encoder or a handler reads —
 * types, constraints, wire locations, error statuses — without the documentation.
 */

/** Where a member travels in a REST request or response, and under which name. */
export interface MemberTraits {
  readonly shape: string;
  readonly location?: "header" | "headers" | "uri" | "querystring" | "statusCode";
  /** The header, URI label, query key, JSON key (some services) or XML element name. */
  readonly locationName?: string;
  /** A list member's or map entry's element name in XML (`member` unless given). */
  readonly xmlName?: string;
  readonly xmlAttribute?: boolean;
  readonly xmlNamespace?: { readonly prefix?: string; readonly uri: string };
  readonly flattened?: boolean;
  /** A string carrying JSON (base64-encoded in a header). */
  readonly jsonvalue?: boolean;
  readonly idempotencyToken?: boolean;
  readonly hostLabel?: boolean;
  readonly streaming?: boolean;
  readonly eventpayload?: boolean;
  readonly timestampFormat?: "iso8601" | "rfc822" | "unixTimestamp";
}

/** A reference to a shape: its name, or its name with the member's wire traits. */
export type MemberRef = string | MemberTraits;

interface Bounds {
  /** Length (strings, blobs, lists, maps) or value (numbers) at least this. */
  readonly min?: number;
  /** Length or value at most this. */
  readonly max?: number;
}

export interface StringShape extends Bounds {
  readonly type: "string";
  /** The pattern as the model writes it: a Java regular expression the whole value must match. */
  readonly pattern?: string;
  readonly enum?: readonly string[];
  /** Never echoed in an error message. */
  readonly sensitive?: boolean;
}

export interface NumberShape extends Bounds {
  readonly type: "integer" | "long" | "float" | "double";
}

export interface BooleanShape {
  readonly type: "boolean";
}

export interface TimestampShape {
  readonly type: "timestamp";
  readonly timestampFormat?: "iso8601" | "rfc822" | "unixTimestamp";
}

export interface BlobShape extends Bounds {
  readonly type: "blob";
  readonly streaming?: boolean;
  readonly requiresLength?: boolean;
  readonly sensitive?: boolean;
}

export interface ListShape extends Bounds {
  readonly type: "list";
  readonly member: MemberRef;
  readonly flattened?: boolean;
  readonly sensitive?: boolean;
}

export interface MapShape extends Bounds {
  readonly type: "map";
  readonly key: MemberRef;
  readonly value: MemberRef;
  readonly flattened?: boolean;
  readonly sensitive?: boolean;
}

/** What an error shape answers: its HTTP status, whose fault it is, and its code when not its name. */
export interface ErrorTraits {
  readonly status: number;
  readonly fault: "client" | "server";
  readonly code?: string;
}

export interface StructureShape {
  readonly type: "structure";
  readonly members: Readonly<Record<string, MemberRef>>;
  readonly required?: readonly string[];
  /** The member that is the HTTP body (REST protocols). */
  readonly payload?: string;
  /** Present on error shapes. */
  readonly error?: ErrorTraits;
  readonly union?: boolean;
  readonly document?: boolean;
  readonly event?: boolean;
  readonly eventstream?: boolean;
  readonly sensitive?: boolean;
  readonly xmlNamespace?: { readonly prefix?: string; readonly uri: string };
  readonly locationName?: string;
}

export type Shape =
  | StringShape
  | NumberShape
  | BooleanShape
  | TimestampShape
  | BlobShape
  | ListShape
  | MapShape
  | StructureShape;

/** One operation: how it travels, its input and output shapes, and the errors it documents. */
export interface Operation {
  readonly http: { readonly method: string; readonly uri: string; readonly responseCode?: number };
  readonly input?: string;
  /** The XML element and namespace of a REST-XML input's payload. */
  readonly inputXml?: {
    readonly locationName: string;
    readonly xmlNamespace: { readonly prefix?: string; readonly uri: string };
  };
  readonly output?: string;
  /** The Query protocol's `<OperationResult>` wrapper of the output. */
  readonly resultWrapper?: string;
  readonly errors: readonly string[];
  /** botocore's paginator: the token members and the member that holds the page's items. */
  readonly paginator?: {
    readonly inputToken: string | readonly string[];
    readonly outputToken: string | readonly string[];
    readonly limitKey?: string;
    readonly resultKey: string | readonly string[];
  };
}

/** One service's table. */
export interface ServiceApi {
  /** botocore's name for the service (`sagemaker`, `sagemaker-runtime`, `logs`, `s3`, `sts`). */
  readonly id: string;
  readonly apiVersion: string;
  readonly protocol: "json" | "rest-json" | "rest-xml" | "query";
  /** JSON 1.x: `X-Amz-Target: <targetPrefix>.<Operation>`. */
  readonly targetPrefix?: string;
  readonly jsonVersion?: string;
  readonly xmlNamespace?: string;
  readonly signingName: string;
  readonly operations: Readonly<Record<string, Operation>>;
  readonly shapes: Readonly<Record<string, Shape>>;
}

/** The shape name of a reference. */
export function shapeName(ref: MemberRef): string {
  return typeof ref === "string" ? ref : ref.shape;
}

/**
 * A shape of `api` by name.
 *
 * @throws Error when the table has no such shape (a generator or caller bug, not bad input).
 * @example shapeOf(SAGEMAKER, "TrainingJobName").type === "string"
 */
export function shapeOf(api: ServiceApi, name: string): Shape {
  const shape = Object.hasOwn(api.shapes, name) ? api.shapes[name] : undefined;
  if (!shape) throw new Error(`The ${api.id} API table has no shape ${name}`);
  return shape;
}
