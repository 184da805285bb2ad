/**
 * bench/RESULTS.md is shared: each benchmark owns `##` sections and rewrites only those, leaving
 * every other section as it found it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

const PREAMBLE =
  "# Benchmark results\n\nFigures committed from real runs; each section says how to reproduce it.\n";

/** Replaces the section starting with `heading` (up to the next `## ` heading) or appends it. */
export function replaceSection(text: string, heading: string, body: string): string {
  const section = `${heading}\n\n${body.trim()}\n`;
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) return text.replace(/\n*$/, "\n\n") + section;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^## /.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  const before = lines.slice(0, start).join("\n");
  const after = lines.slice(end).join("\n");
  return (before ? before.replace(/\n*$/, "\n\n") : "") + section + (after ? "\n" + after : "");
}

export function writeSection(path: string, heading: string, body: string): void {
  const current = existsSync(path) ? readFileSync(path, "utf8") : PREAMBLE;
  const next = replaceSection(current, heading, body);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, next);
  renameSync(tmp, path);
}
