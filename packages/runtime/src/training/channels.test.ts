import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { concatDatasets, toCsr } from "../codecs/concat.js";
import { isSagebrewError } from "../errors/index.js";
import { channelDirectories, listChannelFiles, resolveChannels } from "./channels.js";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "sb-ch-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("listChannelFiles()", () => {
  it("lists files recursively in a stable order, skipping hidden files and markers", () =>
    withDir(async (dir) => {
      await mkdir(join(dir, "b"), { recursive: true });
      for (const f of ["b/2.csv", "a.csv", "b/1.csv", ".DS_Store", "_SUCCESS"])
        await writeFile(join(dir, f), "1,2\n");
      const l = await listChannelFiles(dir, "train");
      assert.deepEqual(
        l.files.map((f) => f.name),
        ["a.csv", "b/1.csv", "b/2.csv"],
      );
      assert.deepEqual(l.skipped, [".DS_Store", "_SUCCESS"]);
    }));

  it("follows a symlinked subdirectory and a symlinked file, and reports both", () =>
    withDir(async (root) => {
      const elsewhere = join(root, "elsewhere");
      const channel = join(root, "train");
      await mkdir(join(elsewhere, "part"), { recursive: true });
      await mkdir(channel);
      await writeFile(join(elsewhere, "part", "1.csv"), "1,2\n");
      await writeFile(join(elsewhere, "one.csv"), "0,1\n");
      await symlink(join(elsewhere, "part"), join(channel, "linked"));
      await symlink(join(elsewhere, "one.csv"), join(channel, "one.csv"));
      const l = await listChannelFiles(channel, "train");
      assert.deepEqual(
        l.files.map((f) => f.name),
        ["linked/1.csv", "one.csv"],
      );
      assert.deepEqual(
        l.links.map((x) => [x.name, x.kind]),
        [
          ["linked", "directory"],
          ["one.csv", "file"],
        ],
      );
      assert.equal(l.links[0]!.target, join(elsewhere, "part"));
    }));

  it("does not follow a link back into a directory already walked (a loop)", () =>
    withDir(async (channel) => {
      await mkdir(join(channel, "a"));
      await writeFile(join(channel, "a", "x.csv"), "1,2\n");
      await symlink(channel, join(channel, "a", "loop"));
      const l = await listChannelFiles(channel, "train");
      assert.deepEqual(
        l.files.map((f) => f.name),
        ["a/x.csv"],
      );
      assert.deepEqual(l.loops, ["a/loop"]);
    }));

  it("reads a channel directory that is itself a symlink", () =>
    withDir(async (root) => {
      await mkdir(join(root, "real"));
      await writeFile(join(root, "real", "x.csv"), "1,2\n");
      await mkdir(join(root, "data"));
      await symlink(join(root, "real"), join(root, "data", "train"));
      assert.deepEqual(await channelDirectories(join(root, "data")), ["train"]);
      const l = await listChannelFiles(join(root, "data", "train"), "train");
      assert.deepEqual(
        l.files.map((f) => f.name),
        ["x.csv"],
      );
    }));
});

describe("resolveChannels()", () => {
  const declared = { train: { required: true, aliases: ["training"] }, validation: {} };

  it("finds a channel under its alias and reports channels nobody reads", () => {
    const r = resolveChannels(declared, ["training", "extra", "code"], "/opt/ml/input/data");
    assert.equal(r.found.get("train"), "training");
    assert.equal(r.found.has("validation"), false);
    assert.deepEqual(r.unused, ["extra"]);
  });

  it("rejects a missing required channel and a channel present under two names", () => {
    assert.throws(
      () => resolveChannels(declared, ["validation"], "/d"),
      (e: unknown) =>
        isSagebrewError(e, "SB_CHANNEL_MISSING") &&
        e.message ===
          "Cannot train: there is no train channel; put the training data in /d/train/ (or training/); found channels: validation",
    );
    assert.throws(
      () => resolveChannels(declared, ["train", "training"], "/d"),
      /both a train and a training channel exist/,
    );
  });
});

describe("concatDatasets()", () => {
  const dense = (rows: number[][], labels: number[]) => ({
    features: {
      kind: "dense" as const,
      rows: rows.length,
      cols: rows[0]!.length,
      values: new Float32Array(rows.flat()),
    },
    labels: new Float32Array(labels),
  });

  it("stacks dense parts in order", () => {
    const d = concatDatasets([dense([[1, 2]], [0]), dense([[3, 4]], [1])], "train");
    assert.equal(d.features.rows, 2);
    assert.deepEqual(Array.from(d.labels!), [0, 1]);
  });

  it("makes CSR when any part is sparse, dropping missing values", () => {
    const csr = toCsr(dense([[1, Number.NaN]], [0]).features);
    assert.deepEqual(Array.from(csr.indices), [0]);
    const d = concatDatasets(
      [dense([[1, 2]], [0]), { features: csr, labels: new Float32Array([1]) }],
      "train",
    );
    assert.equal(d.features.kind, "csr");
    if (d.features.kind === "csr") assert.deepEqual(Array.from(d.features.indptr), [0, 2, 3]);
  });

  it("rejects parts of different widths", () => {
    assert.throws(
      () => concatDatasets([dense([[1, 2]], [0]), dense([[1, 2, 3]], [0])], "train"),
      /one file has 2 feature columns, another 3/,
    );
  });
});
