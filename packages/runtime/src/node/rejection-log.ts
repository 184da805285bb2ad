/**
 * Rejected requests, logged without letting a client fill the disk: the first `limit` rejections of
 * each interval are logged in full, the rest only counted, and one summary line per interval gives
 * the counts by reason. A stream of garbage requests therefore costs a bounded number of lines a
 * minute, while an occasional bad request is still logged with its sentence.
 */
import type { Logger } from "./logger.js";

/** Rejections logged in full per interval unless configured (`SAGEBREW_REJECTION_LOG_LIMIT`). */
export const DEFAULT_REJECTION_LOG_LIMIT = 10;
/** The interval the limit counts over. */
export const REJECTION_LOG_INTERVAL_MS = 60_000;

/** Options of a `RejectionLog`. */
export interface RejectionLogOptions {
  /** Rejections logged in full per interval; 0 logs only the summaries. */
  readonly limit?: number;
  readonly intervalMs?: number;
  /** The clock (tests pass their own); default `performance.now`. */
  readonly now?: () => number;
}

/** The summary line's message. */
export const REJECTIONS_SUMMARY = "rejected requests not logged";

/** Counts and logs rejections for one server (see the module comment). */
export class RejectionLog {
  readonly #logger: Logger;
  readonly #limit: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #windowStart: number;
  #logged = 0;
  #suppressed = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(logger: Logger, options: RejectionLogOptions = {}) {
    this.#logger = logger;
    this.#limit = options.limit ?? DEFAULT_REJECTION_LOG_LIMIT;
    this.#intervalMs = options.intervalMs ?? REJECTION_LOG_INTERVAL_MS;
    this.#now = options.now ?? (() => performance.now());
    this.#windowStart = this.#now();
  }

  /**
   * Logs one rejection as `msg` with `fields` through `logger` (a model's logger keeps its fields),
   * or counts it under `reason` (for example `415 SB_UNSUPPORTED_MEDIA_TYPE`) once the interval's
   * limit is reached.
   */
  warn(reason: string, msg: string, fields: Record<string, unknown>, logger: Logger = this.#logger): void {
    const now = this.#now();
    if (now - this.#windowStart >= this.#intervalMs) {
      this.flush();
      this.#windowStart = now;
    }
    if (this.#logged < this.#limit) {
      this.#logged++;
      logger.warn(msg, fields);
      return;
    }
    this.#suppressed.set(reason, (this.#suppressed.get(reason) ?? 0) + 1);
    // The summary is written at the end of the interval even when no rejection follows; the
    // timer does not keep the process alive (stop flushes).
    if (this.#timer === undefined) {
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined;
          this.flush();
          this.#windowStart = this.#now();
        },
        Math.max(0, this.#windowStart + this.#intervalMs - now),
      );
      this.#timer.unref();
    }
  }

  /** Writes the summary of what was not logged, if anything, and starts counting afresh. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#logged = 0;
    if (this.#suppressed.size === 0) return;
    let count = 0;
    const byReason: Record<string, number> = {};
    for (const [reason, n] of [...this.#suppressed].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
      byReason[reason] = n;
      count += n;
    }
    this.#suppressed = new Map();
    this.#logger.warn(REJECTIONS_SUMMARY, {
      count,
      limit: this.#limit,
      intervalSeconds: this.#intervalMs / 1000,
      byReason,
    });
  }
}

const perLogger = new WeakMap<Logger, RejectionLog>();

/**
 * The rejection log of `logger`, made on first use: an app's dispatcher and the HTTP server in
 * front of it both log through the logger they are given, so they share one count.
 */
export function rejectionLog(logger: Logger, options?: RejectionLogOptions): RejectionLog {
  let log = perLogger.get(logger);
  if (!log) {
    log = new RejectionLog(logger, options);
    perLogger.set(logger, log);
  }
  return log;
}
