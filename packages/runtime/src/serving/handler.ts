/**
 * The model handler API: a small typed set of hooks. `load` reads the model from the model
 * directory once; then each invocation runs `decode` → `predict` → `encode` (decode and encode
 * have defaults), or one `transform`. One context object is passed in; the shape is checked once
 * at boot (`checkHandler`), never guessed from a function's arity.
 */
import type { MediaType } from "../codecs/media-type.js";
import { parseMediaType } from "../codecs/media-type.js";
import type { Codec, CodecRegistry } from "../codecs/registry.js";
import type { ServingConfig } from "../config/serving.js";
import { MEDIA } from "../contract/index.js";
import { SagebrewError } from "../errors/index.js";
import type { Logger } from "../node/logger.js";
import { builtinCodecs, decodeWith, encodeWith } from "./defaults.js";

/** What `load`, `warmup` and `close` see. */
export interface LoadContext {
  /** The model directory (`/opt/ml/model`, or the loaded model's directory on a multi-model endpoint). */
  readonly modelDir: string;
  readonly config: ServingConfig;
  readonly logger: Logger;
}

/** Settable parts of the response. */
export interface ResponseOptions {
  /** Sent back as `X-Amzn-SageMaker-Custom-Attributes` (≤ 1024 visible ASCII characters). */
  customAttributes?: string;
}

/** What each invocation hook sees. */
export interface InvocationContext extends LoadContext {
  /** The request's Content-Type, parsed (`essence` `text/csv`, `params.label_size` …). */
  readonly contentType: MediaType;
  /** The negotiated response type (one of the handler's `accepts`; the raw `Accept` header, or "", for a handler that negotiates itself). */
  readonly accept: string;
  /** The request's own `Content-Type` and `Accept` headers, as sent (undefined when absent). */
  readonly headers: { readonly contentType: string | undefined; readonly accept: string | undefined };
  /** The request's `X-Amzn-SageMaker-Custom-Attributes`, if any. */
  readonly customAttributes: string | undefined;
  /** Aborted when the invocation runs over `SAGEMAKER_MODEL_SERVER_TIMEOUT`. */
  readonly signal: AbortSignal;
  /** Set `response.customAttributes` to return custom attributes. */
  readonly response: ResponseOptions;
  /**
   * Requests the server was answering when this one's body had arrived, this one included, or its
   * open connections when more (another connection may be about to send one): 1 when it is alone,
   * so that work handed to other threads would overlap nothing (undefined in process: the warm-up's
   * requests, tests).
   */
  readonly concurrent: number | undefined;
}

/** A response body, optionally with its own Content-Type (default: the negotiated `accept`). */
export type Payload =
  | string
  | Uint8Array
  | {
      readonly body: string | Uint8Array;
      readonly contentType?: string;
      readonly customAttributes?: string;
      /** The status to answer with (default 200): a handler that negotiates itself answers its own 204, 4xx and 5xx. */
      readonly status?: number;
    };

/**
 * A synthetic request the app runs through its own invocation path before `/ping` says 200
 * (`ModelHandler.warmupRequests`).
 */
export interface WarmupRequest {
  /** The request body (a string is sent as UTF-8). */
  readonly body: string | Uint8Array;
  /** Its Content-Type, one of the handler's `contentTypes` (parameters allowed). */
  readonly contentType: string;
  /** The Accept header to send. Default: the handler's first `accepts`. */
  readonly accept?: string;
}

/**
 * A model server written as hooks. Give `predict` (with optional `decode`/`encode`) or `transform`.
 *
 * @example
 * export default defineHandler({
 *   load: async ({ modelDir }) => JSON.parse(await readFile(`${modelDir}/weights.json`, "utf8")),
 *   predict: (weights, data) => score(weights, data.features),
 * });
 */
export interface ModelHandler<Model = unknown, Input = unknown, Output = unknown> {
  /** A name for logs. */
  readonly name?: string;
  /** Request media types (essences) `decode` understands. Default: those of the default decoder. */
  readonly contentTypes?: readonly string[];
  /** Response media types `encode` produces, preferred first. Default: those of the default encoder. */
  readonly accepts?: readonly string[];
  /**
   * `handler`: the app checks neither Content-Type (415) nor Accept (406) — `transform` reads
   * `ctx.headers` and answers every status itself, as a container that emulates another does
   * (`SAGEBREW_EMULATE`). Default `app`.
   */
  readonly negotiation?: "app" | "handler";
  /** Formats this handler adds to the codec registry (the default `decode`/`encode` use them). */
  readonly codecs?: readonly Codec[];
  /** Loads the model from `ctx.modelDir`. Runs once, before `/ping` answers 200. */
  load(ctx: LoadContext): Model | Promise<Model>;
  /** Makes a first prediction so that `/ping` says 200 only once the model answers quickly. */
  warmup?(model: Model, ctx: LoadContext): unknown;
  /**
   * Opt-in: requests the app sends through its own invocation path (negotiation, `decode` →
   * `predict` → `encode` or `transform`, the response) after `warmup` and before `/ping` says
   * 200, again and again within a start-up budget (`SAGEBREW_WARMUP_MS`), so that the JavaScript
   * of that path is optimised when the first real request comes. Give bodies of the sizes
   * requests come in. Every hook runs on them as on a real request: give them only when the
   * hooks have no side effects (no writes, no calls out) — a handler without this hook is never
   * called with synthetic input. A warm-up request that fails is logged, and the model is ready
   * all the same.
   */
  warmupRequests?(model: Model, ctx: LoadContext): readonly WarmupRequest[];
  /** Request bytes → model input. Default: a `Dataset` from the codec registry (CSV, JSON, JSON Lines, libsvm, RecordIO-protobuf). */
  decode?(body: Uint8Array, ctx: InvocationContext): Input | Promise<Input>;
  /** Model input → model output. */
  predict?(model: Model, input: Input, ctx: InvocationContext): Output | Promise<Output>;
  /** Model output → response body. Default: CSV, JSON or JSON Lines of the output. */
  encode?(output: Output, ctx: InvocationContext): Payload | Promise<Payload>;
  /** The whole invocation in one hook, instead of decode/predict/encode. */
  transform?(model: Model, body: Uint8Array, ctx: InvocationContext): Payload | Promise<Payload>;
  /** Frees the model (on shutdown, or when a multi-model endpoint unloads it). */
  close?(model: Model, ctx: LoadContext): unknown;
}

/** Types a handler object; returns it unchanged. */
export function defineHandler<Model, Input = unknown, Output = unknown>(
  handler: ModelHandler<Model, Input, Output>,
): ModelHandler<Model, Input, Output> {
  return handler;
}

/**
 * A handler whose shape was checked, with `contentTypes` and `accepts` filled in, and — unless it
 * has `transform` — `decode` and `encode` (the codec registry's when it gives none).
 */
export interface CheckedHandler extends ModelHandler<unknown, unknown, unknown> {
  readonly name: string;
  readonly contentTypes: readonly string[];
  readonly accepts: readonly string[];
}

/** Request types the default `decode` reads: every built-in codec with a serving decoder. */
export const DEFAULT_CONTENT_TYPES: readonly string[] = Object.freeze([
  MEDIA.csv,
  MEDIA.libsvm,
  MEDIA.xLibsvm,
  MEDIA.recordio,
  MEDIA.json,
  MEDIA.jsonlines,
]);
/** Response types the default `encode` writes, preferred first. */
export const DEFAULT_ACCEPTS: readonly string[] = Object.freeze([MEDIA.json, MEDIA.csv, MEDIA.jsonlines]);

const HOOKS = [
  "load",
  "warmup",
  "warmupRequests",
  "decode",
  "predict",
  "encode",
  "transform",
  "close",
] as const;
const KNOWN = new Set<string>([...HOOKS, "name", "contentTypes", "accepts", "codecs", "negotiation"]);

/** Options of `checkHandler`. */
export interface CheckHandlerOptions {
  /** The codecs the default `decode`/`encode` use (the handler's own `codecs` are added). Default: the built-in ones. */
  readonly codecs?: CodecRegistry;
}

/**
 * Checks a handler's shape once, at boot.
 *
 * @throws SagebrewError SB_HANDLER_INVALID saying what is wrong with the handler from `source`.
 */
export function checkHandler(
  value: unknown,
  source: string,
  options: CheckHandlerOptions = {},
): CheckedHandler {
  const fail = (why: string) =>
    new SagebrewError("SB_HANDLER_INVALID", `Cannot use handler ${source}: ${why}`);
  if (typeof value !== "object" || value === null) {
    throw fail(`expected an object with load() and predict() or transform(), got ${typeof value}`);
  }
  const h = value as Record<string, unknown>;
  const unknown = Object.keys(h).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) {
    throw fail(`unknown field ${unknown.join(", ")} (known: ${[...KNOWN].join(", ")})`);
  }
  for (const hook of HOOKS) {
    if (h[hook] !== undefined && typeof h[hook] !== "function") {
      throw fail(`${hook} must be a function, got ${typeof h[hook]}`);
    }
  }
  if (typeof h.load !== "function") throw fail("load() is missing");
  if (h.transform !== undefined && (h.decode ?? h.predict ?? h.encode) !== undefined) {
    throw fail("transform() cannot be combined with decode(), predict() or encode()");
  }
  if (h.transform === undefined && h.predict === undefined) {
    throw fail("give predict() (with optional decode() and encode()) or transform()");
  }
  if (h.codecs !== undefined && !Array.isArray(h.codecs)) throw fail("codecs must be an array of codecs");
  if (h.negotiation !== undefined && h.negotiation !== "app" && h.negotiation !== "handler")
    throw fail(`negotiation must be "app" or "handler", got ${JSON.stringify(h.negotiation)}`);
  if (h.negotiation === "handler" && h.transform === undefined)
    throw fail('negotiation "handler" needs transform(): it answers every status itself');
  const custom = h.transform !== undefined;
  const codecs = withCodecs(
    options.codecs ?? builtinCodecs(),
    h.codecs as readonly Codec[] | undefined,
    fail,
  );
  const decodable = codecs.decodable("serving");
  const encodable = codecs.encodable();
  const contentTypes =
    mediaList(h.contentTypes, "contentTypes", fail) ?? defaultsFirst(DEFAULT_CONTENT_TYPES, decodable);
  const accepts = mediaList(h.accepts, "accepts", fail) ?? defaultsFirst(DEFAULT_ACCEPTS, encodable);
  if (!custom && h.decode === undefined) {
    const odd = contentTypes.filter((t) => !decodable.includes(t));
    if (odd.length > 0) throw fail(`contentTypes ${odd.join(", ")} need a decode() hook`);
  }
  if (!custom && h.encode === undefined) {
    const odd = accepts.filter((t) => !encodable.includes(t));
    if (odd.length > 0) throw fail(`accepts ${odd.join(", ")} need an encode() hook`);
  }
  if (h.name !== undefined && typeof h.name !== "string") throw fail("name must be a string");
  const hooks = custom
    ? {}
    : {
        decode:
          (h.decode as ModelHandler["decode"]) ??
          ((body: Uint8Array, ctx: InvocationContext) => decodeWith(codecs, body, ctx.contentType)),
        encode:
          (h.encode as ModelHandler["encode"]) ??
          ((output: unknown, ctx: InvocationContext) => encodeWith(codecs, output, ctx.accept)),
      };
  return Object.freeze({
    ...(h as unknown as ModelHandler),
    ...hooks,
    name: (h.name as string | undefined) ?? source,
    contentTypes,
    accepts,
  });
}

function withCodecs(
  base: CodecRegistry,
  extra: readonly Codec[] | undefined,
  fail: (why: string) => SagebrewError,
): CodecRegistry {
  try {
    return base.with(extra);
  } catch (e) {
    throw fail((e as Error).message);
  }
}

/** The defaults in their order of preference, then what else the registry holds. */
function defaultsFirst(defaults: readonly string[], available: readonly string[]): readonly string[] {
  return Object.freeze([
    ...defaults.filter((t) => available.includes(t)),
    ...available.filter((t) => !defaults.includes(t)),
  ]);
}

function mediaList(
  value: unknown,
  field: string,
  fail: (why: string) => SagebrewError,
): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    throw fail(`${field} must be a non-empty array of media types`);
  }
  return Object.freeze(
    value.map((v) => {
      const m = typeof v === "string" ? parseMediaType(v) : undefined;
      if (!m || m.type === "*" || m.subtype === "*") {
        throw fail(`${field} entry ${JSON.stringify(v)} is not a media type such as text/csv`);
      }
      return m.essence;
    }),
  );
}
