/**
 * The one router of the serving apps: a table of paths (`/models/:name/invoke`) and, per path,
 * the route each method takes. An unknown path is a 404 naming the paths served; a known path
 * with another method a 405 with `Allow`. `HEAD` takes the `GET` route.
 */
import type { AppRequest, AppResponse } from "./_app-types.js";
import type { Problem } from "./_responses.js";

/** `:name` segments of the matched path, percent-decoded. */
export type RouteParams = Readonly<Record<string, string>>;

/** What one method of one path does. */
export interface Route {
  /** Refuses what the headers alone decide, before the body is read; `undefined` to go on. */
  precheck?(req: AppRequest, params: RouteParams): Problem | undefined;
  /** Answers; throws (or rejects with) the error to answer instead. */
  handle(req: AppRequest, params: RouteParams): AppResponse | Promise<AppResponse>;
  /** How its refusals are logged (`invocation` → `invocation rejected`); default `request`. */
  readonly subject?: string;
}

/** Paths (`/ping`, `/models/:name`) to the route of each method. */
export type RouteTable = Readonly<Record<string, Readonly<Record<string, Route>>>>;

/** A route found, or the refusal (with the headers it needs, such as `Allow`). */
export type RouteMatch =
  | { readonly route: Route; readonly params: RouteParams; readonly problem?: undefined }
  | { readonly problem: Problem; readonly headers?: Readonly<Record<string, string>> };

/** Finds the route of a method and a URL (path and optional query). */
export type Router = (method: string, url: string) => RouteMatch;

const NO_PARAMS: RouteParams = Object.freeze({});

interface Pattern {
  readonly segments: readonly string[];
  readonly methods: Readonly<Record<string, Route>>;
  readonly allow: string;
}

/**
 * Builds the router for `table`. Exact paths are one map lookup (the hot path); paths with
 * `:name` segments are compared segment by segment.
 *
 * @example
 * const match = createRouter({ "/ping": { GET: ping } })("GET", "/ping?x=1"); // { route: ping, params: {} }
 */
export function createRouter(table: RouteTable): Router {
  const exact = new Map<string, { matches: Map<string, RouteMatch>; allow: string }>();
  const patterns: Pattern[] = [];
  for (const [path, methods] of Object.entries(table)) {
    const allow = allowed(methods);
    if (path.includes("/:")) {
      patterns.push({ segments: path.split("/"), methods, allow });
    } else {
      const matches = new Map<string, RouteMatch>();
      for (const [method, route] of Object.entries(methods)) {
        matches.set(method, Object.freeze({ route, params: NO_PARAMS }));
      }
      if (methods.GET && !methods.HEAD) matches.set("HEAD", matches.get("GET")!);
      exact.set(path, { matches, allow });
    }
  }
  const served = listed(Object.keys(table).map((p) => p.replace(/:(\w+)/g, "<$1>")));

  return function match(method, url) {
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const known = exact.get(path);
    if (known) return known.matches.get(method) ?? notAllowed(method, path, known.allow);
    for (const p of patterns) {
      const found = matchPattern(p.segments, path);
      if (found === undefined) continue;
      if (found.problem) return found;
      const route = p.methods[method] ?? (method === "HEAD" ? p.methods.GET : undefined);
      return route ? { route, params: found.params } : notAllowed(method, path, p.allow);
    }
    return {
      problem: { code: "SB_NOT_FOUND", message: `No route ${clip(path)}: this server answers ${served}` },
    };
  };
}

/** The params when `path` fits `segments`, a refusal when a segment is not valid percent-encoding. */
function matchPattern(
  segments: readonly string[],
  path: string,
): { params: RouteParams; problem?: undefined } | { problem: Problem } | undefined {
  const parts = path.split("/");
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const want = segments[i]!;
    const got = parts[i]!;
    if (want.startsWith(":")) {
      if (got === "") return undefined;
      try {
        params[want.slice(1)] = decodeURIComponent(got);
      } catch {
        return {
          problem: {
            code: "SB_BAD_REQUEST",
            message: `The path ${clip(path)} is not valid percent-encoding`,
          },
        };
      }
    } else if (want !== got) {
      return undefined;
    }
  }
  return { params };
}

function notAllowed(method: string, path: string, allow: string): RouteMatch {
  return {
    problem: {
      code: "SB_METHOD_NOT_ALLOWED",
      message: `Cannot ${clip(method)} ${clip(path)}: this route answers ${allow}`,
    },
    headers: { allow },
  };
}

/** The `Allow` value: the methods given, and `HEAD` wherever `GET` is. */
function allowed(methods: Readonly<Record<string, Route>>): string {
  const names = Object.keys(methods);
  if (names.includes("GET") && !names.includes("HEAD")) names.splice(names.indexOf("GET") + 1, 0, "HEAD");
  return names.join(", ");
}

/** `a, b and c`. */
function listed(items: readonly string[]): string {
  return items.length < 2 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** A client's path or method, cut short for a message. */
function clip(s: string): string {
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}
