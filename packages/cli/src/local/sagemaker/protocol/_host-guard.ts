/**
 * Who may talk to `sagebrew local`: a request is served only when its `Host` names this machine by a
 * loopback name — 127.0.0.0/8, `[::1]`, `localhost` or a `*.localhost` name (RFC 6761: browsers
 * resolve those to loopback themselves, never through DNS) — or a name the user allowed with
 * `--allow-host`, and when its `Origin`, if it has one, is such a name too.
 *
 * Why: the API runs code as the user (an image, its environment, its entry point), and a web page
 * can reach a loopback port. A page on a name its owner re-points at 127.0.0.1 (DNS rebinding)
 * sends `Host: that-name`, which is refused here; a page on any other site sends its own `Origin`,
 * which is refused here too (the runtime's invocations are "simple" requests a page can send
 * without asking first). An IP literal in `Host` other than loopback is refused as well: the
 * server is reached under the names the user meant, nothing else.
 */

/** Why a request was refused, in one sentence that says what to do. */
export interface Refusal {
  /** `host` (the Host header) or `origin` (the Origin header), for the rejection log's counts. */
  readonly reason: "host" | "origin";
  readonly message: string;
}

/** Checks one request's `Host` and `Origin`. */
export interface HostGuard {
  /** Undefined when the request may be served; else why not. */
  check(host: string | undefined, origin: string | undefined): Refusal | undefined;
}

const LOOPBACK_NAMES = "localhost, *.localhost, 127.0.0.1 (any 127.x.x.x) or [::1]";
/** Characters a Host header may hold: a name, an IPv4 or a bracketed IPv6 address, a port. */
const HOST_CHARS = /^[A-Za-z0-9._\-:[\]]+$/;
const LOCALHOST_NAME = /^(?:[a-z0-9_-]+\.)*localhost$/;
const ORIGIN = /^https?:\/\/([A-Za-z0-9._\-:[\]]+)$/i;
const IPV4_LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** The host name of a `Host` header (lower-case, IPv4 and IPv6 normalised), or undefined when malformed. */
function hostnameOf(host: string): string | undefined {
  if (!HOST_CHARS.test(host)) return undefined;
  try {
    // The URL parser normalises as browsers do: case, IPv4 shorthands (127.1), IPv6 forms.
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

/** True for a loopback host name as `hostnameOf` returns it. */
function isLoopbackName(name: string): boolean {
  return LOCALHOST_NAME.test(name) || IPV4_LOOPBACK.test(name) || name === "[::1]";
}

/**
 * True when `address` (a `--host` value) is a loopback interface: 127.0.0.0/8, `::1` or `localhost`.
 * `0.0.0.0` and `::` (every interface) are not.
 */
export function isLoopbackAddress(address: string): boolean {
  const bracketed = address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
  const name = hostnameOf(bracketed);
  return name !== undefined && (name === "localhost" || IPV4_LOOPBACK.test(name) || name === "[::1]");
}

/**
 * An `--allow-host` value as the guard compares it: a host name or an IP address, without port.
 *
 * @throws Error with a sentence when it is not one.
 */
export function allowedHostName(value: string): string {
  const bracketed = value.includes(":") && !value.startsWith("[") ? `[${value}]` : value;
  const name = hostnameOf(bracketed);
  if (name === undefined || name === "" || (!name.startsWith("[") && bracketed.includes(":"))) {
    throw new Error(
      `--allow-host ${value} is not a host name or an IP address: give the name clients use, without a port (e.g. --allow-host my-laptop.lan)`,
    );
  }
  return name;
}

/**
 * Refuses to bind a non-loopback interface unless names are allowed: on another interface the port
 * can be reached from the network, and the user must say under which names it is served.
 *
 * @throws Error with a sentence when `host` is not loopback and `allowHosts` is empty.
 */
export function checkBinding(host: string, allowHosts: readonly string[]): void {
  if (isLoopbackAddress(host) || allowHosts.length > 0) return;
  throw new Error(
    `Refusing to listen on ${host}: sagebrew local runs jobs and images as you, so on an interface other than loopback it needs the host names clients will use, given with --allow-host NAME (e.g. --host ${host} --allow-host my-laptop.lan); anyone who can reach the port can run code on this machine`,
  );
}

/**
 * The guard of `sagebrew local`: loopback names, plus `allowHosts` (names as `allowedHostName`
 * returns them).
 */
export function createHostGuard(allowHosts: readonly string[] = []): HostGuard {
  const allowed = new Set(allowHosts);
  const ok = (name: string | undefined) => name !== undefined && (isLoopbackName(name) || allowed.has(name));
  const hint = (name: string | undefined) =>
    name !== undefined && name !== "" ? ` start sagebrew local with --allow-host ${name}` : "";
  // Clients send the same Host on every request: one accepted value is remembered, so the
  // invocations' hot path compares one string.
  let lastGoodHost: string | undefined;
  return {
    check(host, origin) {
      if (host === undefined || host !== lastGoodHost) {
        if (host === undefined || host === "") {
          return {
            reason: "host",
            message: `Refused a request without a Host header: sagebrew local answers only requests addressed to ${LOOPBACK_NAMES}, so that no web page can reach it through DNS rebinding; send Host (HTTP/1.1 clients do).`,
          };
        }
        const name = hostnameOf(host);
        if (!ok(name)) {
          const how = hint(name);
          return {
            reason: "host",
            message: `Refused Host ${JSON.stringify(host)}: sagebrew local answers only requests addressed to ${LOOPBACK_NAMES}, so that no web page can reach it through DNS rebinding; ${how ? `to serve this name too,${how}` : "address it by one of those"}.`,
          };
        }
        lastGoodHost = host;
      }
      if (origin === undefined) return undefined;
      return checkOrigin(origin, ok, hint);
    },
  };
}

function checkOrigin(
  origin: string,
  ok: (name: string | undefined) => boolean,
  hint: (name: string | undefined) => string,
): Refusal | undefined {
  // An Origin is `scheme://host[:port]` and nothing more; http or https only (`null` is neither).
  const m = ORIGIN.exec(origin);
  const name = m ? hostnameOf(m[1]!) : undefined;
  if (ok(name)) return undefined;
  const how = hint(name);
  return {
    reason: "origin",
    message: `Refused Origin ${JSON.stringify(origin)}: sagebrew local answers web pages only from loopback origins (http://localhost, http://127.0.0.1, http://[::1], any port), so that no other site can use it; ${how ? `to allow pages of this host,${how}` : origin === "null" ? "a sandboxed or file: page cannot be allowed" : "this is not an origin a browser sends"}.`,
  };
}
