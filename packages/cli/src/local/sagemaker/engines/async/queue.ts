/**
 * Asynchronous inference (InvokeEndpointAsync) on this machine: a queue per endpoint, in the order
 * invocations came in, each written down before it is accepted (`_journal.ts`) and removed once its
 * answer or failure is written. An invocation goes to an instance of the endpoint that has fewer
 * than `MaxConcurrentInvocationsPerInstance` of them in hand (from its input read to the
 * container's answer; the answer is written after), so a container never sees more at once. One waiting longer than its
 * `RequestTTLSeconds` fails as expired; one whose endpoint is deleted (or does not come back after a
 * restart) fails saying so. A run cut short by a stop of `sagebrew local` — clean or `kill -9` — is
 * run again from the start at the next start: at least once, never lost. The queue is an engine: it
 * changes no resource's status.
 */
import type { ObjectStorage } from "../../storage/index.js";
import { endpointLogGroup, type Instance, type LiveEndpoint } from "../endpoints/index.js";
import { Journal, type QueuedInvocation } from "./_journal.js";
import { type RunOutcome, runInvocation, writeFailure } from "./_run.js";

export type { QueuedInvocation } from "./_journal.js";

/** SageMaker chooses `MaxConcurrentInvocationsPerInstance` itself when a config gives none; sagebrew local takes this. */
export const DEFAULT_CONCURRENCY_PER_INSTANCE = 4;

/** The endpoints as the queue sees them. */
export interface ServingEndpoints {
  lookup(name: string): LiveEndpoint | undefined;
}

/** Where the queue says why an invocation failed: the endpoint's CloudWatch Logs group. */
export interface LogLines {
  write(group: string, stream: string, line: string): void;
}

export interface AsyncQueueOptions {
  readonly endpoints: ServingEndpoints;
  readonly storage: ObjectStorage;
  /**
   * The log store: a failed invocation is told in the endpoint's group, stream
   * `<variant>/<instance>/data-log`, as `[sagemaker logs] [<InferenceId>] <why>` (SageMaker's form).
   */
  readonly logs?: LogLines;
  /** Where the queue is kept (`<state>/async-invocations`). */
  readonly dir: string;
  readonly warn: (message: string) => void;
  /** Epoch milliseconds (default `Date.now`). */
  readonly clock?: () => number;
}

/** An invocation as InvokeEndpointAsync accepts it. */
export type AsyncSubmission = Omit<QueuedInvocation, "seq" | "receivedAt" | "expiresAt"> & {
  /** `RequestTTLSeconds`. */
  readonly ttlSeconds: number;
};

export class AsyncQueue {
  readonly #o: AsyncQueueOptions;
  readonly #journal: Journal;
  readonly #clock: () => number;
  /** Waiting invocations per endpoint (lower-case name), oldest first. */
  readonly #waiting = new Map<string, QueuedInvocation[]>();
  /** Invocations in hand per container. */
  readonly #busy = new Map<Instance, number>();
  /** Endpoints whose restart is being waited for. */
  readonly #awaitingReady = new Set<string>();
  readonly #runs = new Set<Promise<void>>();
  #started = false;
  #stopping = false;

  private constructor(o: AsyncQueueOptions, journal: Journal) {
    this.#o = o;
    this.#journal = journal;
    this.#clock = o.clock ?? Date.now;
  }

  /** Opens the queue and reads back what an earlier `sagebrew local` left in it (not run until `start`). */
  static async open(o: AsyncQueueOptions): Promise<AsyncQueue> {
    const { journal, queued } = await Journal.open(o.dir, o.warn);
    const queue = new AsyncQueue(o, journal);
    for (const item of queued) queue.#enqueue(item);
    if (queued.length > 0)
      o.warn(`${queued.length} asynchronous invocation(s) left queued by an earlier sagebrew local will run`);
    return queue;
  }

  /** Starts running invocations (once the endpoints are back). */
  start(): void {
    this.#started = true;
    for (const key of this.#waiting.keys()) this.#pump(key);
  }

  /**
   * Accepts an invocation: written down first, then queued.
   *
   * @throws Error when it cannot be written down (nothing is queued).
   */
  async submit(s: AsyncSubmission): Promise<QueuedInvocation> {
    const { ttlSeconds, ...rest } = s;
    const receivedAt = this.#clock();
    const item: QueuedInvocation = {
      ...rest,
      seq: this.#journal.nextSeq(),
      receivedAt,
      expiresAt: receivedAt + ttlSeconds * 1000,
    };
    await this.#journal.add(item);
    this.#enqueue(item);
    this.#pump(item.endpoint.toLowerCase());
    return item;
  }

  /** Invocations waiting or running for an endpoint. */
  backlog(endpoint: string): number {
    const key = endpoint.toLowerCase();
    let running = 0;
    const live = this.#o.endpoints.lookup(endpoint);
    for (const v of live?.variants ?? []) for (const i of v.instances) running += this.#busy.get(i) ?? 0;
    return (this.#waiting.get(key)?.length ?? 0) + running;
  }

  /**
   * Stops starting invocations and resolves once those running have ended. Call it before the
   * containers are stopped: a run they cut short stays queued for the next start.
   */
  async close(): Promise<void> {
    this.#stopping = true;
    while (this.#runs.size > 0) await Promise.allSettled([...this.#runs]);
  }

  #enqueue(item: QueuedInvocation): void {
    const key = item.endpoint.toLowerCase();
    let list = this.#waiting.get(key);
    if (!list) {
      list = [];
      this.#waiting.set(key, list);
    }
    list.push(item);
  }

  /** Starts what can start for one endpoint. */
  #pump(key: string): void {
    if (!this.#started || this.#stopping) return;
    const waiting = this.#waiting.get(key);
    if (!waiting || waiting.length === 0) {
      this.#waiting.delete(key);
      return;
    }
    const name = waiting[0]!.endpoint;
    const live = this.#o.endpoints.lookup(name);
    if (!live) {
      for (const item of waiting.splice(0))
        this.#track(
          this.#fail(
            item,
            `Endpoint ${name} was deleted, or stopped serving, before the request ran; the request was not processed.`,
          ),
        );
      this.#waiting.delete(key);
      return;
    }
    if (live.ready) {
      if (!this.#awaitingReady.has(key)) {
        this.#awaitingReady.add(key);
        void live.ready.then(() => {
          this.#awaitingReady.delete(key);
          this.#pump(key);
        });
      }
      return;
    }
    const max =
      live.asyncInference?.ClientConfig?.MaxConcurrentInvocationsPerInstance ??
      DEFAULT_CONCURRENCY_PER_INSTANCE;
    while (waiting.length > 0) {
      const item = waiting[0]!;
      if (this.#clock() > item.expiresAt) {
        waiting.shift();
        const ttl = Math.round((item.expiresAt - item.receivedAt) / 1000);
        this.#track(
          this.#fail(
            item,
            `The request expired: it waited in the queue longer than its RequestTTLSeconds (${ttl} s) before a container was free.`,
          ),
        );
        continue;
      }
      const instance = this.#freeInstance(live, max);
      if (!instance) return;
      waiting.shift();
      this.#launch(key, item, instance);
    }
  }

  /** An instance with room for one more invocation: the endpoint's own choice first, then any. */
  #freeInstance(live: LiveEndpoint, max: number): Instance | undefined {
    const all = live.variants.flatMap((v) => v.instances);
    const free = (i: Instance) => !i.exited && (this.#busy.get(i) ?? 0) < max;
    for (let tries = 0; tries < all.length; tries++) {
      const picked = live.pick(undefined);
      if (picked && free(picked.instance)) return picked.instance;
    }
    return all.find(free);
  }

  #launch(key: string, item: QueuedInvocation, instance: Instance): void {
    this.#busy.set(instance, (this.#busy.get(instance) ?? 0) + 1);
    // The place is the container's: free once it is done with the invocation, while the result is
    // still being written.
    const free = () => {
      const n = (this.#busy.get(instance) ?? 1) - 1;
      if (n > 0) this.#busy.set(instance, n);
      else this.#busy.delete(instance);
      this.#pump(key);
    };
    const ctx = { storage: this.#o.storage, stopping: () => this.#stopping };
    this.#track(
      runInvocation(ctx, item, instance, free).then((outcome) => {
        if (outcome.kind === "failed")
          this.#o.logs?.write(
            endpointLogGroup(item.endpoint),
            `${instance.logStream}/data-log`,
            `[sagemaker logs] [${item.inferenceId}] ${outcome.reason}`,
          );
        return this.#settle(item, outcome);
      }),
    );
  }

  #track(run: Promise<void>): void {
    this.#runs.add(run);
    void run.finally(() => this.#runs.delete(run));
  }

  async #fail(item: QueuedInvocation, reason: string): Promise<void> {
    const w = await writeFailure(this.#o.storage, item, reason);
    await this.#settle(item, { kind: "failed", reason, ...w });
  }

  /** Removes a finished invocation from the queue; says so when its result could not be written. */
  async #settle(item: QueuedInvocation, outcome: RunOutcome): Promise<void> {
    if (outcome.kind === "interrupted") return;
    if (outcome.kind === "failed" && !outcome.written) {
      this.#o.warn(
        `asynchronous invocation ${item.inferenceId} of endpoint ${item.endpoint} failed (${outcome.reason}) and its failure could not be written: ${outcome.problem}`,
      );
    }
    await this.#journal.remove(item).catch((e: Error) => {
      this.#o.warn(`Cannot remove the finished asynchronous invocation ${item.seq}: ${e.message}`);
    });
  }
}
