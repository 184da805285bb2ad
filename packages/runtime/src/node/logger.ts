/**
 * A structured logger: one JSON object per line with time, level and message. Written by hand
 * because the container image should carry no logging framework for ~40 lines of code, and the
 * hot path only ever logs errors.
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  enabled(level: LogLevel): boolean;
}

/**
 * Parses a level name, also accepting Python's numeric levels (10 debug … 40 error) and names in
 * any case (`INFO`, `warning`), as SageMaker users set them.
 */
export function parseLogLevel(value: string | undefined, fallback: LogLevel = "info"): LogLevel {
  if (value === undefined || value.trim() === "") return fallback;
  const v = value.trim().toLowerCase();
  if (v === "warning") return "warn";
  if (v === "critical" || v === "fatal") return "error";
  if (v in ORDER) return v as LogLevel;
  const n = Number(v);
  if (Number.isFinite(n)) return n <= 10 ? "debug" : n <= 20 ? "info" : n <= 30 ? "warn" : "error";
  return fallback;
}

/** A logger writing JSON lines to `write` (default stderr). */
export function createLogger(
  options: { level?: LogLevel; write?: (line: string) => void; fields?: Record<string, unknown> } = {},
): Logger {
  const level = options.level ?? "info";
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const base = options.fields ?? {};
  const threshold = ORDER[level];
  const log = (lvl: Exclude<LogLevel, "silent">) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < threshold) return;
    write(
      `${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...base, ...fields }, errorReplacer)}\n`,
    );
  };
  return {
    level,
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    enabled: (lvl) => ORDER[lvl] >= threshold,
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    if ("code" in value) out.code = (value as { code: unknown }).code;
    if (value.stack) out.stack = value.stack;
    if (value.cause !== undefined) out.cause = value.cause;
    return out;
  }
  return value;
}

/**
 * `logger` with `fields` added to every line (a model's name, for example).
 *
 * @example withFields(logger, { model: "a" }).info("model loaded"); // {"msg":"model loaded","model":"a",…}
 */
export function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  const add = (f?: Record<string, unknown>) => ({ ...fields, ...f });
  return {
    level: logger.level,
    debug: (msg, f) => logger.debug(msg, add(f)),
    info: (msg, f) => logger.info(msg, add(f)),
    warn: (msg, f) => logger.warn(msg, add(f)),
    error: (msg, f) => logger.error(msg, add(f)),
    enabled: (l) => logger.enabled(l),
  };
}
