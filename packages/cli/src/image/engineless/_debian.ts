/**
 * Debian package metadata: control stanzas, version comparison (Debian Policy §5.6.12), dependency
 * fields, and which pinned packages a base image needs for libxgboost — the ones its dpkg
 * database lacks, each checked against what the others require.
 */
import { SagebrewError } from "@sagebrew/runtime/core";

/** A pinned .deb: what `scripts/pin-debs.ts` read from the mirror's Packages index. */
export interface DebPin {
  readonly package: string;
  readonly version: string;
  readonly architecture: string;
  /** Path below the mirror root (`pool/main/…`). */
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
  readonly depends: string;
}

/** Parses control stanzas (a Packages index, a dpkg status file): one map per stanza, keys as written. */
export function parseStanzas(text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let key = "";
    for (const line of block.split("\n")) {
      if (/^\s/.test(line) && key) fields.set(key, `${fields.get(key)}\n${line}`);
      else {
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        key = line.slice(0, colon);
        fields.set(key, line.slice(colon + 1).trim());
      }
    }
    if (fields.size > 0) out.push(fields);
  }
  return out;
}

function order(c: string): number {
  if (c === "~") return -1;
  if (c === "") return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function comparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !/\d/.test(a[i] ?? "")) || (j < b.length && !/\d/.test(b[j] ?? ""))) {
      const ca = i < a.length && !/\d/.test(a[i] ?? "") ? (a[i] ?? "") : "";
      const cb = j < b.length && !/\d/.test(b[j] ?? "") ? (b[j] ?? "") : "";
      const d = order(ca) - order(cb);
      if (d !== 0) return d;
      if (ca) i++;
      if (cb) j++;
    }
    let na = "";
    let nb = "";
    while (i < a.length && /\d/.test(a[i] ?? "")) na += a[i++];
    while (j < b.length && /\d/.test(b[j] ?? "")) nb += b[j++];
    const d = Number(na || "0") - Number(nb || "0");
    if (d !== 0) return d;
  }
  return 0;
}

/** Compares two Debian versions (`[epoch:]upstream[-revision]`): negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const colon = v.indexOf(":");
    const epoch = colon === -1 ? 0 : Number(v.slice(0, colon));
    const rest = colon === -1 ? v : v.slice(colon + 1);
    const dash = rest.lastIndexOf("-");
    return {
      epoch,
      upstream: dash === -1 ? rest : rest.slice(0, dash),
      revision: dash === -1 ? "" : rest.slice(dash + 1),
    };
  };
  const x = split(a);
  const y = split(b);
  return x.epoch - y.epoch || comparePart(x.upstream, y.upstream) || comparePart(x.revision, y.revision);
}

/** One alternative of a dependency: `name (op version)`. */
interface Relation {
  readonly name: string;
  readonly op?: string;
  readonly version?: string;
}

/** Parses a Depends field into groups of alternatives. */
export function parseDepends(field: string): Relation[][] {
  return field
    .split(",")
    .map((group) =>
      group
        .split("|")
        .map((alt) => {
          const m =
            /^\s*([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9]+)?\s*(?:\(\s*(<<|<=|=|>=|>>)\s*([^)\s]+)\s*\))?/.exec(
              alt,
            );
          return m ? { name: m[1] ?? "", ...(m[2] ? { op: m[2], version: m[3] ?? "" } : {}) } : undefined;
        })
        .filter((r): r is Relation => r !== undefined),
    )
    .filter((g) => g.length > 0);
}

function satisfies(version: string, r: Relation): boolean {
  if (!r.op || r.version === undefined) return true;
  const c = compareVersions(version, r.version);
  return r.op === "<<"
    ? c < 0
    : r.op === "<="
      ? c <= 0
      : r.op === "="
        ? c === 0
        : r.op === ">="
          ? c >= 0
          : c > 0;
}

/** The installed packages of a dpkg status file: name → version (only `install ok installed`). */
export function installedPackages(status: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of parseStanzas(status)) {
    const name = s.get("Package");
    const version = s.get("Version");
    if (name && version && /\binstalled$/.test(s.get("Status") ?? "")) out.set(name, version);
  }
  return out;
}

/**
 * The pinned packages to add so `wanted` and its dependencies are installed, given the base's
 * installed packages. Every dependency of what is added must be met by the base or by another
 * added package.
 *
 * @throws SagebrewError SB_IMAGE when the base lacks a package that is not pinned, or holds a
 *   version that a pinned package cannot use (say which, and what to do).
 */
export function planPackages(
  wanted: string,
  pins: readonly DebPin[],
  installed: ReadonlyMap<string, string>,
): DebPin[] {
  const byName = new Map(pins.map((p) => [p.package, p]));
  const chosen = new Map<string, DebPin>();
  const queue = [wanted];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (chosen.has(name) || installed.has(name)) continue;
    const pin = byName.get(name);
    if (!pin) {
      throw new SagebrewError(
        "SB_IMAGE",
        `Cannot add ${wanted} to the base image: it needs ${name}, which the base does not have and sagebrew does not carry (use a Debian-based Node.js image, e.g. node:26-trixie-slim)`,
      );
    }
    chosen.set(name, pin);
    for (const group of parseDepends(pin.depends)) {
      if (group.some((r) => installed.has(r.name) || chosen.has(r.name))) continue;
      const first = group.find((r) => byName.has(r.name)) ?? group[0];
      if (first) queue.push(first.name);
    }
  }
  const version = (name: string) => installed.get(name) ?? chosen.get(name)?.version;
  for (const pin of chosen.values()) {
    for (const group of parseDepends(pin.depends)) {
      if (group.some((r) => version(r.name) !== undefined && satisfies(version(r.name) as string, r)))
        continue;
      const need = group.map((r) => `${r.name}${r.op ? ` (${r.op} ${r.version})` : ""}`).join(" | ");
      const have = group.map((r) => `${r.name} ${version(r.name) ?? "missing"}`).join(", ");
      throw new SagebrewError(
        "SB_IMAGE",
        `Cannot add ${pin.package} ${pin.version} to the base image: it needs ${need}, the base has ${have} (rebuild the pins with scripts/pin-debs.ts, or pick a base of the same Debian release)`,
      );
    }
  }
  return [...chosen.values()];
}
