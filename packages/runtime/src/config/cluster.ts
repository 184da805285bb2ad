/**
 * The multi-host training configuration read from the environment: ports (SageMaker's XGBoost
 * container's 9099 and 9100 by default), the bound on waiting for hosts, and addresses that stand in
 * for DNS. Pure: it takes an env object and does no I/O.
 */
import { ENV, LIMITS } from "../contract/index.js";
import { SagebrewError } from "../errors/index.js";

export interface ClusterConfig {
  /** `SAGEBREW_RENDEZVOUS_PORT`: where the first host gathers the others. Default 9099. */
  readonly rendezvousPort: number;
  /** `SAGEBREW_TRACKER_PORT`: the XGBoost tracker on the first host. Default 9100. */
  readonly trackerPort: number;
  /** `SAGEBREW_HOSTS_WAIT_SECONDS` in ms: for host names to resolve, then for every host to connect. Default 900 s. */
  readonly hostsWaitMs: number;
  /** `SAGEBREW_HOST_ADDRESSES`: host → address, used instead of DNS. */
  readonly addresses: ReadonlyMap<string, string>;
}

type Env = Readonly<Record<string, string | undefined>>;

function invalid(name: string, value: string, why: string): SagebrewError {
  return new SagebrewError("SB_ENV_INVALID", `Cannot use ${name}=${JSON.stringify(value)}: ${why}`);
}

function port(env: Env, name: string, fallback: number): number {
  const v = env[name]?.trim();
  if (!v) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw invalid(name, v, "expected a port number 0-65535");
  return n;
}

function addresses(env: Env): Map<string, string> {
  const out = new Map<string, string>();
  const v = env[ENV.hostAddresses]?.trim();
  if (!v) return out;
  for (const pair of v.split(",")) {
    const [host, address, extra] = pair.split("=").map((s) => s.trim());
    if (!host || !address || extra !== undefined)
      throw invalid(
        ENV.hostAddresses,
        v,
        `expected host=address pairs separated by commas, got ${JSON.stringify(pair)}`,
      );
    out.set(host, address);
  }
  return out;
}

/**
 * Reads the multi-host settings into a frozen config.
 *
 * @throws SagebrewError SB_ENV_INVALID naming the variable and its value when one is unusable.
 * @example const cluster = readClusterConfig(process.env);
 */
export function readClusterConfig(env: Env): ClusterConfig {
  const wait = env[ENV.hostsWait]?.trim();
  let hostsWaitMs = LIMITS.hostsWaitSeconds * 1000;
  if (wait) {
    const n = Number(wait);
    if (!Number.isFinite(n) || n <= 0 || n > 86_400)
      throw invalid(ENV.hostsWait, wait, "expected seconds, more than 0 and at most 86400");
    hostsWaitMs = Math.round(n * 1000);
  }
  return Object.freeze({
    rendezvousPort: port(env, ENV.rendezvousPort, LIMITS.rendezvousPort),
    trackerPort: port(env, ENV.trackerPort, LIMITS.trackerPort),
    hostsWaitMs,
    addresses: addresses(env),
  });
}
