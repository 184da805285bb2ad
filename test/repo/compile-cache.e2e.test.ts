import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(root, "packages", "cli", "bin", "sagebrew");

/** `sagebrew --version` with `env` on top of this environment, minus Node's own cache variables. */
function version(env: Record<string, string>) {
  const base = { ...process.env };
  delete base.NODE_COMPILE_CACHE;
  delete base.NODE_DISABLE_COMPILE_CACHE;
  return spawnSync(process.execPath, [CLI, "--version"], { env: { ...base, ...env }, encoding: "utf8" });
}

describe("the programs' compile cache", () => {
  it("keeps compiled modules in <tmpdir>/node-compile-cache", () => {
    const tmp = mkdtempSync(join(tmpdir(), "sagebrew-compile-cache-"));
    try {
      const r = version({ TMPDIR: tmp });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^sagebrew \d/);
      const cache = join(tmp, "node-compile-cache");
      assert.ok(existsSync(cache) && readdirSync(cache).length > 0, "a cache directory per Node version");
      // NODE_DISABLE_COMPILE_CACHE turns it off
      rmSync(cache, { recursive: true });
      assert.equal(version({ TMPDIR: tmp, NODE_DISABLE_COMPILE_CACHE: "1" }).status, 0);
      assert.equal(existsSync(cache), false);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("runs without it, silently, where the directory cannot be written", () => {
    const r = version({ TMPDIR: "/proc/sagebrew-no-such-dir" }); // not writable, even by root
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^sagebrew \d/);
    assert.equal(r.stderr, "");
  });
});

describe("start-up imports", () => {
  it("serve's and sagebrew transform's modules do not load Node's bundled fetch (an ES import of node:http does)", () => {
    const modules = [
      join(root, "packages", "runtime", "dist", "serving", "index.js"),
      join(root, "packages", "runtime", "dist", "algorithms", "xgboost", "index.js"),
      join(root, "packages", "cli", "dist", "local", "transform", "index.js"),
    ];
    const script = `for (const m of ${JSON.stringify(modules)}) await import(m);
console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.includes("undici"))));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split("\n").at(-1)!), []);
  });
});
