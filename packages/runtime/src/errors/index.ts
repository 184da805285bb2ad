/**
 * One small error hierarchy: every sagebrew error has a stable code from the catalogue, a fault
 * kind, an HTTP status where one applies, and an optional cause.
 */
import { ERROR_CODES, type ErrorCode, type FaultKind } from "./catalogue.js";

export { ERROR_CODES, type ErrorCode, type ErrorSpec, type FaultKind } from "./catalogue.js";

export interface SagebrewErrorOptions {
  /** The underlying error, kept for logs. */
  cause?: unknown;
  /** Overrides the catalogue's HTTP status (for example 400 instead of 500 when input is at fault). */
  status?: number;
}

/**
 * An error with a stable code. Messages follow one voice: what was being done, the value, then
 * details after a colon — `Cannot parse CSV row 3: expected 4 columns, got 5`.
 *
 * @example throw new SagebrewError("SB_HYPERPARAMETER", "Hyperparameter eta: 2 is not in [0, 1]");
 */
export class SagebrewError extends Error {
  readonly code: ErrorCode;
  readonly kind: FaultKind;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options: SagebrewErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SagebrewError";
    this.code = code;
    this.kind = ERROR_CODES[code].kind;
    this.status = options.status ?? ERROR_CODES[code].status;
  }
}

/**
 * True when `e` is a SagebrewError, optionally with the given code. A project's code may bring its
 * own copy of this package (its `node_modules`), so an error of another copy counts too.
 */
export function isSagebrewError(e: unknown, code?: ErrorCode): e is SagebrewError {
  const like =
    e instanceof SagebrewError ||
    (e instanceof Error &&
      e.name === "SagebrewError" &&
      isErrorCode((e as { code?: unknown }).code) &&
      typeof (e as { kind?: unknown }).kind === "string");
  return like && (code === undefined || (e as SagebrewError).code === code);
}

/** Wraps any thrown value into a SagebrewError, keeping known ones as they are. */
export function toSagebrewError(e: unknown, fallback: ErrorCode = "SB_INTERNAL"): SagebrewError {
  if (isSagebrewError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new SagebrewError(fallback, message, { cause: e });
}

/** True when `code` is one of the catalogue's codes (for codes that crossed a thread boundary). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/** Why listening failed, by the system's code, in words; codes not listed are not worth translating. */
const LISTEN_FAILURES: Readonly<Record<string, (host: string | undefined) => string>> = {
  EADDRINUSE: () => "another program is listening there",
  EACCES: () => "not allowed (ports below 1024 need privileges)",
  EADDRNOTAVAIL: (host) => `this machine has no address ${host}`,
  ENOTFOUND: (host) => `${host} is not a known host name`,
};

/**
 * A server's listen failure (port in use, not allowed) as one sentence naming the port, so that
 * `serve`, `sagebrew serve` and `sagebrew local` print the same words instead of a stack trace;
 * undefined for any other error.
 *
 * @example throw listenError(e, 8080, "127.0.0.1") ?? e;
 */
export function listenError(e: unknown, port: number, host?: string): SagebrewError | undefined {
  const why = LISTEN_FAILURES[(e as NodeJS.ErrnoException | undefined)?.code ?? ""];
  if (!why) return undefined;
  const where = host === undefined ? `port ${port}` : `${host} port ${port}`;
  return new SagebrewError("SB_LISTEN", `Cannot listen on ${where}: ${why(host)}`, { cause: e });
}
