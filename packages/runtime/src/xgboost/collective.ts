/**
 * XGBoost's collective for a distributed job: one pool thread joins the ring with
 * `XGCommunicatorInit` and then does every XGBoost call of the job — its matrices, its rounds, its
 * evaluations, its reductions. XGBoost's communicator belongs to the thread that joined (it is
 * `thread_local`), and `XGCommunicatorInit` blocks until every worker has joined, so the event
 * loop stays free meanwhile (the tracker, signals and the hosts' control channel run there or on
 * threads of their own).
 */

import type { ReduceOp } from "./_collective.js";
import { loadXGBoost, type XGBoostApi } from "./_library.js";
import { XGBoostPool } from "./_pool.js";

export type { ReduceOp } from "./_collective.js";

export interface CollectiveOptions {
  /** The tracker's address (an IP: every XGBoost version accepts one). */
  readonly trackerUri: string;
  readonly trackerPort: number;
  /** This worker's task id; the tracker orders ranks by it (sagebrew passes the host's name). */
  readonly taskId: string;
  readonly worldSize: number;
  /** Seconds a worker waits for the tracker and its peers (XGBoost's own bound). Default 300. */
  readonly timeoutSec?: number;
}

/** The worker configuration of `XGCommunicatorInit`, in the spelling the library reads. */
export function workerConfig(version: readonly [number, number, number], o: CollectiveOptions): string {
  const [major, minor] = version;
  const timeout = Math.max(1, Math.round(o.timeoutSec ?? 300));
  if (major > 2 || (major === 2 && minor >= 1)) {
    return JSON.stringify({
      dmlc_communicator: "rabit",
      dmlc_tracker_uri: o.trackerUri,
      dmlc_tracker_port: o.trackerPort, // must be a JSON integer
      dmlc_task_id: o.taskId,
      dmlc_timeout: timeout,
      dmlc_retry: 3,
    });
  }
  // 1.7 and 2.0 read upper-case DMLC_* keys (the lower-case ones are 2.1's) and turn each entry
  // into `key=value` for rabit: no spaces, at most 256 characters. `rabit_timeout_sec` bounds each
  // wait for a peer; the connect retries (about 2 s, 4 s, 6 s apart) bound the wait for the tracker.
  // Without TCP_NODELAY every small reduction (a round makes dozens) waits on Nagle's algorithm
  // and the peer's delayed ACK: iris on 2 hosts took 2.6 s a round.
  return JSON.stringify({
    rabit_enable_tcp_no_delay: "true",
    DMLC_TRACKER_URI: o.trackerUri,
    DMLC_TRACKER_PORT: String(o.trackerPort),
    DMLC_TASK_ID: o.taskId,
    rabit_world_size: String(o.worldSize),
    DMLC_WORKER_CONNECT_RETRY: "5",
    rabit_timeout_sec: String(timeout),
  });
}

let abandoned = false;

/**
 * True once a ring was given up after a failure (`Collective.abandon`): its thread may be blocked
 * in XGBoost for good, and Node's own exit waits for every thread, so the process must end with
 * `exitImmediately`.
 */
export function collectiveAbandoned(): boolean {
  return abandoned;
}

/**
 * A joined ring.
 *
 * @example
 * const c = await Collective.join({ trackerUri: "10.0.0.1", trackerPort: 9100, taskId: "algo-2", worldSize: 2 });
 * const [rows] = await c.allreduce(new Float64Array([localRows]), "sum");
 * await c.finalize();
 * @throws SagebrewError SB_XGBOOST with XGBoost's message when joining or a collective call fails.
 */
export class Collective {
  /** The thread that owns the communicator: give it to `Booster.usePool` and `DMatrix.…Async`. */
  readonly pool: XGBoostPool;
  readonly rank: number;
  readonly worldSize: number;
  #finalized = false;

  private constructor(pool: XGBoostPool, rank: number, worldSize: number) {
    this.pool = pool;
    this.rank = rank;
    this.worldSize = worldSize;
  }

  /** Joins the ring on a thread of its own; resolves once every worker has joined. */
  static async join(options: CollectiveOptions, api: XGBoostApi = loadXGBoost()): Promise<Collective> {
    const pool = new XGBoostPool(1);
    try {
      const config = workerConfig(api.version, options);
      const { rank, worldSize } = await pool.run<{ rank: number; worldSize: number }>(
        { op: "commInit", config },
        [],
        0,
      );
      return new Collective(pool, rank, worldSize);
    } catch (e) {
      await pool.close();
      throw e;
    }
  }

  /** Reduces `values` element-wise across the ring (the array is moved to the thread and back). */
  async allreduce(values: Float64Array, op: ReduceOp): Promise<Float64Array> {
    const own = values.buffer instanceof ArrayBuffer && values.byteOffset === 0 ? values : values.slice();
    const r = await this.pool.run<{ values: Float64Array }>(
      { op: "allreduce", values: own, reduce: op },
      [own.buffer as ArrayBuffer],
      0,
    );
    return r.values;
  }

  /**
   * The root's bytes on every worker (the others pass `undefined`): the length as 8 bytes, then
   * the bytes, two broadcasts from the root, as Python XGBoost's `collective.broadcast` sends them.
   */
  async broadcast(bytes: Uint8Array | undefined, root: number): Promise<Uint8Array> {
    const head = new Uint8Array(8);
    if (this.rank === root) new DataView(head.buffer).setBigUint64(0, BigInt(bytes?.length ?? 0), true);
    const length = Number(new DataView((await this.#broadcast(head, root)).buffer).getBigUint64(0, true));
    const buffer = new Uint8Array(length);
    if (this.rank === root && bytes) buffer.set(bytes);
    return this.#broadcast(buffer, root);
  }

  async #broadcast(buffer: Uint8Array, root: number): Promise<Uint8Array> {
    const r = await this.pool.run<{ values: Uint8Array }>(
      { op: "broadcast", values: buffer, root },
      [buffer.buffer as ArrayBuffer],
      0,
    );
    return r.values;
  }

  /** Leaves the ring (the tracker counts it as done) and stops the thread. Idempotent. */
  async finalize(): Promise<void> {
    if (this.#finalized) return;
    this.#finalized = true;
    try {
      await this.pool.run({ op: "commFinalize" }, [], 0);
    } finally {
      await this.pool.close();
    }
  }

  /**
   * Gives up the thread without leaving the ring, after a failure. Not awaited: a thread blocked
   * in a collective call never ends, which is why a failed distributed job ends its process with
   * `exitImmediately`.
   */
  abandon(): void {
    abandoned = true;
    this.#finalized = true;
    this.pool.close().catch(() => undefined);
  }
}
