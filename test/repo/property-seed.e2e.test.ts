import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DEFAULT_TEST_SEED, TEST_SEED_ENV, testSeed } from "../../scripts/test-seed.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (/\.(ts|mts|mjs|js)$/.test(e.name)) out.push(p);
  }
  return out;
}

describe("property tests are seeded", () => {
  it("every test takes fast-check from test/kit/property.ts, which seeds it", () => {
    const direct = ["packages", "test", "examples", "bench"]
      .flatMap((d) => sources(join(root, d)))
      .filter((f) => !f.endsWith(join("test", "kit", "property.ts")))
      .filter((f) =>
        /from\s+["']fast-check["']|import\(\s*["']fast-check["']\s*\)/.test(readFileSync(f, "utf8")),
      )
      .map((f) => relative(root, f));
    assert.deepEqual(direct, [], "import { fc } from test/kit/property.js instead");
  });

  it("takes the seed from the environment, else the fixed default", () => {
    assert.equal(testSeed({}), DEFAULT_TEST_SEED);
    assert.equal(testSeed({ [TEST_SEED_ENV]: "42" }), 42);
    assert.throws(
      () => testSeed({ [TEST_SEED_ENV]: "soon" }),
      /SAGEBREW_TEST_SEED=soon is not a 32-bit integer/,
    );
  });

  it("the helper configures fast-check with that seed", () => {
    const probe =
      'import { fc } from "./test/kit/property.ts"; process.stdout.write(String(fc.readConfigureGlobal().seed));';
    const run = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", probe], {
        cwd: root,
        env: { ...process.env, ...env },
        encoding: "utf8",
      });
    assert.equal(run({ [TEST_SEED_ENV]: "" }).stdout, String(DEFAULT_TEST_SEED));
    assert.equal(run({ [TEST_SEED_ENV]: "7" }).stdout, "7");
  });
});
