/**
 * A tracker that speaks XGBoost 1.7's (and 2.0's) rabit protocol, for libraries that have no
 * tracker of their own in C (`XGTrackerCreate` arrived in 2.1). A port of the protocol of Python
 * XGBoost 1.7's `xgboost/tracker.py` (github.com/dmlc/xgboost, python-package/xgboost/tracker.py at v1.7): every integer is a
 * little-endian int32, a string is its length then its bytes, and each connection opens with the
 * magic number 0xff99. It adds what the Python tracker lacks: a connection that sends nothing is
 * dropped after `stepTimeoutMs`, a worker that stalls mid-exchange or workers that never come fail
 * the tracker within a bound (naming the missing task ids), and a failed tracker closes every
 * connection so that no worker waits forever. Runs on its own thread (`_tracker-thread.ts`),
 * never on the thread that calls `XGCommunicatorInit`, which blocks until every worker has joined.
 */
import { createServer, type Server, type Socket } from "node:net";
import { SagebrewError } from "../errors/index.js";
import { type LinkMap, linkMap } from "./_link-map.js";

const MAGIC = 0xff99;

export interface RabitTrackerOptions {
  /** Address to listen on (the master's address). */
  readonly host: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  readonly workers: number;
  /** Every worker must have started (ranks given, links made) within this time. */
  readonly startTimeoutMs: number;
  /** One read from a worker (a handshake, a step of the link exchange) may take this long. */
  readonly stepTimeoutMs: number;
  /** Rank order: by task id (sagebrew's hosts pass their names, sorted as SageMaker sorts them) or by address. */
  readonly sortBy: "task" | "host";
  /** The task ids expected, to name those that never came when the start times out. */
  readonly expectedTasks?: readonly string[];
  /** Messages workers send with the `print` command. */
  readonly onPrint?: (message: string) => void;
}

/** Reads int32s and strings from a socket, each read bounded in time. */
class Reader {
  readonly #timeoutMs: number;
  #chunks: Buffer[] = [];
  #length = 0;
  #waiter: (() => void) | undefined;
  #ended: Error | undefined;

  constructor(socket: Socket, timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    socket.on("data", (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
      this.#wake();
    });
    const end = (e?: Error) => {
      this.#ended ??= e ?? new Error("the connection closed");
      this.#wake();
    };
    socket.on("end", () => end());
    socket.on("close", () => end());
    socket.on("error", (e) => end(e));
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  async #take(n: number): Promise<Buffer> {
    const deadline = Date.now() + this.#timeoutMs;
    while (this.#length < n) {
      if (this.#ended) throw this.#ended;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`nothing received for ${Math.round(this.#timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = all.length > n ? [all.subarray(n)] : [];
    this.#length -= n;
    return all.subarray(0, n);
  }

  async int(): Promise<number> {
    return (await this.#take(4)).readInt32LE(0);
  }

  async str(): Promise<string> {
    const n = await this.int();
    if (n < 0 || n > 1 << 20) throw new Error(`a string of ${n} bytes is not part of the protocol`);
    return (await this.#take(n)).toString("utf8");
  }
}

function int(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v, 0);
  return b;
}

function str(s: string): Buffer {
  const bytes = Buffer.from(s, "utf8");
  return Buffer.concat([int(bytes.length), bytes]);
}

/** One connection after its handshake. */
interface Entry {
  readonly socket: Socket;
  readonly reader: Reader;
  /** The address the tracker saw, given to peers that must connect to this worker. */
  readonly host: string;
  rank: number;
  readonly worldSize: number;
  readonly taskId: string;
  readonly cmd: string;
  waitAccept: number;
  port?: number;
}

/** The tracker's state across connections (the locals of Python's `accept_workers`). */
interface State {
  map?: LinkMap;
  todo: number[];
  pending: Entry[];
  readonly waitConn: Map<number, Entry>;
  readonly jobMap: Map<string, number>;
  readonly shutdown: Set<number>;
  readonly started: Set<string>;
}

/**
 * XGBoost 1.7's tracker. `done` resolves once every worker has sent `shutdown` (it finalised) and
 * rejects with the reason when the tracker fails; either way the tracker has closed its sockets.
 */
export class RabitTracker {
  readonly port: number;
  readonly done: Promise<void>;
  readonly #server: Server;
  readonly #options: RabitTrackerOptions;
  readonly #sockets = new Set<Socket>();
  readonly #state: State = {
    todo: [],
    pending: [],
    waitConn: new Map(),
    jobMap: new Map(),
    shutdown: new Set(),
    started: new Set(),
  };
  /** Commands run one at a time, in the order their handshakes completed (as Python's loop does). */
  #queue: Promise<void> = Promise.resolve();
  #settle!: { resolve(): void; reject(e: Error): void };
  #closed = false;
  readonly #startTimer: NodeJS.Timeout;

  private constructor(server: Server, port: number, options: RabitTrackerOptions) {
    this.#server = server;
    this.port = port;
    this.#options = options;
    this.done = new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.done.catch(() => undefined);
    server.on("connection", (socket) => this.#accept(socket));
    this.#startTimer = setTimeout(() => this.#startTimedOut(), options.startTimeoutMs);
  }

  /** Listens on `options.host:options.port`. Throws SB_CLUSTER when the port cannot be bound. */
  static listen(options: RabitTrackerOptions): Promise<RabitTracker> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once("error", (e: NodeJS.ErrnoException) => {
        reject(
          new SagebrewError(
            "SB_CLUSTER",
            `Cannot start the XGBoost tracker on ${options.host}:${options.port}: ${e.code === "EADDRINUSE" ? "the port is in use" : e.message}`,
            { cause: e },
          ),
        );
      });
      server.listen({ host: options.host, port: options.port, backlog: 256 }, () => {
        const address = server.address();
        const port = typeof address === "object" && address ? address.port : options.port;
        resolve(new RabitTracker(server, port, options));
      });
    });
  }

  /** Stops the tracker and closes every connection. */
  close(reason = "the tracker was closed"): void {
    this.#fail(new Error(reason));
  }

  #accept(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => undefined);
    const reader = new Reader(socket, this.#options.stepTimeoutMs);
    this.#handshake(socket, reader).then(
      (entry) => {
        this.#queue = this.#queue.then(() => (this.#closed ? undefined : this.#command(entry)));
        this.#queue.catch((e: Error) => this.#fail(e));
      },
      // A connection that is not a worker (a port probe, a stray client) is dropped, as SageMaker's
      // patched tracker does; the workers' own deadline still bounds the start.
      () => socket.destroy(),
    );
  }

  async #handshake(socket: Socket, reader: Reader): Promise<Entry> {
    const magic = await reader.int();
    if (magic !== MAGIC) throw new Error(`invalid magic number ${magic}`);
    socket.write(int(MAGIC));
    const rank = await reader.int();
    const worldSize = await reader.int();
    const taskId = await reader.str();
    const cmd = await reader.str();
    const host = (socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    return { socket, reader, host, rank, worldSize, taskId, cmd, waitAccept: 0 };
  }

  async #command(entry: Entry): Promise<void> {
    const s = this.#state;
    const n = this.#options.workers;
    if (entry.cmd === "print") {
      this.#options.onPrint?.((await entry.reader.str()).trim());
      entry.socket.end();
      return;
    }
    if (entry.cmd === "shutdown") {
      if (entry.rank < 0 || s.shutdown.has(entry.rank) || s.waitConn.has(entry.rank))
        throw new Error(`worker ${entry.taskId} sent shutdown out of turn (rank ${entry.rank})`);
      s.shutdown.add(entry.rank);
      entry.socket.end();
      if (s.shutdown.size === n) this.#finish();
      return;
    }
    if (entry.cmd !== "start" && entry.cmd !== "recover")
      throw new Error(`worker ${entry.taskId} sent the unknown command ${JSON.stringify(entry.cmd)}`);
    if (!s.map) {
      if (entry.cmd !== "start") throw new Error(`worker ${entry.taskId} recovered before any start`);
      if (entry.worldSize > 0 && entry.worldSize !== n)
        throw new Error(`worker ${entry.taskId} expects ${entry.worldSize} workers, the tracker ${n}`);
      s.map = linkMap(n);
      s.todo = Array.from({ length: n }, (_, i) => i);
    } else if (entry.worldSize !== -1 && entry.worldSize !== n) {
      throw new Error(`worker ${entry.taskId} expects ${entry.worldSize} workers, the tracker ${n}`);
    }
    s.started.add(entry.taskId);
    let rank = entry.rank;
    if (rank < 0 && entry.taskId !== "NULL") rank = s.jobMap.get(entry.taskId) ?? -1;
    if (rank >= 0) {
      await this.#assign(entry, rank);
      return;
    }
    if (s.todo.length === 0)
      throw new Error(`worker ${entry.taskId} started after all ${n} ranks were given`);
    s.pending.push(entry);
    if (s.pending.length < s.todo.length) return;
    const batch = this.#sorted(s.pending);
    s.pending = [];
    for (const e of batch) {
      const r = s.todo.shift()!;
      if (e.taskId !== "NULL") s.jobMap.set(e.taskId, r);
      await this.#assign(e, r);
    }
    if (s.todo.length === 0) clearTimeout(this.#startTimer);
  }

  #sorted(entries: Entry[]): Entry[] {
    const key = (e: Entry) => (this.#options.sortBy === "task" ? e.taskId : e.host);
    return [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  /** Python's `assign_rank` and `_get_remote`: tells a worker its links and whom to connect to. */
  async #assign(entry: Entry, rank: number): Promise<void> {
    const s = this.#state;
    const map = s.map!;
    entry.rank = rank;
    const tree = [...map.tree.get(rank)!].sort((a, b) => a - b);
    const [prev, next] = map.ring.get(rank)!;
    const links = new Set(tree);
    const head = [rank, map.parent.get(rank)!, map.tree.size, tree.length, ...tree];
    for (const r of [prev, next]) {
      if (r !== -1 && r !== rank) {
        links.add(r);
        head.push(r);
      } else head.push(-1);
    }
    entry.socket.write(Buffer.concat(head.map(int)));
    for (;;) {
      const ngood = await entry.reader.int();
      const good = new Set<number>();
      for (let i = 0; i < ngood; i++) good.add(await entry.reader.int());
      for (const g of good)
        if (!links.has(g))
          throw new Error(`worker ${entry.taskId} reported a link to ${g} it was never given`);
      const bad = [...links].filter((r) => !good.has(r)).sort((a, b) => a - b);
      const connect = bad.filter((r) => s.waitConn.has(r));
      const parts = [int(connect.length), int(bad.length - connect.length)];
      for (const r of connect) {
        const peer = s.waitConn.get(r)!;
        parts.push(str(peer.host), int(peer.port!), int(r));
      }
      entry.socket.write(Buffer.concat(parts));
      const errors = await entry.reader.int();
      if (errors !== 0) continue;
      entry.port = await entry.reader.int();
      for (const r of connect) {
        const peer = s.waitConn.get(r)!;
        peer.waitAccept--;
        if (peer.waitAccept === 0) {
          s.waitConn.delete(r);
          peer.socket.end();
        }
      }
      entry.waitAccept = bad.length - connect.length;
      if (entry.waitAccept > 0) s.waitConn.set(rank, entry);
      else entry.socket.end();
      return;
    }
  }

  #startTimedOut(): void {
    const s = this.#state;
    const started = [...s.started].sort();
    const missing = (this.#options.expectedTasks ?? []).filter((t) => !s.started.has(t));
    const seconds = Math.round(this.#options.startTimeoutMs / 1000);
    const who = missing.length
      ? `: ${missing.join(", ")}`
      : started.length
        ? ` (started: ${started.join(", ")})`
        : "";
    this.#fail(
      new Error(
        `${this.#options.workers - started.length} of ${this.#options.workers} workers did not start within ${seconds} s${who}`,
      ),
    );
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#startTimer);
    this.#server.close();
    for (const s of this.#sockets) s.destroy();
    this.#settle.resolve();
  }

  #fail(e: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#startTimer);
    this.#server.close();
    for (const s of this.#sockets) s.destroy();
    this.#settle.reject(e);
  }
}
