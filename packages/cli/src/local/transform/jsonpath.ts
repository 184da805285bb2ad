/**
 * The JSONPath subset Batch Transform's `InputFilter`/`OutputFilter` support (https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html):
 * `$`, `.name`, `['a','b']`, `[i]`, `[i,j]`, `[a:b]` (negative and open bounds) and unions such
 * as `$[0,5:]`. A union or slice of an array gives an array; several names give an object.
 */
import { SagebrewError } from "@sagebrew/runtime/core";

type Selector =
  | { kind: "name"; names: string[] }
  | { kind: "index"; parts: Array<{ start: number; end?: number; slice: boolean }> };

/** A compiled filter; `apply` returns `undefined` when the path selects nothing. */
export interface JsonPath {
  readonly source: string;
  apply(value: unknown): unknown;
}

function usage(path: string, detail: string): SagebrewError {
  return new SagebrewError("SB_USAGE", `Cannot parse JSONPath ${JSON.stringify(path)}: ${detail}`);
}

/**
 * Compiles a JSONPath filter.
 *
 * @throws SagebrewError `SB_USAGE` for syntax outside the supported subset.
 * @example compileJsonPath("$[1:]").apply([1, 2, 3]) // [2, 3]
 */
export function compileJsonPath(path: string): JsonPath {
  const p = path.trim();
  if (!p.startsWith("$")) throw usage(path, "it must start with $");
  const selectors: Selector[] = [];
  let i = 1;
  while (i < p.length) {
    if (p[i] === ".") {
      const m = /^[A-Za-z_][\w-]*/.exec(p.slice(i + 1));
      if (!m) throw usage(path, `expected a name after "." at ${i}`);
      selectors.push({ kind: "name", names: [m[0]] });
      i += 1 + m[0].length;
    } else if (p[i] === "[") {
      const close = p.indexOf("]", i);
      if (close < 0) throw usage(path, `unclosed [ at ${i}`);
      const inner = p.slice(i + 1, close).trim();
      if (/^'[^']*'(\s*,\s*'[^']*')*$/.test(inner) || /^"[^"]*"(\s*,\s*"[^"]*")*$/.test(inner)) {
        selectors.push({ kind: "name", names: [...inner.matchAll(/['"]([^'"]*)['"]/g)].map((m) => m[1]!) });
      } else {
        const parts = inner.split(",").map((s) => {
          const t = s.trim();
          const slice = /^(-?\d+)?\s*:\s*(-?\d+)?$/.exec(t);
          if (slice) {
            return {
              start: slice[1] === undefined ? 0 : Number(slice[1]),
              ...(slice[2] === undefined ? {} : { end: Number(slice[2]) }),
              slice: true,
            };
          }
          if (/^-?\d+$/.test(t)) return { start: Number(t), slice: false };
          throw usage(path, `unsupported selector [${inner}]`);
        });
        selectors.push({ kind: "index", parts });
      }
      i = close + 1;
    } else throw usage(path, `unexpected ${JSON.stringify(p[i])} at ${i}`);
  }
  return {
    source: path,
    apply(value: unknown): unknown {
      let v = value;
      for (const s of selectors) {
        if (v === undefined) return undefined;
        v = select(v, s);
      }
      return v;
    },
  };
}

function select(v: unknown, s: Selector): unknown {
  if (s.kind === "name") {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    const o = v as Record<string, unknown>;
    if (s.names.length === 1) return o[s.names[0]!];
    return Object.fromEntries(s.names.filter((n) => n in o).map((n) => [n, o[n]]));
  }
  if (!Array.isArray(v)) return undefined;
  const n = v.length;
  const norm = (k: number) => (k < 0 ? Math.max(0, n + k) : Math.min(k, n));
  const single = s.parts.length === 1 && !s.parts[0]!.slice;
  if (single) {
    const k = s.parts[0]!.start;
    return v[k < 0 ? n + k : k];
  }
  const out: unknown[] = [];
  for (const part of s.parts) {
    if (part.slice) {
      const end = part.end === undefined ? n : norm(part.end);
      for (let k = norm(part.start); k < end; k++) out.push(v[k]);
    } else {
      const k = part.start < 0 ? n + part.start : part.start;
      if (k >= 0 && k < n) out.push(v[k]);
    }
  }
  return out;
}
