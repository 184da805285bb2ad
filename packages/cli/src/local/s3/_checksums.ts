/**
 * The checksums S3 computes over a body, incrementally: MD5 (the ETag, Content-MD5), and the
 * additional checksums of `x-amz-checksum-*` — CRC32, CRC32C, CRC64NVME, SHA1, SHA256 — each
 * answered as S3 writes it: the big-endian digest in base64.
 */
import { createHash, type Hash } from "node:crypto";
import * as zlib from "node:zlib";

/** The additional checksum algorithms served, as the `x-amz-checksum-<name>` headers name them. */
export const CHECKSUM_ALGORITHMS = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** True for a served algorithm name (lower case, as in the header). */
export function isChecksumAlgorithm(name: string): name is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name);
}

/** An incremental digest. */
export interface Digest {
  update(data: Uint8Array): void;
  /** The digest's bytes (big-endian for the CRCs); call once. */
  bytes(): Buffer;
}

/** A reflected-CRC table of 8 slices (slicing-by-8) for a 32-bit polynomial. */
function crc32Tables(poly: number): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const t0 = tables[0]!;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t0[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n]!;
    for (let s = 1; s < 8; s++) {
      c = t0[c & 0xff]! ^ (c >>> 8);
      tables[s]![n] = c >>> 0;
    }
  }
  return tables;
}

let crc32cTables: Uint32Array[] | undefined;

/** CRC32C (Castagnoli), slicing-by-8. */
function crc32cUpdate(crc: number, data: Uint8Array): number {
  crc32cTables ??= crc32Tables(0x82f63b78);
  const [t0, t1, t2, t3, t4, t5, t6, t7] = crc32cTables as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  let c = ~crc >>> 0;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  for (; i < end8; i += 8) {
    const a = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!;
  }
  for (; i < data.length; i++) c = t0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC32 (ISO-HDLC, zlib's): zlib's own where Node has it, else a table. */
let crc32Fallback: Uint32Array | undefined;
function crc32Update(crc: number, data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array, v: number) => number }).crc32;
  if (native) return native(data, crc);
  crc32Fallback ??= crc32Tables(0xedb88320)[0]!;
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = crc32Fallback[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

let crc64Hi: Uint32Array | undefined;
let crc64Lo: Uint32Array | undefined;

/** CRC64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5), a byte at a time in two 32-bit halves. */
function crc64Tables(): void {
  crc64Hi = new Uint32Array(256);
  crc64Lo = new Uint32Array(256);
  const polyHi = 0x9a6c9329;
  const polyLo = 0xac4bc9b5;
  for (let n = 0; n < 256; n++) {
    let hi = 0;
    let lo = n;
    for (let k = 0; k < 8; k++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi >>>= 1;
      if (bit) {
        hi = (hi ^ polyHi) >>> 0;
        lo = (lo ^ polyLo) >>> 0;
      }
    }
    crc64Hi[n] = hi;
    crc64Lo[n] = lo;
  }
}

class Crc64Nvme implements Digest {
  #hi = 0xffffffff;
  #lo = 0xffffffff;
  update(data: Uint8Array): void {
    if (!crc64Hi) crc64Tables();
    const th = crc64Hi!;
    const tl = crc64Lo!;
    let hi = this.#hi;
    let lo = this.#lo;
    for (let i = 0; i < data.length; i++) {
      const idx = (lo ^ data[i]!) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ tl[idx]!) >>> 0;
      hi = ((hi >>> 8) ^ th[idx]!) >>> 0;
    }
    this.#hi = hi;
    this.#lo = lo;
  }
  bytes(): Buffer {
    const out = Buffer.alloc(8);
    out.writeUInt32BE(~this.#hi >>> 0, 0);
    out.writeUInt32BE(~this.#lo >>> 0, 4);
    return out;
  }
}

class Crc32 implements Digest {
  #crc = 0;
  constructor(private readonly step: (crc: number, data: Uint8Array) => number) {}
  update(data: Uint8Array): void {
    this.#crc = this.step(this.#crc, data);
  }
  bytes(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.#crc >>> 0, 0);
    return out;
  }
}

class NodeHash implements Digest {
  readonly #hash: Hash;
  constructor(name: string) {
    this.#hash = createHash(name);
  }
  update(data: Uint8Array): void {
    this.#hash.update(data);
  }
  bytes(): Buffer {
    return this.#hash.digest();
  }
}

/** A new digest of `algorithm` (an additional checksum, or `md5`). */
export function newDigest(algorithm: ChecksumAlgorithm | "md5"): Digest {
  switch (algorithm) {
    case "crc32":
      return new Crc32(crc32Update);
    case "crc32c":
      return new Crc32(crc32cUpdate);
    case "crc64nvme":
      return new Crc64Nvme();
    default:
      return new NodeHash(algorithm);
  }
}

/** The base64 checksum of `data` with `algorithm` (as an `x-amz-checksum-*` header carries it). */
export function checksumOf(algorithm: ChecksumAlgorithm | "md5", data: Uint8Array): string {
  const d = newDigest(algorithm);
  d.update(data);
  return d.bytes().toString("base64");
}

/** The length in bytes of an algorithm's digest (what a header's base64 must decode to). */
export function digestLength(algorithm: ChecksumAlgorithm | "md5"): number {
  return { crc32: 4, crc32c: 4, crc64nvme: 8, sha1: 20, sha256: 32, md5: 16 }[algorithm];
}
