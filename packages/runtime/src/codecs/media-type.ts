/**
 * Media types: `Content-Type` with parameters (`text/csv; label_size=1; charset=utf-8`) and
 * `Accept` lists with q-values and wildcards, negotiated against what a handler offers. Pure.
 */
import { BARE_MEDIA_TYPES } from "../contract/index.js";

/** A parsed media type. `essence` is `type/subtype`, lower-cased; parameter names are lower-cased. */
export interface MediaType {
  readonly type: string;
  readonly subtype: string;
  readonly essence: string;
  readonly params: Readonly<Record<string, string>>;
}

/** One entry of an Accept list. */
export interface AcceptEntry {
  readonly type: string;
  readonly subtype: string;
  readonly essence: string;
  readonly q: number;
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Longest header value we look at; SageMaker caps Content-Type at 1024 characters. */
const MAX_LENGTH = 1024;

/**
 * Parses one media type such as `text/csv; label_size=1`; undefined when it is not one.
 *
 * @example parseMediaType("Text/CSV; Charset=UTF-8")?.params.charset // "UTF-8"
 */
export function parseMediaType(value: string): MediaType | undefined {
  if (value.length > MAX_LENGTH) return undefined;
  const parts = splitParams(value);
  if (parts === undefined) return undefined;
  const [head, ...rest] = parts;
  const slash = head!.indexOf("/");
  if (slash < 0) return undefined;
  const type = head!.slice(0, slash).trim().toLowerCase();
  const subtype = head!
    .slice(slash + 1)
    .trim()
    .toLowerCase();
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) return undefined;
  const params: Record<string, string> = Object.create(null);
  for (const p of rest) {
    const eq = p.indexOf("=");
    if (eq < 0) {
      if (p.trim() === "") continue;
      return undefined;
    }
    const name = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, "$1");
    // A repeated parameter is ambiguous (`label_size=2; label_size=1`): not a media type.
    if (!TOKEN.test(name) || name in params) return undefined;
    params[name] = v;
  }
  return Object.freeze({ type, subtype, essence: `${type}/${subtype}`, params: Object.freeze(params) });
}

/**
 * Parses a Content-Type (of a request or a training channel): a media type as `parseMediaType`
 * reads it, or one of SageMaker's bare data-format names with optional parameters, read as the
 * media type it names. Undefined when it is neither.
 *
 * @example parseContentType("csv; label_size=1")?.essence // "text/csv"
 */
export function parseContentType(value: string): MediaType | undefined {
  const semi = value.indexOf(";");
  const head = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const full = BARE_MEDIA_TYPES[head];
  if (full === undefined) return parseMediaType(value);
  return parseMediaType(semi < 0 ? full : `${full}${value.slice(semi)}`);
}

/** Splits on `;` outside quotes; undefined on an unterminated quote or a control character. */
function splitParams(value: string): string[] | undefined {
  const out: string[] = [];
  let cur = "";
  let inQuotes = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const code = c.charCodeAt(0);
    if ((code < 32 && c !== "\t") || code === 127) return undefined;
    if (inQuotes && c === "\\" && i + 1 < value.length) {
      cur += c + value[++i];
      continue;
    }
    if (c === '"') inQuotes = !inQuotes;
    if (c === ";" && !inQuotes) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  if (inQuotes) return undefined;
  out.push(cur);
  return out;
}

/**
 * Parses an Accept header into entries, best first (by q, then specificity, then order).
 * Entries that do not parse or carry `q=0` are dropped; an empty or missing header gives `[]`.
 */
export function parseAccept(value: string | undefined): AcceptEntry[] {
  if (value === undefined || value.length > 8 * MAX_LENGTH) return [];
  const entries: Array<AcceptEntry & { order: number }> = [];
  let order = 0;
  for (const raw of splitList(value)) {
    if (raw.trim() === "") continue;
    const m = raw.trim() === "*" ? parseMediaType("*/*") : parseContentType(raw);
    if (m === undefined) continue;
    const { q: qRaw, ...params } = m.params;
    const q = qRaw === undefined ? 1 : Number(qRaw);
    if (!Number.isFinite(q) || q <= 0 || q > 1) continue;
    if (m.type === "*" && m.subtype !== "*") continue;
    entries.push({ type: m.type, subtype: m.subtype, essence: m.essence, q, params, order: order++ });
  }
  const specificity = (e: AcceptEntry) => (e.type === "*" ? 0 : e.subtype === "*" ? 1 : 2);
  entries.sort((a, b) => b.q - a.q || specificity(b) - specificity(a) || a.order - b.order);
  return entries.map(({ order: _o, ...e }) => e);
}

function splitList(value: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inQuotes = false;
  for (const c of value) {
    if (c === '"') inQuotes = !inQuotes;
    if (c === "," && !inQuotes) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Options of `negotiate`. */
export interface NegotiateOptions {
  /** Used when Accept is missing, empty or only `*∕*`; must be one of `offered` to be chosen. */
  fallback?: string;
}

/**
 * Picks the response type: the best Accept entry that one of `offered` (essences, best first)
 * satisfies. Missing Accept or a bare `*∕*` picks `fallback` (when offered) else `offered[0]`.
 * Undefined when nothing offered is acceptable (→ 406).
 *
 * @example negotiate("application/json;q=0.5, text/csv", ["text/csv", "application/json"]) // "text/csv"
 */
export function negotiate(
  accept: string | undefined,
  offered: readonly string[],
  options: NegotiateOptions = {},
): string | undefined {
  const preferred =
    options.fallback !== undefined && offered.includes(options.fallback) ? options.fallback : offered[0];
  if (accept === undefined || accept.trim() === "") return preferred;
  const entries = parseAccept(accept);
  for (const e of entries) {
    if (e.type === "*") return preferred;
    if (e.subtype === "*") {
      if (preferred?.startsWith(`${e.type}/`)) return preferred;
      const hit = offered.find((o) => o.startsWith(`${e.type}/`));
      if (hit) return hit;
      continue;
    }
    if (offered.includes(e.essence)) return e.essence;
  }
  return undefined;
}
