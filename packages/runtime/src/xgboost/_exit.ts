/**
 * Ending the process at once (libc `_exit`): no exit handlers, no joining of threads. A process
 * whose XGBoost collective thread is blocked on a peer that vanished needs it: Node's own exit
 * waits for every worker thread, and that one never returns. Needs only libc (no libxgboost).
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let exit: ((code: number) => void) | undefined;

/**
 * Ends the process now with `code`. Write what must be written first (the failure file; stdout
 * and stderr are synchronous for files, pipes and terminals on Linux).
 */
export function exitImmediately(code: number): never {
  if (!exit) {
    const koffi = require("koffi") as typeof import("koffi");
    const libc = koffi.load(process.platform === "darwin" ? "libc.dylib" : "libc.so.6");
    exit = libc.func("void _exit(int status)") as (code: number) => void;
  }
  exit(code);
  throw new Error("_exit returned");
}
