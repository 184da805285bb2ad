import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { renderDockerfile } from "./dockerfile.js";
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

test("the iris example's Dockerfile is the one `sagebrew init` writes today", async () => {
  assert.equal(await readFile(join(EXAMPLE, "Dockerfile"), "utf8"), renderDockerfile());
});

test("scaffoldProject() --handler: the project's own algorithm trains and its handler serves, declared once", async () => {
  const dir = await mkdtemp(join(tmpdir(), "sagebrew-init-"));
  try {
    const project = join(dir, "p");
    const written = await scaffoldProject(project, { handler: true });
    for (const f of ["package.json", "algorithm.mjs", "handler.mjs"]) assert.ok(written.includes(f), f);
    const { findProject, runTrain, checkHandler, createInferenceApp, createLogger, readServingConfig } =
      await import("@sagebrew/runtime");
    const declared = await findProject(join(project, "local_test", "test_dir"));
    assert.equal(declared?.algorithm, join(project, "algorithm.mjs"));
    assert.equal(declared?.handler, join(project, "handler.mjs"));
    const root = join(project, "local_test", "test_dir");
    const lines: string[] = [];
    const outcome = await runTrain({
      root,
      project: declared!,
      env: {},
      reporter: { info: () => undefined, warn: () => undefined, round: (r) => lines.push(r.line) },
    });
    assert.equal(outcome.exitCode, 0, outcome.error?.message);
    assert.match(lines[0] ?? "", /^\[0\]\ttrain-accuracy:0\.9\d*$/);
    const handler = checkHandler((await import(declared!.handler!)).default, "handler.mjs");
    const config = readServingConfig({ SAGEMAKER_BASE_DIR: root }, { cpuCount: 1 });
    const app = createInferenceApp(handler, { config, logger: createLogger({ level: "error" }) });
    await app.start();
    const res = await app.request("/invocations", {
      method: "POST",
      headers: { "content-type": "text/csv", accept: "text/csv" },
      body: "5.1,3.5,1.4,0.2\n6.3,3.3,6,2.5\n",
    });
    assert.equal(res.status, 200, String(res.body));
    assert.equal(res.body, "setosa\nvirginica\n");
    await app.stop();
    assert.doesNotMatch(await readFile(join(project, "Dockerfile"), "utf8"), /SAGEBREW_HANDLER/);
    assert.match(await readFile(join(project, "README.md"), "utf8"), /sagebrew doctor \. --image p:dev/);
    await writeFile(join(dir, "q"), "");
    await assert.rejects(scaffoldProject(dir), { code: "SB_USAGE" });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
