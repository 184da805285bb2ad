import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tar from "tar";
import { extractModelArchive, listFiles, packModelArchive } from "./model-archive.js";

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "sagebrew-archive-test-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("packModelArchive()", () => {
  it("writes the files at the archive root, sorted, and the same bytes for the same files", async () => {
    const model = join(dir, "model");
    await mkdir(join(model, "code"), { recursive: true });
    await writeFile(join(model, "xgboost-model"), "model bytes");
    await writeFile(join(model, ".sagebrew.json"), "{}");
    await writeFile(join(model, "code", "handler.js"), "export default {}");
    await packModelArchive(model, join(dir, "a.tar.gz"));
    await utimes(join(model, "xgboost-model"), new Date(2020, 1, 1), new Date(2021, 1, 1));
    await packModelArchive(model, join(dir, "b.tar.gz"));
    assert.deepEqual(await readFile(join(dir, "a.tar.gz")), await readFile(join(dir, "b.tar.gz")));
    const names: string[] = [];
    await tar.t({
      file: join(dir, "a.tar.gz"),
      onReadEntry: (e) => names.push(`${e.path} ${e.mtime?.getTime()} ${e.uid ?? "-"}`),
    });
    assert.deepEqual(names, [".sagebrew.json 0 -", "code/handler.js 0 -", "xgboost-model 0 -"]);
  });

  it("writes a valid empty archive for an empty model directory", async () => {
    await mkdir(join(dir, "empty"));
    await packModelArchive(join(dir, "empty"), join(dir, "empty.tar.gz"));
    const out = join(dir, "empty-out");
    assert.deepEqual(await extractModelArchive(join(dir, "empty.tar.gz"), out), { files: 0, skipped: [] });
  });
});

describe("extractModelArchive()", () => {
  it("round-trips what packModelArchive wrote", async () => {
    const out = join(dir, "round");
    const r = await extractModelArchive(join(dir, "a.tar.gz"), out);
    assert.equal(r.files, 3);
    assert.deepEqual(await listFiles(out), [".sagebrew.json", "code/handler.js", "xgboost-model"]);
    assert.equal(await readFile(join(out, "xgboost-model"), "utf8"), "model bytes");
  });

  it("keeps every entry below the target: no links, no '..', no absolute paths", async () => {
    const src = join(dir, "evil-src");
    await mkdir(src);
    await writeFile(join(src, "ok.txt"), "ok");
    await symlink("/etc/passwd", join(src, "link"));
    await tar.c({ gzip: true, file: join(dir, "evil.tar.gz"), cwd: src }, ["ok.txt", "link"]);
    // A hand-made archive whose entry climbs out of the target.
    const header = Buffer.alloc(512);
    header.write("../escape.txt", 0);
    header.write("0000644\0", 100);
    header.write("0000000\0", 108);
    header.write("0000000\0", 116);
    header.write("00000000002\0", 124);
    header.write("00000000000\0", 136);
    header.write("0", 156);
    header.write("ustar\0", 257);
    header.write("00", 263);
    header.write("        ", 148);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    const data = Buffer.alloc(512);
    data.write("hi");
    await writeFile(join(dir, "climb.tar"), Buffer.concat([header, data, Buffer.alloc(1024)]));
    const out = join(dir, "safe");
    const r = await extractModelArchive(join(dir, "climb.tar"), out);
    assert.equal(r.files, 1);
    assert.deepEqual(await listFiles(out), []);
    await assert.rejects(readFile(join(dir, "escape.txt")));
    const links = await extractModelArchive(join(dir, "evil.tar.gz"), join(dir, "safe2"));
    assert.deepEqual(links, { files: 1, skipped: ["link"] });
    assert.deepEqual(await listFiles(join(dir, "safe2")), ["ok.txt"]);
  });

  it("refuses a file that is not a tar", async () => {
    await writeFile(join(dir, "not.tar.gz"), "plain text, not an archive at all".repeat(20));
    await assert.rejects(extractModelArchive(join(dir, "not.tar.gz"), join(dir, "x")), /Cannot extract/);
  });
});
