/**
 * CloudWatch Logs, locally: log groups of streams of timestamped events, written by the jobs and
 * endpoints `sagebrew local` runs and read through the Logs API (`logs-api.ts`). Each stream is
 * also appended to `<stateDir>/logs/<group>/<stream>.jsonl` (one JSON event per line, written in
 * batches), so logs survive a restart; a line cut short by a `kill -9` is skipped when read back.
 */
import { appendFile, mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** One log event as CloudWatch returns it. */
export interface LogEvent {
  readonly timestamp: number;
  readonly message: string;
  readonly ingestionTime: number;
}

/** A stream of events in a group. */
export interface LogStream {
  readonly group: string;
  readonly name: string;
  readonly creationTime: number;
  readonly events: LogEvent[];
  storedBytes: number;
}

/** CloudWatch's limit on one event's size; longer lines are cut. */
const MAX_EVENT_CHARS = 256 * 1024 - 26;
const FLUSH_DELAY_MS = 50;

/** Log groups and their streams, persisted under `<stateDir>/logs`. */
export class LogStore {
  readonly #dir: string;
  readonly #groups = new Map<string, Map<string, LogStream>>();
  readonly #pending = new Map<LogStream, string[]>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** Opens the store under `stateDir`, reading back every stream written before. */
  static async open(stateDir: string): Promise<LogStore> {
    const store = new LogStore(join(stateDir, "logs"));
    await mkdir(store.#dir, { recursive: true });
    for (const groupDir of (await readdir(store.#dir)).sort()) {
      const group = decodeURIComponent(groupDir);
      for (const file of (await readdir(join(store.#dir, groupDir))).sort()) {
        if (!file.endsWith(".jsonl")) continue;
        const stream = store.#create(group, decodeURIComponent(file.slice(0, -".jsonl".length)), 0);
        for (const line of (await readFile(join(store.#dir, groupDir, file), "utf8")).split("\n")) {
          if (!line) continue;
          try {
            const e = JSON.parse(line) as { t: number; i: number; m: string };
            stream.events.push({ timestamp: e.t, ingestionTime: e.i, message: e.m });
            stream.storedBytes += e.m.length;
          } catch {
            // a line cut short by a kill: skip it
          }
        }
        (stream as { creationTime: number }).creationTime = stream.events[0]?.timestamp ?? Date.now();
      }
    }
    return store;
  }

  /** The groups, sorted by name. */
  groupNames(): string[] {
    return [...this.#groups.keys()].sort();
  }

  /** A group's streams, or undefined when the group does not exist. */
  streams(group: string): LogStream[] | undefined {
    const g = this.#groups.get(group);
    return g ? [...g.values()] : undefined;
  }

  stream(group: string, name: string): LogStream | undefined {
    return this.#groups.get(group)?.get(name);
  }

  /** Appends one event (creating group and stream when needed). */
  write(group: string, streamName: string, message: string, timestamp = Date.now()): void {
    const stream = this.#groups.get(group)?.get(streamName) ?? this.#create(group, streamName, timestamp);
    const text = message.length > MAX_EVENT_CHARS ? message.slice(0, MAX_EVENT_CHARS) : message;
    const event: LogEvent = { timestamp, message: text, ingestionTime: Date.now() };
    stream.events.push(event);
    stream.storedBytes += text.length;
    const lines = this.#pending.get(stream) ?? [];
    lines.push(JSON.stringify({ t: event.timestamp, i: event.ingestionTime, m: event.message }));
    this.#pending.set(stream, lines);
    this.#timer ??= setTimeout(() => this.flush(), FLUSH_DELAY_MS);
  }

  /** Writes what is pending to disk; resolves once written. */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = [...this.#pending];
    this.#pending.clear();
    this.#flushing = this.#flushing.then(async () => {
      for (const [stream, lines] of batch) {
        const dir = join(this.#dir, encodeURIComponent(stream.group));
        // A disk that is full (or gone) loses these lines on disk, not the server: they stay
        // readable until a restart, and later lines are written once there is room.
        await mkdir(dir, { recursive: true })
          .then(() =>
            appendFile(join(dir, `${encodeURIComponent(stream.name)}.jsonl`), `${lines.join("\n")}\n`),
          )
          .catch(() => undefined);
      }
    });
    return this.#flushing;
  }

  #create(group: string, name: string, creationTime: number): LogStream {
    let g = this.#groups.get(group);
    if (!g) {
      g = new Map();
      this.#groups.set(group, g);
    }
    const stream: LogStream = { group, name, creationTime, events: [], storedBytes: 0 };
    g.set(name, stream);
    return stream;
  }
}
