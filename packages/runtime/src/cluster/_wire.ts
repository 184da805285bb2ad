/**
 * The hosts' control connection: one JSON object per line over TCP, with heartbeats both ways so
 * that a host that stops answering is noticed even when its socket stays open (private to
 * `cluster/`).
 */
import type { Socket } from "node:net";

/** Every message of the control protocol (see `cluster.ts`). */
export type Message =
  | { t: "hello"; host: string; v: number }
  | { t: "welcome" }
  | { t: "ready"; report: unknown }
  | { t: "plan"; plan: unknown }
  | { t: "share"; value: unknown }
  | { t: "failed"; message: string; code: string; secondary: boolean }
  | { t: "abort"; message: string; code: string }
  | { t: "done" }
  | { t: "bye" }
  | { t: "beat" };

const MAX_LINE = 1 << 20;

export interface LinkOptions {
  /** A heartbeat is sent this often. */
  readonly heartbeatMs: number;
  /** The peer is given up after this long without any message. */
  readonly silenceMs: number;
}

/** One control connection: messages in and out, and how it ended. */
export class Link {
  readonly #socket: Socket;
  #buffer = "";
  #ended = false;
  #lastSeen = Date.now();
  readonly #timer: NodeJS.Timeout;
  onMessage: (m: Message) => void = () => undefined;
  /** Called once: the connection closed (`reason` says how), or went silent. */
  onEnd: (reason: string) => void = () => undefined;

  constructor(socket: Socket, options: LinkOptions) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.#data(chunk));
    socket.on("error", (e: NodeJS.ErrnoException) =>
      this.#end(`its connection failed (${e.code ?? e.message})`),
    );
    socket.on("close", () => this.#end("its connection closed"));
    this.#timer = setInterval(() => {
      if (Date.now() - this.#lastSeen > options.silenceMs)
        this.#end(`it sent nothing for ${Math.round(options.silenceMs / 1000)} s`);
      else this.send({ t: "beat" });
    }, options.heartbeatMs);
    this.#timer.unref();
  }

  #data(chunk: string): void {
    this.#lastSeen = Date.now();
    this.#buffer += chunk;
    if (this.#buffer.length > MAX_LINE) {
      this.#end("it sent a message larger than 1 MiB");
      return;
    }
    let nl = this.#buffer.indexOf("\n");
    while (nl >= 0 && !this.#ended) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      let message: Message;
      try {
        message = JSON.parse(line) as Message;
      } catch {
        this.#end("it sent something that is not the control protocol");
        return;
      }
      if (message.t !== "beat") this.onMessage(message);
      nl = this.#buffer.indexOf("\n");
    }
  }

  send(message: Message): void {
    if (!this.#ended) this.#socket.write(`${JSON.stringify(message)}\n`);
  }

  /** Sends `message`, if any, then closes; `onEnd` is not called for a close asked for here. */
  close(message?: Message): void {
    if (this.#ended) return;
    if (message) this.send(message);
    this.#ended = true;
    clearInterval(this.#timer);
    this.#socket.end();
  }

  #end(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    clearInterval(this.#timer);
    this.#socket.destroy();
    this.onEnd(reason);
  }

  get ended(): boolean {
    return this.#ended;
  }
}
