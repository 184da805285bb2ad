/**
 * The hosts of a multi-host training job finding each other, as SageMaker's XGBoost container
 * does before it trains (docs/multi-host.md), over a control connection of sagebrew's:
 * the first host of the sorted list coordinates on port 9099; every other host connects, and all
 * say whether they have data; the coordinator decides which hosts train and tells everyone. The
 * connections stay open until the end, so that a host that fails, dies or goes silent stops every
 * host at once with a message that names it — XGBoost's own ring only reports a broken socket.
 * Algorithm-free: the trainer decides what it shares (an XGBoost tracker's address, class names).
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { isErrorCode, SagebrewError } from "../errors/index.js";
import { Link, type LinkOptions, type Message } from "./_wire.js";

export interface ClusterOptions {
  /** Every host of the job, sorted as SageMaker sorts them; the first coordinates. */
  readonly hosts: readonly string[];
  readonly currentHost: string;
  /** Each host's address (`resolveHosts`). */
  readonly addresses: ReadonlyMap<string, string>;
  /** The coordinator's port (`SAGEBREW_RENDEZVOUS_PORT`, 9099). */
  readonly port: number;
  /** Every host must have connected within this time. */
  readonly joinTimeoutMs: number;
  /** Control-connection heartbeat; default 5 s. */
  readonly heartbeatMs?: number;
  /** A host silent this long is given up; default 120 s (long enough for a busy event loop). */
  readonly silenceMs?: number;
  /** Progress notes ("waiting for algo-3"). */
  readonly log?: (message: string) => void;
}

/** What a host says about itself once it has read its data. */
export interface HostReport {
  readonly host: string;
  /** The train channel gave this host rows. */
  readonly train: boolean;
  /** The validation channel gave this host rows. */
  readonly validation: boolean;
  /** This host's job declares a validation channel. */
  readonly validationConfigured: boolean;
  /** Whatever the trainer wants every host to see (e.g. its class names). */
  readonly extra?: unknown;
}

/** Who trains. */
export interface Plan {
  /** The hosts that train, sorted; the first has rank 0 and writes the model. */
  readonly hosts: readonly string[];
  /** Whether the training hosts use a validation channel. */
  readonly validation: boolean;
  /** Every host's report, in host order. */
  readonly reports: readonly HostReport[];
}

/**
 * SageMaker's rule (PR #399 of its XGBoost container): a host trains when it has training data and,
 * if a validation channel is configured, validation data too. Pure.
 */
export function decidePlan(reports: readonly HostReport[]): Plan {
  const sorted = [...reports].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const validation = sorted.some((r) => r.validationConfigured);
  const hosts = sorted.filter((r) => r.train && (!validation || r.validation)).map((r) => r.host);
  return { hosts, validation, reports: sorted };
}

/** A host's view of the cluster. */
export interface Cluster {
  readonly hosts: readonly string[];
  readonly currentHost: string;
  /** The first host: it gathers the others and runs the trainer's tracker. */
  readonly coordinator: string;
  /** Aborted when the cluster breaks; its `reason` is a SagebrewError that names the host and cause. */
  readonly broken: AbortSignal;
  /** Tells the others what this host has; resolves with the plan every host receives. */
  agree(report: Omit<HostReport, "host">): Promise<Plan>;
  /** The coordinator passes a value (e.g. a tracker's address); every other host receives it. */
  share<T>(value?: T): Promise<T>;
  /**
   * Tells the others this host failed, and resolves with the error to report: a `secondary`
   * failure (a broken ring: the effect, not the cause) waits a moment for the cluster to name the
   * host that caused it.
   */
  fail(error: SagebrewError, options?: { secondary?: boolean }): Promise<SagebrewError>;
  /** Leaves without training (a host without data). */
  leave(): void;
  /** Says this host is done; the coordinator waits (bounded) for every training host to say so. */
  finish(): Promise<void>;
}

const SECONDARY_WAIT_MS = 3_000;
const FINISH_WAIT_MS = 60_000;

function clusterError(message: string): SagebrewError {
  return new SagebrewError("SB_CLUSTER", message);
}

function linkOptions(o: ClusterOptions): LinkOptions {
  return { heartbeatMs: o.heartbeatMs ?? 5_000, silenceMs: o.silenceMs ?? 120_000 };
}

/** Resolves when `signal` aborts (with its reason), never otherwise. */
function whenBroken(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** Mail for a host: messages kept until someone asks for them. */
class Mailbox {
  readonly #queued = new Map<string, unknown[]>();
  readonly #waiting = new Map<string, Array<(v: unknown) => void>>();

  put(kind: string, value: unknown): void {
    const w = this.#waiting.get(kind)?.shift();
    if (w) w(value);
    else this.#queued.set(kind, [...(this.#queued.get(kind) ?? []), value]);
  }

  take(kind: string, signal: AbortSignal): Promise<unknown> {
    const q = this.#queued.get(kind);
    if (q?.length) return Promise.resolve(q.shift());
    const got = new Promise<unknown>((resolve) => {
      this.#waiting.set(kind, [...(this.#waiting.get(kind) ?? []), resolve]);
    });
    return Promise.race([got, whenBroken(signal)]);
  }
}

/**
 * Joins the cluster: the coordinator listens and waits for every host; the others connect
 * (retrying while the coordinator starts) and wait to be welcomed.
 *
 * @throws SagebrewError SB_CLUSTER naming the hosts that did not connect within `joinTimeoutMs`,
 *   the coordinator that could not be reached, or the port that could not be bound.
 */
export function joinCluster(options: ClusterOptions): Promise<Cluster> {
  return options.currentHost === options.hosts[0] ? Coordinator.start(options) : Member.connect(options);
}

abstract class Base {
  readonly hosts: readonly string[];
  readonly currentHost: string;
  readonly coordinator: string;
  protected readonly controller = new AbortController();
  protected readonly options: ClusterOptions;

  constructor(options: ClusterOptions) {
    this.options = options;
    this.hosts = options.hosts;
    this.currentHost = options.currentHost;
    this.coordinator = options.hosts[0]!;
  }

  get broken(): AbortSignal {
    return this.controller.signal;
  }

  /** Waits for a root cause after a secondary failure; the cause wins, with this host's error after it. */
  protected async verdict(error: SagebrewError, secondary: boolean): Promise<SagebrewError> {
    if (!secondary) return error;
    if (!this.broken.aborted)
      await Promise.race([
        sleep(SECONDARY_WAIT_MS, undefined, { ref: false }),
        whenBroken(this.broken),
      ]).catch(() => undefined);
    if (!this.broken.aborted) return error;
    const cause = this.broken.reason as SagebrewError;
    return new SagebrewError(cause.code, `${cause.message}; on ${this.currentHost}: ${error.message}`, {
      cause: error,
    });
  }
}

class Coordinator extends Base implements Cluster {
  readonly #server: Server;
  readonly #links = new Map<string, Link>();
  readonly #state = new Map<string, "joined" | "ready" | "left" | "done">();
  readonly #reports = new Map<string, HostReport>();
  #onChange: () => void = () => undefined;
  #pendingSecondary: NodeJS.Timeout | undefined;

  private constructor(server: Server, options: ClusterOptions) {
    super(options);
    this.#server = server;
  }

  static async start(options: ClusterOptions): Promise<Coordinator> {
    const address = options.addresses.get(options.currentHost)!;
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          clusterError(
            `Cannot gather the hosts on ${options.currentHost} (${address}:${options.port}): ${e.code === "EADDRINUSE" ? "the port is in use (SAGEBREW_RENDEZVOUS_PORT picks another)" : e.message}`,
          ),
        ),
      );
      server.listen({ host: address, port: options.port }, () => resolve());
    });
    const c = new Coordinator(server, options);
    server.on("connection", (socket) => c.#accept(socket));
    try {
      await c.#awaitEveryone();
    } catch (e) {
      c.#closeAll();
      throw e;
    }
    for (const link of c.#links.values()) link.send({ t: "welcome" });
    return c;
  }

  #others(): string[] {
    return this.hosts.filter((h) => h !== this.currentHost);
  }

  async #awaitEveryone(): Promise<void> {
    const others = this.#others();
    const seconds = Math.round(this.options.joinTimeoutMs / 1000);
    this.options.log?.(
      `waiting for ${others.length} hosts to connect to ${this.currentHost}:${this.options.port}`,
    );
    const timer = setTimeout(() => {
      const missing = others.filter((h) => !this.#state.has(h));
      this.#break(
        clusterError(
          `Cannot train across hosts: ${missing.length === 1 ? "host" : "hosts"} ${missing.join(", ")} did not connect to ${this.currentHost} within ${seconds} s`,
        ),
      );
    }, this.options.joinTimeoutMs);
    try {
      await Promise.race([
        this.#until(() => others.every((h) => this.#state.has(h))),
        whenBroken(this.broken),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  #until(done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (done()) resolve();
      };
      const previous = this.#onChange;
      this.#onChange = () => {
        previous();
        check();
      };
      check();
    });
  }

  #changed(): void {
    this.#onChange();
  }

  #accept(socket: Socket): void {
    const link = new Link(socket, linkOptions(this.options));
    let host: string | undefined;
    link.onMessage = (m) => {
      if (!host) {
        host = this.#hello(link, m);
        return;
      }
      this.#message(host, m);
    };
    link.onEnd = (reason) => {
      if (host && this.#links.get(host) === link) this.#lost(host, reason);
    };
  }

  /** The first message of a connection; returns the host it names once accepted. */
  #hello(link: Link, m: Message): string | undefined {
    if (m.t !== "hello") {
      link.close();
      return undefined;
    }
    const refuse = (why: string) => {
      link.close({ t: "abort", code: "SB_CLUSTER", message: why });
      return undefined;
    };
    if (!this.hosts.includes(m.host) || m.host === this.currentHost)
      return refuse(`Host ${m.host} is not one of the other hosts of this job (${this.hosts.join(", ")})`);
    if (this.#state.has(m.host)) return refuse(`Host ${m.host} connected twice to ${this.currentHost}`);
    if (this.broken.aborted) return refuse((this.broken.reason as Error).message);
    this.#links.set(m.host, link);
    this.#state.set(m.host, "joined");
    this.#changed();
    return m.host;
  }

  #message(host: string, m: Message): void {
    switch (m.t) {
      case "ready":
        this.#reports.set(host, { ...(m.report as Omit<HostReport, "host">), host });
        this.#state.set(host, "ready");
        break;
      case "failed": {
        const code = isErrorCode(m.code) ? m.code : "SB_CLUSTER";
        const error = new SagebrewError(code, `Host ${host} failed: ${m.message}`);
        if (m.secondary) this.#secondary(error);
        else this.#break(error, host);
        break;
      }
      case "bye":
        this.#state.set(host, "left");
        this.#links.get(host)?.close();
        break;
      case "done":
        this.#state.set(host, "done");
        this.#links.get(host)?.close();
        break;
      default:
        break;
    }
    this.#changed();
  }

  #lost(host: string, reason: string): void {
    const state = this.#state.get(host);
    if (state === "left" || state === "done") return;
    this.#state.set(host, "left");
    this.#break(clusterError(`Host ${host} left the cluster: ${reason}`), host);
    this.#changed();
  }

  /** A broken ring reported by a host: wait a moment for the host that broke it to be named. */
  #secondary(error: SagebrewError): void {
    if (this.broken.aborted || this.#pendingSecondary) return;
    this.#pendingSecondary = setTimeout(() => this.#break(error), SECONDARY_WAIT_MS);
    this.#pendingSecondary.unref();
  }

  /** Breaks the cluster: every other host is told why. */
  #break(error: SagebrewError, source?: string): void {
    if (this.broken.aborted) return;
    clearTimeout(this.#pendingSecondary);
    this.controller.abort(error);
    for (const [host, link] of this.#links) {
      if (host !== source) link.send({ t: "abort", code: error.code, message: error.message });
    }
  }

  async agree(report: Omit<HostReport, "host">): Promise<Plan> {
    this.#reports.set(this.currentHost, { ...report, host: this.currentHost });
    const others = this.#others();
    await Promise.race([
      this.#until(() => others.every((h) => this.#reports.has(h))),
      whenBroken(this.broken),
    ]);
    const plan = decidePlan([...this.#reports.values()]);
    for (const link of this.#links.values()) link.send({ t: "plan", plan });
    return plan;
  }

  async share<T>(value?: T): Promise<T> {
    if (this.broken.aborted) throw this.broken.reason;
    for (const link of this.#links.values()) link.send({ t: "share", value });
    return value as T;
  }

  async fail(error: SagebrewError, options: { secondary?: boolean } = {}): Promise<SagebrewError> {
    const verdict = await this.verdict(error, options.secondary ?? false);
    if (!this.broken.aborted)
      this.#break(new SagebrewError(error.code, `Host ${this.currentHost} failed: ${error.message}`));
    this.#linger();
    return verdict;
  }

  leave(): void {
    // The coordinator stays while others train (it holds their control connections), so it
    // leaves by finishing.
    void this.finish();
  }

  async finish(): Promise<void> {
    const training = () =>
      [...this.#state.values()].every((s) => s === "done" || s === "left") || this.broken.aborted;
    await Promise.race([this.#until(training), sleep(FINISH_WAIT_MS, undefined, { ref: false })]);
    this.#closeAll();
  }

  /** Keeps the connections a moment so that the abort reaches every host, then closes. */
  #linger(): void {
    setTimeout(() => this.#closeAll(), 1_000).unref();
  }

  #closeAll(): void {
    this.#server.close();
    for (const link of this.#links.values()) link.close();
  }
}

class Member extends Base implements Cluster {
  readonly #link: Link;
  readonly #mail = new Mailbox();
  #finished = false;

  private constructor(link: Link, options: ClusterOptions) {
    super(options);
    this.#link = link;
    link.onMessage = (m) => this.#message(m);
    link.onEnd = (reason) => {
      if (!this.#finished)
        this.#break(clusterError(`The coordinating host ${this.coordinator} left the cluster: ${reason}`));
    };
  }

  static async connect(options: ClusterOptions): Promise<Member> {
    const coordinator = options.hosts[0]!;
    const address = options.addresses.get(coordinator)!;
    const deadline = Date.now() + options.joinTimeoutMs;
    const seconds = Math.round(options.joinTimeoutMs / 1000);
    let lastError = "";
    let delay = 100;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw clusterError(
          `Cannot train across hosts: the coordinating host ${coordinator} (${address}:${options.port}) could not be reached within ${seconds} s${lastError ? `: ${lastError}` : ""}`,
        );
      try {
        const socket = await connect(address, options.port, left);
        const member = new Member(new Link(socket, linkOptions(options)), options);
        member.#link.send({ t: "hello", host: options.currentHost, v: 1 });
        await Promise.race([
          member.#mail.take("welcome", member.broken),
          sleep(Math.max(0, deadline - Date.now()), undefined, { ref: false }).then(() => {
            throw clusterError(
              `Cannot train across hosts: the coordinating host ${coordinator} did not gather every host within ${seconds} s`,
            );
          }),
        ]);
        return member;
      } catch (e) {
        if (e instanceof SagebrewError) throw e;
        lastError = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        if (delay === 100)
          options.log?.(`waiting for ${coordinator} (${address}:${options.port}): ${lastError}`);
      }
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      delay = Math.min(delay * 2, 2_000);
    }
  }

  #message(m: Message): void {
    if (m.t === "abort") {
      this.#break(new SagebrewError(isErrorCode(m.code) ? m.code : "SB_CLUSTER", m.message));
      return;
    }
    if (m.t === "welcome") this.#mail.put("welcome", undefined);
    else if (m.t === "plan") this.#mail.put("plan", m.plan);
    else if (m.t === "share") this.#mail.put("share", m.value);
  }

  #break(error: SagebrewError): void {
    if (!this.broken.aborted) this.controller.abort(error);
  }

  async agree(report: Omit<HostReport, "host">): Promise<Plan> {
    this.#link.send({ t: "ready", report });
    return (await this.#mail.take("plan", this.broken)) as Plan;
  }

  async share<T>(): Promise<T> {
    return (await this.#mail.take("share", this.broken)) as T;
  }

  async fail(error: SagebrewError, options: { secondary?: boolean } = {}): Promise<SagebrewError> {
    const secondary = options.secondary ?? false;
    this.#link.send({ t: "failed", message: error.message, code: error.code, secondary });
    const verdict = await this.verdict(error, secondary);
    this.#finished = true;
    this.#link.close();
    return verdict;
  }

  leave(): void {
    this.#finished = true;
    this.#link.close({ t: "bye" });
  }

  async finish(): Promise<void> {
    this.#finished = true;
    this.#link.close({ t: "done" });
  }
}

function connect(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    const timer = setTimeout(
      () => socket.destroy(new Error("connect timed out")),
      Math.min(timeoutMs, 10_000),
    );
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
