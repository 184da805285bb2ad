/**
 * The Node.js release lines sagebrew supports, with their end-of-life dates: the one table `doctor`,
 * the docs and CI's version tiers follow (nodejs/Release schedule, https://github.com/nodejs/Release).
 */

/** One release line. */
export interface NodeRelease {
  readonly major: number;
  /** First day of Active LTS, `YYYY-MM-DD`. */
  readonly lts: string;
  /** End of life, `YYYY-MM-DD`: no security fixes after this day. */
  readonly eol: string;
}

/** Release lines from 18 on; sagebrew supports 22 and later (`engines: node >=22`). */
export const NODE_RELEASES: readonly NodeRelease[] = Object.freeze([
  { major: 18, lts: "2022-10-25", eol: "2025-04-30" },
  { major: 20, lts: "2023-10-24", eol: "2026-04-30" },
  { major: 22, lts: "2024-10-29", eol: "2027-04-30" },
  { major: 24, lts: "2025-10-28", eol: "2028-04-30" },
  { major: 26, lts: "2026-10-28", eol: "2029-04-30" },
]);

/** The oldest major sagebrew runs on. */
export const MIN_NODE_MAJOR = 22;

/** What is known of one Node.js version on a given day. */
export interface NodeSupport {
  readonly version: string;
  readonly major: number;
  /** `supported`: 22 or later and before its end of life; `eol`: past it; `old`: older than 22; `unknown`: not in the table (odd or newer). */
  readonly status: "supported" | "eol" | "old" | "unknown";
  /** A sentence for `doctor`. */
  readonly message: string;
}

/**
 * Classifies a Node.js version (`v22.3.0` or `22.3.0`) on `today` (default now).
 *
 * @example nodeSupport("v20.20.2").status // "eol" (after 2026-04-30)
 */
export function nodeSupport(version: string, today: Date = new Date()): NodeSupport {
  const clean = version.replace(/^v/, "");
  const major = Number.parseInt(clean, 10);
  const day = today.toISOString().slice(0, 10);
  const release = NODE_RELEASES.find((r) => r.major === major);
  const supported = NODE_RELEASES.filter((r) => r.major >= MIN_NODE_MAJOR && r.eol >= day)
    .map((r) => r.major)
    .join(", ");
  if (release && release.eol < day) {
    return {
      version: clean,
      major,
      status: "eol",
      message: `Node.js ${clean} reached its end of life on ${release.eol} (no security fixes); sagebrew supports ${supported}`,
    };
  }
  if (major < MIN_NODE_MAJOR) {
    return {
      version: clean,
      major,
      status: "old",
      message: `Node.js ${clean} is older than sagebrew supports (${supported})`,
    };
  }
  if (!release) {
    return {
      version: clean,
      major,
      status: "unknown",
      message: `Node.js ${clean} is not an LTS line sagebrew was tested on (${supported})`,
    };
  }
  return {
    version: clean,
    major,
    status: "supported",
    message: `Node.js ${clean}, supported until ${release.eol}`,
  };
}
