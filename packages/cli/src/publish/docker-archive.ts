/** Reads the output of `docker save` (legacy and OCI-layout flavours) without extracting it. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { posix } from "node:path";
import { Readable } from "node:stream";
import { SagebrewError } from "@sagebrew/runtime/core";
import { listTar, type TarEntry } from "./_tar.js";

/** One layer of a saved image: a byte range of the archive. */
export interface ArchiveLayer {
  /** `sha256:…` of the uncompressed layer tar (the config's `rootfs.diff_ids` entry). */
  readonly diffId: string;
  readonly offset: number;
  readonly size: number;
  /** True when the stored bytes are already gzip-compressed. */
  readonly gzipped: boolean;
}

/** The image found in a `docker save` archive. */
export interface ArchiveImage {
  readonly archive: string;
  readonly repoTags: readonly string[];
  /** The exact config JSON bytes (their sha256 is the image ID). */
  readonly config: Buffer;
  readonly configDigest: string;
  readonly layers: readonly ArchiveLayer[];
  readonly architecture: string;
  readonly os: string;
}

interface SaveManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function readRange(path: string, entry: TarEntry): Promise<Buffer> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(entry.size);
    await fh.read(buf, 0, entry.size, entry.offset);
    return buf;
  } finally {
    await fh.close();
  }
}

function resolveEntry(entries: Map<string, TarEntry>, name: string, depth = 0): TarEntry | undefined {
  const entry = entries.get(posix.normalize(name));
  if (entry?.type === "symlink" && depth < 8) {
    return resolveEntry(entries, posix.join(posix.dirname(name), entry.linkName), depth + 1);
  }
  return entry;
}

/**
 * Indexes the image in a `docker save` tar: its config bytes and the byte range of each layer.
 *
 * @throws SagebrewError SB_IMAGE when the archive is not a single-image `docker save` output.
 * @example const image = await readDockerArchive("/tmp/image.tar");
 */
export async function readDockerArchive(archive: string): Promise<ArchiveImage> {
  const list = await listTar(archive).catch((e: unknown) => {
    throw new SagebrewError("SB_IMAGE", `Cannot read image archive ${archive}: ${(e as Error).message}`, {
      cause: e,
    });
  });
  const entries = new Map(list.map((e) => [posix.normalize(e.name), e]));
  const manifestEntry = entries.get("manifest.json");
  if (!manifestEntry) {
    throw new SagebrewError("SB_IMAGE", `Cannot read image archive ${archive}: no manifest.json`);
  }
  const manifest = JSON.parse(
    (await readRange(archive, manifestEntry)).toString("utf8"),
  ) as SaveManifestEntry[];
  if (!Array.isArray(manifest) || manifest.length !== 1 || !manifest[0]) {
    throw new SagebrewError(
      "SB_IMAGE",
      `Cannot read image archive ${archive}: expected exactly one image, found ${Array.isArray(manifest) ? manifest.length : 0}`,
    );
  }
  const image = manifest[0];
  const configEntry = resolveEntry(entries, image.Config);
  if (!configEntry)
    throw new SagebrewError("SB_IMAGE", `Cannot read image archive ${archive}: no ${image.Config}`);
  const config = await readRange(archive, configEntry);
  const parsed = JSON.parse(config.toString("utf8")) as {
    architecture?: string;
    os?: string;
    rootfs?: { diff_ids?: string[] };
  };
  const diffIds = parsed.rootfs?.diff_ids ?? [];
  if (diffIds.length !== image.Layers.length) {
    throw new SagebrewError(
      "SB_IMAGE",
      `Cannot read image archive ${archive}: config lists ${diffIds.length} layers, archive has ${image.Layers.length}`,
    );
  }
  const layers: ArchiveLayer[] = [];
  for (const [i, name] of image.Layers.entries()) {
    const entry = resolveEntry(entries, name);
    if (!entry || entry.type !== "file") {
      throw new SagebrewError("SB_IMAGE", `Cannot read image archive ${archive}: layer ${name} is missing`);
    }
    const head = await readRange(archive, { ...entry, size: Math.min(4, entry.size) });
    if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) {
      throw new SagebrewError(
        "SB_IMAGE",
        `Cannot push layer ${name}: it is zstd-compressed, which SageMaker does not accept; rebuild with gzip or uncompressed layers`,
      );
    }
    layers.push({
      diffId: diffIds[i] as string,
      offset: entry.offset,
      size: entry.size,
      gzipped: head[0] === 0x1f && head[1] === 0x8b,
    });
  }
  return {
    archive,
    repoTags: image.RepoTags ?? [],
    config,
    configDigest: `sha256:${createHash("sha256").update(config).digest("hex")}`,
    layers,
    architecture: parsed.architecture ?? "amd64",
    os: parsed.os ?? "linux",
  };
}

/** Opens a stream over the stored bytes of one layer. */
export function openLayer(image: ArchiveImage, layer: ArchiveLayer): Readable {
  if (layer.size === 0) return Readable.from([]);
  return createReadStream(image.archive, { start: layer.offset, end: layer.offset + layer.size - 1 });
}
