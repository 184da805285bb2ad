import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { scaffoldFiles, scaffoldProject } from "./scaffold.js";

const EXAMPLE = resolve(import.meta.dirname, "../../../../examples/iris-xgboost");

test("scaffoldFiles() has the iris example's shape and data, with LF endings", async () => {
  const files = scaffoldFiles("demo");
  for (const rel of [
    "Dockerfile",
    "local_test/test_dir/input/config/hyperparameters.json",
    "local_test/test_dir/input/data/training/iris.csv",
    "local_test/payload.csv",
  ]) {
    assert.ok(files.has(rel), rel);
    assert.ok(existsSync(join(EXAMPLE, rel)), `example lacks ${rel}`);
  }
  assert.equal(
    files.get("local_test/test_dir/input/data/training/iris.csv"),
    await readFile(join(EXAMPLE, "local_test/test_dir/input/data/training/iris.csv"), "utf8"),
  );
  for (const [rel, text] of files) assert.ok(!text.includes("\r"), `${rel} has CR`);
  const hp = JSON.parse(files.get("local_test/test_dir/input/config/hyperparameters.json") ?? "{}");
  assert.ok(
    Object.values(hp).every((v) => typeof v === "string"),
    "hyperparameters must be strings",
  );
  assert.match(files.get("Dockerfile") ?? "", /^ENTRYPOINT \["node", "\/opt\/sagebrew\/entrypoint.mjs"\]$/m);
});

test("scaffoldProject() adds a handler on request and refuses a non-empty directory", async () => {
  const dir = await mkdtemp(join(tmpdir(), "sagebrew-init-"));
  try {
    const written = await scaffoldProject(join(dir, "p"), { handler: true });
    assert.ok(written.includes("handler.mjs"));
    assert.match(
      await readFile(join(dir, "p", "Dockerfile"), "utf8"),
      /ENV SAGEBREW_HANDLER=\/opt\/program\/handler.mjs/,
    );
    const handler = (await import(join(dir, "p", "handler.mjs"))).default;
    const model = await handler.load({ modelDir: join(dir, "p", "local_test", "test_dir", "model") });
    const out = handler.transform(model, new TextEncoder().encode("5.1,3.5,1.4,0.2\n"));
    assert.equal(out, "setosa\n");
    await writeFile(join(dir, "q"), "");
    await assert.rejects(scaffoldProject(dir), { code: "SB_USAGE" });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
