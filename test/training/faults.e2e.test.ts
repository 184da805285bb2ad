/**
 * Training faults of the platform around the job (issue 14 §4), against the real `train`: a full
 * disk under the model or the failure file, temporary files an interrupted run left, and channels
 * reached through symbolic links.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { IRIS_CSV, IRIS_DIR, type MlDir, makeMlDir, TRAIN_BIN } from "../kit/ml-dir.js";
import { run } from "../kit/process.js";

const dirs: MlDir[] = [];
const mounts: string[] = [];
after(async () => {
  for (const m of mounts) execFileSync("umount", [m]);
  for (const d of dirs) await d.remove();
});

async function irisDir(): Promise<MlDir> {
  const d = await makeMlDir({ from: IRIS_DIR });
  dirs.push(d);
  return d;
}

const train = (d: MlDir) => run(TRAIN_BIN, [], { env: { SAGEMAKER_BASE_DIR: d.root } });

/** A 64 KiB tmpfs, filled to the last byte; undefined where mounting is not allowed. */
async function fullFilesystem(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const dir = await mkdtemp(join(tmpdir(), "sagebrew-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  mounts.push(dir);
  await writeFile(join(dir, "filler"), Buffer.alloc(64 << 10)).catch(() => undefined);
  for (let i = 0; ; i++) {
    try {
      await writeFile(join(dir, `more-${i}`), Buffer.alloc(4096));
    } catch {
      break;
    }
  }
  await mkdir(join(dir, "model"), { recursive: true }).catch(() => undefined);
  await mkdir(join(dir, "output"), { recursive: true }).catch(() => undefined);
  return dir;
}

describe("train on a full disk", () => {
  it("exits 2 with the reason on stderr when the failure file cannot be written", async () => {
    const d = await irisDir();
    await d.write("input/config/hyperparameters.json", JSON.stringify({ num_round: "5", etta: "0.1" }));
    // An injected write error that needs no root: a directory where the failure file belongs.
    await mkdir(d.file("output/failure"), { recursive: true });
    const r = await train(d);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Hyperparameter etta: not a hyperparameter of the XGBoost algorithm/);
    assert.match(r.stderr, /Cannot write .*output\/failure: EISDIR/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  });

  it("names the model file in the failure when the model's disk is full, and exits 2", async (t) => {
    const full = await fullFilesystem();
    if (!full) return t.skip("needs root to mount a tmpfs");
    const d = await irisDir();
    await symlink(join(full, "model"), d.file("model"));
    const r = await train(d);
    assert.equal(r.code, 2, r.stderr);
    const failure = await readFile(d.file("output/failure"), "utf8");
    assert.match(failure, /^Cannot write .*model\/xgboost-model: no space left on device \(ENOSPC\)/);
    assert.doesNotMatch(failure, /SB_OUTPUT_WRITE/, "the reason alone");
    assert.match(r.stderr, /train: error SB_OUTPUT_WRITE \(platform fault\): Cannot write/);
    assert.deepEqual(await readdir(join(full, "model")), [], "no temporary file is left");
  });

  it("exits 2 with both reasons on stderr when the model and the failure file are both on a full disk", async (t) => {
    const full = await fullFilesystem();
    if (!full) return t.skip("needs root to mount a tmpfs");
    const d = await irisDir();
    await symlink(join(full, "model"), d.file("model"));
    await symlink(join(full, "output"), d.file("output"));
    const r = await train(d);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Cannot write .*model\/xgboost-model: no space left on device \(ENOSPC\)/);
    assert.match(r.stderr, /Cannot write .*output\/failure: no space left on device \(ENOSPC\)/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    assert.equal(existsSync(join(full, "output", "failure")), false, "no empty failure file");
  });
});

describe("train after an interrupted run", () => {
  it("removes the temporary files a killed run left in model/ and says so", async () => {
    const d = await irisDir();
    await d.write("model/.4242.1700000000000.tmp", "half a model");
    await d.write("model/.xgboost-model.4242.1700000000001.tmp", "half a model");
    await d.write("model/keep.txt", "not ours");
    const r = await train(d);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await readdir(d.file("model"))).sort(), [
      ".sagebrew.json",
      "keep.txt",
      "xgboost-model",
    ]);
    assert.match(
      r.stderr,
      /removed \.4242\.1700000000000\.tmp, \.xgboost-model\.4242\.1700000000001\.tmp from .*model/,
    );
  });
});

describe("train with symbolic links", () => {
  it("reads a channel directory that is a symbolic link", async () => {
    const d = await irisDir();
    const elsewhere = await mkdtemp(join(tmpdir(), "sagebrew-data-"));
    await writeFile(join(elsewhere, "iris.csv"), await readFile(IRIS_CSV));
    await rm(d.file("input/data/training"), { recursive: true });
    await symlink(elsewhere, d.file("input/data/training"));
    // Without inputdataconfig.json the directory listing alone names the channels.
    await rm(d.file("input/config/inputdataconfig.json"));
    const r = await train(d);
    await rm(elsewhere, { recursive: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /channel training: 150 rows x 4 features from 1 file \(csv, detected\)/);
  });

  it("reads a symbolically linked subdirectory inside a channel and reports it", async () => {
    const d = await irisDir();
    const elsewhere = await mkdtemp(join(tmpdir(), "sagebrew-data-"));
    await writeFile(join(elsewhere, "more.csv"), await readFile(IRIS_CSV));
    await symlink(elsewhere, d.file("input/data/training/more"));
    await symlink(d.file("input/data/training"), d.file("input/data/training/loop"));
    const r = await train(d);
    await rm(elsewhere, { recursive: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /channel training: followed the symbolic link more to directory /);
    assert.match(r.stderr, /channel training: did not follow loop: .*already read/);
    assert.match(r.stderr, /channel training: 300 rows x 4 features from 2 files/);
  });
});
