/**
 * Reads a Debian package (.deb): an `ar` archive of `debian-binary`, `control.tar.*` and
 * `data.tar.*`. Members compressed with xz (what Debian's archive uses) are decoded by
 * xz-decompress (xz-embedded as WebAssembly, no native code), gzip by node:zlib, uncompressed as is;
 * zstd (Ubuntu's) is refused with a sentence.
 */
import { createRequire } from "node:module";
import { gunzipSync } from "node:zlib";
import { SagebrewError } from "@sagebrew/runtime/core";
import { type ReadEntry, readTar } from "./_tar.js";

/** A package's control fields and files. */
export interface DebPackage {
  /** The `control` file's text (one stanza). */
  readonly control: string;
  /** The `md5sums` file's text, when the package has one. */
  readonly md5sums: string;
  /** The files, directories and links it installs, paths relative to `/`. */
  readonly data: readonly ReadEntry[];
}

const require = createRequire(import.meta.url);

async function xz(bytes: Uint8Array): Promise<Uint8Array> {
  const { XzReadableStream } = require("xz-decompress") as typeof import("xz-decompress");
  const stream = new XzReadableStream(new Blob([bytes]).stream());
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The members of an `ar` archive (the common format, with GNU-style names ending in `/`). */
function readAr(bytes: Uint8Array, what: string): Map<string, Uint8Array> {
  const magic = Buffer.from(bytes.subarray(0, 8)).toString("latin1");
  if (magic !== "!<arch>\n") throw new SagebrewError("SB_IMAGE", `Cannot read ${what}: not a .deb (ar) file`);
  const members = new Map<string, Uint8Array>();
  let pos = 8;
  while (pos + 60 <= bytes.length) {
    const head = Buffer.from(bytes.subarray(pos, pos + 60)).toString("latin1");
    const name = head.slice(0, 16).trim().replace(/\/$/, "");
    const size = Number.parseInt(head.slice(48, 58).trim(), 10);
    if (!Number.isInteger(size) || size < 0 || pos + 60 + size > bytes.length) {
      throw new SagebrewError("SB_IMAGE", `Cannot read ${what}: member ${name} runs past the end`);
    }
    members.set(name, bytes.subarray(pos + 60, pos + 60 + size));
    pos += 60 + size + (size % 2);
  }
  return members;
}

async function untar(members: Map<string, Uint8Array>, stem: string, what: string): Promise<ReadEntry[]> {
  for (const [name, bytes] of members) {
    if (name === `${stem}.tar`) return readTar(bytes);
    if (name === `${stem}.tar.gz`) return readTar(gunzipSync(bytes));
    if (name === `${stem}.tar.xz`) return readTar(await xz(bytes));
    if (name.startsWith(`${stem}.tar.`)) {
      throw new SagebrewError(
        "SB_IMAGE",
        `Cannot read ${what}: ${name} is compressed in a way sagebrew does not read (xz, gzip or none)`,
      );
    }
  }
  throw new SagebrewError("SB_IMAGE", `Cannot read ${what}: no ${stem}.tar member`);
}

/**
 * Reads a .deb held in memory.
 *
 * @throws SagebrewError SB_IMAGE when it is not a .deb, or its members cannot be decoded.
 */
export async function readDeb(bytes: Uint8Array, what: string): Promise<DebPackage> {
  const members = readAr(bytes, what);
  const version = members.get("debian-binary");
  if (!version || !Buffer.from(version).toString("latin1").startsWith("2.")) {
    throw new SagebrewError("SB_IMAGE", `Cannot read ${what}: not a format 2.x .deb`);
  }
  try {
    const control = await untar(members, "control", what);
    const file = (name: string) =>
      Buffer.from(
        control.find((e) => e.path === name && e.type === "file")?.data ?? new Uint8Array(),
      ).toString("utf8");
    const data = await untar(members, "data", what);
    return { control: file("control"), md5sums: file("md5sums"), data: data.filter((e) => e.path !== "") };
  } catch (e) {
    if (e instanceof SagebrewError) throw e;
    throw new SagebrewError("SB_IMAGE", `Cannot read ${what}: ${(e as Error).message}`, { cause: e });
  }
}
