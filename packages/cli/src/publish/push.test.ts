import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { readDockerArchive } from "./docker-archive.js";
import { DOCKER_MANIFEST_V2, OCI_MANIFEST } from "./media-types.js";
import { compressLayer, pushImage } from "./push.js";
import type { FetchedManifest, Registry } from "./registry-client.js";

let root: string;
let archive: string;

const sha = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** Writes a `docker save`-shaped archive with two uncompressed layers (made with GNU tar, fixed metadata). */
before(async () => {
  root = await mkdtemp(join(tmpdir(), "sagebrew-push-test-"));
  const tar = (cwd: string, out: string, ...names: string[]) =>
    execFileSync("tar", [
      "--sort=name",
      "--mtime=@1",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "-cf",
      out,
      "-C",
      cwd,
      ...names,
    ]);
  const diffIds: string[] = [];
  const save = join(root, "save");
  for (const [i, content] of ["hello\n", "world\n".repeat(1000)].entries()) {
    const src = join(root, `layer${i}`);
    await mkdir(src, { recursive: true });
    await writeFile(join(src, `file${i}.txt`), content);
    await mkdir(join(save, `l${i}`), { recursive: true });
    tar(src, join(save, `l${i}`, "layer.tar"), ".");
    diffIds.push(sha(execFileSync("cat", [join(save, `l${i}`, "layer.tar")])));
  }
  const config = JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: {},
    rootfs: { type: "layers", diff_ids: diffIds },
  });
  const configName = `${sha(config).slice(7)}.json`;
  await writeFile(join(save, configName), config);
  await writeFile(
    join(save, "manifest.json"),
    JSON.stringify([
      { Config: configName, RepoTags: ["iris:dev"], Layers: ["l0/layer.tar", "l1/layer.tar"] },
    ]),
  );
  archive = join(root, "image.tar");
  tar(save, archive, "manifest.json", configName, "l0", "l1");
});

after(() => rm(root, { recursive: true, force: true }));

/** An in-memory registry that records calls and can pretend to store another media type. */
class MemoryRegistry implements Registry {
  readonly host = "memory.test";
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { mediaType: string; body: Buffer }>();
  readonly calls: string[] = [];
  constructor(readonly storedAs?: string) {}
  async hasBlob(_repo: string, digest: string) {
    this.calls.push(`HEAD ${digest.slice(0, 15)}`);
    return this.blobs.has(digest);
  }
  async uploadBlob(_repo: string, blob: { digest: string; size: number; open: () => Readable }) {
    const chunks: Buffer[] = [];
    for await (const c of blob.open()) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    assert.equal(body.length, blob.size);
    assert.equal(sha(body), blob.digest);
    this.calls.push(`PUT ${blob.digest.slice(0, 15)}`);
    this.blobs.set(blob.digest, body);
  }
  async putManifest(_repo: string, ref: string, m: { mediaType: string; body: Buffer }) {
    this.manifests.set(ref, m);
    this.manifests.set(sha(m.body), m);
    return sha(m.body);
  }
  async getManifest(_repo: string, ref: string): Promise<FetchedManifest> {
    const m = this.manifests.get(ref);
    assert.ok(m);
    return { mediaType: this.storedAs ?? m.mediaType, digest: sha(m.body), body: m.body };
  }
}

test("readDockerArchive() finds the config bytes and the layer ranges of a docker save tar", async () => {
  const image = await readDockerArchive(archive);
  assert.deepEqual(image.repoTags, ["iris:dev"]);
  assert.equal(image.layers.length, 2);
  assert.equal(image.architecture, "amd64");
  assert.equal(image.configDigest, sha(image.config));
  assert.ok(image.layers.every((l) => !l.gzipped));
});

test("pushImage() uploads gzip layers and config, PUTs a v2 schema 2 manifest, then skips existing blobs", async () => {
  const image = await readDockerArchive(archive);
  const registry = new MemoryRegistry();
  const first = await pushImage(image, { registry, repository: "iris" }, { tag: "v1" });
  assert.equal(first.uploaded, 3);
  assert.equal(first.mediaType, DOCKER_MANIFEST_V2);
  const manifest = JSON.parse(registry.manifests.get("v1")?.body.toString() ?? "{}");
  assert.equal(manifest.mediaType, DOCKER_MANIFEST_V2);
  assert.equal(manifest.config.digest, image.configDigest);
  assert.deepEqual(
    manifest.layers.map((l: { mediaType: string }) => l.mediaType),
    Array(2).fill("application/vnd.docker.image.rootfs.diff.tar.gzip"),
  );
  const second = await pushImage(image, { registry, repository: "iris" }, { tag: "v1" });
  assert.equal(second.uploaded, 0);
  assert.equal(second.digest, first.digest);
});

test("pushImage() refuses when the registry stores the manifest as OCI", async () => {
  const image = await readDockerArchive(archive);
  await assert.rejects(pushImage(image, { registry: new MemoryRegistry(OCI_MANIFEST), repository: "iris" }), {
    code: "SB_REGISTRY",
    message: /stored as application\/vnd\.oci\.image\.manifest\.v1\+json/,
  });
});

test("compressLayer() is reproducible: the same layer gives the same digest in fresh caches", async () => {
  const image = await readDockerArchive(archive);
  const layer = image.layers[1];
  assert.ok(layer);
  const a = await compressLayer(image, layer, join(root, "cache-a"));
  const b = await compressLayer(image, layer, join(root, "cache-b"));
  assert.equal(a.digest, b.digest);
  assert.equal(a.size, b.size);
});
