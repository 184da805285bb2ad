/**
 * A `##` section of bench/RESULTS.md made of `###` subsections that separate runs rewrite one at a
 * time (issue 5: `### Parsing …` by `bench/run.ts parsing`, `### Batch transform …` by
 * `bench/run.ts transform`), leaving the other subsections and every other section as they were.
 */
import { existsSync, readFileSync } from "node:fs";
import { replaceSection, writeSection } from "./results.js";

/** The body of the `##` section `heading` in `text` (empty when absent). */
function sectionBody(text: string, heading: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) return "";
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^## /.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  return lines.slice(start + 1, end).join("\n");
}

/** Replaces (or appends) `sub` (a `### ` heading) inside the `##` section `heading` of `path`. */
export function writeSubsection(path: string, heading: string, sub: string, body: string): void {
  const current = existsSync(path) ? readFileSync(path, "utf8") : "";
  // a `###` block ends at the next `###`: reuse replaceSection by promoting one level
  const inner = sectionBody(current, heading).replace(/^### /gm, "## ");
  const next = replaceSection(inner.trim() ? `${inner.trim()}\n` : "", sub.replace(/^### /, "## "), body)
    .replace(/^## /gm, "### ")
    .trim();
  writeSection(path, heading, next);
}
