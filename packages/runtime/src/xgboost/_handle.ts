/**
 * The lifecycle of a native XGBoost handle, shared by `Booster` and `DMatrix`: freed by
 * `dispose()` — at once, or when the last piece of work using it on a pool thread ends — and by
 * a finalizer as a backstop if its owner is collected undisposed.
 */
import { SagebrewError } from "../errors/index.js";

interface Held {
  readonly handle: number;
  readonly free: (handle: number) => unknown;
}

const registry = new FinalizationRegistry<Held>(({ handle, free }) => {
  free(handle);
});

export class OwnedHandle {
  #handle: number;
  #inflight = 0;
  #disposeRequested = false;
  readonly #free: (handle: number) => void;
  readonly #what: string;

  /**
   * @param owner the object whose collection frees the handle (the finalizer's target)
   * @param free frees the handle now, checked (`dispose()`); `finalize` is the unchecked form
   *   the finalizer calls
   * @param what names the owner in "used after dispose()" errors
   */
  constructor(
    owner: object,
    handle: number,
    free: (handle: number) => void,
    finalize: (handle: number) => unknown,
    what: string,
  ) {
    this.#handle = handle;
    this.#free = free;
    this.#what = what;
    registry.register(owner, { handle, free: finalize }, this);
  }

  /** The handle; throws once disposed. */
  get handle(): number {
    if (this.#handle === 0 || this.#disposeRequested)
      throw new SagebrewError("SB_INTERNAL", `${this.#what} used after dispose()`);
    return this.#handle;
  }

  get disposed(): boolean {
    return this.#handle === 0 || this.#disposeRequested;
  }

  /** Keeps the handle alive while a pool thread uses it; pair with `release()`. */
  retain(): number {
    const h = this.handle;
    this.#inflight++;
    return h;
  }

  release(): void {
    this.#inflight--;
    if (this.#inflight === 0 && this.#disposeRequested) this.#freeNow();
  }

  /** Frees the handle now, or once work in flight ends. Idempotent. */
  dispose(): void {
    if (this.#handle === 0) return;
    this.#disposeRequested = true;
    if (this.#inflight === 0) this.#freeNow();
  }

  #freeNow(): void {
    if (this.#handle === 0) return;
    registry.unregister(this);
    const h = this.#handle;
    this.#handle = 0;
    this.#free(h);
  }
}
