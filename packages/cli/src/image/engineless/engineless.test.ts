import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { fc } from "../../../../../test/kit/property.js";
import { type BaseLayer, baseFiles, parseBaseReference } from "./_base.js";
import { readDeb } from "./_deb.js";
import { compareVersions, type DebPin, installedPackages, parseDepends, planPackages } from "./_debian.js";
import { makeLayer } from "./_layers.js";
import { type LayerEntry, readTar, writeTar } from "./_tar.js";
import { DEBIAN_PINS } from "./debian-pins.js";

const entries: LayerEntry[] = [
  { path: "opt/sagebrew/bin/train", type: "file", mode: 0o755, data: Buffer.from("#!/usr/bin/env node\n") },
  { path: "opt", type: "dir", mode: 0o755 },
  { path: "opt/node_modules", type: "symlink", mode: 0o777, linkname: "/opt/sagebrew/node_modules" },
  { path: `opt/${"d".repeat(120)}/${"f".repeat(90)}.js`, type: "file", mode: 0o644, data: Buffer.from("x") },
  { path: `opt/${"p".repeat(300)}`, type: "file", mode: 0o644, data: Buffer.alloc(700, 1) },
];

test("writeTar() is reproducible and sorted, and GNU tar reads it back: names, modes, owners 0, one mtime, long paths", () => {
  const a = writeTar(entries, 1767225600);
  const b = writeTar([...entries].reverse(), 1767225600);
  assert.ok(a.equals(b), "the order of the entries given must not matter");
  const dir = mkdtempSync(join(tmpdir(), "sagebrew-tar-"));
  try {
    writeFileSync(join(dir, "l.tar"), a);
    const listing = execFileSync("tar", ["--numeric-owner", "--full-time", "-tvf", join(dir, "l.tar")], {
      encoding: "utf8",
    });
    const lines = listing.trim().split("\n");
    assert.equal(lines.length, entries.length);
    assert.match(lines[0] ?? "", /^drwxr-xr-x 0\/0 +0 2026-01-01 00:00:00 opt\/$/);
    assert.ok(
      lines.every((l) => / 0\/0 /.test(l) && /2026-01-01 00:00:00/.test(l)),
      listing,
    );
    assert.ok(listing.includes(`opt/${"p".repeat(300)}`), "the PAX path of a long name");
    assert.ok(listing.includes("opt/node_modules -> /opt/sagebrew/node_modules"));
    const back = readTar(a);
    assert.deepEqual(
      back.map((e) => [e.path, e.type, e.mode, e.data.length]),
      [...entries]
        .sort((x, y) => Buffer.compare(Buffer.from(x.path), Buffer.from(y.path)))
        .map((e) => [e.path, e.type, e.mode, e.data?.length ?? 0]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("makeLayer() gives one digest for one content: gzip header mtime 0, Unix OS byte, diff ID of the tar", () => {
  const one = makeLayer(entries, 1, "x");
  const two = makeLayer(entries, 1, "x");
  assert.equal(one.digest, two.digest);
  assert.equal(one.bytes.readUInt32LE(4), 0);
  assert.equal(one.bytes[9], 3);
  assert.notEqual(makeLayer(entries, 2, "x").digest, one.digest, "the mtime is part of the content");
});

test("compareVersions() orders Debian versions as dpkg does", () => {
  const ordered = ["1.0~rc1", "1.0", "1.0-1", "1.0-1+b1", "1.0.1", "1.7.4-1", "3.0.0-1", "1:0.1"];
  for (let i = 0; i + 1 < ordered.length; i++) {
    assert.ok(compareVersions(ordered[i]!, ordered[i + 1]!) < 0, `${ordered[i]} < ${ordered[i + 1]}`);
  }
  assert.equal(compareVersions("14.2.0-19", "14.2.0-19"), 0);
  assert.ok(compareVersions("0.5+git20240614.1334185-1+b1", "0.5+git20240614.1334185") > 0);
  assert.ok(compareVersions("2.41-12+deb13u5", "2.38") > 0);
});

test("parseDepends() reads groups, alternatives, versions and architecture qualifiers", () => {
  assert.deepEqual(parseDepends("libc6 (>= 2.38), gcc-14-base (= 14.2.0-19), a:any | b"), [
    [{ name: "libc6", op: ">=", version: "2.38" }],
    [{ name: "gcc-14-base", op: "=", version: "14.2.0-19" }],
    [{ name: "a" }, { name: "b" }],
  ]);
});

const trixie = DEBIAN_PINS.trixie.amd64;
const version = (name: string) => trixie.find((p) => p.package === name)?.version ?? "";

test("planPackages() adds what a node:26-trixie-slim-like base lacks for libxgboost0, and only that", () => {
  const base = new Map([
    ["libc6", "2.41-12+deb13u5"],
    ["libgcc-s1", version("libgcc-s1")],
    ["gcc-14-base", version("gcc-14-base")],
    ["libstdc++6", version("libstdc++6")],
  ]);
  const plan = planPackages("libxgboost0", trixie, base).map((p) => p.package);
  assert.deepEqual(plan.sort(), ["libdmlc0t64", "libgomp1", "libxgboost0"]);
  const bare = planPackages("libxgboost0", trixie, new Map([["libc6", "2.41-12+deb13u5"]])).map(
    (p) => p.package,
  );
  assert.ok(bare.includes("libstdc++6") && bare.includes("gcc-14-base"), bare.join(" "));
});

test("planPackages() refuses a base without libc6, or with a library too old for the pins, naming both versions", () => {
  assert.throws(
    () => planPackages("libxgboost0", trixie, new Map()),
    /needs libc6, which the base does not have/,
  );
  const bookworm = new Map([
    ["libc6", "2.36-9+deb12u14"],
    ["libgcc-s1", "12.2.0-14+deb12u1"],
    ["gcc-12-base", "12.2.0-14+deb12u1"],
    ["libstdc++6", "12.2.0-14+deb12u1"],
  ]);
  assert.throws(
    () => planPackages("libxgboost0", trixie, bookworm),
    (e: Error) => {
      assert.match(e.message, /needs .*\(>= 2\.38\).*libc6 2\.36-9\+deb12u14|needs libstdc\+\+6 \(>= 1[34]/);
      return true;
    },
  );
});

test("the pins hold libxgboost0 3.0.0 for trixie and 1.7.4 for bookworm, each with a SHA-256 and a pool path", () => {
  const check = (pins: readonly DebPin[], want: RegExp) => {
    assert.match(pins.find((p) => p.package === "libxgboost0")?.version ?? "", want);
    for (const p of pins) {
      assert.match(p.sha256, /^[0-9a-f]{64}$/);
      assert.match(p.filename, /^pool\/main\//);
      assert.ok(p.package !== "libc6", "libc6 comes with the base");
    }
  };
  check(DEBIAN_PINS.trixie.amd64, /^3\.0\.0-/);
  check(DEBIAN_PINS.trixie.arm64, /^3\.0\.0-/);
  check(DEBIAN_PINS.bookworm.amd64, /^1\.7\.4-/);
  check(DEBIAN_PINS.bookworm.arm64, /^1\.7\.4-/);
});

test("installedPackages() reads a dpkg status file, skipping packages not installed", () => {
  const status =
    "Package: a\nStatus: install ok installed\nVersion: 1.0\n\nPackage: b\nStatus: deinstall ok config-files\nVersion: 2\n";
  assert.deepEqual([...installedPackages(status)], [["a", "1.0"]]);
});

test("parseBaseReference() reads references as Docker does", () => {
  assert.deepEqual(parseBaseReference("node:26-trixie-slim@sha256:" + "a".repeat(64)), {
    host: "registry-1.docker.io",
    repository: "library/node",
    tag: "26-trixie-slim",
    digest: `sha256:${"a".repeat(64)}`,
  });
  assert.deepEqual(parseBaseReference("127.0.0.1:5000/library/node:26"), {
    host: "127.0.0.1:5000",
    repository: "library/node",
    tag: "26",
  });
  assert.deepEqual(parseBaseReference("public.ecr.aws/docker/library/node"), {
    host: "public.ecr.aws",
    repository: "docker/library/node",
  });
  assert.throws(() => parseBaseReference("node@sha256:abc"), /the digest must be sha256/);
});

/** A .deb as dpkg-deb lays it out, with gzip members (the xz ones are read in the image tests). */
function deb(control: string, data: LayerEntry[]): Buffer {
  const member = (name: string, body: Buffer) => {
    const head = Buffer.alloc(60, 0x20);
    head.write(name, 0);
    head.write("0", 16);
    head.write("0", 28);
    head.write("0", 34);
    head.write("100644", 40);
    head.write(String(body.length), 48);
    head.write("`\n", 58);
    return Buffer.concat([head, body, body.length % 2 ? Buffer.from("\n") : Buffer.alloc(0)]);
  };
  return Buffer.concat([
    Buffer.from("!<arch>\n"),
    member("debian-binary", Buffer.from("2.0\n")),
    member(
      "control.tar.gz",
      gzipSync(writeTar([{ path: "control", type: "file", mode: 0o644, data: Buffer.from(control) }], 1)),
    ),
    member("data.tar.gz", gzipSync(writeTar(data, 1))),
  ]);
}

test("readDeb() reads control and data; refuses what is not a .deb, or a member it cannot decode, with a sentence", async () => {
  const pkg = await readDeb(deb("Package: x\nVersion: 1\n", entries), "x.deb");
  assert.match(pkg.control, /^Package: x/);
  assert.equal(pkg.data.length, entries.length);
  await assert.rejects(readDeb(Buffer.from("not a deb"), "y.deb"), /Cannot read y\.deb: not a \.deb/);
  const zst = Buffer.from(
    deb("Package: x\n", []).toString("latin1").replace("data.tar.gz", "data.tar.zs"),
    "latin1",
  );
  await assert.rejects(readDeb(zst, "z.deb"), /Cannot read z\.deb/);
});

test("readTar() and readDeb() on damaged bytes: a clear error or entries, never a crash or a hang (seeded)", async () => {
  const good = deb("Package: x\nVersion: 1\n", entries);
  const tar = writeTar(entries, 1);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(),
      async (flips, cut) => {
        for (const bytes of [Buffer.from(good), Buffer.from(tar)]) {
          for (const [at, v] of flips) bytes[at % bytes.length] = v;
          const damaged = bytes.subarray(0, Math.max(8, bytes.length - (cut % 200)));
          try {
            readTar(damaged);
          } catch (e) {
            assert.ok(e instanceof SyntaxError || e instanceof RangeError, String(e));
          }
          try {
            await readDeb(damaged, "d.deb");
          } catch (e) {
            assert.match((e as Error).message, /^Cannot read d\.deb/);
          }
        }
      },
    ),
    { numRuns: 200 },
  );
});

test("the pinned trixie libxgboost0 .deb in the cache, when there, is the file the pins name", async () => {
  const pin = trixie.find((p) => p.package === "libxgboost0");
  const cached = join(
    process.env.SAGEBREW_CACHE_DIR ?? "/var/cache/sagebrew",
    "sagebrew",
    "debs",
    `${pin?.sha256}.deb`,
  );
  let bytes: Buffer;
  try {
    bytes = readFileSync(cached);
  } catch {
    return; // not downloaded on this machine yet: the image tests fetch it
  }
  const pkg = await readDeb(bytes, "libxgboost0.deb");
  assert.match(pkg.control, /^Version: 3\.0\.0-1$/m);
  assert.ok(pkg.data.some((e) => /libxgboost\.so\.3\.0\.0$/.test(e.path)));
});

test("baseFiles() reads dpkg's status and the directory links through the layers, whiteouts and opaque directories included", () => {
  const layer = (entries: LayerEntry[]): BaseLayer => {
    const l = makeLayer(entries, 1, "");
    return { digest: l.digest, size: l.size, diffId: l.diffId, bytes: l.bytes };
  };
  const status = (text: string): LayerEntry => ({
    path: "var/lib/dpkg/status",
    type: "file",
    mode: 0o644,
    data: Buffer.from(text),
  });
  const lib: LayerEntry = { path: "lib", type: "symlink", mode: 0o777, linkname: "usr/lib" };
  const one = layer([lib, status("A")]);
  assert.equal(baseFiles([one]).dpkgStatus, "A");
  assert.equal(baseFiles([one]).symlinks.get("lib"), "usr/lib");
  const gone = layer([{ path: "var/lib/.wh.dpkg", type: "file", mode: 0o644, data: Buffer.alloc(0) }]);
  assert.equal(baseFiles([one, gone]).dpkgStatus, "", "a whiteout of a parent directory hides the status");
  assert.equal(baseFiles([one, gone, layer([status("B")])]).dpkgStatus, "B");
  const opaque = layer([{ path: "var/.wh..wh..opq", type: "file", mode: 0o644, data: Buffer.alloc(0) }]);
  assert.equal(baseFiles([one, opaque]).dpkgStatus, "", "an opaque parent hides what lower layers had");
  const relinked = layer([{ path: "lib", type: "dir", mode: 0o755 }]);
  assert.equal(baseFiles([one, relinked]).symlinks.has("lib"), false, "a directory in its place");
});
