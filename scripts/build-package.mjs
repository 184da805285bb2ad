#!/usr/bin/env node
// Builds one workspace package from scratch: `node scripts/build-package.mjs <package dir> [--out-dir <dir>]`.
// The packages' `prepack` runs it (out dir: the package's dist/), so a tarball holds exactly what the
// sources compile to — never a file that a since-removed source left in dist/. The install test
// (test/install/) builds into a staging copy with --out-dir, leaving the working tree's dist/ alone.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const [pkgArg, flag, outArg] = process.argv.slice(2);
if (!pkgArg || (flag !== undefined && (flag !== "--out-dir" || !outArg))) {
  process.stderr.write("Usage: node scripts/build-package.mjs <package dir> [--out-dir <dir>]\n");
  process.exit(2);
}
const pkg = resolve(pkgArg);
const outDir = resolve(outArg ?? join(pkg, "dist"));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
rmSync(outDir, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", join(pkg, "tsconfig.build.json"), "--outDir", outDir], {
  stdio: "inherit",
});
