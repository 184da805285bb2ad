/**
 * The base image of an engine-less build, pulled from its registry with the same client as
 * `sagebrew push`: the manifest (from a multi-platform index, the one for the target platform),
 * its config and layers, each checked against its digest and cached by digest on disk.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { SagebrewError } from "@sagebrew/runtime/core";
import {
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST_LIST,
  DOCKER_MANIFEST_V2,
  OCI_INDEX,
  OCI_MANIFEST,
  RegistryClient,
} from "../../publish/index.js";
import { architectureOf, type Platform } from "../platform.js";
import { cleanPath, readTar } from "./_tar.js";

/** Docker Hub's registry, where references without a host live. */
const DOCKER_HUB = "registry-1.docker.io";

/** A reference split into where to fetch it from. */
export interface BaseReference {
  readonly host: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/**
 * Splits an image reference as Docker reads it: no host means Docker Hub, a one-part name is in
 * `library/` (`node:26-trixie-slim@sha256:…` is `registry-1.docker.io/library/node`).
 *
 * @throws SagebrewError SB_USAGE for an empty reference or a malformed digest.
 */
export function parseBaseReference(ref: string): BaseReference {
  let rest = ref.trim();
  if (!rest) throw new SagebrewError("SB_USAGE", "Cannot use an empty --base-image");
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw new SagebrewError(
        "SB_USAGE",
        `Cannot use --base-image ${ref}: the digest must be sha256:<64 hex>`,
      );
    }
  }
  const slash = rest.indexOf("/");
  const first = slash === -1 ? "" : rest.slice(0, slash);
  const hasHost = first.includes(".") || first.includes(":") || first === "localhost";
  let host = hasHost ? first : DOCKER_HUB;
  let path = hasHost ? rest.slice(slash + 1) : rest;
  if (host === "docker.io" || host === "index.docker.io") host = DOCKER_HUB;
  let tag: string | undefined;
  const colon = path.lastIndexOf(":");
  if (colon > path.lastIndexOf("/")) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
  }
  if (host === DOCKER_HUB && !path.includes("/")) path = `library/${path}`;
  return { host, repository: path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** One layer of the base: its stored (gzip) bytes, their digest, and its diff ID. */
export interface BaseLayer {
  readonly digest: string;
  readonly size: number;
  readonly diffId: string;
  readonly bytes: Buffer;
}

/** A pulled base image. */
export interface PulledBase {
  readonly reference: string;
  /** Digest of the platform's manifest. */
  readonly manifestDigest: string;
  readonly config: Record<string, unknown>;
  readonly layers: readonly BaseLayer[];
}

const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

async function cachedBlob(
  registry: RegistryClient,
  repository: string,
  digest: string,
  cacheDir: string,
): Promise<Buffer> {
  const path = join(cacheDir, "blobs", "sha256", digest.replace(/^sha256:/, ""));
  try {
    const cached = await readFile(path);
    if (sha256(cached) === digest) return cached;
  } catch {
    // not cached
  }
  const bytes = await registry.getBlob(repository, digest);
  if (sha256(bytes) !== digest) {
    throw new SagebrewError(
      "SB_REGISTRY",
      `Cannot use blob ${digest} of ${repository}: its bytes hash to ${sha256(bytes)}`,
    );
  }
  await mkdir(join(cacheDir, "blobs", "sha256"), { recursive: true });
  await writeFile(`${path}.${process.pid}.tmp`, bytes);
  await rename(`${path}.${process.pid}.tmp`, path);
  return bytes;
}

interface ManifestJson {
  mediaType?: string;
  manifests?: { digest: string; mediaType?: string; platform?: { os?: string; architecture?: string } }[];
  config?: { digest: string };
  layers?: { digest: string; size: number; mediaType: string }[];
}

/**
 * Pulls `ref` for `platform` into memory (and `cacheDir`).
 *
 * @throws SagebrewError SB_REGISTRY when the registry refuses or a digest does not match;
 *   SB_IMAGE when the image has no such platform or layers SageMaker cannot take (zstd).
 */
export async function pullBase(
  ref: string,
  platform: Platform,
  options: {
    cacheDir: string;
    openRegistry?: (host: string) => RegistryClient;
    log?: (line: string) => void;
  },
): Promise<PulledBase> {
  const parsed = parseBaseReference(ref);
  const registry = options.openRegistry?.(parsed.host) ?? new RegistryClient(parsed.host);
  const { repository } = parsed;
  const log = options.log ?? (() => {});
  let got = await registry.getManifest(repository, parsed.digest ?? parsed.tag ?? "latest");
  if (parsed.digest && sha256(got.body) !== parsed.digest) {
    throw new SagebrewError(
      "SB_REGISTRY",
      `Cannot use ${ref}: the registry's manifest hashes to ${sha256(got.body)}`,
    );
  }
  let manifest = JSON.parse(got.body.toString("utf8")) as ManifestJson;
  if (got.mediaType === DOCKER_MANIFEST_LIST || got.mediaType === OCI_INDEX || manifest.manifests) {
    const arch = architectureOf(platform);
    const entry = manifest.manifests?.find(
      (m) => m.platform?.os === "linux" && m.platform.architecture === arch,
    );
    if (!entry) {
      throw new SagebrewError("SB_IMAGE", `Cannot use ${ref}: it has no ${platform} image`);
    }
    got = await registry.getManifest(repository, entry.digest);
    if (sha256(got.body) !== entry.digest) {
      throw new SagebrewError("SB_REGISTRY", `Cannot use ${ref}: manifest ${entry.digest} hashes otherwise`);
    }
    manifest = JSON.parse(got.body.toString("utf8")) as ManifestJson;
  }
  if (![DOCKER_MANIFEST_V2, OCI_MANIFEST].includes(got.mediaType) || !manifest.config || !manifest.layers) {
    throw new SagebrewError(
      "SB_IMAGE",
      `Cannot use ${ref}: its manifest is ${got.mediaType}, not an image manifest`,
    );
  }
  const configBytes = await cachedBlob(registry, repository, manifest.config.digest, options.cacheDir);
  const config = JSON.parse(configBytes.toString("utf8")) as Record<string, unknown>;
  if (config.architecture !== architectureOf(platform) || config.os !== "linux") {
    throw new SagebrewError(
      "SB_IMAGE",
      `Cannot use ${ref}: it is ${config.os}/${config.architecture}, expected ${platform}`,
    );
  }
  const diffIds = ((config.rootfs as { diff_ids?: string[] } | undefined)?.diff_ids ?? []) as string[];
  if (diffIds.length !== manifest.layers.length) {
    throw new SagebrewError(
      "SB_IMAGE",
      `Cannot use ${ref}: ${manifest.layers.length} layers but ${diffIds.length} diff IDs`,
    );
  }
  const layers: BaseLayer[] = [];
  for (const [i, l] of manifest.layers.entries()) {
    if (!/tar\+gzip$|tar\.gzip$/.test(l.mediaType) && l.mediaType !== DOCKER_LAYER_GZIP) {
      throw new SagebrewError(
        "SB_IMAGE",
        `Cannot use ${ref}: layer ${i + 1} is ${l.mediaType}; SageMaker takes gzip layers only`,
      );
    }
    log(
      `base layer ${i + 1}/${manifest.layers.length} ${l.digest.slice(0, 19)} (${(l.size / 1e6).toFixed(1)} MB)`,
    );
    const bytes = await cachedBlob(registry, repository, l.digest, options.cacheDir);
    layers.push({ digest: l.digest, size: bytes.length, diffId: diffIds[i] as string, bytes });
  }
  return { reference: ref, manifestDigest: sha256(got.body), config, layers };
}

/** What the build needs to know of the base's files: dpkg's status and the symlinked directories. */
export interface BaseFiles {
  /** `/var/lib/dpkg/status`, or "" when the base has none. */
  readonly dpkgStatus: string;
  /** Symlinks of the base, path → target (`lib` → `usr/lib`), to install packages through them. */
  readonly symlinks: ReadonlyMap<string, string>;
}

const STATUS = "var/lib/dpkg/status";

/** Reads the base's layers in order (whiteouts delete what lower layers had). */
export function baseFiles(layers: readonly BaseLayer[]): BaseFiles {
  let status = "";
  const symlinks = new Map<string, string>();
  for (const layer of layers) {
    for (const e of readTar(gunzipSync(layer.bytes))) {
      const path = cleanPath(e.path);
      const slash = path.lastIndexOf("/");
      const dir = slash === -1 ? "" : path.slice(0, slash);
      const name = path.slice(slash + 1);
      if (name === ".wh..wh..opq") {
        if (STATUS.startsWith(`${dir}/`)) status = "";
        for (const k of [...symlinks.keys()]) if (k.startsWith(`${dir}/`)) symlinks.delete(k);
      } else if (name.startsWith(".wh.")) {
        const gone = `${dir ? `${dir}/` : ""}${name.slice(4)}`;
        if (STATUS === gone || STATUS.startsWith(`${gone}/`)) status = "";
        symlinks.delete(gone);
      } else if (path === STATUS && e.type === "file") {
        status = Buffer.from(e.data).toString("utf8");
      } else if (e.type === "symlink") {
        symlinks.set(path, e.linkname);
      } else {
        symlinks.delete(path);
      }
    }
  }
  return { dpkgStatus: status, symlinks };
}
