/** The List* operations' common part: filters, sort order and `NextToken` pages. */
import { validation } from "../protocol/index.js";
import type { StoredResource } from "../state/index.js";

export interface ListRequest {
  readonly NextToken?: string;
  readonly MaxResults?: number;
  readonly NameContains?: string;
  readonly CreationTimeAfter?: number;
  readonly CreationTimeBefore?: number;
  readonly LastModifiedTimeAfter?: number;
  readonly LastModifiedTimeBefore?: number;
  readonly StatusEquals?: string;
  readonly SortBy?: string;
  readonly SortOrder?: "Ascending" | "Descending";
}

export interface ListSpec<T extends StoredResource> {
  readonly nameKey: keyof T & string;
  readonly statusKey?: keyof T & string;
  /** SageMaker's default order differs per operation. */
  readonly defaultOrder: "Ascending" | "Descending";
  /** Sort keys beyond Name, Status and CreationTime (ListTrainingJobsForHyperParameterTuningJob's). */
  readonly sortKeys?: Readonly<Record<string, (doc: T) => string | number>>;
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString("base64url");
}

function decodeToken(token: string): number {
  try {
    const { offset } = JSON.parse(Buffer.from(token, "base64url").toString()) as { offset: unknown };
    if (typeof offset === "number" && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // reported below
  }
  throw validation("Invalid pagination token");
}

const num = (v: unknown) => (typeof v === "number" ? v : 0);

/** Filters, sorts and pages `docs` as SageMaker's List* operations do. */
export function listPage<T extends StoredResource>(
  docs: readonly T[],
  req: ListRequest,
  spec: ListSpec<T>,
): { items: T[]; nextToken?: string } {
  const contains = req.NameContains?.toLowerCase();
  const picked = docs.filter((d) => {
    const created = num(d.CreationTime);
    const modified = num(d.LastModifiedTime ?? d.CreationTime);
    if (contains && !String(d[spec.nameKey]).toLowerCase().includes(contains)) return false;
    if (req.CreationTimeAfter !== undefined && !(created > req.CreationTimeAfter)) return false;
    if (req.CreationTimeBefore !== undefined && !(created < req.CreationTimeBefore)) return false;
    if (req.LastModifiedTimeAfter !== undefined && !(modified > req.LastModifiedTimeAfter)) return false;
    if (req.LastModifiedTimeBefore !== undefined && !(modified < req.LastModifiedTimeBefore)) return false;
    if (req.StatusEquals !== undefined && spec.statusKey && d[spec.statusKey] !== req.StatusEquals)
      return false;
    return true;
  });
  const by = req.SortBy ?? "CreationTime";
  const custom = spec.sortKeys?.[by];
  const key = (d: T): string | number =>
    custom
      ? custom(d)
      : by === "Name"
        ? String(d[spec.nameKey])
        : by === "Status" && spec.statusKey
          ? String(d[spec.statusKey])
          : num(d.CreationTime);
  const sign = (req.SortOrder ?? spec.defaultOrder) === "Ascending" ? 1 : -1;
  picked.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const c = ka < kb ? -1 : ka > kb ? 1 : 0;
    return c !== 0 ? sign * c : String(a[spec.nameKey]).localeCompare(String(b[spec.nameKey]));
  });
  const start = req.NextToken ? decodeToken(req.NextToken) : 0;
  const size = req.MaxResults ?? 10;
  const items = picked.slice(start, start + size);
  return start + size < picked.length ? { items, nextToken: encodeToken(start + size) } : { items };
}

/** A document as Describe returns it: without sagebrew's notes (`name`, `_…`) and tags. */
export function describeOf(doc: StoredResource): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (k === "name" || k === "Tags" || k.startsWith("_")) continue;
    out[k] = v;
  }
  return out;
}
