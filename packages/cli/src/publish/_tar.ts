/** A minimal reader of ustar/pax archives: lists entries with their byte ranges, reads nothing else. */
import { open } from "node:fs/promises";

/** One regular file inside a tar archive. */
export interface TarEntry {
  readonly name: string;
  readonly size: number;
  /** Byte offset of the entry's data in the archive. */
  readonly offset: number;
  readonly mode: number;
  readonly type: "file" | "dir" | "symlink" | "other";
  readonly linkName: string;
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString("utf8");
}

function octal(block: Buffer, start: number, length: number): number {
  const first = block[start] ?? 0;
  if (first & 0x80) {
    // GNU base-256 encoding for large sizes
    let n = 0;
    for (let i = start + 1; i < start + length; i++) n = n * 256 + (block[i] ?? 0);
    return n;
  }
  const text = field(block, start, length).trim();
  return text === "" ? 0 : Number.parseInt(text, 8);
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number.parseInt(data.subarray(pos, space).toString("ascii"), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = data.subarray(space + 1, pos + len - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/**
 * Lists the entries of the tar file at `path` without reading their data.
 *
 * @throws SyntaxError when a header checksum does not match (not a tar file).
 * @example const entries = await listTar("image.tar");
 */
export async function listTar(path: string): Promise<TarEntry[]> {
  const fh = await open(path, "r");
  try {
    const { size: total } = await fh.stat();
    const entries: TarEntry[] = [];
    const block = Buffer.alloc(512);
    let pos = 0;
    let pax = new Map<string, string>();
    let longName: string | undefined;
    while (pos + 512 <= total) {
      await fh.read(block, 0, 512, pos);
      if (block.every((b) => b === 0)) break;
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] ?? 0);
      if (sum !== octal(block, 148, 8))
        throw new SyntaxError(`Cannot read tar ${path}: bad header at byte ${pos}`);
      const size = octal(block, 124, 12);
      const typeflag = String.fromCharCode(block[156] ?? 48);
      const dataOffset = pos + 512;
      pos = dataOffset + Math.ceil(size / 512) * 512;
      if (typeflag === "x" || typeflag === "L") {
        const data = Buffer.alloc(size);
        await fh.read(data, 0, size, dataOffset);
        if (typeflag === "x") pax = parsePax(data);
        else longName = data.toString("utf8").replace(/\0+$/, "");
        continue;
      }
      if (typeflag === "g") continue;
      const prefix = field(block, 345, 155);
      const base = field(block, 0, 100);
      const name = pax.get("path") ?? longName ?? (prefix ? `${prefix}/${base}` : base);
      const type =
        typeflag === "0" || typeflag === "\0" || typeflag === "7"
          ? "file"
          : typeflag === "5"
            ? "dir"
            : typeflag === "2"
              ? "symlink"
              : "other";
      entries.push({
        name: name.replace(/^\.\//, ""),
        size: Number(pax.get("size") ?? size),
        offset: dataOffset,
        mode: octal(block, 100, 8),
        type,
        linkName: pax.get("linkpath") ?? field(block, 157, 100),
      });
      pax = new Map();
      longName = undefined;
    }
    return entries;
  } finally {
    await fh.close();
  }
}
