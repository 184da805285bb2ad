/**
 * XGBoost across the hosts of `resourceconfig.json`, as SageMaker's XGBoost container runs it
 * (its distributed.py, docs/multi-host.md): every host resolves the others' names (bounded), joins the
 * first host's cluster (port 9099), says whether it has data, and learns who trains. Hosts without
 * data leave with exit 0; a single host with data trains alone; otherwise the first host runs the
 * XGBoost tracker (port 9100) and the hosts with data train as one ring on XGBoost's own collective,
 * ranked in host order, rank 0 writing the model. A host that fails, dies or goes silent stops
 * every host, each with a failure file naming it.
 */
import { type Cluster, joinCluster, type Plan, resolveHosts } from "../../cluster/index.js";
import type { ClusterConfig } from "../../config/cluster.js";
import { SagebrewError } from "../../errors/index.js";
import { Collective, Tracker } from "../../xgboost/index.js";

/** What this host has, once its channels are read. */
export interface LocalData {
  readonly train: boolean;
  readonly validation: boolean;
  readonly validationConfigured: boolean;
  /** Class names of this host's training labels, when they are names. */
  readonly classNames?: readonly string[];
}

/** What this host does. */
export type Role =
  | { readonly kind: "leave"; readonly reason: string }
  /** Coordinates a ring it has no data for, then leaves with exit 0. */
  | { readonly kind: "coordinate"; readonly reason: string; readonly tracker?: Tracker }
  | { readonly kind: "alone"; readonly classNames?: readonly string[] }
  | {
      readonly kind: "ring";
      readonly ring: Collective;
      readonly hosts: readonly string[];
      readonly classNames?: readonly string[];
    };

export interface MultiHostOptions {
  readonly hosts: readonly string[];
  readonly currentHost: string;
  readonly config: ClusterConfig;
  readonly log: (message: string) => void;
}

/** Class names of every training host, sorted; undefined when labels are numbers. */
function classNamesOf(plan: Plan): string[] | undefined {
  const names = new Set<string>();
  let any = false;
  for (const r of plan.reports) {
    const extra = r.extra as { classNames?: string[] } | undefined;
    if (plan.hosts.includes(r.host) && extra?.classNames) {
      any = true;
      for (const n of extra.classNames) names.add(n);
    }
  }
  return any ? [...names].sort() : undefined;
}

/**
 * This host's part in a multi-host job. Create it with `MultiHost.join` before reading data, so
 * that hosts find each other while they read.
 */
export class MultiHost {
  readonly cluster: Cluster;
  readonly #options: MultiHostOptions;
  readonly #addresses: ReadonlyMap<string, string>;
  #tracker: Tracker | undefined;
  #trackerAddress: { uri: string; port: number } | undefined;

  private constructor(cluster: Cluster, addresses: ReadonlyMap<string, string>, options: MultiHostOptions) {
    this.cluster = cluster;
    this.#addresses = addresses;
    this.#options = options;
  }

  /**
   * Resolves every host's name and joins the cluster, each within `SAGEBREW_HOSTS_WAIT_SECONDS`.
   *
   * @throws SagebrewError SB_HOST_UNRESOLVED or SB_CLUSTER naming the host that could not be found.
   */
  static async join(options: MultiHostOptions): Promise<MultiHost> {
    const { hosts, currentHost, config, log } = options;
    log(`host ${currentHost} of ${hosts.length} (${hosts.join(", ")}); ${hosts[0]} coordinates`);
    let noted = new Set<string>();
    const addresses = await resolveHosts(hosts, {
      deadlineMs: config.hostsWaitMs,
      addresses: config.addresses,
      onRetry: (host, reason) => {
        if (!noted.has(host)) log(`waiting for host name ${host} to resolve (${reason})`);
        noted = new Set([...noted, host]);
      },
    });
    const cluster = await joinCluster({
      hosts,
      currentHost,
      addresses,
      port: config.rendezvousPort,
      joinTimeoutMs: config.hostsWaitMs,
      log,
    });
    log(`all ${hosts.length} hosts connected`);
    return new MultiHost(cluster, addresses, options);
  }

  get isCoordinator(): boolean {
    return this.cluster.currentHost === this.cluster.coordinator;
  }

  /**
   * Tells the others what this host has and decides its role. A ring is joined here: the
   * coordinator starts the tracker and shares its address, every training host joins it.
   *
   * @throws SagebrewError SB_CHANNEL_EMPTY when no host has training data.
   */
  async decide(local: LocalData): Promise<Role> {
    const { currentHost } = this.cluster;
    const plan = await this.cluster.agree({
      train: local.train,
      validation: local.validation,
      validationConfigured: local.validationConfigured,
      ...(local.classNames ? { extra: { classNames: local.classNames } } : {}),
    });
    if (plan.hosts.length === 0) {
      throw new SagebrewError(
        "SB_CHANNEL_EMPTY",
        `Cannot train: no host received training data${plan.validation ? " (with validation data)" : ""}; none of ${this.cluster.hosts.join(", ")} has rows in its train channel`,
      );
    }
    const classNames = classNamesOf(plan);
    const names = classNames ? { classNames } : {};
    const ring = plan.hosts.length > 1;
    if (this.isCoordinator && ring) await this.#startTracker(plan.hosts);
    if (!plan.hosts.includes(currentHost)) {
      const reason = !local.train
        ? "it received no training data"
        : "a validation channel is configured but it received no validation data";
      const who = `host ${currentHost} does not train: ${reason} (as SageMaker's XGBoost container, which needs data on every training host)`;
      if (this.isCoordinator)
        return {
          kind: "coordinate",
          reason: `${who}; it coordinates ${plan.hosts.join(", ")} until they finish`,
        };
      return { kind: "leave", reason: who };
    }
    if (!ring) return { kind: "alone", ...names };
    const { uri, port } = this.#trackerAddress ?? (await this.cluster.share<{ uri: string; port: number }>());
    this.#options.log(`joining ${plan.hosts.length} hosts on the XGBoost tracker at ${uri}:${port}`);
    const collective = await this.#race(
      Collective.join({
        trackerUri: uri,
        trackerPort: port,
        taskId: currentHost,
        worldSize: plan.hosts.length,
        timeoutSec: Math.max(60, Math.round(this.#options.config.hostsWaitMs / 1000)),
      }),
    );
    return { kind: "ring", ring: collective, hosts: plan.hosts, ...names };
  }

  async #startTracker(hosts: readonly string[]): Promise<void> {
    // The tracker gives workers the address it sees them at and is reached at the coordinator's
    // own address: the one the others resolved.
    const config = this.#options.config;
    const uri = this.#addresses.get(this.cluster.currentHost)!;
    this.#tracker = await Tracker.start({
      host: uri,
      port: config.trackerPort,
      workers: hosts.length,
      expectedTasks: hosts,
      startTimeoutMs: Math.max(60_000, config.hostsWaitMs),
    });
    this.#options.log(`XGBoost tracker (${this.#tracker.kind}) listening on ${uri}:${this.#tracker.port}`);
    this.#trackerAddress = { uri, port: this.#tracker.port };
    await this.cluster.share(this.#trackerAddress);
  }

  /** `work`, or the cluster's reason once it breaks (whichever comes first). */
  #race<T>(work: Promise<T>): Promise<T> {
    const broken = this.cluster.broken;
    return Promise.race([
      work,
      new Promise<never>((_, reject) => {
        if (broken.aborted) reject(broken.reason);
        broken.addEventListener("abort", () => reject(broken.reason), { once: true });
      }),
    ]);
  }

  /** Waits for the training hosts, then closes (the coordinator waits, bounded, for every host). */
  async finish(): Promise<void> {
    await this.cluster.finish();
    this.#tracker?.stop();
  }

  leave(): void {
    this.cluster.leave();
  }

  /**
   * Reports this host's failure to the others; resolves with the error for this host's failure
   * file (the host that caused a broken ring, when the cluster names one).
   */
  fail(error: SagebrewError, options: { secondary?: boolean } = {}): Promise<SagebrewError> {
    this.#tracker?.stop();
    if (this.cluster.broken.aborted) {
      const cause = this.cluster.broken.reason as SagebrewError;
      return Promise.resolve(
        cause === error || error.message.includes(cause.message)
          ? cause
          : new SagebrewError(
              cause.code,
              `${cause.message}; on ${this.cluster.currentHost}: ${error.message}`,
              {
                cause: error,
              },
            ),
      );
    }
    return this.cluster.fail(error, options);
  }
}

/** A checkpoint to resume from: the path it came from, its last round, its model. */
export interface Resume {
  readonly path: string;
  readonly round: number;
  readonly model: Buffer;
}

/**
 * The master's checkpoint, on every host of the ring (only the master writes checkpoints, so only
 * its directory is trusted): its round as 4 bytes, then its model, broadcast from rank 0.
 */
export async function resumeAcross(
  ring: Collective,
  resume: Resume | undefined,
): Promise<Resume | undefined> {
  let payload: Uint8Array | undefined;
  if (ring.rank === 0 && resume) {
    payload = new Uint8Array(4 + resume.model.length);
    new DataView(payload.buffer).setUint32(0, resume.round, true);
    payload.set(resume.model, 4);
  }
  const got = await ring.broadcast(payload, 0);
  if (got.length === 0) return undefined;
  const round = new DataView(got.buffer, got.byteOffset).getUint32(0, true);
  const model = Buffer.from(got.buffer, got.byteOffset + 4, got.length - 4);
  return { path: resume?.path ?? "the first training host's checkpoint", round, model };
}

/**
 * `work`, bounded once the cluster breaks: a host whose XGBoost call has not returned `graceMs`
 * after the break (a collective call waiting on a peer that vanished never returns) fails with the
 * cluster's reason instead of waiting for its time limit. The call's thread is then given up
 * (`Collective.abandon`), and the train program ends its process at once.
 */
export function guard<T>(multi: MultiHost, work: Promise<T>, graceMs = 20_000): Promise<T> {
  const broken = multi.cluster.broken;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(() => reject(broken.reason), graceMs);
      timer.unref();
    };
    if (broken.aborted) arm();
    else broken.addEventListener("abort", arm, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      broken.removeEventListener("abort", arm);
    });
  });
}
