#!/usr/bin/env node
// Runs every *.test.ts (unit tests beside the code, end-to-end suites in test/) with Node's test
// runner, loading TypeScript through tsx and resolving workspace packages to their sources. Property
// tests draw from one seed (scripts/test-seed.mjs), printed first; $SAGEBREW_TEST_SEED overrides it.
//
//   node scripts/run-tests.mjs [--fast] [files or dirs]     default: packages test examples
//
// --fast leaves out the end-to-end tiers (`*.e2e.test.ts`: anything that starts a process, a
// container engine or Python): what stays is the in-process tests, run a file per core at once —
// `npm run test:fast`, what a contributor runs after every change, and what .ci/run runs on every
// supported Node (scripts/test-node-versions.sh).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { TEST_SEED_ENV, testSeed } from "./test-seed.mjs";

const args = process.argv.slice(2);
const fast = args.includes("--fast");
const named = args.filter((a) => a !== "--fast");
const roots = named.length ? named : ["packages", "test", "examples"];
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p);
    else if (name.endsWith(".test.ts") && !(fast && name.endsWith(".e2e.test.ts"))) files.push(p);
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
const seed = testSeed();
process.stderr.write(`property tests: seed ${seed} (set ${TEST_SEED_ENV} to change it)\n`);
const res = spawnSync(
  process.execPath,
  [
    "--conditions=sagebrew-source",
    "--import",
    "tsx",
    "--test",
    "--test-reporter=spec",
    // In-process tests share nothing but the machine: one file per core. (Node's default, one
    // fewer than the cores, stays for the end-to-end tiers, whose processes need the room.)
    ...(fast ? [`--test-concurrency=${availableParallelism()}`] : []),
    ...files,
  ],
  { stdio: "inherit", env: { ...process.env, [TEST_SEED_ENV]: String(seed) } },
);
if (res.status !== 0) {
  process.stderr.write(
    `property tests ran with seed ${seed}: a failing property reproduces with ${TEST_SEED_ENV}=${seed} node scripts/run-tests.mjs <its file>\n`,
  );
}
process.exit(res.status ?? 1);
