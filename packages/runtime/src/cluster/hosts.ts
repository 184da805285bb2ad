/**
 * Resolving the hosts of `resourceconfig.json`. Their names may not resolve at first on SageMaker
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html), so each is retried with exponential backoff — as SageMaker's XGBoost
 * container does, 0.1 s doubling up to 30 s apart — but within one deadline, after which the
 * failure names every host that never resolved.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { SagebrewError } from "../errors/index.js";

export interface ResolveOptions {
  /** Give up this long after starting. */
  readonly deadlineMs: number;
  /** Addresses known without DNS (`SAGEBREW_HOST_ADDRESSES`); an IP address resolves to itself. */
  readonly addresses?: ReadonlyMap<string, string>;
  /** Resolves one name to an IPv4 address; default DNS (getaddrinfo). */
  readonly lookup?: (host: string) => Promise<string>;
  /** Told about each failed attempt, e.g. to log that a host is not resolvable yet. */
  readonly onRetry?: (host: string, reason: string) => void;
  /** The first pause between attempts; it doubles up to 30 s. Default 100 ms. */
  readonly firstDelayMs?: number;
  readonly signal?: AbortSignal;
}

const MAX_DELAY_MS = 30_000;

async function dns(host: string): Promise<string> {
  return (await dnsLookup(host, { family: 4 })).address;
}

const isIPv4 = (s: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(s);

async function resolveOne(host: string, options: ResolveOptions, deadline: number): Promise<string> {
  const known = options.addresses?.get(host) ?? (isIPv4(host) ? host : undefined);
  if (known) return known;
  const lookup = options.lookup ?? dns;
  let delay = options.firstDelayMs ?? 100;
  for (;;) {
    let reason: string;
    try {
      return await lookup(host);
    } catch (e) {
      reason = (e as Error).message;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new Unresolved(host, reason);
    options.onRetry?.(host, reason);
    await sleep(Math.min(delay, left), undefined, options.signal ? { signal: options.signal } : {});
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}

class Unresolved extends Error {
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * Resolves every host to an IPv4 address, all at once, each retried until `deadlineMs` has passed.
 *
 * @throws SagebrewError SB_HOST_UNRESOLVED naming each host that did not resolve in time and why.
 * @example const addresses = await resolveHosts(["algo-1", "algo-2"], { deadlineMs: 900_000 });
 */
export async function resolveHosts(
  hosts: readonly string[],
  options: ResolveOptions,
): Promise<Map<string, string>> {
  const deadline = Date.now() + options.deadlineMs;
  const results = await Promise.allSettled(hosts.map((h) => resolveOne(h, options, deadline)));
  const out = new Map<string, string>();
  const failed: Unresolved[] = [];
  results.forEach((r, i) => {
    if (r.status === "fulfilled") out.set(hosts[i]!, r.value);
    else if (r.reason instanceof Unresolved) failed.push(r.reason);
    else throw r.reason;
  });
  if (failed.length) {
    const seconds = Math.floor(options.deadlineMs / 1000);
    const list = failed.map((f) => `${f.host} (${f.reason})`).join(", ");
    throw new SagebrewError(
      "SB_HOST_UNRESOLVED",
      `Cannot reach the other hosts: ${failed.length === 1 ? "host" : "hosts"} ${list} did not resolve within ${seconds} s`,
    );
  }
  return out;
}
