/**
 * Which bucket and key a request addresses: path-style (`/bucket/key`) or virtual-hosted
 * (`Host: bucket.localhost:PORT`, `/key`). The key is the rest of the path, percent-decoded and
 * otherwise taken as written — `//`, `.` and `..` segments are part of a key, never resolved. Pure.
 */
import { S3Error } from "./_errors.js";
import { bucketNameProblem } from "./_names.js";

export interface Address {
  readonly bucket?: string;
  readonly key?: string;
  readonly query: URLSearchParams;
  /** `/bucket/key` as S3 names the resource in its errors. */
  readonly resource: string;
  readonly virtualHosted: boolean;
}

/** The bucket a `Host` header names virtual-hosted style (`<bucket>.localhost[:port]`), or undefined. */
export function virtualHostBucket(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const name = host.replace(/:\d+$/, "").toLowerCase();
  if (!name.endsWith(".localhost")) return undefined;
  const bucket = name.slice(0, -".localhost".length);
  return bucketNameProblem(bucket) === undefined ? bucket : undefined;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new S3Error("InvalidURI", "Couldn't parse the specified URI.");
  }
}

/**
 * The address of a request.
 *
 * @throws S3Error InvalidURI for a path that is not valid percent-encoded UTF-8.
 * @example addressOf("/b/a/../k?uploads", "127.0.0.1:8081").key === "a/../k"
 */
export function addressOf(url: string, host: string | undefined): Address {
  let target = url;
  // An absolute-form request target (a proxy's) carries its own origin.
  if (/^https?:\/\//i.test(target)) target = target.replace(/^https?:\/\/[^/]*/i, "") || "/";
  const q = target.indexOf("?");
  const path = q === -1 ? target : target.slice(0, q);
  const query = new URLSearchParams(q === -1 ? "" : target.slice(q + 1));
  if (!path.startsWith("/")) throw new S3Error("InvalidURI", "Couldn't parse the specified URI.");
  const hosted = virtualHostBucket(host);
  if (hosted !== undefined) {
    const key = decode(path.slice(1));
    return {
      bucket: hosted,
      ...(key ? { key } : {}),
      query,
      resource: `/${hosted}${path}`,
      virtualHosted: true,
    };
  }
  const rest = path.slice(1);
  if (rest === "") return { query, resource: "/", virtualHosted: false };
  const slash = rest.indexOf("/");
  const bucket = decode(slash === -1 ? rest : rest.slice(0, slash));
  const key = slash === -1 ? "" : decode(rest.slice(slash + 1));
  return {
    bucket,
    ...(key ? { key } : {}),
    query,
    resource: `/${bucket}${key ? `/${key}` : ""}`,
    virtualHosted: false,
  };
}
