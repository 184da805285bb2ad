/**
 * The models a multi-model endpoint holds: each one a single-model app (`createInferenceApp`),
 * loaded under a name, accounted by its files' sizes against a memory budget, and unloaded once
 * its invocations in flight are answered (the handler's `close` runs before the unload answers).
 */
import type { ServingConfig } from "../config/serving.js";
import { ENV } from "../contract/index.js";
import { type ErrorCode, isSagebrewError, SagebrewError, toSagebrewError } from "../errors/index.js";
import { type Logger, withFields } from "../node/logger.js";
import { byCodeUnits } from "./_model-list.js";
import { modelDirectoryBytes } from "./_models-root.js";
import { createInferenceApp, type ModelApp } from "./app.js";
import type { CheckedHandler } from "./handler.js";

const MIB = 1024 * 1024;

/** A loaded (or loading) model. */
export interface ModelEntry {
  readonly name: string;
  readonly url: string;
  state: "loading" | "ready";
  /** Bytes accounted against the budget. */
  bytes: number;
  app?: ModelApp;
  /** The handler's name. */
  handler?: string;
  inFlight: number;
  idle?: () => void;
}

/** Options of `ModelRegistry`. */
export interface ModelRegistryOptions {
  readonly config: ServingConfig;
  readonly logger: Logger;
  /** Where model directories must lie (`<base>/models`). */
  readonly modelsRoot: string;
  readonly budgetBytes: number;
  /** The handler for a model directory. */
  readonly handlerFor: (modelDir: string) => Promise<CheckedHandler>;
}

/** The loaded models, by name. */
export class ModelRegistry {
  readonly budgetBytes: number;
  #usedBytes = 0;
  #stopping = false;
  readonly #models = new Map<string, ModelEntry>();
  readonly #loading = new Set<Promise<unknown>>();
  readonly #options: ModelRegistryOptions;

  constructor(options: ModelRegistryOptions) {
    this.#options = options;
    this.budgetBytes = options.budgetBytes;
  }

  /** Bytes accounted to loaded and loading models. */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** The model `name` when it is loaded (not while it loads). */
  ready(name: string): ModelEntry | undefined {
    const e = this.#models.get(name);
    return e?.state === "ready" ? e : undefined;
  }

  /** Loaded models, by name. */
  loaded(): ModelEntry[] {
    return [...this.#models.values()]
      .filter((e) => e.state === "ready")
      .sort((a, b) => byCodeUnits(a.name, b.name));
  }

  /**
   * Loads the model directory `url` (inside the models root) as `name`, and warms it.
   *
   * @throws SagebrewError SB_CONFLICT when the name is taken (loaded or loading), SB_NOT_FOUND
   * when `url` is not a directory, SB_FORBIDDEN / SB_BAD_REQUEST from the walk of the directory,
   * SB_INSUFFICIENT_STORAGE over the budget, SB_MODEL_LOAD when the handler cannot be found or
   * fails, SB_SHUTTING_DOWN when the server stops meanwhile. A failed load leaves nothing behind.
   */
  async load(name: string, url: string): Promise<ModelEntry> {
    if (this.#stopping)
      throw new SagebrewError("SB_SHUTTING_DOWN", "Cannot load a model: the server is stopping");
    const existing = this.#models.get(name);
    if (existing) {
      const still = existing.state === "loading" ? " It is still loading." : "";
      throw new SagebrewError("SB_CONFLICT", `Model ${name} is already registered.${still}`);
    }
    const entry: ModelEntry = { name, url, state: "loading", bytes: 0, inFlight: 0 };
    this.#models.set(name, entry);
    const work = this.#loadEntry(entry).catch((e: unknown) => {
      this.#models.delete(name);
      this.#usedBytes -= entry.bytes;
      entry.bytes = 0;
      throw e;
    });
    this.#loading.add(work);
    try {
      return await work;
    } finally {
      this.#loading.delete(work);
    }
  }

  async #loadEntry(entry: ModelEntry): Promise<ModelEntry> {
    const { config, logger, handlerFor } = this.#options;
    const { name, url } = entry;
    const t0 = performance.now();
    const rss0 = process.memoryUsage.rss();
    const bytes = await this.#measure(entry);
    const free = this.budgetBytes - this.#usedBytes;
    if (bytes > free) {
      throw new SagebrewError(
        "SB_INSUFFICIENT_STORAGE",
        `Cannot load model ${name}: it needs ${size(bytes)} and ${size(Math.max(0, free))} of the ${size(this.budgetBytes)} memory budget (${ENV.mmeMemoryMb}) is free; unload a model first`,
      );
    }
    this.#usedBytes += bytes;
    entry.bytes = bytes;
    const handler = await handlerFor(url).catch((e: unknown) => {
      throw failure("SB_MODEL_LOAD", `Cannot load model ${name}: ${toSagebrewError(e).message}`, e);
    });
    const app = createInferenceApp(handler, {
      config,
      logger: withFields(logger, { model: name }),
      modelDir: url,
    });
    await app.start().catch((e: unknown) => {
      throw failure(
        "SB_MODEL_LOAD",
        `Cannot load model ${name} from ${url}: ${toSagebrewError(e).message}`,
        e,
      );
    });
    if (this.#stopping) {
      await app.stop();
      throw new SagebrewError("SB_SHUTTING_DOWN", `Model ${name} was loaded, but the server is stopping`);
    }
    entry.app = app;
    entry.handler = handler.name;
    entry.state = "ready";
    logger.info("model loaded", {
      model: name,
      url,
      handler: handler.name,
      memoryBytes: bytes,
      usedBytes: this.#usedBytes,
      budgetBytes: this.budgetBytes,
      rssDeltaBytes: process.memoryUsage.rss() - rss0,
      ms: Math.round(performance.now() - t0),
    });
    return entry;
  }

  /** The model directory's file sizes, walked within the models root. */
  async #measure(entry: ModelEntry): Promise<number> {
    const { name, url } = entry;
    try {
      return await modelDirectoryBytes(this.#options.modelsRoot, url);
    } catch (e) {
      if (isSagebrewError(e)) throw failure(e.code, `Cannot load model ${name}: ${e.message}`, e);
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") {
        throw failure(
          "SB_NOT_FOUND",
          `Cannot load model ${name}: ${url} does not exist or is not a directory`,
          e,
        );
      }
      throw failure(
        "SB_MODEL_LOAD",
        `Cannot load model ${name}: cannot read ${url}: ${(e as Error).message}`,
        e,
      );
    }
  }

  /**
   * Unloads `name`: it leaves the routes at once, then its invocations in flight are answered
   * and its handler's `close` runs.
   *
   * @throws SagebrewError SB_NOT_FOUND when it is not loaded.
   */
  async unload(name: string): Promise<ModelEntry> {
    const e = this.ready(name);
    if (!e) throw notFound(name);
    this.#models.delete(name);
    await this.#close(e);
    this.#options.logger.info("model unloaded", {
      model: name,
      memoryBytes: e.bytes,
      usedBytes: this.#usedBytes,
    });
    return e;
  }

  /** Runs `invoke` as one of `entry`'s invocations in flight (an unload waits for them). */
  async track<T>(entry: ModelEntry, invoke: () => T | Promise<T>): Promise<T> {
    entry.inFlight++;
    try {
      return await invoke();
    } finally {
      entry.inFlight--;
      if (entry.inFlight === 0) entry.idle?.();
    }
  }

  /** Refuses further loads, waits for those under way, and closes every model. */
  async close(): Promise<void> {
    this.#stopping = true;
    await Promise.allSettled([...this.#loading]);
    const open = this.loaded();
    this.#models.clear();
    await Promise.all(open.map((e) => this.#close(e)));
  }

  /** Waits for the model's invocations, then runs its handler's `close` and frees its budget. */
  async #close(e: ModelEntry): Promise<void> {
    const drained =
      e.inFlight === 0
        ? Promise.resolve()
        : new Promise<void>((r) => {
            e.idle = r;
          });
    await e.app!.stop(drained);
    this.#usedBytes -= e.bytes;
  }
}

/** `Model not found: <name>`, MMS's words (github.com/awslabs/multi-model-server). */
export function notFound(name: string): SagebrewError {
  return new SagebrewError("SB_NOT_FOUND", `Model not found: ${name}`);
}

function failure(code: ErrorCode, message: string, cause: unknown): SagebrewError {
  return new SagebrewError(code, message, { cause });
}

function size(bytes: number): string {
  return bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}
