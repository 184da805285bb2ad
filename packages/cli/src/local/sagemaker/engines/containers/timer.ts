/** Timers for deadlines longer than `setTimeout` can hold (2^31 - 1 ms, about 24.8 days). */

/** The longest delay `setTimeout` takes; a longer one fires at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Calls `fire` once `ms` milliseconds have passed — any number, up to days beyond `setTimeout`'s
 * limit (re-armed in steps) — unless cancelled. The timer keeps no process alive by itself.
 *
 * @example const cancel = afterDelay(2_419_200_000, () => stop()); cancel();
 */
export function afterDelay(ms: number, fire: () => void): () => void {
  const deadline = Date.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = deadline - Date.now();
    if (left <= 0) {
      timer = undefined;
      fire();
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMEOUT_MS));
    timer.unref();
  };
  arm();
  return () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
}
