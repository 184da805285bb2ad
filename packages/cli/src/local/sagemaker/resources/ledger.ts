/**
 * Where a resource's events are applied: its state machine run on the current document, the result
 * written by the store (on disk before anyone sees it). Request handlers `apply` an event once (a
 * write that fails answers an error); engines `report` theirs, which waits and tries again while the
 * disk is full, so that a job's end is recorded once there is room, and a refusal (a report about
 * a resource that has moved on, such as a rollout of an endpoint being deleted) changes nothing.
 */
import type { ResourceKind } from "../arn.js";
import { REMOVE, type ResourceStore, StateWriteError, type StoredResource } from "../state/index.js";
import type { Transition } from "./transition.js";

/** What applying an event did. */
export type Applied<D> = Transition<D> | { readonly removed: true };

/** A state machine: the document after `event` at `now`. */
export type Machine<D, E> = (doc: D, event: E, now: number) => Applied<D>;

/** One kind of resource as engines see it: documents to read, a state machine to report to. */
export interface Ledger<D extends StoredResource, E> {
  get(name: string): D | undefined;
  list(): D[];
  /**
   * Applies `event` once.
   *
   * @throws StateWriteError when the change cannot be written (nothing changed).
   */
  apply(name: string, event: E): Promise<Applied<D>>;
  /** Applies `event`, trying again while the change cannot be written, until it is or the ledger closes. */
  report(name: string, event: E): Promise<Applied<D>>;
  /** Stops the waits of `report` (they resolve refused). */
  close(): void;
}

export interface LedgerOptions<D, E> {
  readonly store: ResourceStore;
  readonly kind: ResourceKind;
  readonly machine: Machine<D, E>;
  /** Seconds since the epoch. */
  readonly now: () => number;
  readonly warn: (message: string) => void;
  /** The first wait before writing again, doubled up to 30 s. Default 1 s. */
  readonly retryMs?: number;
  /**
   * Events written without flushing them to the disk (a job's progress): a crash of the machine
   * may lose them, which changes nothing, since a restart ends a job that was running.
   */
  readonly progress?: ReadonlySet<string>;
}

/**
 * Runs `machine` on the current document of a resource, in turn with its other changes, and stores
 * the result (on disk first). A refusal, or a resource that does not exist, changes nothing.
 *
 * @throws StateWriteError when the change cannot be written (nothing changed).
 */
export async function applyEvent<D extends StoredResource, E>(
  store: ResourceStore,
  kind: ResourceKind,
  name: string,
  machine: Machine<D, E>,
  event: E,
  now: () => number,
  durable = true,
): Promise<Applied<D>> {
  let applied: Applied<D> = { refused: `There is no ${kind} ${name}` };
  await store.update<D>(
    kind,
    name,
    (current) => {
      if (!current) return undefined;
      applied = machine(current, event, now());
      if ("refused" in applied) return undefined;
      return "removed" in applied ? REMOVE : applied.doc;
    },
    { durable },
  );
  return applied;
}

/** A ledger of one kind of resource over the store. */
export function createLedger<D extends StoredResource, E extends { readonly type: string }>(
  o: LedgerOptions<D, E>,
): Ledger<D, E> {
  let closed = false;
  const wakers = new Set<() => void>();
  const apply = (name: string, event: E) =>
    applyEvent(o.store, o.kind, name, o.machine, event, o.now, !o.progress?.has(event.type));
  return {
    get: (name) => o.store.get<D>(o.kind, name),
    list: () => o.store.list<D>(o.kind),
    apply,
    async report(name, event) {
      let wait = o.retryMs ?? 1000;
      const stopped = () => ({
        refused: `sagebrew local stopped before ${event.type} of ${o.kind} ${name} was written`,
      });
      for (;;) {
        try {
          return await apply(name, event);
        } catch (e) {
          if (!(e instanceof StateWriteError)) throw e;
          // Closed while this write was failing: refused like a wait that close() ended.
          if (closed) return stopped();
          o.warn(
            `${e.message}; ${event.type} of ${o.kind} ${name} will be written again in ${wait / 1000} s`,
          );
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, wait);
          function done() {
            clearTimeout(timer);
            wakers.delete(done);
            resolve();
          }
          wakers.add(done);
        });
        if (closed) return stopped();
        wait = Math.min(wait * 2, 30_000);
      }
    },
    close() {
      closed = true;
      for (const wake of [...wakers]) wake();
    },
  };
}
