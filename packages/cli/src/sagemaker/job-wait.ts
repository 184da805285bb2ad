/**
 * Waiting for a training or transform job the way the Python SDK's `logs=True` does, bounded: the
 * status is polled, new secondary-status transitions are reported, the CloudWatch lines of every
 * host are shown merged in time order, and once the job ends the logs are read once more (they lag
 * behind the status on SageMaker; `sagebrew local` has every line of a job before it says the job
 * ended, so there the last read is the one after that status, and its first polls come quicker:
 * each is a call on this machine). The wait ends by itself when the job ends, when `deadline` passes (the job's
 * own limits plus start-up), or when `signal` aborts — the job is never stopped here.
 */
import { type LogLine, PollClock, type Reporter, sleep } from "./context.js";
import { type LogTail, readLateLines } from "./log-tail.js";

/** What one poll of the job says. */
export interface JobSnapshot {
  readonly status: string;
  /** Secondary status transitions so far (training jobs), oldest first. */
  readonly transitions?: readonly { Status?: string; StatusMessage?: string; StartTime?: Date }[];
}

export interface JobWaitOptions<T extends JobSnapshot> {
  /** `training job` or `transform job`, for the messages. */
  readonly what: string;
  readonly name: string;
  readonly describe: () => Promise<T>;
  readonly logs: { readonly tail: LogTail };
  /**
   * True when the service is `sagebrew local`: it holds every log line of a job by the time it says
   * the job ended (no late lines are waited for), and a poll is a call on this machine (the first
   * pauses are shorter: `PollClock.quicken`). Asked after the first poll, which tells.
   */
  readonly sagebrewLocal?: () => Promise<boolean>;
  /** Milliseconds since the epoch after which waiting stops. */
  readonly deadline: number;
  /** The longest pause between polls; the first is 1 s (`PollClock`). */
  readonly pollSeconds: number;
  readonly signal?: AbortSignal;
  readonly reporter: Reporter;
}

export type JobWaitEnd = "ended" | "timeout" | "interrupted";

const ENDED = new Set(["Completed", "Failed", "Stopped"]);

function clock(d: Date | undefined): string {
  return (d ?? new Date()).toISOString().slice(11, 19);
}

/** Waits; resolves to the last snapshot and why the wait ended. */
export async function waitForJob<T extends JobSnapshot>(
  options: JobWaitOptions<T>,
): Promise<{ snapshot: T; end: JobWaitEnd; lastLines: LogLine[] }> {
  const { reporter, signal } = options;
  const lastLines: LogLine[] = [];
  let seenTransitions = 0;
  let lastStatus = "";
  let logsFailed = false;
  const pauses = new PollClock(options.pollSeconds);
  let local: boolean | undefined;
  const drain = async (): Promise<number> => {
    if (logsFailed) return 0;
    let lines: LogLine[];
    try {
      lines = await options.logs.tail.poll();
    } catch (e) {
      // Logs are a view on the job, not the job: without them (no logs:GetLogEvents, say) keep waiting.
      logsFailed = true;
      reporter.info(`the job's log lines cannot be shown: ${(e as Error).message}`);
      return 0;
    }
    for (const line of lines) {
      reporter.log?.(line);
      lastLines.push(line);
      if (lastLines.length > 20) lastLines.shift();
    }
    return lines.length;
  };
  for (;;) {
    const snapshot = await options.describe();
    // The final status is said once, after its last log lines (`finalStatus` of the caller).
    if (snapshot.status !== lastStatus && !ENDED.has(snapshot.status)) {
      reporter.info(`${options.what} ${options.name}: ${snapshot.status}`);
      lastStatus = snapshot.status;
    }
    const transitions = snapshot.transitions ?? [];
    // The newest transition's message changes while it lasts (e.g. "Downloading input data"): the
    // Python SDK prints every change; here each transition is printed once, when it starts.
    for (const t of transitions.slice(seenTransitions)) {
      reporter.info(`${clock(t.StartTime)} ${t.Status ?? "?"} - ${t.StatusMessage ?? ""}`.trimEnd());
    }
    seenTransitions = transitions.length;
    await drain();
    if (local === undefined) {
      local = (await options.sagebrewLocal?.().catch(() => false)) === true;
      if (local) pauses.quicken();
    }
    if (ENDED.has(snapshot.status)) {
      if (!logsFailed)
        await readLateLines(drain, {
          local: local === true,
          pollSeconds: options.pollSeconds,
          ...(signal ? { signal } : {}),
        });
      return { snapshot, end: "ended", lastLines };
    }
    if (signal?.aborted) return { snapshot, end: "interrupted", lastLines };
    if (Date.now() >= options.deadline) return { snapshot, end: "timeout", lastLines };
    await sleep(Math.min(pauses.next(), Math.max(0, options.deadline - Date.now())), signal);
  }
}
