/**
 * A small client of the registry HTTP API (distribution v2, what ECR speaks): blob existence,
 * monolithic blob upload, manifest put and get. Chunked PATCH uploads are avoided on purpose
 * (ECR's minimum part size and status-code quirks, see docs/container.md).
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import { SagebrewError } from "@sagebrew/runtime/core";

/** A fetched manifest. */
export interface FetchedManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly body: Buffer;
}

/** The registry operations a push needs; `RegistryClient` implements it over HTTP. */
export interface Registry {
  /** `host[:port]` of the registry. */
  readonly host: string;
  hasBlob(repository: string, digest: string): Promise<boolean>;
  /** Uploads a blob in one request; `open` is called once per attempt. */
  uploadBlob(repository: string, blob: { digest: string; size: number; open: () => Readable }): Promise<void>;
  /** PUTs a manifest under a tag or digest; resolves to the digest the registry reports. */
  putManifest(
    repository: string,
    reference: string,
    manifest: { mediaType: string; body: Buffer },
  ): Promise<string>;
  getManifest(
    repository: string,
    reference: string,
    options?: { accept?: readonly string[] },
  ): Promise<FetchedManifest>;
}

/** Options of `RegistryClient`. */
export interface RegistryClientOptions {
  /** Use plain HTTP. Default: true for loopback hosts (`localhost`, `127.x`, `[::1]`), else false. */
  insecure?: boolean;
  /** `Authorization` header value for every request (ECR: `Basic …` from GetAuthorizationToken). */
  authorization?: string;
  /** User name and password for registries that answer with a Bearer token challenge. */
  credentials?: { username: string; password: string };
}

interface Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

interface SendOptions {
  headers?: Record<string, string>;
  body?: Buffer | (() => Readable);
  length?: number;
}

/** True for `localhost`, `127.*` and `[::1]` hosts (with or without a port). */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : (host.split(":")[0] ?? "");
  return name === "localhost" || name === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * Talks to one registry host over the distribution v2 HTTP API.
 *
 * @example const registry = new RegistryClient("127.0.0.1:5000"); await registry.hasBlob("iris", digest);
 */
export class RegistryClient implements Registry {
  readonly host: string;
  readonly #base: string;
  readonly #authorization: string | undefined;
  readonly #credentials: RegistryClientOptions["credentials"];
  readonly #tokens = new Map<string, string>();

  constructor(host: string, options: RegistryClientOptions = {}) {
    this.host = host.replace(/^https?:\/\//, "").replace(/\/+$/, "");
    const insecure = options.insecure ?? isLoopbackHost(this.host);
    this.#base = `${insecure ? "http" : "https"}://${this.host}`;
    this.#authorization = options.authorization;
    this.#credentials = options.credentials;
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const res = await this.#send("HEAD", repository, `/v2/${repository}/blobs/${digest}`);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw this.#error(res, `check blob ${digest} in ${repository}`);
  }

  async uploadBlob(
    repository: string,
    blob: { digest: string; size: number; open: () => Readable },
  ): Promise<void> {
    const start = await this.#send("POST", repository, `/v2/${repository}/blobs/uploads/`, {
      headers: { "Content-Length": "0" },
    });
    if (start.status !== 202) throw this.#error(start, `start an upload of ${blob.digest} to ${repository}`);
    const location = start.headers.location;
    if (!location) throw this.#error(start, `start an upload to ${repository} (no Location header)`);
    const url = new URL(location, this.#base);
    url.searchParams.set("digest", blob.digest);
    const put = await this.#send("PUT", repository, url.toString(), {
      headers: { "Content-Type": "application/octet-stream" },
      body: blob.open,
      length: blob.size,
    });
    if (put.status !== 201) throw this.#error(put, `upload blob ${blob.digest} to ${repository}`);
  }

  async putManifest(
    repository: string,
    reference: string,
    manifest: { mediaType: string; body: Buffer },
  ): Promise<string> {
    const res = await this.#send("PUT", repository, `/v2/${repository}/manifests/${reference}`, {
      headers: { "Content-Type": manifest.mediaType },
      body: manifest.body,
    });
    if (res.status !== 201) throw this.#error(res, `put manifest ${repository}:${reference}`);
    return String(res.headers["docker-content-digest"] ?? "");
  }

  async getManifest(
    repository: string,
    reference: string,
    options: { accept?: readonly string[] } = {},
  ): Promise<FetchedManifest> {
    const accept = options.accept ?? [
      "application/vnd.docker.distribution.manifest.v2+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.oci.image.index.v1+json",
    ];
    const res = await this.#send("GET", repository, `/v2/${repository}/manifests/${reference}`, {
      headers: { Accept: accept.join(", ") },
    });
    if (res.status !== 200) throw this.#error(res, `get manifest ${repository}:${reference}`);
    const declared = (JSON.parse(res.body.toString("utf8")) as { mediaType?: string }).mediaType;
    return {
      mediaType:
        String(res.headers["content-type"] ?? declared ?? "")
          .split(";")[0]
          ?.trim() ?? "",
      digest: String(res.headers["docker-content-digest"] ?? ""),
      body: res.body,
    };
  }

  /**
   * Reads a blob into memory (configs, and the layers of a base image: tens of MB). Follows the
   * redirects registries answer blob GETs with (ECR and Docker Hub send them to S3 or a CDN),
   * without the registry's `Authorization` once the host changes.
   */
  async getBlob(repository: string, digest: string): Promise<Buffer> {
    let res = await this.#send("GET", repository, `/v2/${repository}/blobs/${digest}`);
    let url = new URL(`/v2/${repository}/blobs/${digest}`, this.#base);
    for (let hops = 0; res.status >= 301 && res.status <= 308 && res.headers.location && hops < 5; hops++) {
      const next = new URL(res.headers.location, url);
      const sameHost = next.host === url.host;
      url = next;
      res = sameHost
        ? await this.#send("GET", repository, url.toString())
        : await this.#request("GET", url.toString(), {}, undefined);
    }
    if (res.status !== 200) throw this.#error(res, `get blob ${digest} from ${repository}`);
    return res.body;
  }

  #error(res: Response, doing: string): SagebrewError {
    const text = res.body.toString("utf8").trim().slice(0, 500);
    return new SagebrewError(
      "SB_REGISTRY",
      `Cannot ${doing} at ${this.host}: HTTP ${res.status}${text ? ` ${text}` : ""}`,
    );
  }

  async #send(
    method: string,
    repository: string,
    path: string,
    options: SendOptions = {},
  ): Promise<Response> {
    const url = path.startsWith("http") ? path : `${this.#base}${path}`;
    const first = await this.#request(method, url, options, this.#authHeader(repository));
    if (first.status !== 401) return first;
    const token = await this.#token(String(first.headers["www-authenticate"] ?? ""), repository);
    if (!token) return first;
    return this.#request(method, url, options, token);
  }

  #authHeader(repository: string): string | undefined {
    return this.#tokens.get(repository) ?? this.#authorization;
  }

  /**
   * Answers a 401's challenge: Basic with the credentials, or a Bearer token from the realm — with
   * the credentials when there are some, anonymously otherwise (public images on Docker Hub).
   */
  async #token(challenge: string, repository: string): Promise<string | undefined> {
    const creds = this.#credentials;
    const basic = creds
      ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`
      : undefined;
    if (/^basic/i.test(challenge)) {
      if (!basic) return undefined;
      this.#tokens.set(repository, basic);
      return basic;
    }
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? "", m[2] ?? ""]),
    );
    if (!params.realm) return undefined;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set("service", params.service);
    url.searchParams.set("scope", `repository:${repository}:pull,push`);
    const res = await this.#request("GET", url.toString(), {}, basic);
    if (res.status !== 200) throw this.#error(res, `get a token for ${repository}`);
    const body = JSON.parse(res.body.toString("utf8")) as { token?: string; access_token?: string };
    const value = body.token ?? body.access_token;
    if (!value) return undefined;
    this.#tokens.set(repository, `Bearer ${value}`);
    return `Bearer ${value}`;
  }

  #request(
    method: string,
    url: string,
    options: SendOptions,
    authorization: string | undefined,
  ): Promise<Response> {
    const target = new URL(url);
    const request = target.protocol === "https:" ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { ...options.headers };
    if (authorization) headers.Authorization = authorization;
    const body = options.body;
    if (Buffer.isBuffer(body)) headers["Content-Length"] = String(body.length);
    else if (body) headers["Content-Length"] = String(options.length ?? 0);
    return new Promise((resolve, reject) => {
      const req = request(target, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      });
      req.on("error", (e) =>
        reject(
          new SagebrewError("SB_REGISTRY", `Cannot reach registry ${this.host}: ${e.message}`, { cause: e }),
        ),
      );
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        const stream = body();
        stream.on("error", (e) => req.destroy(e));
        stream.pipe(req);
      }
    });
  }
}

/** Splits `host[:port]/path/repo[:tag|@digest]` into its parts (no default registry). */
export function parseReference(ref: string): {
  host: string;
  repository: string;
  tag?: string;
  digest?: string;
} {
  const slash = ref.indexOf("/");
  if (slash === -1)
    throw new SagebrewError("SB_USAGE", `Cannot parse image reference ${ref}: expected host/repository`);
  const host = ref.slice(0, slash);
  let rest = ref.slice(slash + 1);
  let digest: string | undefined;
  let tag: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(":");
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!rest) throw new SagebrewError("SB_USAGE", `Cannot parse image reference ${ref}: no repository`);
  return { host, repository: rest, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}
