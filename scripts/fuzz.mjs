#!/usr/bin/env node
// `npm run fuzz [-- --time 10m] [test files or folders…]`: runs the property tests (every test file
// that takes fast-check from test/kit/property.ts) again and again, each time with a new random
// seed, until the time is up (default 5 minutes), then prints every failing seed with the command
// that reproduces it. Exits 1 when one failed. `npm test` itself always uses one fixed seed
// (scripts/test-seed.mjs), so it cannot turn red at random; this is where new inputs are explored.
import { spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { TEST_SEED_ENV } from "./test-seed.mjs";

const USES_HELPER = /from\s+"(?:\.\.?\/)+(?:test\/)?kit\/property\.js"/;
/** A run that takes this long is stuck (a property that hangs is a failure too). */
const RUN_LIMIT_MS = 10 * 60_000;

function usage(message) {
  process.stderr.write(
    `fuzz: ${message}\nUsage: npm run fuzz -- [--time <n>s|<n>m|<n>h] [test files or folders…]\n`,
  );
  process.exit(2);
}

/** "90s", "10m", "1h" or a number of seconds, in milliseconds. */
function duration(text) {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text ?? "");
  if (!m) usage(`--time ${text} is not a duration such as 90s, 10m or 1h`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"];
}

function parseArgs(argv) {
  let timeMs = 5 * 60_000;
  const roots = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--time" || a === "-t") timeMs = duration(argv[++i]);
    else if (a.startsWith("--time=")) timeMs = duration(a.slice(7));
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else roots.push(a);
  }
  return { timeMs, roots: roots.length ? roots : ["packages", "test", "examples"] };
}

function propertyFiles(roots) {
  const files = [];
  const visit = (p) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) usage(`${p} does not exist`);
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) {
        if (name !== "node_modules" && name !== "dist" && !name.startsWith(".")) visit(join(p, name));
      }
    } else if (p.endsWith(".test.ts") && USES_HELPER.test(readFileSync(p, "utf8"))) files.push(p);
  };
  for (const r of roots) visit(r);
  return files.sort();
}

/** Runs one test file with one seed; resolves to its exit status and output. */
function runFile(file, seed) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--conditions=sagebrew-source", "--import", "tsx", "--test", "--test-reporter=spec", file],
      { env: { ...process.env, [TEST_SEED_ENV]: String(seed) }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const out = [];
    child.stdout.on("data", (c) => out.push(c));
    child.stderr.on("data", (c) => out.push(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_LIMIT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stuck =
        signal === "SIGKILL" ? `\n(stopped: did not finish within ${RUN_LIMIT_MS / 60_000} min)\n` : "";
      resolve({ ok: code === 0, output: Buffer.concat(out).toString("utf8") + stuck });
    });
  });
}

const { timeMs, roots } = parseArgs(process.argv.slice(2));
const files = propertyFiles(roots);
if (files.length === 0) usage("no property tests found (test files importing test/kit/property.js)");
const logs = mkdtempSync(join(tmpdir(), "sagebrew-fuzz-"));
const deadline = Date.now() + timeMs;
process.stderr.write(
  `fuzz: ${files.length} property test file(s), new seeds for ${Math.round(timeMs / 1000)} s; logs in ${logs}\n`,
);
const failures = [];
let seeds = 0;
while (Date.now() < deadline) {
  const seed = randomInt(2 ** 31);
  seeds++;
  for (const file of files) {
    if (Date.now() >= deadline) break;
    const { ok, output } = await runFile(file, seed);
    if (ok) continue;
    const log = join(logs, `${seed}-${relative(".", file).replaceAll("/", "_")}.log`);
    writeFileSync(log, output);
    const command = `${TEST_SEED_ENV}=${seed} node scripts/run-tests.mjs ${file}`;
    failures.push({ seed, file, command, log });
    process.stderr.write(`FAIL seed ${seed} ${file}\n  reproduce: ${command}\n  output: ${log}\n`);
  }
  process.stderr.write(`fuzz: seed ${seed} done (${seeds} seed(s), ${failures.length} failure(s))\n`);
}
if (failures.length === 0) {
  process.stderr.write(`fuzz: no failure in ${seeds} seed(s) × ${files.length} file(s)\n`);
} else {
  process.stderr.write(`fuzz: ${failures.length} failure(s) in ${seeds} seed(s):\n`);
  for (const f of failures) process.stderr.write(`  ${f.command}\n`);
}
process.exit(failures.length === 0 ? 0 : 1);
