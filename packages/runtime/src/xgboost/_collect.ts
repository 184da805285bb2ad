/**
 * A full garbage collection of this thread's heap, then glibc's free pages handed back to the OS
 * (`malloc_trim`). For the moments after a burst of allocation that will not come again — a
 * quantile build's batches on a pool thread, the walkers' preparation at start-up — so that
 * resident memory returns to what the thread keeps, instead of V8 holding the grown heap until
 * it next collects, which an idle server may not do for a long time.
 * `--expose-gc` set at run time affects only contexts made afterwards, so `gc` comes from a fresh
 * context of this thread; if the flag is refused, nothing is collected and the memory is
 * returned whenever V8 collects.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { loadXGBoost } from "./_library.js";

let collect: (() => void) | null | undefined;

/** Collects now; `false` where the collector cannot be reached (the flag refused). */
export function collectGarbage(): boolean {
  if (collect === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      const gc = runInNewContext("gc") as unknown;
      collect = typeof gc === "function" ? (gc as () => void) : null;
    } catch {
      collect = null;
    }
  }
  if (!collect) return false;
  collect();
  loadXGBoost().trimHeap();
  return true;
}
