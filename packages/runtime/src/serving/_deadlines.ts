/**
 * Invocation deadlines, checked by one sweeping timer rather than a timer per request (a timer,
 * an AbortController and a Promise.race per request were a measurable share of a small
 * invocation). A deadline fires within a sweep interval of its time: the invocation is rejected
 * with the timeout error and its AbortSignal, if the handler asked for one, aborts.
 */

/** One invocation's deadline. */
export interface Deadline {
  readonly at: number;
  reject: ((e: unknown) => void) | undefined;
  /** Made on first use of the invocation's `signal` (most handlers never look at it). */
  controller: AbortController | undefined;
}

/** The deadlines of one app's invocations. */
export class Deadlines {
  readonly #pending = new Set<Deadline>();
  readonly #timeoutMs: number;
  readonly #timedOut: () => Error;
  #sweeper: NodeJS.Timeout | undefined;

  /** `timedOut` makes the error an invocation over its deadline is rejected with. */
  constructor(timeoutMs: number, timedOut: () => Error) {
    this.#timeoutMs = timeoutMs;
    this.#timedOut = timedOut;
  }

  /** A deadline `timeoutMs` from now, not yet watched. */
  start(): Deadline {
    return { at: performance.now() + this.#timeoutMs, reject: undefined, controller: undefined };
  }

  /** True when `deadline` has passed (a synchronous invocation that ran over still fails). */
  passed(deadline: Deadline): boolean {
    return performance.now() > deadline.at;
  }

  /** `work`, or the timeout error once `deadline` passes, whichever comes first. */
  race<T>(deadline: Deadline, work: Promise<T>): Promise<T> {
    this.#pending.add(deadline);
    this.#arm();
    return new Promise<T>((resolve, reject) => {
      deadline.reject = reject;
      work.then(resolve, reject);
    }).finally(() => this.#pending.delete(deadline));
  }

  #arm(): void {
    if (this.#sweeper) return;
    // Kept referenced: an invocation in flight keeps the process alive until its deadline; the
    // timer stops as soon as none is pending.
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(5, Math.min(100, this.#timeoutMs / 10)));
  }

  #sweep(): void {
    const now = performance.now();
    for (const d of this.#pending) {
      if (now < d.at) continue;
      this.#pending.delete(d);
      d.controller?.abort();
      d.reject?.(this.#timedOut());
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}
