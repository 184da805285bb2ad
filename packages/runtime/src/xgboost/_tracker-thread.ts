/**
 * The tracker's thread: sagebrew's 1.7 tracker (an event loop of its own) or XGBoost's C tracker
 * (`XGTrackerCreate`, which runs on a C++ thread and is waited for here). Never the thread that
 * calls `XGCommunicatorInit`: that call blocks until every worker, the master's own included, has
 * been given its links by the tracker.
 */
import { SagebrewError } from "../errors/index.js";
import { answerRequests } from "../node/worker.js";
import { check, loadXGBoost, type XGBoostApi } from "./_library.js";
import { RabitTracker } from "./_rabit-tracker.js";

export interface StartRequest {
  readonly op: "start";
  readonly kind: "sagebrew" | "xgboost";
  readonly libraryPath?: string;
  readonly host: string;
  readonly port: number;
  readonly workers: number;
  readonly startTimeoutMs: number;
  readonly stepTimeoutMs: number;
  readonly expectedTasks: readonly string[];
}

type Request = { id: number } & (StartRequest | { op: "wait" });

let ours: RabitTracker | undefined;
let theirs: { api: XGBoostApi; handle: number } | undefined;
const printed: string[] = [];

async function start(r: StartRequest): Promise<number> {
  if (r.kind === "sagebrew") {
    ours = await RabitTracker.listen({
      host: r.host,
      port: r.port,
      workers: r.workers,
      startTimeoutMs: r.startTimeoutMs,
      stepTimeoutMs: r.stepTimeoutMs,
      sortBy: "task",
      expectedTasks: r.expectedTasks,
      onPrint: (m) => printed.push(m),
    });
    return ours.port;
  }
  const api = loadXGBoost(r.libraryPath);
  const out = [0];
  const config = JSON.stringify({
    dmlc_communicator: "rabit",
    n_workers: r.workers,
    port: r.port,
    host: r.host,
    sortby: 1, // by task id: sagebrew's task ids are the sorted host names
    timeout: Math.max(1, Math.round(r.startTimeoutMs / 1000)),
  });
  try {
    check(api, api.fn.XGTrackerCreate!(config, out), "create the tracker");
  } catch (e) {
    throw new SagebrewError(
      "SB_CLUSTER",
      `Cannot start the XGBoost tracker on ${r.host}:${r.port}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  theirs = { api, handle: out[0]! };
  check(api, api.fn.XGTrackerRun!(theirs.handle, "{}"), "run the tracker");
  const args = [""];
  check(api, api.fn.XGTrackerWorkerArgs!(theirs.handle, args), "read the tracker's address");
  return Number((JSON.parse(String(args[0])) as { dmlc_tracker_port: number }).dmlc_tracker_port);
}

/**
 * Waits for XGBoost's tracker a second at a time, so that this thread keeps answering; a wait
 * that merely ran out says "Timeout waiting for the tracker".
 */
async function waitForXGBoost(api: XGBoostApi, handle: number): Promise<void> {
  for (;;) {
    const rc = api.fn.XGTrackerWaitFor!(handle, '{"timeout":1}') as number;
    if (rc === 0) break;
    const text = String(api.fn.XGBGetLastError!() ?? "");
    if (!/Timeout waiting for the tracker/.test(text)) {
      api.fn.XGTrackerFree!(handle);
      throw new SagebrewError("SB_CLUSTER", `The XGBoost tracker failed: ${text.trim()}`);
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  check(api, api.fn.XGTrackerFree!(handle), "free the tracker");
}

async function wait(): Promise<void> {
  if (ours) {
    try {
      await ours.done;
    } catch (e) {
      throw new SagebrewError("SB_CLUSTER", `The XGBoost tracker failed: ${(e as Error).message}`);
    }
    return;
  }
  if (theirs) return waitForXGBoost(theirs.api, theirs.handle);
  throw new SagebrewError("SB_INTERNAL", "The tracker thread was asked to wait before it started");
}

answerRequests(async (msg: Request) => {
  if (msg.op === "start") return { result: await start(msg) };
  await wait();
  return { result: printed };
});
