/**
 * Tar archives in memory: a reader for the layers of base images and the members of .deb files,
 * and a writer of reproducible layers — entries sorted by path, owner and group 0 with no names,
 * one fixed mtime, and no PAX records but `path`/`linkpath` when a name does not fit (no atime,
 * ctime or pid that would make two builds differ).
 */

/** One entry of a layer. */
export interface LayerEntry {
  /** Relative path without a leading `/` or `./`, `/`-separated; directories without a trailing `/`. */
  readonly path: string;
  readonly type: "file" | "dir" | "symlink";
  readonly mode: number;
  /** File contents. */
  readonly data?: Uint8Array;
  /** Symlink target. */
  readonly linkname?: string;
}

/** One entry read from an archive. */
export interface ReadEntry {
  readonly path: string;
  readonly type: "file" | "dir" | "symlink" | "hardlink" | "other";
  readonly mode: number;
  readonly data: Uint8Array;
  readonly linkname: string;
}

function text(block: Uint8Array, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return Buffer.from(raw.subarray(0, end === -1 ? length : end)).toString("utf8");
}

function octal(block: Uint8Array, start: number, length: number): number {
  if ((block[start] ?? 0) & 0x80) {
    let n = 0;
    for (let i = start + 1; i < start + length; i++) n = n * 256 + (block[i] ?? 0);
    return n;
  }
  const t = text(block, start, length).trim();
  return t === "" ? 0 : Number.parseInt(t, 8);
}

function paxRecords(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  const s = Buffer.from(data);
  let pos = 0;
  while (pos < s.length) {
    const space = s.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number.parseInt(s.subarray(pos, space).toString("ascii"), 10);
    if (!Number.isInteger(len) || len <= 0 || pos + len > s.length) break;
    const record = s.subarray(space + 1, pos + len - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/** Normalizes an archive path: no leading `./` or `/`, no trailing `/`. */
export function cleanPath(path: string): string {
  return path.replace(/^(\.\/|\/)+/, "").replace(/\/+$/, "");
}

/**
 * Reads every entry of a tar archive held in memory (ustar, PAX and GNU long names).
 *
 * @throws SyntaxError on a bad header checksum or an entry running past the end.
 */
export function readTar(archive: Uint8Array): ReadEntry[] {
  const entries: ReadEntry[] = [];
  let pos = 0;
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  while (pos + 512 <= archive.length) {
    const block = archive.subarray(pos, pos + 512);
    if (block.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] ?? 0);
    if (sum !== octal(block, 148, 8)) throw new SyntaxError(`bad tar header at byte ${pos}`);
    const size = octal(block, 124, 12);
    const start = pos + 512;
    if (start + size > archive.length) throw new SyntaxError(`tar entry at byte ${pos} runs past the end`);
    const data = archive.subarray(start, start + size);
    pos = start + Math.ceil(size / 512) * 512;
    const flag = String.fromCharCode(block[156] ?? 48);
    if (flag === "x") {
      pax = paxRecords(data);
      continue;
    }
    if (flag === "g") continue;
    if (flag === "L" || flag === "K") {
      const name = Buffer.from(data).toString("utf8").replace(/\0+$/, "");
      if (flag === "L") longName = name;
      else longLink = name;
      continue;
    }
    const prefix = text(block, 345, 155);
    const base = text(block, 0, 100);
    const path = pax.get("path") ?? longName ?? (prefix ? `${prefix}/${base}` : base);
    const type =
      flag === "0" || flag === "\0" || flag === "7"
        ? "file"
        : flag === "5"
          ? "dir"
          : flag === "2"
            ? "symlink"
            : flag === "1"
              ? "hardlink"
              : "other";
    entries.push({
      path: cleanPath(path),
      type,
      mode: octal(block, 100, 8) & 0o7777,
      data,
      linkname: pax.get("linkpath") ?? longLink ?? text(block, 157, 100),
    });
    pax = new Map();
    longName = undefined;
    longLink = undefined;
  }
  return entries;
}

function put(block: Buffer, value: string, start: number, length: number): void {
  block.write(value, start, Math.min(length, Buffer.byteLength(value)), "utf8");
}

function putOctal(block: Buffer, value: number, start: number, length: number): void {
  put(block, `${value.toString(8).padStart(length - 1, "0")}\0`, start, length);
}

function header(
  name: string,
  prefix: string,
  flag: string,
  mode: number,
  size: number,
  mtime: number,
  linkname: string,
): Buffer {
  const block = Buffer.alloc(512);
  put(block, name, 0, 100);
  putOctal(block, mode, 100, 8);
  putOctal(block, 0, 108, 8);
  putOctal(block, 0, 116, 8);
  putOctal(block, size, 124, 12);
  putOctal(block, mtime, 136, 12);
  block.fill(0x20, 148, 156);
  put(block, flag, 156, 1);
  put(block, linkname, 157, 100);
  put(block, "ustar\u000000", 257, 8);
  putOctal(block, 0, 329, 8);
  putOctal(block, 0, 337, 8);
  put(block, prefix, 345, 155);
  let sum = 0;
  for (const b of block) sum += b;
  put(block, `${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return block;
}

function pad(size: number): Buffer {
  return Buffer.alloc((512 - (size % 512)) % 512);
}

/** Splits a path into ustar's name (≤ 100 bytes) and prefix (≤ 155), or undefined when it cannot. */
function splitName(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: "" };
  for (let i = path.indexOf("/"); i !== -1; i = path.indexOf("/", i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  return undefined;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len)
    len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/**
 * Writes a reproducible tar of `entries`: sorted by path (byte order), uid/gid 0, `mtime` on every
 * entry, directories with a trailing `/`. The same entries give the same bytes.
 *
 * @throws Error when two entries have the same path.
 */
export function writeTar(entries: readonly LayerEntry[], mtime: number): Buffer {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const parts: Buffer[] = [];
  let previous: string | undefined;
  for (const e of sorted) {
    if (e.path === previous) throw new Error(`two layer entries for ${e.path}`);
    previous = e.path;
    const path = e.type === "dir" ? `${e.path}/` : e.path;
    const linkname = e.linkname ?? "";
    const split = splitName(path);
    const records =
      (split ? "" : paxRecord("path", path)) +
      (Buffer.byteLength(linkname) > 100 ? paxRecord("linkpath", linkname) : "");
    if (records) {
      const body = Buffer.from(records);
      parts.push(header("PaxHeader", "", "x", 0o644, body.length, mtime, ""), body, pad(body.length));
    }
    const { name, prefix } = split ?? { name: path.slice(-100), prefix: "" };
    const data = e.type === "file" ? Buffer.from(e.data ?? new Uint8Array()) : Buffer.alloc(0);
    const flag = e.type === "file" ? "0" : e.type === "dir" ? "5" : "2";
    parts.push(header(name, prefix, flag, e.mode & 0o7777, data.length, mtime, linkname.slice(0, 100)));
    if (data.length > 0) parts.push(data, pad(data.length));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
