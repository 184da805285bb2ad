/**
 * Tails the CloudWatch log streams of a job or an endpoint: every stream under a prefix (streams
 * appear as each host starts writing, so they are looked for again on every poll), read forward
 * with each stream's own token (events that share a millisecond are neither lost nor repeated),
 * merged in time order and labelled with their host, as the Python SDK's `logs=True` shows them;
 * and, once what they log has ended, the lines still on their way (`readLateLines`).
 */
import type { LogsApi } from "../aws/index.js";
import { type LogLine, sleep } from "./context.js";

/** Most pages read from one stream in one poll (10,000 events each): the rest comes next poll. */
const MAX_PAGES = 20;

/** The host part of a stream name: `job/algo-1-1700000000` → `algo-1`, `AllTraffic/i-0ab` → `i-0ab`. */
export function streamSource(stream: string, prefix: string): string {
  const rest = stream.startsWith(prefix) ? stream.slice(prefix.length) : stream;
  return rest.replace(/-\d{9,}$/, "").replace(/-\d{9,}\//, "/") || rest;
}

export class LogTail {
  readonly #logs: LogsApi;
  readonly #group: string;
  readonly #prefix: string;
  readonly #startTime: number | undefined;
  readonly #tokens = new Map<string, string | undefined>();

  /**
   * @param group e.g. `/aws/sagemaker/TrainingJobs`
   * @param prefix e.g. `<job>/`, or `AllTraffic/` for an endpoint's variant
   * @param options.startTime only events from this time (ms since the epoch)
   */
  constructor(logs: LogsApi, group: string, prefix: string, options: { startTime?: number } = {}) {
    this.#logs = logs;
    this.#group = group;
    this.#prefix = prefix;
    this.#startTime = options.startTime;
  }

  /** How many streams have been seen so far. */
  get streamCount(): number {
    return this.#tokens.size;
  }

  /** The events written since the last poll, in time order (ties keep stream order). */
  async poll(): Promise<LogLine[]> {
    const streams = await this.#logs.streams(this.#group, this.#prefix);
    const lines: LogLine[] = [];
    for (const stream of streams) {
      let token = this.#tokens.get(stream);
      const source = streamSource(stream, this.#prefix);
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await this.#logs.events(
          this.#group,
          stream,
          token ? { nextToken: token } : this.#startTime !== undefined ? { startTime: this.#startTime } : {},
        );
        for (const e of out.events)
          lines.push({ source, stream, timestamp: e.timestamp, message: e.message });
        const caughtUp = out.events.length === 0 || out.nextToken === undefined || out.nextToken === token;
        if (out.nextToken !== undefined) token = out.nextToken;
        if (caughtUp) break;
      }
      this.#tokens.set(stream, token);
    }
    // Array.prototype.sort is stable: equal timestamps keep stream, then arrival order.
    return lines.sort((a, b) => a.timestamp - b.timestamp);
  }
}

/** Log group and stream prefix of a training job, a transform job, or an endpoint's variant. */
export const LOG_GROUPS = {
  trainingJob: (job: string) => ({ group: "/aws/sagemaker/TrainingJobs", prefix: `${job}/` }),
  transformJob: (job: string) => ({ group: "/aws/sagemaker/TransformJobs", prefix: `${job}/` }),
  endpoint: (endpoint: string, variant = "AllTraffic") => ({
    group: `/aws/sagemaker/Endpoints/${endpoint}`,
    prefix: `${variant}/`,
  }),
} as const;

/** The longest CloudWatch is waited for once a job or an endpoint has ended (SageMaker's logs lag). */
const LATE_LINES_MS = 5000;

/**
 * Reads the log lines still on their way once a job or an endpoint has ended. A service that has
 * every line when it says so (`sagebrew local`: its jobs' and containers' output is in their streams
 * before their end is written) has none: the read that followed the status was the last one. On
 * SageMaker, whose CloudWatch lags behind the status, `drain` (which resolves to how many lines it
 * showed) is called again after a pause, and again while lines keep coming, for at most 5 s.
 */
export async function readLateLines(
  drain: () => Promise<number>,
  options: { readonly local: boolean; readonly pollSeconds: number; readonly signal?: AbortSignal },
): Promise<void> {
  if (options.local) return;
  const until = Date.now() + LATE_LINES_MS;
  do await sleep(Math.min(1000, options.pollSeconds * 1000), options.signal);
  while ((await drain()) > 0 && Date.now() < until && !options.signal?.aborted);
}
