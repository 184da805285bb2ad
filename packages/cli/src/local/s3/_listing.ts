/**
 * ListObjectsV2 over a bucket's sorted keys, as S3 pages it: keys in UTF-8 byte order, `Prefix`,
 * `Delimiter` (keys sharing the text up to the next delimiter roll up into one CommonPrefix, which
 * counts once against MaxKeys), `StartAfter`, `MaxKeys` (at most 1000) and an opaque
 * `ContinuationToken` that resumes after the last key or common prefix of the page. Pure.
 */

/**
 * Compares two strings in UTF-8 byte order (S3's key order), which is code point order: JavaScript's
 * `<` compares UTF-16 units, which puts a character above U+FFFF (surrogates, 0xD800–0xDFFF) before
 * U+E000–U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x >= 0xe000 ? -0x800 : 0x2000;
    if (y >= 0xd800) y += y >= 0xe000 ? -0x800 : 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/** The index of the first key of `sorted` greater than `after` (or equal, with `inclusive`). */
export function firstAfter(sorted: readonly string[], after: string, inclusive = false): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKeys(sorted[mid]!, after);
    if (c < 0 || (c === 0 && !inclusive)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where a page resumes: after a key, or after every key under a common prefix. */
interface Resume {
  readonly after: string;
  readonly prefix: boolean;
}

/** The opaque continuation token of a resume point. */
export function encodeToken(resume: Resume): string {
  return Buffer.from(JSON.stringify([resume.prefix ? 1 : 0, resume.after]), "utf8").toString("base64");
}

/** A resume point from a token, or undefined when it is not one this server made. */
export function decodeToken(token: string): Resume | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(token)) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as unknown;
    if (Array.isArray(v) && v.length === 2 && (v[0] === 0 || v[0] === 1) && typeof v[1] === "string") {
      return { prefix: v[0] === 1, after: v[1] };
    }
  } catch {
    // not JSON: not ours
  }
  return undefined;
}

export interface ListQuery {
  readonly prefix: string;
  readonly delimiter: string;
  /** 0…1000 (larger values are taken as 1000, as S3 does). */
  readonly maxKeys: number;
  readonly startAfter?: string;
  /** A decoded continuation token (it takes precedence over startAfter). */
  readonly resume?: Resume;
}

export interface ListPage {
  readonly keys: readonly string[];
  readonly commonPrefixes: readonly string[];
  readonly isTruncated: boolean;
  /** The token of the next page, when truncated. */
  readonly nextToken?: string;
}

/** One page of `sorted` (every key of the bucket, in `compareKeys` order). */
export function listPage(sorted: readonly string[], q: ListQuery): ListPage {
  const maxKeys = Math.min(Math.max(q.maxKeys, 0), 1000);
  // A page of no keys is not truncated: a client paging on it would never move.
  if (maxKeys === 0) return { keys: [], commonPrefixes: [], isTruncated: false };
  let i: number;
  let skipPrefix: string | undefined;
  if (q.resume) {
    i = firstAfter(sorted, q.resume.after);
    if (q.resume.prefix) skipPrefix = q.resume.after;
  } else if (q.startAfter !== undefined && q.startAfter !== "") {
    i = firstAfter(sorted, q.startAfter);
  } else i = 0;
  // Keys below the prefix sort before it: start there.
  if (q.prefix !== "") i = Math.max(i, firstAfter(sorted, q.prefix, true));
  const keys: string[] = [];
  const commonPrefixes: string[] = [];
  let last: Resume | undefined;
  for (; i < sorted.length; i++) {
    const key = sorted[i]!;
    if (!key.startsWith(q.prefix)) break;
    if (skipPrefix !== undefined && key.startsWith(skipPrefix)) continue;
    let common: string | undefined;
    if (q.delimiter !== "") {
      const at = key.indexOf(q.delimiter, q.prefix.length);
      if (at !== -1) common = key.slice(0, at + q.delimiter.length);
    }
    if (keys.length + commonPrefixes.length >= maxKeys) {
      return { keys, commonPrefixes, isTruncated: true, ...(last ? { nextToken: encodeToken(last) } : {}) };
    }
    if (common !== undefined) {
      commonPrefixes.push(common);
      last = { after: common, prefix: true };
      skipPrefix = common;
    } else {
      keys.push(key);
      last = { after: key, prefix: false };
    }
  }
  return { keys, commonPrefixes, isTruncated: false };
}
