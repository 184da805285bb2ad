/**
 * One model's life in an app: loaded and warmed by `start()` (the handler's `warmup`, then its
 * `warmupRequests` through the app's invocation path), then ready (`/ping` 200), failed, or
 * stopping; `stop()` runs the handler's `close` once the requests in flight are drained.
 */
import { randomBytes } from "node:crypto";
import { type SagebrewError, toSagebrewError } from "../errors/index.js";
import type { AppRequest, AppState } from "./_app-types.js";
import { WARMUP_HEADER, type WarmupOutcome } from "./_warm-up.js";
import type { CheckedHandler, LoadContext } from "./handler.js";

/** The model behind a single-model app. */
export class ModelLifecycle {
  state: AppState = "loading";
  /** The handler's model, once loaded. */
  model: unknown;
  /** Why the model could not be loaded (state `failed`). */
  loadError: SagebrewError | undefined;
  /** The warm-up's own requests: answered while the model is still `loading`. */
  readonly warmups = new WeakSet<AppRequest>();
  /**
   * Carried in `WARMUP_HEADER` by the warm-up's requests over the server's own socket: random,
   * never logged, and honoured only while the model is `loading`.
   */
  readonly warmupToken = randomBytes(16).toString("hex");
  /** Warm-up requests left in flight at the budget's end: `stop()` waits for them before `close`. */
  #warmupAnswered: Promise<void> = Promise.resolve();

  constructor(
    readonly handler: CheckedHandler,
    readonly loadCtx: LoadContext,
  ) {}

  /**
   * Loads the model, makes the warm-up prediction, then runs `warmRequests` (the handler's warm-up
   * requests through the app; a failure there is logged, and the model is ready all the same).
   *
   * @throws SagebrewError SB_MODEL_LOAD (or the handler's own code) when loading or `warmup`
   * fails; a model loaded but not warmed is closed first.
   */
  async start(warmRequests?: () => Promise<WarmupOutcome | undefined>): Promise<void> {
    const { handler, loadCtx } = this;
    const t0 = performance.now();
    try {
      this.model = await handler.load(loadCtx);
      if (handler.warmup) await handler.warmup(this.model, loadCtx);
      if (this.state === "loading" && warmRequests) {
        const outcome = await warmRequests();
        if (outcome) this.#warmupAnswered = outcome.answered;
        this.#logWarmup(outcome);
      }
    } catch (e) {
      this.loadError = toSagebrewError(e, "SB_MODEL_LOAD");
      if (this.state === "loading") this.state = "failed";
      // Loaded but not warmed: free it now, since stop() only closes a ready model.
      if (this.model !== undefined) await this.#close();
      throw this.loadError;
    }
    if (this.state === "loading") this.state = "ready";
    loadCtx.logger.info("model loaded and warmed", {
      handler: handler.name,
      modelDir: loadCtx.modelDir,
      ms: Math.round(performance.now() - t0),
    });
  }

  #logWarmup(outcome: WarmupOutcome | undefined): void {
    if (!outcome) return;
    const { logger } = this.loadCtx;
    const fields = {
      handler: this.handler.name,
      ms: outcome.ms,
      outOfBudget: outcome.outOfBudget,
      samples: outcome.samples,
    };
    if (outcome.failure === undefined) logger.info("invocation path warmed", fields);
    else logger.warn("warm-up requests failed: ready without them", { ...fields, reason: outcome.failure });
  }

  /** True for one of the warm-up's own requests, in process or over the socket, while they run. */
  isWarmup(req: AppRequest): boolean {
    return (
      this.state === "loading" && (this.warmups.has(req) || req.headers[WARMUP_HEADER] === this.warmupToken)
    );
  }

  /** Marks the model stopping and closes it once `drained` resolves. */
  async stop(drained: Promise<void>): Promise<void> {
    const was = this.state;
    this.state = "stopping";
    await drained;
    await this.#warmupAnswered;
    if (was === "ready") await this.#close();
  }

  async #close(): Promise<void> {
    const { handler, loadCtx } = this;
    try {
      await handler.close?.(this.model, loadCtx);
    } catch (e) {
      loadCtx.logger.warn("handler close failed", { error: e });
    }
    this.model = undefined;
  }
}
