#!/usr/bin/env node
// Runs every *.test.ts (unit tests beside the code, end-to-end suites in test/) with Node's test
// runner, loading TypeScript through tsx and resolving workspace packages to their sources.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ["packages", "test", "examples"];
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p);
    else if (name.endsWith(".test.ts")) files.push(p);
  }
}
for (const r of roots) {
  try {
    if (statSync(r).isDirectory()) walk(r);
    else files.push(r);
  } catch {
    // a root that does not exist holds no tests
  }
}
files.sort();
const res = spawnSync(
  process.execPath,
  ["--conditions=sagebrew-source", "--import", "tsx", "--test", "--test-reporter=spec", ...files],
  { stdio: "inherit" },
);
process.exit(res.status ?? 1);
