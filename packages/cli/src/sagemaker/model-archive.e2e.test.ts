import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { irisMlRoot } from "../../../../test/kit/iris.js";
import { packModel, unpackModel } from "./model-archive.js";

const PYTHON = "/usr/bin/python3";
const BIN = fileURLToPath(new URL("../bin.ts", import.meta.url));
const temps: string[] = [];
after(() => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));

async function temp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sagebrew-archive-"));
  temps.push(dir);
  return dir;
}

async function modelTree(root: string, mode: number, mtime: Date): Promise<void> {
  await mkdir(join(root, "model", "code"), { recursive: true });
  await writeFile(join(root, "model", "xgboost-model"), "ubj bytes");
  await writeFile(join(root, "model", ".sagebrew.json"), "{}\n");
  await writeFile(join(root, "model", "code", "handler.js"), "export default {};\n");
  await writeFile(join(root, "model", "code", "run.sh"), "#!/bin/sh\n");
  await chmod(join(root, "model", "xgboost-model"), mode);
  await chmod(join(root, "model", "code", "run.sh"), 0o755);
  for (const f of ["xgboost-model", ".sagebrew.json", "code/handler.js", "code/run.sh"]) {
    await utimes(join(root, "model", f), mtime, mtime);
  }
}

test("packModel() is byte-for-byte reproducible whatever the files' modes and times, with the files at the archive root", async () => {
  const a = await temp();
  const b = await temp();
  await modelTree(a, 0o600, new Date("2020-01-01T00:00:00Z"));
  await modelTree(b, 0o664, new Date("2024-06-01T12:00:00Z"));
  const pa = await packModel(a, join(a, "model.tar.gz"));
  const pb = await packModel(b, join(b, "model.tar.gz"));
  assert.equal(pa.sha256, pb.sha256);
  assert.ok((await readFile(pa.file)).equals(await readFile(pb.file)));
  assert.deepEqual(pa.entries, [
    ".sagebrew.json",
    "code/",
    "code/handler.js",
    "code/run.sh",
    "xgboost-model",
  ]);
  assert.equal(pa.hasXgboostModel, true);

  // Python's tarfile (what SageMaker's own tooling uses) reads it: names at the root, owner 0, one mtime.
  const py = spawnSync(
    PYTHON,
    [
      "-c",
      "import json,sys,tarfile\nt=tarfile.open(sys.argv[1],'r:gz')\nprint(json.dumps([[m.name,oct(m.mode),m.uid,m.gid,m.uname,m.mtime,m.type.decode()] for m in t.getmembers()]))",
      pa.file,
    ],
    { encoding: "utf8" },
  );
  assert.equal(py.status, 0, py.stderr);
  assert.deepEqual(JSON.parse(py.stdout), [
    [".sagebrew.json", "0o644", 0, 0, "", 0, "0"],
    ["code", "0o755", 0, 0, "", 0, "5"],
    ["code/handler.js", "0o644", 0, 0, "", 0, "0"],
    ["code/run.sh", "0o755", 0, 0, "", 0, "0"],
    ["xgboost-model", "0o644", 0, 0, "", 0, "0"],
  ]);
});

test("packModel() refuses a symbolic link that leaves the model directory, and an empty directory", async () => {
  const a = await temp();
  await mkdir(join(a, "m"));
  await symlink("/etc/hostname", join(a, "m", "leak"));
  await assert.rejects(packModel(join(a, "m"), join(a, "out.tar.gz")), {
    code: "SB_USAGE",
    message: /Cannot pack model file leak: it is a symbolic link to .*outside the model directory/,
  });
  await mkdir(join(a, "empty"));
  await assert.rejects(packModel(join(a, "empty"), join(a, "out.tar.gz")), {
    message: /the directory is empty/,
  });
});

test("unpackModel() refuses entries that would land outside the target or are links", async () => {
  const a = await temp();
  for (const [name, make] of [
    ["dotdot", "i=tarfile.TarInfo('../evil'); i.size=1; t.addfile(i, io.BytesIO(b'x'))"],
    ["link", "i=tarfile.TarInfo('ln'); i.type=tarfile.SYMTYPE; i.linkname='/etc/passwd'; t.addfile(i)"],
  ] as const) {
    const archive = join(a, `${name}.tar.gz`);
    const py = spawnSync(
      PYTHON,
      ["-c", `import io,sys,tarfile\nt=tarfile.open(sys.argv[1],'w:gz')\n${make}\nt.close()`, archive],
      {
        encoding: "utf8",
      },
    );
    assert.equal(py.status, 0, py.stderr);
    const out = join(a, `out-${name}`, "model");
    await assert.rejects(unpackModel(archive, out), { code: "SB_MODEL_LOAD" });
  }
  await assert.rejects(readFile(join(a, "evil")), { code: "ENOENT" });
});

test("a model packed by packModel() and unpacked again loads in `sagebrew serve` and answers setosa", async () => {
  const trained = await irisMlRoot();
  temps.push(trained);
  const a = await temp();
  const packed = await packModel(trained, join(a, "model.tar.gz"));
  assert.deepEqual(packed.entries, ["xgboost-model"]);
  const root = join(a, "served");
  assert.deepEqual(await unpackModel(packed.file, join(root, "model")), ["xgboost-model"]);
  const child = spawn(
    process.execPath,
    ["--conditions=sagebrew-source", "--import", "tsx", BIN, "serve", root, "--port", "0"],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, SAGEMAKER_MODEL_SERVER_WORKERS: "1" },
    },
  );
  try {
    let out = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on("data", (d) => {
        out += d;
        const m = /Ready: (http:\/\/[^/]+)\/ping/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    const res = await fetch(`${url}/invocations`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: "5.1,3.5,1.4,0.2\n",
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "setosa\n");
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
});
