/** The documentation links only to files in the repository (README.md and docs/**). */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) markdownFiles(p, out);
    else if (e.name.endsWith(".md")) out.push(p);
  }
  return out;
}

/** Link targets of a Markdown text: `[text](target)`, `[label]: target` and `href="target"`, outside code. */
export function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
  const targets: string[] = [];
  for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]!);
  for (const m of prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) targets.push(m[1]!);
  for (const m of prose.matchAll(/\bhref="([^"]+)"/g)) targets.push(m[1]!);
  return targets;
}

/** Where a relative target points, or undefined for a URL or an anchor in the same page. */
function localPath(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) return undefined;
  const path = decodeURIComponent(target.split("#")[0]!.split("?")[0]!);
  return path.startsWith("/") ? join(root, path) : resolve(dirname(file), path);
}

describe("documentation links", () => {
  it("finds links in prose, not in code", () => {
    assert.deepEqual(
      linkTargets('[a](x.md) `[b](y.md)` [c](https://e.org "t")\n```\n[d](z.md)\n```\n[e]: f.md'),
      ["x.md", "https://e.org", "f.md"],
    );
  });

  it("README.md and docs/** link only to files that exist in the repository", () => {
    const files = [join(root, "README.md"), ...markdownFiles(join(root, "docs"))];
    const broken: string[] = [];
    for (const file of files) {
      for (const target of linkTargets(readFileSync(file, "utf8"))) {
        const path = localPath(file, target);
        if (path === undefined) continue;
        const inside =
          path === root.replace(/\/$/, "") || path.startsWith(root.endsWith(sep) ? root : root + sep);
        if (!inside || !existsSync(path)) broken.push(`${relative(root, file)}: ${target}`);
      }
    }
    assert.deepEqual(broken, []);
  });
});
