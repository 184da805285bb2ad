/**
 * The shapes every serving app shares: a request and a response with no socket in sight, the app
 * interface the HTTP adapter drives, and how an app words its errors.
 */

/** A request as an app sees it; header names lower-case. */
export interface AppRequest {
  readonly method: string;
  /** Path and optional query, e.g. `/invocations`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: Uint8Array;
  /**
   * Bytes of body the HTTP adapter received before it stopped reading one over the payload limit
   * (`body` is then absent); the app answers 413.
   */
  readonly bodyBytes?: number;
  /**
   * Requests the HTTP server was answering when this one's body had arrived, this one included
   * (`/ping` too), or its open connections when more; undefined for a request made in process
   * (the warm-up's, tests').
   */
  readonly concurrent?: number;
}

/** A response; `body` is bytes or text (UTF-8). */
export interface AppResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

/** How an app words an error: one sentence as `text/plain`, or `{"message": …}` (multi-model). */
export type ErrorStyle = "text" | "json";

/** Lifecycle of what an app serves. */
export type AppState = "loading" | "ready" | "failed" | "stopping";

/** What the HTTP adapter (and the tests, in-process) drive. */
export interface InferenceApp {
  readonly state: AppState;
  /** How this app's errors are worded; the HTTP adapter words its own the same way. */
  readonly errorStyle: ErrorStyle;
  /**
   * Loads what the app serves; `/ping` says 200 afterwards. `send` reaches the server's own
   * socket: the warm-up's requests also go that way (`startServer` gives it).
   */
  start(options?: { readonly send?: (req: AppRequest) => Promise<AppResponse> }): Promise<void>;
  /**
   * Refuses what the headers alone decide (route, method, declared size, media types, readiness),
   * before the body is read; `undefined` means read the body and call `handle`.
   */
  precheck(req: AppRequest): AppResponse | undefined;
  /**
   * Answers one request; never throws or rejects. The answer is immediate when every step
   * answered synchronously (the common small request), else a promise.
   */
  handle(req: AppRequest): AppResponse | Promise<AppResponse>;
  /** Convenience for tests: `app.request("/invocations", { method: "POST", body, headers })`. */
  request(
    url: string,
    init?: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array },
  ): Promise<AppResponse>;
  /**
   * Marks the app stopping (`/ping` 503) and frees what it serves once `drained` resolves;
   * requests that still arrive meanwhile are answered.
   */
  stop(drained?: Promise<void>): Promise<void>;
}
