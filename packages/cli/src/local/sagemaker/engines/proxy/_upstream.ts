/**
 * A keep-alive HTTP/1.1 client for the containers behind endpoints, written for the proxy's hot
 * path: requests go out as one corked write of a pre-built head plus the body buffers as they
 * came (no copies), responses are parsed here (status line, headers, Content-Length / chunked /
 * read-to-close bodies) and handed on as buffer slices through callbacks — no streams, no
 * promise per request. node:http's client does all of this in general; measured on this path it
 * cost the front about twice the CPU per request (bench/RESULTS.md), which is why it is by hand.
 * Connections are pooled per container; a request sent on a reused connection that the container
 * had closed meanwhile is retried once on a new one.
 */
import { connect, type Socket } from "node:net";

/** Receives one response. Exactly one of `onEnd` / `onError` ends it. */
export interface ResponseHandler {
  /** Status and headers (names lower-case, as a flat name/value list). */
  onHead(status: number, headers: readonly string[]): void;
  onData(chunk: Buffer): void;
  onEnd(): void;
  onError(error: UpstreamError): void;
}

/** Why a request to a container failed without an HTTP answer. */
export class UpstreamError extends Error {
  readonly code: "timeout" | "connect" | "reset" | "protocol";
  /** True once any byte of the response had been received. */
  readonly started: boolean;
  constructor(code: UpstreamError["code"], message: string, started: boolean) {
    super(message);
    this.code = code;
    this.started = started;
  }
}

interface Pending {
  readonly head: string;
  readonly body: readonly Buffer[];
  readonly handler: ResponseHandler;
  readonly timeoutMs: number;
  /** The deadline moves with every chunk received (streams), instead of being fixed. */
  readonly idle: boolean;
  retried: boolean;
}

const CRLFCRLF = Buffer.from("\r\n\r\n");
const IDLE_MS = 30_000;

enum Body {
  None,
  Length,
  Chunked,
  UntilClose,
}

/** One connection to the container and the response it is parsing. */
class Connection {
  readonly socket: Socket;
  readonly pool: UpstreamPool;
  request: Pending | undefined;
  /** Requests completed on this connection (a reused one may have been closed by the container). */
  uses = 0;
  deadline = 0;
  idleSince = Date.now();
  private buf: Buffer | undefined;
  private inHead = true;
  private mode: Body = Body.None;
  private remaining = 0;
  private chunkState: "size" | "data" | "crlf" | "trailer" = "size";
  private keepAlive = true;
  private started = false;
  dead = false;

  constructor(pool: UpstreamPool, port: number, host: string) {
    this.pool = pool;
    this.socket = connect(port, host);
    this.socket.setNoDelay(true);
    this.socket.on("data", (d: Buffer) => this.onData(d));
    this.socket.on("error", (e: NodeJS.ErrnoException) => this.onClose(e));
    this.socket.on("close", () => this.onClose(undefined));
  }

  send(p: Pending): void {
    this.request = p;
    this.inHead = true;
    this.started = false;
    this.buf = undefined;
    this.deadline = Date.now() + p.timeoutMs;
    const s = this.socket;
    s.cork();
    s.write(p.head, "latin1");
    for (const b of p.body) s.write(b);
    s.uncork();
  }

  private onData(d: Buffer): void {
    const p = this.request;
    if (!p) {
      // bytes nobody asked for: the connection is out of step
      this.socket.destroy();
      return;
    }
    this.started = true;
    if (p.idle) this.deadline = Date.now() + p.timeoutMs;
    let data = this.buf ? Buffer.concat([this.buf, d]) : d;
    this.buf = undefined;
    if (this.inHead) {
      const end = data.indexOf(CRLFCRLF);
      if (end === -1) {
        if (data.length > 64 * 1024) {
          this.fail("protocol", "the container's response headers exceed 64 KiB");
          return;
        }
        this.buf = data;
        return;
      }
      if (!this.parseHead(data.toString("latin1", 0, end))) return;
      data = data.subarray(end + 4);
      if (this.inHead) {
        // a 1xx answer: the real one follows
        if (data.length) this.onData(data);
        return;
      }
      if (this.mode === Body.None) {
        this.complete(data.length > 0);
        return;
      }
    }
    this.body(data);
  }

  /** Parses the status line and headers; false when the response was given up. */
  private parseHead(text: string): boolean {
    const lines = text.split("\r\n");
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? "");
    if (!m) {
      this.fail(
        "protocol",
        `the container answered something that is not HTTP/1.x: ${JSON.stringify((lines[0] ?? "").slice(0, 80))}`,
      );
      return false;
    }
    const status = Number(m[2]);
    if (status >= 100 && status < 200) return true;
    const headers: string[] = [];
    let length = -1;
    let chunked = false;
    let connection = "";
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") length = Number(value);
      else if (name === "transfer-encoding") chunked = value.toLowerCase().includes("chunked");
      else if (name === "connection") connection = value.toLowerCase();
      headers.push(name, value);
    }
    this.keepAlive = m[1] === "1" ? connection !== "close" : connection === "keep-alive";
    this.inHead = false;
    if (status === 204 || status === 304) this.mode = Body.None;
    else if (chunked) {
      this.mode = Body.Chunked;
      this.chunkState = "size";
    } else if (length >= 0 && Number.isSafeInteger(length)) {
      this.mode = length === 0 ? Body.None : Body.Length;
      this.remaining = length;
    } else {
      this.mode = Body.UntilClose;
      this.keepAlive = false;
    }
    this.request!.handler.onHead(status, headers);
    return true;
  }

  private body(data: Buffer): void {
    const h = this.request!.handler;
    if (this.mode === Body.Length) {
      if (data.length < this.remaining) {
        this.remaining -= data.length;
        if (data.length) h.onData(data);
        return;
      }
      const extra = data.length > this.remaining;
      if (this.remaining) h.onData(extra ? data.subarray(0, this.remaining) : data);
      this.remaining = 0;
      this.complete(extra);
      return;
    }
    if (this.mode === Body.UntilClose) {
      if (data.length) h.onData(data);
      return;
    }
    this.chunked(data);
  }

  /** Decodes `Transfer-Encoding: chunked`, handing on each chunk's bytes. */
  private chunked(data: Buffer): void {
    let pos = 0;
    const h = this.request!.handler;
    while (pos < data.length) {
      if (this.chunkState === "data") {
        const take = Math.min(this.remaining, data.length - pos);
        h.onData(data.subarray(pos, pos + take));
        pos += take;
        this.remaining -= take;
        if (this.remaining === 0) this.chunkState = "crlf";
        continue;
      }
      const eol = data.indexOf("\r\n", pos, "latin1");
      if (eol === -1) {
        this.buf = data.subarray(pos);
        return;
      }
      const line = data.toString("latin1", pos, eol);
      pos = eol + 2;
      if (this.chunkState === "crlf") {
        this.chunkState = "size";
      } else if (this.chunkState === "size") {
        const size = Number.parseInt(line.split(";")[0]!.trim(), 16);
        if (!Number.isFinite(size) || size < 0) {
          this.fail("protocol", "the container sent a malformed chunked body");
          return;
        }
        if (size === 0) this.chunkState = "trailer";
        else {
          this.remaining = size;
          this.chunkState = "data";
        }
      } else if (line === "") {
        this.complete(pos < data.length);
        return;
      }
    }
  }

  private complete(extraBytes: boolean): void {
    const p = this.request!;
    this.request = undefined;
    this.uses++;
    if (extraBytes || !this.keepAlive) this.socket.destroy();
    p.handler.onEnd();
    this.pool.release(this);
  }

  private fail(code: UpstreamError["code"], message: string): void {
    const p = this.request;
    this.request = undefined;
    this.socket.destroy();
    p?.handler.onError(new UpstreamError(code, message, this.started));
  }

  /** Ends a request that ran past its deadline. */
  timeout(): void {
    this.fail("timeout", "the container did not answer in time");
  }

  private onClose(e: NodeJS.ErrnoException | undefined): void {
    if (this.dead) return;
    this.dead = true;
    this.pool.forget(this);
    const p = this.request;
    if (!p) return;
    this.request = undefined;
    if (this.mode === Body.UntilClose && !this.inHead && !e) {
      p.handler.onEnd();
      return;
    }
    const neverAnswered = !this.started;
    if (neverAnswered && this.uses > 0 && !p.retried) {
      // The container closed this kept-alive connection as the request went out: once more on a new one.
      p.retried = true;
      this.pool.retry(p);
      return;
    }
    const code = e?.code === "ECONNREFUSED" ? "connect" : "reset";
    p.handler.onError(
      new UpstreamError(
        code,
        e ? `${e.code ?? e.message}` : "the container closed the connection",
        this.started,
      ),
    );
  }
}

/** The pooled connections to one container port. */
export class UpstreamPool {
  readonly #port: number;
  readonly #host: string;
  readonly #maxSockets: number;
  readonly #idle: Connection[] = [];
  readonly #busy = new Set<Connection>();
  readonly #queue: Pending[] = [];
  readonly #timer: NodeJS.Timeout;
  #closed = false;
  #onIdle: (() => void) | undefined;

  constructor(port: number, options: { host?: string; maxSockets?: number } = {}) {
    this.#port = port;
    this.#host = options.host ?? "127.0.0.1";
    this.#maxSockets = options.maxSockets ?? 128;
    // One timer per pool checks deadlines, instead of one timer per request.
    this.#timer = setInterval(() => this.#sweep(), 250);
    this.#timer.unref();
  }

  /** Requests sent and not yet answered, plus those waiting for a connection. */
  get inFlight(): number {
    return this.#busy.size + this.#queue.length;
  }

  /**
   * Sends one request. `head` is the full request head (request line, headers, blank line),
   * `body` the buffers to send after it.
   */
  request(
    head: string,
    body: readonly Buffer[],
    handler: ResponseHandler,
    options: { timeoutMs: number; idle?: boolean },
  ): void {
    if (this.#closed) {
      handler.onError(new UpstreamError("connect", "the container is stopping", false));
      return;
    }
    this.#dispatch({
      head,
      body,
      handler,
      timeoutMs: options.timeoutMs,
      idle: options.idle ?? false,
      retried: false,
    });
  }

  #dispatch(p: Pending): void {
    let c = this.#idle.pop();
    while (c && (c.dead || Date.now() - c.idleSince > IDLE_MS)) {
      c.socket.destroy();
      c = this.#idle.pop();
    }
    if (!c) {
      if (this.#busy.size >= this.#maxSockets) {
        this.#queue.push(p);
        return;
      }
      c = new Connection(this, this.#port, this.#host);
    }
    this.#busy.add(c);
    c.send(p);
  }

  /** Called by a connection whose response completed. */
  release(c: Connection): void {
    this.#busy.delete(c);
    if (!c.dead && !this.#closed) {
      c.idleSince = Date.now();
      this.#idle.push(c);
    }
    const next = this.#queue.shift();
    if (next) this.#dispatch(next);
    else if (this.#busy.size === 0) this.#onIdle?.();
  }

  /** Called by a connection that closed. */
  forget(c: Connection): void {
    this.#busy.delete(c);
    const i = this.#idle.indexOf(c);
    if (i !== -1) this.#idle.splice(i, 1);
    if (this.#busy.size === 0 && this.#queue.length === 0) this.#onIdle?.();
  }

  retry(p: Pending): void {
    this.#dispatch(p);
  }

  #sweep(): void {
    const now = Date.now();
    for (const c of [...this.#busy]) if (c.request && now > c.deadline) c.timeout();
  }

  /** Resolves once nothing is in flight (then no new request is taken). */
  async drain(): Promise<void> {
    this.#closed = true;
    if (this.inFlight === 0) return;
    await new Promise<void>((done) => {
      this.#onIdle = done;
    });
  }

  /** Closes every connection; requests still in flight fail. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const c of [...this.#idle, ...this.#busy]) c.socket.destroy();
    for (const p of this.#queue.splice(0))
      p.handler.onError(new UpstreamError("connect", "the container is stopping", false));
  }
}
