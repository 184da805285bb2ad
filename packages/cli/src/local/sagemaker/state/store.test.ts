import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { REMOVE, ResourceStore, StateWriteError, type StoredResource } from "./store.js";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function stateDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "sagebrew-store-"));
  dirs.push(d);
  return d;
}

const quiet = { warn: () => {} };

/** Makes the kind's directory unwritable for anyone, root included: it becomes a file. */
async function breakDirectory(dir: string, kind: string): Promise<() => Promise<void>> {
  const path = join(dir, "resources", kind);
  await rm(path, { recursive: true });
  await writeFile(path, "not a directory");
  return async () => {
    await rm(path);
    const { mkdir } = await import("node:fs/promises");
    await mkdir(path);
  };
}

describe("ResourceStore", () => {
  it("create() lets exactly one of 50 concurrent creates of one name (any case) win", async () => {
    const dir = await stateDir();
    const store = await ResourceStore.open(dir, quiet);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.create("model", { name: i % 2 ? "Iris" : "iris", ModelName: "iris", attempt: i }),
      ),
    );
    assert.equal(results.filter(Boolean).length, 1);
    const winner = results.indexOf(true);
    assert.equal(store.get("model", "IRIS")?.attempt, winner);
    assert.deepEqual(await readdir(join(dir, "resources", "model")), ["iris.json"]);
    const reopened = await ResourceStore.open(dir, quiet);
    assert.equal(reopened.get("model", "iris")?.attempt, winner);
  });

  it("a write that fails throws StateWriteError and shows nothing that a restart would not find", async () => {
    const dir = await stateDir();
    const store = await ResourceStore.open(dir, quiet);
    await store.create("model", { name: "kept", v: 1 });
    const restore = await breakDirectory(dir, "model");
    await assert.rejects(store.create("model", { name: "lost" }), (e: unknown) => {
      assert.ok(e instanceof StateWriteError);
      assert.match((e as Error).message, /^Cannot save model lost in .*resources\/model: ENOTDIR/);
      return true;
    });
    assert.equal(store.get("model", "lost"), undefined);
    await assert.rejects(
      store.update<StoredResource>("model", "kept", (d) => ({ ...d!, v: 2 })),
      StateWriteError,
    );
    assert.equal(store.get("model", "kept")?.v, 1, "the old document, as on disk");
    await restore();
    // The name was never taken: a create after the failure succeeds.
    assert.equal(await store.create("model", { name: "lost" }), true);
  });

  it("update() runs one resource's changes in turn, each on the document the last one stored", async () => {
    const store = await ResourceStore.open(await stateDir(), quiet);
    await store.create("endpoint", { name: "e", n: 0 });
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.update<StoredResource & { n: number }>("endpoint", "e", (d) => ({ ...d!, n: d!.n + 1 })),
      ),
    );
    assert.equal(store.get("endpoint", "e")?.n, 20);
  });

  it("update() leaves the resource when the change returns undefined or throws, and removes it on REMOVE", async () => {
    const dir = await stateDir();
    const store = await ResourceStore.open(dir, quiet);
    await store.create("endpoint", { name: "e", n: 1 });
    assert.equal((await store.update("endpoint", "e", () => undefined))?.n, 1);
    await assert.rejects(
      store.update("endpoint", "e", () => {
        throw new Error("refused");
      }),
      /refused/,
    );
    assert.equal(await store.update("endpoint", "e", () => REMOVE), undefined);
    assert.equal(store.get("endpoint", "e"), undefined);
    assert.deepEqual(await readdir(join(dir, "resources", "endpoint")), []);
    assert.equal(await store.delete("endpoint", "e"), false);
  });

  it("open() moves aside what is not a document of its kind under its own name, and temporary files", async () => {
    const dir = await stateDir();
    const store = await ResourceStore.open(dir, quiet);
    await store.create("model", { name: "good", ModelName: "good" });
    const models = join(dir, "resources", "model");
    await writeFile(join(models, "cut.json"), '{"name": "cut", "Mod');
    await writeFile(join(models, "array.json"), "[1, 2]");
    await writeFile(join(models, "noname.json"), '{"ModelName": "x"}');
    await writeFile(join(models, "other.json"), '{"name": "good"}');
    await writeFile(join(models, "bad-shape.json"), '{"name": "bad-shape"}');
    await writeFile(join(models, "good.json.123.4.tmp"), "{");
    const warnings: string[] = [];
    const reopened = await ResourceStore.open(dir, {
      warn: (m) => warnings.push(m),
      check: (_kind, doc) => (typeof doc.ModelName === "string" ? undefined : "no ModelName"),
    });
    assert.deepEqual(
      reopened.list("model").map((d) => d.name),
      ["good"],
    );
    assert.equal(warnings.length, 5);
    assert.match(warnings.join("\n"), /other\.json: it names good/);
    assert.match(warnings.join("\n"), /bad-shape\.json: no ModelName/);
    assert.deepEqual((await readdir(models)).sort(), [
      "array.json.unreadable",
      "bad-shape.json.unreadable",
      "cut.json.unreadable",
      "good.json",
      "noname.json.unreadable",
      "other.json.unreadable",
    ]);
    assert.equal(JSON.parse(await readFile(join(models, "good.json"), "utf8")).ModelName, "good");
  });
});
