/**
 * The serving configuration: the environment read once, at the edge, into a typed, validated,
 * frozen object that is passed down. Pure: it takes an env object and does no I/O.
 */
import { DEFAULT_ML_ROOT, ENV, LIMITS, MEDIA } from "../contract/index.js";
import { SagebrewError } from "../errors/index.js";

/** An inclusive port range from `SAGEMAKER_SAFE_PORT_RANGE` (`"9000-9999"`). */
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** Log levels understood by the logger. */
type Level = "debug" | "info" | "warn" | "error" | "silent";

/** Everything `serve` reads from its environment. */
export interface ServingConfig extends HttpLimitsConfig {
  /** `SAGEMAKER_BASE_DIR`, default `/opt/ml`. */
  readonly baseDir: string;
  /** `SAGEMAKER_BIND_TO_PORT`, default 8080; 0 asks the OS for a free port. */
  readonly port: number;
  /** `SAGEBREW_BIND_ADDRESS`: the IP address to listen on; undefined = every interface. */
  readonly bindAddress: string | undefined;
  /** `SAGEMAKER_SAFE_PORT_RANGE`, for any extra port. */
  readonly safePortRange: PortRange | undefined;
  /** `MAX_CONTENT_LENGTH` bytes, else `SAGEMAKER_MAX_PAYLOAD_IN_MB` × 1 MiB, default 6 MiB. */
  readonly maxPayloadBytes: number;
  /** The payload limit in MiB, as `/execution-parameters` reports it (floored). */
  readonly maxPayloadMb: number;
  /** The variable that set the limit, named in 413 answers. */
  readonly maxPayloadVariable: string;
  /** `SAGEMAKER_MODEL_SERVER_TIMEOUT` in milliseconds, default 60 s. */
  readonly timeoutMs: number;
  /** `SAGEMAKER_MODEL_SERVER_WORKERS`, default the CPU count. */
  readonly workers: number;
  /** `SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`, used when Accept is missing or `*∕*`. */
  readonly defaultAccept: string | undefined;
  /** `SAGEMAKER_CONTAINER_LOG_LEVEL` or `LOG_LEVEL`, default `info`. */
  readonly logLevel: Level;
  /** `SAGEMAKER_MULTI_MODEL=true`. */
  readonly multiModel: boolean;
  /** `SAGEMAKER_BATCH=true` (set by batch transform). */
  readonly batch: boolean;
  /** `SAGEMAKER_BATCH_STRATEGY`, default `MULTI_RECORD`. */
  readonly batchStrategy: "MULTI_RECORD" | "SINGLE_RECORD";
  /** `SAGEMAKER_MAX_CONCURRENT_TRANSFORMS`, default the worker count. */
  readonly maxConcurrentTransforms: number;
  /** `SAGEMAKER_INFERENCE_OUTPUT` keys, lower-cased, or undefined for the default answer. */
  readonly inferenceOutput: readonly string[] | undefined;
  /** `SAGEMAKER_INFERENCE_ENSEMBLE`, default true. */
  readonly ensemble: boolean;
  /** `SAGEBREW_HANDLER`: a module path naming a custom handler. */
  readonly handlerModule: string | undefined;
  /** `SAGEBREW_MME_MEMORY_MB`: the multi-model memory budget in MiB; undefined = a share of memory. */
  readonly mmeMemoryMb: number | undefined;
  /** `SAGEBREW_XGBOOST_JS`: which code walks XGBoost trees (docs/serving.md), default `auto`. */
  readonly xgboostJs: "auto" | "large" | "off";
  /** `SAGEBREW_WARMUP_MS`: start-up ms spent on the handler's warm-up requests, default 500; 0 = none. */
  readonly warmupMs: number;
  /**
   * `SAGEBREW_XGBOOST_PREPARE_AFTER_MS`: libxgboost's ms of prediction before the JavaScript walkers
   * are prepared; undefined = per model (the XGBoost handler's default), 0 = at once.
   */
  readonly xgboostPrepareAfterMs: number | undefined;
}

/** Options of `readServingConfig`. */
export interface ReadServingConfigOptions {
  /** CPU count used for the worker default. Default 1 (pass `os.availableParallelism()`). */
  cpuCount?: number;
}

/**
 * Reads the serving environment into a frozen config.
 *
 * @throws SagebrewError SB_ENV_INVALID naming the variable and its value when one is unusable.
 * @example const config = readServingConfig(process.env, { cpuCount: availableParallelism() });
 */
export function readServingConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: ReadServingConfigOptions = {},
): ServingConfig {
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const cpus = Math.max(1, Math.floor(options.cpuCount ?? 1));
  const maxPayloadMb = number(get, ENV.maxPayloadMb, LIMITS.defaultMaxPayloadMb, { min: 0, max: 1024 });
  // SageMaker's XGBoost container reads its limit from MAX_CONTENT_LENGTH (bytes); models deployed
  // with it set that to raise the limit, so it wins when given.
  const contentLength =
    get(ENV.maxContentLength) === undefined
      ? undefined
      : integer(get, ENV.maxContentLength, 0, { min: 1, max: 1024 * 1024 * 1024 });
  const workers = integer(get, ENV.workers, cpus, { min: 1, max: 1024 });
  const multiModel = flag(get, ENV.multiModel, false);
  // The API spells it MultiRecord, the environment MULTI_RECORD (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html; https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-batch-code.html): take both.
  const rawStrategy = get(ENV.batchStrategy);
  const strategy = rawStrategy?.toUpperCase().replace("_", "");
  if (strategy !== undefined && strategy !== "MULTIRECORD" && strategy !== "SINGLERECORD") {
    throw invalid(ENV.batchStrategy, rawStrategy!, "expected MULTI_RECORD or SINGLE_RECORD");
  }
  const xgboostJs = get(ENV.xgboostJs)?.toLowerCase() ?? "auto";
  if (xgboostJs !== "auto" && xgboostJs !== "large" && xgboostJs !== "off") {
    throw invalid(ENV.xgboostJs, get(ENV.xgboostJs)!, "expected auto, large or off");
  }
  const output = get(ENV.inferenceOutput)
    ?.split(",")
    .map((k) => k.trim().toLowerCase())
    .filter((k) => k !== "");
  return Object.freeze({
    baseDir: get(ENV.baseDir) ?? DEFAULT_ML_ROOT,
    port: integer(get, ENV.bindToPort, LIMITS.defaultPort, { min: 0, max: 65535 }),
    bindAddress: ipAddress(get(ENV.bindAddress)),
    safePortRange: portRange(get(ENV.safePortRange)),
    // 0 means "no limit" for batch transform's streaming mode; keep a sane cap instead of none.
    maxPayloadBytes: contentLength ?? Math.round((maxPayloadMb === 0 ? 100 : maxPayloadMb) * 1024 * 1024),
    maxPayloadMb: contentLength === undefined ? maxPayloadMb : contentLength / (1024 * 1024),
    maxPayloadVariable: contentLength === undefined ? ENV.maxPayloadMb : ENV.maxContentLength,
    timeoutMs: Math.round(
      number(get, ENV.timeout, LIMITS.defaultInvocationTimeoutSeconds, { min: 0.001, max: 86400 }) * 1000,
    ),
    workers,
    // A multi-model endpoint answers JSON by default, as SageMaker's multi-model server does.
    defaultAccept: get(ENV.defaultAccept) ?? (multiModel ? MEDIA.json : undefined),
    logLevel: level(get(ENV.containerLogLevel) ?? get(ENV.logLevel)),
    multiModel,
    batch: flag(get, ENV.batch, false),
    batchStrategy: strategy === "SINGLERECORD" ? "SINGLE_RECORD" : "MULTI_RECORD",
    maxConcurrentTransforms: integer(get, ENV.maxConcurrentTransforms, workers, { min: 1, max: 1024 }),
    inferenceOutput: output && output.length > 0 ? Object.freeze(output) : undefined,
    ensemble: flag(get, ENV.inferenceEnsemble, true),
    handlerModule: get(ENV.handler),
    mmeMemoryMb:
      get(ENV.mmeMemoryMb) === undefined
        ? undefined
        : number(get, ENV.mmeMemoryMb, 0, { min: 0.001, max: 16_777_216 }),
    xgboostJs,
    warmupMs: integer(get, ENV.warmupMs, LIMITS.defaultWarmupMs, { min: 0, max: 600_000 }),
    xgboostPrepareAfterMs:
      get(ENV.xgboostPrepareAfterMs) === undefined
        ? undefined
        : number(get, ENV.xgboostPrepareAfterMs, 0, { min: 0, max: 86_400_000 }),
    ...readHttpLimits(env),
  });
}

/** The HTTP server's limits and rejection logging, as `serve` and `sagebrew local` read them. */
export interface HttpLimitsConfig {
  /** `SAGEBREW_HEADERS_TIMEOUT` in milliseconds, default 60 s: the request line and headers must arrive within it. */
  readonly headersTimeoutMs: number;
  /** `SAGEBREW_BODY_IDLE_TIMEOUT` in milliseconds, default 60 s: the longest a body may go without a byte arriving. */
  readonly bodyIdleTimeoutMs: number;
  /** `SAGEBREW_BODY_TIMEOUT` in milliseconds, default 600 s: a whole body must arrive within it; 0 = no limit. */
  readonly bodyTimeoutMs: number;
  /** `SAGEBREW_MAX_CONNECTIONS`, default 1000: open connections served before new ones get 503. */
  readonly maxConnections: number;
  /** `SAGEBREW_REJECTION_LOG_LIMIT`, default 10: rejected requests logged in full per minute. */
  readonly rejectionLogLimit: number;
}

/**
 * Reads `SAGEBREW_HEADERS_TIMEOUT`, `SAGEBREW_BODY_IDLE_TIMEOUT`, `SAGEBREW_BODY_TIMEOUT` (seconds),
 * `SAGEBREW_MAX_CONNECTIONS` and `SAGEBREW_REJECTION_LOG_LIMIT`.
 *
 * @throws SagebrewError SB_ENV_INVALID naming the variable and its value when one is unusable.
 */
export function readHttpLimits(env: Readonly<Record<string, string | undefined>>): HttpLimitsConfig {
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  return {
    headersTimeoutMs: seconds(get, ENV.headersTimeout, LIMITS.defaultHeadersTimeoutSeconds, 0.001),
    bodyIdleTimeoutMs: seconds(get, ENV.bodyIdleTimeout, LIMITS.defaultBodyIdleTimeoutSeconds, 0.001),
    bodyTimeoutMs: seconds(get, ENV.bodyTimeout, LIMITS.defaultBodyTimeoutSeconds, 0),
    maxConnections: integer(get, ENV.maxConnections, LIMITS.defaultMaxConnections, {
      min: 1,
      max: 1_000_000,
    }),
    rejectionLogLimit: integer(get, ENV.rejectionLogLimit, LIMITS.defaultRejectionLogLimit, {
      min: 0,
      max: 1_000_000,
    }),
  };
}

/** An IPv4 or IPv6 address (no name: what is listened on must not depend on a lookup); undefined when unset. */
function ipAddress(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (v4 ? v4.slice(1).every((o) => Number(o) <= 255) : /^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$/.test(value))
    return value;
  throw invalid(ENV.bindAddress, value, "expected an IP address such as 127.0.0.1 or ::1");
}

/** Parses `"9000-9999"`; undefined when unset. */
export function portRange(value: string | undefined): PortRange | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(value);
  const first = Number(m?.[1]);
  const last = Number(m?.[2]);
  if (!m || first < 1 || last > 65535 || first > last) {
    throw invalid(ENV.safePortRange, value, "expected an inclusive range such as 9000-9999");
  }
  return Object.freeze({ first, last });
}

/** The first free-to-use port of `range` after `after` (SMC's `next_safe_port`). */
export function nextSafePort(range: PortRange, after?: number): number {
  const port = after === undefined ? range.first : after + 1;
  if (port < range.first || port > range.last) {
    throw new SagebrewError(
      "SB_ENV_INVALID",
      `Cannot pick a port after ${after} in ${ENV.safePortRange} ${range.first}-${range.last}: the range is exhausted`,
    );
  }
  return port;
}

function invalid(name: string, value: string, why: string): SagebrewError {
  return new SagebrewError("SB_ENV_INVALID", `Cannot use ${name}=${JSON.stringify(value)}: ${why}`);
}

/** A duration in seconds (decimals allowed) as milliseconds; `min` 0 lets 0 mean "no limit". */
function seconds(
  get: (n: string) => string | undefined,
  name: string,
  fallback: number,
  min: number,
): number {
  return Math.round(number(get, name, fallback, { min, max: 86400 }) * 1000);
}

function number(
  get: (n: string) => string | undefined,
  name: string,
  fallback: number,
  range: { min: number; max: number },
): number {
  return numeric(get, name, fallback, range, "number");
}

function integer(
  get: (n: string) => string | undefined,
  name: string,
  fallback: number,
  range: { min: number; max: number },
): number {
  return numeric(get, name, fallback, range, "whole number");
}

function numeric(
  get: (n: string) => string | undefined,
  name: string,
  fallback: number,
  range: { min: number; max: number },
  kind: "number" | "whole number",
): number {
  const raw = get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  const valid = kind === "whole number" ? /^\d+$/.test(raw) : Number.isFinite(n);
  if (!valid || n < range.min || n > range.max) {
    throw invalid(name, raw, `expected a ${kind} from ${range.min} to ${range.max}`);
  }
  return n;
}

function flag(get: (n: string) => string | undefined, name: string, fallback: boolean): boolean {
  const raw = get(name);
  if (raw === undefined) return fallback;
  const v = raw.toLowerCase();
  if (v === "true" || v === "1" || v === "yes") return true;
  if (v === "false" || v === "0" || v === "no") return false;
  throw invalid(name, raw, "expected true or false");
}

const LEVELS: Record<string, Level> = {
  debug: "debug",
  info: "info",
  warn: "warn",
  warning: "warn",
  error: "error",
  critical: "error",
  fatal: "error",
  silent: "silent",
};

/** Level names in any case, or Python's numeric levels (10 debug … 40 error); unknown → info. */
function level(raw: string | undefined): Level {
  if (raw === undefined) return "info";
  const v = raw.toLowerCase();
  const named = LEVELS[v];
  if (named) return named;
  const n = Number(v);
  if (Number.isFinite(n)) return n <= 10 ? "debug" : n <= 20 ? "info" : n <= 30 ? "warn" : "error";
  return "info";
}
