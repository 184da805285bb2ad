/**
 * XGBoost's collective calls (private to this folder). XGBoost keeps its communicator per thread
 * (`thread_local` in 1.7 and 3.x), so these run as jobs on the one pool thread of a `Collective`,
 * the same thread that builds the job's matrices and runs its rounds.
 */
import { check, type XGBoostApi } from "./_library.js";

/** Reduction operations, numbered as XGBoost numbers them (1.7 through 3.x). */
export const REDUCE = { max: 0, min: 1, sum: 2 } as const;
export type ReduceOp = keyof typeof REDUCE;

/**
 * The data-type code of float64. XGBoost 2.1 moved `XGCommunicatorAllreduce` from its own
 * `DataType` enum (double = 7) to the array-interface enum (f8 = 2, where 7 means int64).
 */
function float64Code(api: XGBoostApi): number {
  const [major, minor] = api.version;
  return major > 2 || (major === 2 && minor >= 1) ? 2 : 7;
}

/** Joins the ring described by `config` (JSON); blocks until every worker has joined. */
export function commInit(api: XGBoostApi, config: string): { rank: number; worldSize: number } {
  check(api, api.fn.XGCommunicatorInit!(config), "join the other hosts (XGCommunicatorInit)");
  return { rank: api.fn.XGCommunicatorGetRank!() as number, worldSize: api.fn.XGCommunicatorGetWorldSize!() };
}

export function commFinalize(api: XGBoostApi): void {
  check(api, api.fn.XGCommunicatorFinalize!(), "leave the other hosts (XGCommunicatorFinalize)");
}

/** Reduces `values` element-wise across every worker, in place; returns them. */
export function allreduce(api: XGBoostApi, values: Float64Array, op: ReduceOp): Float64Array {
  if (values.length > 0)
    check(
      api,
      api.fn.XGCommunicatorAllreduce!(values, values.length, float64Code(api), REDUCE[op]),
      `reduce ${values.length} values across hosts`,
    );
  return values;
}

/** Overwrites `bytes` with the root's bytes (every worker passes a buffer of the same size). */
export function broadcast(api: XGBoostApi, bytes: Uint8Array, root: number): Uint8Array {
  if (bytes.length > 0)
    check(
      api,
      api.fn.XGCommunicatorBroadcast!(bytes, bytes.length, root),
      `receive ${bytes.length} bytes from rank ${root}`,
    );
  return bytes;
}
