/**
 * What every SageMaker flow works with: the AWS adapters (each a narrow interface, real ones over
 * the SDK by default, loopback servers in tests), a reporter for what the user should see, and the
 * tag that marks what sagebrew created.
 */
import { SagebrewError } from "@sagebrew/runtime/core";
import type { AwsOptions } from "../aws/index.js";
import {
  type AccountApi,
  type EndpointRuntimeApi,
  type LogsApi,
  type S3Api,
  type SageMakerApi,
  sdkAccount,
  sdkLogs,
  sdkRuntime,
  sdkS3,
  sdkSageMaker,
} from "../aws/index.js";
import { VERSION } from "../version.js";

export type { AwsOptions };

/** The AWS adapters a flow composes. */
export interface AwsClients {
  readonly sagemaker: SageMakerApi;
  readonly s3: S3Api;
  readonly logs: LogsApi;
  readonly runtime: EndpointRuntimeApi;
  readonly account: AccountApi;
}

/**
 * Adapters over the AWS SDK v3 (credentials, region, profile and `AWS_ENDPOINT_URL[_<SERVICE>]`
 * from the standard chain); the SDK is loaded on the first call.
 */
export function sdkClients(options: AwsOptions = {}): AwsClients {
  return {
    sagemaker: sdkSageMaker(options),
    s3: sdkS3(options),
    logs: sdkLogs(options),
    runtime: sdkRuntime(options),
    account: sdkAccount(options),
  };
}

/** One line of container output, from one host or instance. */
export interface LogLine {
  /** `algo-1`, an instance id, … */
  readonly source: string;
  readonly stream: string;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly message: string;
}

/** What a flow tells the user while it runs; the CLI prints it, a program may ignore it. */
export interface Reporter {
  /** A status line: what is being done, a status change. */
  info(line: string): void;
  /** A container log line. */
  log?(line: LogLine): void;
  /** Bytes sent or received of a transfer. */
  progress?(label: string, done: number, total: number): void;
}

/** A reporter that reports nothing. */
export const SILENT: Reporter = { info() {} };

/** The tag sagebrew puts on everything it creates; `sagebrew ls` finds resources by it. */
export const CREATED_BY_TAG = "sagebrew:created-by";

/** Tags for a new resource: the user's, plus sagebrew's own. */
export function resourceTags(user: Readonly<Record<string, string>> = {}): { Key: string; Value: string }[] {
  const tags = { ...user, [CREATED_BY_TAG]: `sagebrew ${VERSION}` };
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Waiting: the clock and sleep a flow uses (tests pass short polls, never fake time). */
export interface WaitOptions {
  /** Seconds between status polls (default depends on the flow). */
  readonly pollSeconds?: number;
  /** Stops waiting (the resource keeps running). */
  readonly signal?: AbortSignal;
}

const QUICK_PAUSES = 8;
const QUICK_PAUSE_MS = 250;

/**
 * The pauses between polls while a flow waits: 1 s for the first five, then doubling up to
 * `maxSeconds` (the flow's interval: 10 s for jobs, 15 s for endpoints, or SAGEBREW_POLL_SECONDS),
 * so that a job that ends in a second or two is seen to end then, and a long one is polled no
 * more often than before.
 */
export class PollClock {
  #calls = 0;
  #next: number;
  #quick = 0;
  readonly #max: number;
  constructor(maxSeconds: number) {
    this.#max = maxSeconds * 1000;
    this.#next = Math.min(1000, this.#max);
  }
  /**
   * Polls are calls on this machine (`sagebrew local`), not on AWS: the next eight pauses are
   * 0.25 s (2 s in all), so that a job of a second is seen to end within a quarter of one; then the
   * schedule goes on as before.
   */
  quicken(): void {
    this.#quick = QUICK_PAUSES;
  }
  /** The next pause in milliseconds. */
  next(): number {
    if (this.#quick > 0) {
      this.#quick--;
      return Math.min(QUICK_PAUSE_MS, this.#max);
    }
    const ms = this.#next;
    if (++this.#calls >= 5) this.#next = Math.min(this.#next * 2, this.#max);
    return ms;
  }
}

/**
 * The poll interval a flow waits with: `pollSeconds` when given, else `SAGEBREW_POLL_SECONDS` (the
 * typed API reads it as the CLI does), else `fallback`.
 *
 * @throws SagebrewError SB_ENV_INVALID for a SAGEBREW_POLL_SECONDS that is not seconds in (0, 600].
 */
export function pollIntervalSeconds(
  pollSeconds: number | undefined,
  fallback: number,
  env: NodeJS.ProcessEnv = process.env,
): number {
  return pollSeconds ?? pollSecondsFromEnv(env) ?? fallback;
}

/** `SAGEBREW_POLL_SECONDS`, or undefined when unset. @throws SagebrewError SB_ENV_INVALID */
export function pollSecondsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.SAGEBREW_POLL_SECONDS;
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 600) {
    throw new SagebrewError(
      "SB_ENV_INVALID",
      `SAGEBREW_POLL_SECONDS=${raw} is not a number of seconds in (0, 600]`,
    );
  }
  return n;
}

/** Sleeps `ms`, or less when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
