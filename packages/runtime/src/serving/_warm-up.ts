/**
 * Warming the invocation path before `/ping` says 200: the handler's `warmupRequests` (opt-in) go
 * through the app's own `handle` — router, limits, negotiation, decode → predict → encode,
 * response — again and again, until their time per call stops improving or the start-up budget
 * is spent, so that V8 has optimised that JavaScript when the first real request comes (a fresh
 * server otherwise runs its first thousands of requests through code still being compiled).
 */
import { ROUTES } from "../contract/index.js";
import type { AppRequest, AppResponse } from "./_app-types.js";
import { isThenable } from "./_dispatch.js";
import type { CheckedHandler, LoadContext, WarmupRequest } from "./handler.js";

/** A sample's turn: this many calls at most, and no more calls once this many ms have passed. */
const TURN_CALLS = 32;
const TURN_MS = 5;
/** A sample is warm once this many turns in a row were no faster per call than its best (by 5 %)… */
const SETTLED_TURNS = 4;
/**
 * …or, for a large one, after this many calls of at least `LARGE_US` each: its time is mostly the
 * model's own work (native code, the pool), and its JavaScript loops are optimised within a call.
 */
const LARGE_CALLS = 3;
const LARGE_US = 1000;

/**
 * Then, over the server's own socket (node's HTTP parser, the adapter's body reading and writing,
 * which a request in process does not reach): the first request this many times, each other one
 * `HTTP_CALLS_OTHERS` times.
 */
const HTTP_CALLS = 256;
const HTTP_CALLS_OTHERS = 2;

/** The header that carries the warm-up's token on its requests over the socket. */
export const WARMUP_HEADER = "x-sagebrew-warmup";

/** Sends a request to the server's own socket and resolves with its answer. */
export type WarmupSender = (req: AppRequest) => Promise<AppResponse>;

/** What one sample's warm-up did, for the log. */
export interface WarmedSample {
  readonly bytes: number;
  /** Calls in process, and over the server's socket. */
  readonly calls: number;
  readonly httpCalls: number;
  /** µs of its first turn's and its last turn's fastest call. */
  readonly firstUs: number;
  readonly lastUs: number;
}

/** The outcome of a warm-up. */
export interface WarmupOutcome {
  readonly samples: readonly WarmedSample[];
  readonly ms: number;
  /** True when the budget ran out before every sample's time per call had settled. */
  readonly outOfBudget: boolean;
  /** Why the warm-up stopped early: `warmupRequests` threw, or a request was not answered 2xx. */
  readonly failure?: string;
  /** Resolves once the warm-up's requests still in flight (left behind at the budget's end) are answered. */
  readonly answered: Promise<void>;
}

interface SampleState {
  calls: number;
  best: number;
  slower: number;
  first: number;
  last: number;
  /** An answer that comes later (the pool's): the other samples take their turns meanwhile. */
  pending: Promise<void> | undefined;
  failure: string | undefined;
  /** Calls over the socket. */
  httpCalls: number;
}

const isSettled = (st: SampleState) =>
  st.slower >= SETTLED_TURNS || (st.calls >= LARGE_CALLS && st.best >= LARGE_US);

/**
 * Runs the handler's warm-up requests through `handle`, each marked in `marked` so that the
 * invocation route answers it while the model is not yet ready; never throws.
 */
export async function warmInvocations(options: {
  readonly handler: CheckedHandler;
  readonly model: unknown;
  readonly loadCtx: LoadContext;
  readonly handle: (req: AppRequest) => AppResponse | Promise<AppResponse>;
  readonly marked: WeakSet<AppRequest>;
  readonly budgetMs: number;
  /** False once the warm-up is no longer wanted (the server is stopping). */
  readonly wanted: () => boolean;
  /** With a socket: sends the requests over it too, carrying `token` (`WARMUP_HEADER`). */
  readonly send?: WarmupSender;
  readonly token?: string;
}): Promise<WarmupOutcome | undefined> {
  const { handler, model, loadCtx, handle, marked, budgetMs, wanted } = options;
  if (!handler.warmupRequests || !(budgetMs > 0)) return undefined;
  const t0 = performance.now();
  const deadline = t0 + budgetMs;
  let requests: AppRequest[];
  try {
    const samples: readonly WarmupRequest[] = handler.warmupRequests(model, loadCtx);
    if (!Array.isArray(samples)) throw new TypeError("it must return an array");
    requests = samples.map((s, i) => toRequest(s, i, handler));
  } catch (e) {
    return {
      samples: [],
      ms: Math.round(performance.now() - t0),
      outOfBudget: false,
      failure: `warmupRequests() failed: ${message(e)}`,
      answered: Promise.resolve(),
    };
  }
  if (requests.length === 0) return undefined;
  for (const r of requests) marked.add(r);
  const state: SampleState[] = requests.map(() => ({
    calls: 0,
    best: Number.POSITIVE_INFINITY,
    slower: 0,
    first: 0,
    last: 0,
    pending: undefined,
    failure: undefined,
    httpCalls: 0,
  }));
  const socket = options.send ? overSocket(options.send, options.token ?? "", requests, state) : undefined;
  const done = (outOfBudget: boolean, failure?: string) => outcome(state, requests, t0, outOfBudget, failure);
  // Round-robin over the samples, a turn each, so that every size gets its share of the budget.
  for (;;) {
    let unsettled = 0;
    for (let i = 0; i < requests.length; i++) {
      const st = state[i]!;
      if (st.failure !== undefined) return done(false, st.failure);
      if (isSettled(st)) continue;
      unsettled++;
      if (st.pending) continue;
      // A turn's figure is its fastest call: robust to the moments the machine gives the core
      // to another process.
      const b0 = performance.now();
      const turnEnd = Math.min(deadline, b0 + TURN_MS);
      let fastest = Number.POSITIVE_INFINITY;
      let n = 0;
      while (n < TURN_CALLS && (n === 0 || performance.now() < turnEnd)) {
        const c0 = performance.now();
        const answer = handle(requests[i]!);
        n++;
        if (isThenable(answer)) {
          // Its work is elsewhere (the pool) or waits: timed by the clock until it comes.
          st.pending = answer.then((a) => {
            st.pending = undefined;
            st.failure = failed(a, i);
            if (st.failure === undefined) record(st, (performance.now() - c0) * 1000, n);
          });
          break;
        }
        const failure = failed(answer, i);
        if (failure !== undefined) return done(false, failure);
        fastest = Math.min(fastest, (performance.now() - c0) * 1000);
      }
      if (!st.pending) record(st, fastest, n);
    }
    if (unsettled === 0 || !wanted()) {
      while (socket && !socket.finished() && performance.now() < deadline && wanted()) {
        const failure = await beforeDeadline(socket.step(), deadline);
        if (failure === LATE) return done(true);
        if (failure !== undefined) return done(false, failure);
      }
      return done(performance.now() >= deadline);
    }
    if (performance.now() >= deadline) return done(true);
    // Let the pool's answers in (and the pool threads start). When every sample left waits for
    // one, a request goes over the socket meanwhile (once the first is settled in process), or
    // the first answer, or the budget's end, is waited for.
    const waiting = state.filter((st) => st.pending !== undefined && !isSettled(st));
    if (waiting.length < unsettled) await new Promise((resolve) => setImmediate(resolve));
    else if (socket && !socket.finished() && isSettled(state[0]!)) {
      const failure = await beforeDeadline(socket.step(), deadline);
      if (failure === LATE) return done(true);
      if (failure !== undefined) return done(false, failure);
    } else await Promise.race([...waiting.map((st) => st.pending), until(deadline)]);
  }
}

/**
 * The requests again over the socket, one call per `step`: the first request `HTTP_CALLS` times,
 * then each other one `HTTP_CALLS_OTHERS` times. A step resolves with why it failed, if it did.
 */
function overSocket(
  send: WarmupSender,
  token: string,
  requests: readonly AppRequest[],
  state: SampleState[],
) {
  const viaSocket = requests.map((r) => ({ ...r, headers: { ...r.headers, [WARMUP_HEADER]: token } }));
  let i = 0;
  const calls = (k: number) => (k === 0 ? HTTP_CALLS : HTTP_CALLS_OTHERS);
  return {
    finished: () => i >= requests.length,
    async step(): Promise<string | undefined> {
      let answer: AppResponse;
      try {
        answer = await send(viaSocket[i]!);
      } catch (e) {
        const which = i + 1;
        i = requests.length;
        return `warm-up request ${which} over the socket failed: ${message(e)}`;
      }
      const failure = failed(answer, i);
      if (failure !== undefined) return `${failure} (over the socket)`;
      if (++state[i]!.httpCalls >= calls(i)) i++;
      return undefined;
    },
  };
}

/** Counts a turn of `n` calls whose fastest took `us`. */
function record(st: SampleState, us: number, n: number): void {
  if (st.calls === 0) st.first = us;
  st.calls += n;
  st.last = us;
  if (us < st.best * 0.95) {
    st.best = us;
    st.slower = 0;
  } else st.slower++;
}

/** Why a warm-up answer means the warm-up must stop, or undefined for a 2xx. */
function failed(answer: AppResponse, i: number): string | undefined {
  if (answer.status < 300) return undefined;
  const why = typeof answer.body === "string" ? answer.body : `status ${answer.status}`;
  return `warm-up request ${i + 1} was answered ${answer.status}: ${why.trim()}`;
}

const LATE: unique symbol = Symbol("late");

/**
 * A request over the socket, or `LATE` at the budget's end (the request then finishes as any
 * other the server answers, the model ready by then).
 */
function beforeDeadline(
  step: Promise<string | undefined>,
  deadline: number,
): Promise<string | undefined | typeof LATE> {
  return Promise.race([step, until(deadline).then((): typeof LATE => LATE)]);
}

function until(deadline: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - performance.now())).unref());
}

function outcome(
  state: readonly SampleState[],
  requests: readonly AppRequest[],
  t0: number,
  outOfBudget: boolean,
  failure?: string,
): WarmupOutcome {
  const samples = requests.map((r, i) => ({
    bytes: r.body?.length ?? 0,
    calls: state[i]!.calls,
    httpCalls: state[i]!.httpCalls,
    firstUs: Math.round(state[i]!.first),
    lastUs: Math.round(state[i]!.last),
  }));
  const inFlight = state.flatMap((st) => (st.pending ? [st.pending] : []));
  return {
    samples,
    ms: Math.round(performance.now() - t0),
    outOfBudget,
    ...(failure === undefined ? {} : { failure }),
    answered: Promise.all(inFlight).then(() => undefined),
  };
}

/**
 * A warm-up request shaped as the HTTP adapter shapes a real one (the same properties in the same
 * order, a Buffer body), so that what V8 learns from it holds for the requests that follow.
 */
function toRequest(s: WarmupRequest, i: number, handler: CheckedHandler): AppRequest {
  if (
    typeof s !== "object" ||
    s === null ||
    !(typeof s.body === "string" || s.body instanceof Uint8Array) ||
    typeof s.contentType !== "string"
  ) {
    throw new TypeError(`request ${i + 1} is not { body: string | Uint8Array, contentType: string }`);
  }
  const body = Buffer.from(typeof s.body === "string" ? Buffer.from(s.body, "utf8") : s.body);
  return {
    method: "POST",
    url: ROUTES.invocations,
    headers: {
      "content-type": s.contentType,
      accept: s.accept ?? handler.accepts[0],
      "content-length": String(body.length),
    },
    body,
  };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
