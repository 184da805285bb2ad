import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { listStaged, stageContext } from "./stage.js";

let root: string;
let runtime: string;
let project: string;

async function put(path: string, content: string): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, content);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "sagebrew-stage-"));
  runtime = join(root, "runtime");
  await put(
    join(runtime, "package.json"),
    JSON.stringify({ name: "@sagebrew/runtime", version: "9.9.9", dependencies: { koffi: "1" } }),
  );
  await put(join(runtime, "bin", "train"), '#!/usr/bin/env node\r\nimport("../dist/bin/train.js");\r\n');
  await put(join(runtime, "dist", "bin", "train.js"), "export {};\n");
  await put(join(runtime, "dist", "bin", "serve.js"), "export {};\n");
  await put(join(runtime, "dist", "bin", "serve.d.ts"), "export {};\n");
  await put(join(runtime, "src", "index.ts"), "export {};\n");
  const koffi = join(root, "node_modules", "koffi");
  await put(join(koffi, "package.json"), JSON.stringify({ name: "koffi", version: "2.0.0" }));
  await put(join(koffi, "index.js"), "module.exports = {};\n");
  for (const t of ["linux_x64", "linux_arm64", "win32_x64", "darwin_arm64"]) {
    await put(join(koffi, "build", "koffi", t, "koffi.node"), t);
  }
  await put(join(koffi, "src", "big.cc"), "//");
  project = join(root, "project");
  await put(join(project, "handler.mjs"), "export default {};\r\n");
  await put(join(project, "tools", "run"), "#!/bin/sh\r\necho hi\r\n");
  await put(join(project, "local_test", "payload.csv"), "1,2\n");
  await put(join(project, ".env"), "SECRET=1\n");
});

after(() => rm(root, { recursive: true, force: true }));

async function treeDigest(dir: string): Promise<string> {
  const hash = createHash("sha256");
  for (const rel of await listStaged(dir)) {
    const info = await lstat(join(dir, rel));
    hash.update(`${rel} ${(info.mode & 0o7777).toString(8)} ${info.mtimeMs}\n`);
    hash.update(await readFile(join(dir, rel)));
  }
  return hash.digest("hex");
}

test("stageContext() stages the runtime, its production dependencies and the project, nothing else", async () => {
  const out = join(root, "ctx1");
  const staged = await stageContext(project, out, { runtimeDir: runtime });
  const files = await listStaged(out);
  assert.deepEqual(staged.packages, ["@sagebrew/runtime@9.9.9", "koffi@2.0.0"]);
  assert.ok(files.includes("Dockerfile"));
  assert.ok(files.includes("sagebrew/entrypoint.mjs"));
  assert.ok(files.includes("sagebrew/node_modules/@sagebrew/runtime/dist/bin/train.js"));
  assert.ok(files.includes("sagebrew/node_modules/koffi/build/koffi/linux_x64/koffi.node"));
  assert.ok(files.includes("program/handler.mjs"));
  assert.ok(!files.some((f) => f.includes("win32") || f.includes("darwin") || f.includes("linux_arm64")));
  assert.ok(!files.some((f) => f.endsWith(".d.ts") || f.includes("/src/")));
  assert.ok(!files.some((f) => f.includes("local_test") || f.includes(".env")));
  const arm = await stageContext(project, join(root, "ctx-arm"), {
    runtimeDir: runtime,
    platform: "linux/arm64",
  });
  assert.ok(
    (await listStaged(arm.dir)).includes("sagebrew/node_modules/koffi/build/koffi/linux_arm64/koffi.node"),
  );
});

test("stageContext() writes scripts with LF endings and 0755, other files 0644, fixed mtimes", async () => {
  const out = join(root, "ctx2");
  await stageContext(project, out, { runtimeDir: runtime, mtime: 1 });
  for (const rel of [
    "sagebrew/bin/train",
    "sagebrew/bin/serve",
    "program/tools/run",
    "sagebrew/node_modules/@sagebrew/runtime/bin/train",
  ]) {
    const info = await lstat(join(out, rel));
    assert.equal(info.mode & 0o777, 0o755, rel);
    assert.ok(!(await readFile(join(out, rel), "utf8")).includes("\r"), `${rel} has CR`);
    assert.equal(info.mtimeMs, 1000, rel);
  }
  assert.equal((await lstat(join(out, "program/handler.mjs"))).mode & 0o777, 0o644);
  assert.ok(!(await readFile(join(out, "program/handler.mjs"), "utf8")).includes("\r"));
});

test("stageContext() is reproducible: the same inputs give the same bytes, modes and mtimes", async () => {
  const a = join(root, "ctx-a");
  const b = join(root, "ctx-b");
  await stageContext(project, a, { runtimeDir: runtime, mtime: 1700000000 });
  await stageContext(project, b, { runtimeDir: runtime, mtime: 1700000000 });
  assert.equal(await treeDigest(a), await treeDigest(b));
});

test("stageContext() says to run the build when the runtime has no dist", async () => {
  const bare = join(root, "bare-runtime");
  await put(join(bare, "package.json"), JSON.stringify({ name: "@sagebrew/runtime", version: "1.0.0" }));
  await assert.rejects(stageContext(project, join(root, "ctx3"), { runtimeDir: bare }), /npm run build/);
});
