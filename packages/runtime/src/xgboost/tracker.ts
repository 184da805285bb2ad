/**
 * The tracker of a distributed XGBoost job, run by the master host on a thread of its own: XGBoost's
 * own (`XGTrackerCreate`) when the library has one (2.1 and newer), else sagebrew's port of the 1.7
 * protocol. Workers are ranked by task id; sagebrew's task ids are the host names, sorted as
 * SageMaker sorts them, so rank = index in the sorted host list.
 */
import { RequestWorker } from "../node/worker.js";
import { loadXGBoost } from "./_library.js";
import type { StartRequest } from "./_tracker-thread.js";

export interface TrackerOptions {
  /** The address to listen on and to give the workers (the master's own address). */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly workers: number;
  /** The workers' task ids, to name those that never came. */
  readonly expectedTasks?: readonly string[];
  /** Every worker must have started within this time. Default 300 s. */
  readonly startTimeoutMs?: number;
  /** A worker that stalls mid-handshake is dropped after this time (sagebrew's tracker). Default 30 s. */
  readonly stepTimeoutMs?: number;
}

/**
 * A running tracker.
 *
 * @example
 * const t = await Tracker.start({ host: "127.0.0.1", port: 0, workers: 2 });
 * // …workers join with Collective.join({ trackerUri: "127.0.0.1", trackerPort: t.port, … })
 * await t.wait();
 * @throws SagebrewError SB_CLUSTER when the port is taken or the tracker fails.
 */
export class Tracker {
  readonly port: number;
  /** `xgboost` for XGBoost's own tracker, `sagebrew` for the 1.7 protocol port. */
  readonly kind: "sagebrew" | "xgboost";
  readonly #thread: RequestWorker;

  private constructor(thread: RequestWorker, port: number, kind: Tracker["kind"]) {
    this.#thread = thread;
    this.port = port;
    this.kind = kind;
  }

  static async start(options: TrackerOptions): Promise<Tracker> {
    const api = loadXGBoost();
    const kind = api.hasTracker ? "xgboost" : "sagebrew";
    const thread = new RequestWorker(import.meta.url, "_tracker-thread", undefined, {
      label: "XGBoost tracker thread",
      fallbackCode: "SB_CLUSTER",
    });
    const request: StartRequest = {
      op: "start",
      kind,
      libraryPath: api.path,
      host: options.host,
      port: options.port,
      workers: options.workers,
      startTimeoutMs: options.startTimeoutMs ?? 300_000,
      stepTimeoutMs: options.stepTimeoutMs ?? 30_000,
      expectedTasks: options.expectedTasks ?? [],
    };
    try {
      const port = await thread.request<number>({ ...request });
      return new Tracker(thread, port, kind);
    } catch (e) {
      thread.stop().catch(() => undefined);
      throw e;
    }
  }

  /** Resolves once every worker has finalised; rejects (SB_CLUSTER) when the tracker fails. */
  async wait(): Promise<void> {
    try {
      await this.#thread.request({ op: "wait" });
    } finally {
      this.#thread.stop().catch(() => undefined);
    }
  }

  /** Ends the tracker's thread (not awaited: XGBoost's tracker may be mid-wait). */
  stop(): void {
    this.#thread.stop().catch(() => undefined);
  }
}
