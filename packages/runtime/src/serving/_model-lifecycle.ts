/**
 * One model's life in an app: loaded and warmed by `start()`, then ready (`/ping` 200), failed,
 * or stopping; `stop()` runs the handler's `close` once the requests in flight are drained.
 */
import { type SagebrewError, toSagebrewError } from "../errors/index.js";
import type { AppState } from "./_app-types.js";
import type { CheckedHandler, LoadContext } from "./handler.js";

/** The model behind a single-model app. */
export class ModelLifecycle {
  state: AppState = "loading";
  /** The handler's model, once loaded. */
  model: unknown;
  /** Why the model could not be loaded (state `failed`). */
  loadError: SagebrewError | undefined;

  constructor(
    readonly handler: CheckedHandler,
    readonly loadCtx: LoadContext,
  ) {}

  /**
   * Loads the model and makes the warm-up prediction.
   *
   * @throws SagebrewError SB_MODEL_LOAD (or the handler's own code) when either fails; a model
   * loaded but not warmed is closed first.
   */
  async start(): Promise<void> {
    const { handler, loadCtx } = this;
    const t0 = performance.now();
    try {
      this.model = await handler.load(loadCtx);
      if (handler.warmup) await handler.warmup(this.model, loadCtx);
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

  /** Marks the model stopping and closes it once `drained` resolves. */
  async stop(drained: Promise<void>): Promise<void> {
    const was = this.state;
    this.state = "stopping";
    await drained;
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
