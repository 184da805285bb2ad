/**
 * The layers an engine-less build adds on top of the base: libxgboost and its dependencies from
 * pinned .deb files (with dpkg's database updated, as `apt-get install` leaves it), then sagebrew
 * (`/opt/sagebrew`), then the project (`/opt/program` and the `/opt/node_modules` link) — what the
 * Dockerfile's RUN and COPY steps add. Each is a reproducible tar (_tar.ts), gzipped at level 6
 * with a zero mtime and Unix as the OS byte.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { SagebrewError } from "@sagebrew/runtime/core";
import { readDeb } from "./_deb.js";
import type { DebPin } from "./_debian.js";
import { cleanPath, type LayerEntry, writeTar } from "./_tar.js";

/** A layer ready for the manifest: gzip bytes, their digest, and the diff ID of the tar. */
export interface BuiltLayer {
  readonly digest: string;
  readonly size: number;
  readonly diffId: string;
  readonly bytes: Buffer;
  /** The history line (`created_by`) the layer gets. */
  readonly createdBy: string;
}

const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** Tars and gzips entries (level 6; header mtime 0, OS byte 3 = Unix, so every host gives the same bytes). */
export function makeLayer(entries: readonly LayerEntry[], mtime: number, createdBy: string): BuiltLayer {
  const tar = writeTar(entries, mtime);
  const gz = gzipSync(tar, { level: 6 });
  gz.writeUInt32LE(0, 4);
  gz[9] = 3;
  return { digest: sha256(gz), size: gz.length, diffId: sha256(tar), bytes: gz, createdBy };
}

/** The entries of a directory on disk below `prefix`, with their modes (staged: 0644, 0755). */
export async function treeEntries(dir: string, prefix: string): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [{ path: prefix, type: "dir", mode: 0o755 }];
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const childRel = rel ? `${rel}/${name}` : name;
      const info = await stat(join(dir, childRel));
      const path = `${prefix}/${childRel}`;
      if (info.isDirectory()) {
        out.push({ path, type: "dir", mode: info.mode & 0o7777 });
        await walk(childRel);
      } else if (info.isFile()) {
        out.push({ path, type: "file", mode: info.mode & 0o7777, data: await readFile(join(dir, childRel)) });
      }
    }
  };
  await walk("");
  return out;
}

/** Resolves a path's directories through the base's symlinks, as dpkg does (`lib/x` → `usr/lib/x`). */
function throughSymlinks(path: string, symlinks: ReadonlyMap<string, string>): string {
  const parts = path.split("/");
  for (let depth = 0; depth < 16; depth++) {
    let changed = false;
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      const target = symlinks.get(dir);
      if (target === undefined) continue;
      const base = target.startsWith("/") ? [] : parts.slice(0, i - 1);
      const joined = [...base, ...target.split("/")].filter((p) => p && p !== ".");
      const resolved: string[] = [];
      for (const p of joined) {
        if (p === "..") resolved.pop();
        else resolved.push(p);
      }
      parts.splice(0, i, ...resolved);
      changed = true;
      break;
    }
    if (!changed) return parts.join("/");
  }
  return parts.join("/");
}

/** Fetches a pinned .deb (cached by SHA-256), refusing bytes whose hash is not the pinned one. */
async function fetchDeb(pin: DebPin, mirror: string, cacheDir: string): Promise<Uint8Array> {
  const path = join(cacheDir, "debs", `${pin.sha256}.deb`);
  try {
    const cached = await readFile(path);
    if (sha256(cached) === `sha256:${pin.sha256}`) return cached;
  } catch {
    // not cached
  }
  const url = `${mirror.replace(/\/+$/, "")}/${pin.filename}`;
  let bytes: Uint8Array;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new SagebrewError(
      "SB_IMAGE",
      `Cannot fetch ${pin.package} ${pin.version} from ${url}: ${(e as Error).message} (set --debian-mirror, or SAGEBREW_DEBIAN_MIRROR, to a Debian mirror or snapshot.debian.org/archive/debian/<date>)`,
      { cause: e },
    );
  }
  if (sha256(bytes) !== `sha256:${pin.sha256}`) {
    throw new SagebrewError(
      "SB_IMAGE",
      `Cannot use ${url}: its SHA-256 is ${sha256(bytes).slice(7)}, pinned ${pin.sha256}`,
    );
  }
  await mkdir(join(cacheDir, "debs"), { recursive: true });
  await writeFile(`${path}.${process.pid}.tmp`, bytes);
  await rename(`${path}.${process.pid}.tmp`, path);
  return bytes;
}

/**
 * The layer of the pinned packages `pins`, installed over a base whose dpkg status is `status`:
 * their files (through the base's directory symlinks), and dpkg's status, `.list` and `.md5sums`
 * as `dpkg -i` writes them, so `dpkg-query` in the image sees them installed.
 */
export async function packagesLayer(
  pins: readonly DebPin[],
  base: { dpkgStatus: string; symlinks: ReadonlyMap<string, string> },
  options: { mirror: string; cacheDir: string; mtime: number; log?: (line: string) => void },
): Promise<BuiltLayer> {
  const entries = new Map<string, LayerEntry>();
  const stanzas: string[] = [];
  const info: LayerEntry[] = [];
  for (const pin of [...pins].sort((a, b) => (a.package < b.package ? -1 : 1))) {
    options.log?.(`adding ${pin.package} ${pin.version} (${pin.filename.split("/").pop()})`);
    const deb = await readDeb(
      await fetchDeb(pin, options.mirror, options.cacheDir),
      `${pin.package}_${pin.version}.deb`,
    );
    const files = new Map<string, Uint8Array>();
    const listed: string[] = ["/."];
    for (const e of deb.data) {
      const path = throughSymlinks(cleanPath(e.path), base.symlinks);
      if (!path) continue;
      listed.push(`/${cleanPath(e.path)}`);
      if (e.type === "dir") {
        if (!entries.has(path) && !base.symlinks.has(path))
          entries.set(path, { path, type: "dir", mode: e.mode });
      } else if (e.type === "file") {
        files.set(cleanPath(e.path), e.data);
        entries.set(path, { path, type: "file", mode: e.mode, data: e.data });
      } else if (e.type === "symlink") {
        entries.set(path, { path, type: "symlink", mode: 0o777, linkname: e.linkname });
      } else if (e.type === "hardlink") {
        const data = files.get(cleanPath(e.linkname));
        if (data) entries.set(path, { path, type: "file", mode: e.mode, data });
      }
    }
    const control = deb.control.trim().split("\n");
    stanzas.push([control[0], "Status: install ok installed", ...control.slice(1)].join("\n"));
    const key = /^Multi-Arch:\s*same$/m.test(deb.control)
      ? `${pin.package}:${pin.architecture}`
      : pin.package;
    info.push({
      path: `var/lib/dpkg/info/${key}.list`,
      type: "file",
      mode: 0o644,
      data: Buffer.from(`${listed.join("\n")}\n`),
    });
    if (deb.md5sums) {
      info.push({
        path: `var/lib/dpkg/info/${key}.md5sums`,
        type: "file",
        mode: 0o644,
        data: Buffer.from(deb.md5sums),
      });
    }
  }
  const status = `${base.dpkgStatus.replace(/\s*$/, "")}\n\n${stanzas.join("\n\n")}\n`.replace(/^\n+/, "");
  for (const dir of ["var", "var/lib", "var/lib/dpkg", "var/lib/dpkg/info"]) {
    entries.set(dir, { path: dir, type: "dir", mode: 0o755 });
  }
  entries.set("var/lib/dpkg/status", {
    path: "var/lib/dpkg/status",
    type: "file",
    mode: 0o644,
    data: Buffer.from(status),
  });
  for (const e of info) entries.set(e.path, e);
  return makeLayer(
    [...entries.values()],
    options.mtime,
    `sagebrew: install ${pins.map((p) => `${p.package}=${p.version}`).join(" ")} (pinned .deb files)`,
  );
}
