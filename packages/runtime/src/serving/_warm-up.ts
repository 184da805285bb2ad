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
/** A sample is warm once this many turns in a row were no faster per call than its best (by 5 %). */
const SETTLED_TURNS = 4;

/** What one sample's warm-up did, for the log. */
export interface WarmedSample {
  readonly bytes: number;
  readonly calls: number;
  /** µs per call of its first call and of its last batch. */
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
}

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
}): Promise<WarmupOutcome | undefined> {
  const { handler, model, loadCtx, handle, marked, budgetMs } = options;
  if (!handler.warmupRequests || !(budgetMs > 0)) return undefined;
  const t0 = performance.now();
  const deadline = t0 + budgetMs;
  let samples: readonly WarmupRequest[];
  try {
    samples = handler.warmupRequests(model, loadCtx);
    if (!Array.isArray(samples)) throw new TypeError("warmupRequests() must return an array");
  } catch (e) {
    return {
      samples: [],
      ms: Math.round(performance.now() - t0),
      outOfBudget: false,
      failure: `warmupRequests() failed: ${message(e)}`,
    };
  }
  const requests = samples.map((s) => toRequest(s, handler));
  for (const r of requests) marked.add(r);
  const state = requests.map(() => ({
    calls: 0,
    best: Number.POSITIVE_INFINITY,
    slower: 0,
    first: 0,
    last: 0,
  }));
  // Round-robin over the samples, a turn each, so that every size gets its share of the budget.
  for (let active = requests.length; active > 0; ) {
    active = 0;
    for (let i = 0; i < requests.length; i++) {
      const st = state[i]!;
      if (st.slower >= SETTLED_TURNS) continue;
      const req = requests[i]!;
      const b0 = performance.now();
      const turnEnd = Math.min(deadline, b0 + TURN_MS);
      let n = 0;
      for (; n < TURN_CALLS && (n === 0 || performance.now() < turnEnd); n++) {
        const answer = await answered(handle(req), deadline);
        if (answer === undefined) return outcome(state, requests, t0, true);
        if (answer.status >= 300) {
          const why = typeof answer.body === "string" ? answer.body : `status ${answer.status}`;
          const failure = `warm-up request ${i + 1} was answered ${answer.status}: ${why.trim()}`;
          return outcome(state, requests, t0, false, failure);
        }
        if (st.calls++ === 0) st.first = (performance.now() - b0) * 1000;
      }
      const us = ((performance.now() - b0) * 1000) / n;
      st.last = us;
      if (us < st.best * 0.95) {
        st.best = us;
        st.slower = 0;
      } else st.slower++;
      if (performance.now() >= deadline) return outcome(state, requests, t0, true);
      if (st.slower < SETTLED_TURNS) active++;
    }
  }
  return outcome(state, requests, t0, false);
}

function outcome(
  state: readonly { calls: number; first: number; last: number }[],
  requests: readonly AppRequest[],
  t0: number,
  outOfBudget: boolean,
  failure?: string,
): WarmupOutcome {
  const samples = requests.map((r, i) => ({
    bytes: r.body?.length ?? 0,
    calls: state[i]!.calls,
    firstUs: Math.round(state[i]!.first),
    lastUs: Math.round(state[i]!.last),
  }));
  return {
    samples,
    ms: Math.round(performance.now() - t0),
    outOfBudget,
    ...(failure === undefined ? {} : { failure }),
  };
}

/** The answer, or undefined when the deadline passes first (the call then finishes on its own). */
function answered(
  answer: AppResponse | Promise<AppResponse>,
  deadline: number,
): AppResponse | Promise<AppResponse | undefined> {
  if (!isThenable(answer)) return answer;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - performance.now()));
  });
  return Promise.race([answer, late]).finally(() => clearTimeout(timer));
}

/**
 * A warm-up request shaped as the HTTP adapter shapes a real one (the same properties in the same
 * order, a Buffer body), so that what V8 learns from it holds for the requests that follow.
 */
function toRequest(s: WarmupRequest, handler: CheckedHandler): AppRequest {
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
