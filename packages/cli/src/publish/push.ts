/**
 * Pushes a saved image as a single-platform Docker v2 schema 2 manifest (no index, no
 * attestations, gzip layers) and verifies what the registry stored.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { SagebrewError } from "@sagebrew/runtime/core";
import { type ArchiveImage, type ArchiveLayer, openLayer } from "./docker-archive.js";
import {
  DOCKER_CONFIG,
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST_V2,
  sagemakerAcceptsManifest,
} from "./media-types.js";
import type { Registry } from "./registry-client.js";

/** Options of `pushImage`. */
export interface PushOptions {
  /** Tag to put the manifest under. Default `latest`. */
  tag?: string;
  /** Directory keeping gzipped layers by diff ID between pushes. Default: a temp dir, removed after. */
  cacheDir?: string;
  /** Progress lines. Default: none. */
  log?: (line: string) => void;
}

/** The outcome of a push. */
export interface PushResult {
  /** `sha256:…` of the manifest: deploy with `repository@digest`. */
  readonly digest: string;
  readonly mediaType: string;
  /** Sum of compressed layer and config sizes, in bytes. */
  readonly size: number;
  /** How many blobs were uploaded (the rest already existed). */
  readonly uploaded: number;
}

interface Blob {
  readonly digest: string;
  readonly size: number;
  readonly path?: string;
  readonly layer?: ArchiveLayer;
}

/** Sets the gzip header's OS byte to 3 (Unix) so the same layer gives the same digest on every OS. */
function fixGzipHeader(): Transform {
  let first = true;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (first && chunk.length >= 10) {
        chunk[9] = 3;
        first = false;
      }
      done(null, chunk);
    },
  });
}

/**
 * Gzips one layer (level 6, no name, mtime 0) into `dir`, keyed by diff ID so later pushes reuse
 * it; the same layer always gives the same digest.
 */
export async function compressLayer(
  image: ArchiveImage,
  layer: ArchiveLayer,
  dir: string,
): Promise<{ digest: string; size: number; path: string }> {
  const key = layer.diffId.replace(/^sha256:/, "");
  const path = join(dir, `${key}.tar.gz`);
  const meta = join(dir, `${key}.json`);
  try {
    const cached = JSON.parse(await readFile(meta, "utf8")) as { digest: string; size: number };
    if ((await stat(path)).size === cached.size) return { ...cached, path };
  } catch {
    // not cached yet
  }
  await mkdir(dir, { recursive: true });
  const hash = createHash("sha256");
  let size = 0;
  const tmp = `${path}.${process.pid}.tmp`;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(
    openLayer(image, layer),
    createGzip({ level: 6 }),
    fixGzipHeader(),
    counter,
    createWriteStream(tmp),
  );
  await rename(tmp, path);
  const result = { digest: `sha256:${hash.digest("hex")}`, size };
  await writeFile(meta, JSON.stringify(result));
  return { ...result, path };
}

/** Builds the Docker v2 schema 2 manifest bytes for a config and its gzip layers. */
export function dockerManifest(config: { digest: string; size: number }, layers: readonly Blob[]): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST_V2,
    config: { mediaType: DOCKER_CONFIG, size: config.size, digest: config.digest },
    layers: layers.map((l) => ({ mediaType: DOCKER_LAYER_GZIP, size: l.size, digest: l.digest })),
  };
  return Buffer.from(JSON.stringify(manifest, null, 3));
}

/**
 * Pushes `image` (read from a `docker save` archive) to `repository` on `registry`: skips blobs
 * the registry has (HEAD), uploads the rest monolithically, PUTs a v2 schema 2 manifest, then
 * GETs it back and checks its media type and digest.
 *
 * @throws SagebrewError SB_REGISTRY when the registry refuses a step or stores another media type.
 * @example const { digest } = await pushImage(image, { registry, repository: "iris" }, { tag: "v1" });
 */
export async function pushImage(
  image: ArchiveImage,
  target: { registry: Registry; repository: string },
  options: PushOptions = {},
): Promise<PushResult> {
  const { registry, repository } = target;
  const tag = options.tag ?? "latest";
  const log = options.log ?? (() => {});
  const ownCache = options.cacheDir === undefined;
  const cacheDir = options.cacheDir ?? (await mkdtemp(join(tmpdir(), "sagebrew-push-")));
  try {
    const layers: Blob[] = [];
    for (const [i, layer] of image.layers.entries()) {
      if (layer.gzipped) {
        const hash = createHash("sha256");
        await pipeline(openLayer(image, layer), async (source: AsyncIterable<Buffer>) => {
          for await (const chunk of source) hash.update(chunk);
        });
        layers.push({ digest: `sha256:${hash.digest("hex")}`, size: layer.size, layer });
      } else {
        log(`compressing layer ${i + 1}/${image.layers.length} (${mb(layer.size)})`);
        layers.push(await compressLayer(image, layer, cacheDir));
      }
    }
    const config: Blob = { digest: image.configDigest, size: image.config.length };
    let uploaded = 0;
    for (const [i, blob] of [...layers, config].entries()) {
      const what = i < layers.length ? `layer ${i + 1}/${layers.length}` : "config";
      if (await registry.hasBlob(repository, blob.digest)) {
        log(`${what} ${short(blob.digest)} already exists`);
        continue;
      }
      log(`uploading ${what} ${short(blob.digest)} (${mb(blob.size)})`);
      const open = () =>
        blob.path
          ? createReadStream(blob.path)
          : blob.layer
            ? openLayer(image, blob.layer)
            : bufferStream(image.config);
      await registry.uploadBlob(repository, { digest: blob.digest, size: blob.size, open });
      uploaded++;
    }
    const body = dockerManifest(config, layers);
    const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    const reported = await registry.putManifest(repository, tag, { mediaType: DOCKER_MANIFEST_V2, body });
    if (reported && reported !== digest) {
      throw new SagebrewError(
        "SB_REGISTRY",
        `Cannot verify manifest ${repository}:${tag} at ${registry.host}: registry reports ${reported}, expected ${digest}`,
      );
    }
    const stored = await registry.getManifest(repository, digest);
    if (!sagemakerAcceptsManifest(stored.mediaType)) {
      throw new SagebrewError(
        "SB_REGISTRY",
        `Cannot verify manifest ${repository}@${digest} at ${registry.host}: stored as ${stored.mediaType}, SageMaker needs ${DOCKER_MANIFEST_V2}`,
      );
    }
    log(`pushed ${registry.host}/${repository}:${tag}`);
    return {
      digest,
      mediaType: stored.mediaType,
      size: layers.reduce((n, l) => n + l.size, config.size),
      uploaded,
    };
  } finally {
    if (ownCache) await rm(cacheDir, { recursive: true, force: true });
  }
}

function bufferStream(buf: Buffer): Readable {
  return Readable.from([buf]);
}

function short(digest: string): string {
  return digest.slice(0, 19);
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
