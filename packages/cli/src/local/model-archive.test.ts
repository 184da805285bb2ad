import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tar from "tar";
import {
  copyRegularFile,
  extractModelArchive,
  listFiles,
  NotRegularFile,
  packModelArchive,
} from "./model-archive.js";

let dir: string;

/** One tar entry, made by hand: a regular file (`0`) or a symbolic link (`2`). */
function tarEntry(name: string, type: "0" | "2", body = "", linkname = ""): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(`${Buffer.byteLength(body).toString(8).padStart(11, "0")}\0`, 124);
  header.write("00000000000\0", 136);
  header.write(type, 156);
  header.write(linkname, 157);
  header.write("ustar\0", 257);
  header.write("00", 263);
  header.write("        ", 148);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const data = Buffer.alloc(Math.ceil(Buffer.byteLength(body) / 512) * 512);
  data.write(body);
  return Buffer.concat([header, data]);
}

/** Every file's bytes below `d`, concatenated (links not followed). */
async function bytesBelow(d: string): Promise<string> {
  let out = "";
  for (const e of await readdir(d, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out += await readFile(join(e.parentPath, e.name), "utf8");
  return out;
}

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
      onReadEntry: (e) =>
        names.push(
          e.type === "Directory"
            ? `${e.path} ${e.mode?.toString(8)}`
            : `${e.path} ${e.mtime?.getTime()} ${e.uid ?? "-"} ${e.mode?.toString(8)}`,
        ),
    });
    assert.deepEqual(names, [
      ".sagebrew.json 0 - 644",
      "code/ 755",
      "code/handler.js 0 - 644",
      "xgboost-model 0 - 644",
    ]);
  });

  it("writes a valid empty archive for an empty model directory", async () => {
    await mkdir(join(dir, "empty"));
    await packModelArchive(join(dir, "empty"), join(dir, "empty.tar.gz"));
    const out = join(dir, "empty-out");
    assert.deepEqual(await extractModelArchive(join(dir, "empty.tar.gz"), out), { files: 0, skipped: [] });
  });
});

describe("listFiles()", () => {
  it("lists regular files, [] for a directory that does not exist", async () => {
    const d = join(dir, "plain");
    await mkdir(join(d, "sub"), { recursive: true });
    await writeFile(join(d, "sub", "a"), "a");
    await writeFile(join(d, "b"), "b");
    assert.deepEqual(await listFiles(d), ["b", "sub/a"]);
    assert.deepEqual(await listFiles(join(dir, "missing")), []);
  });

  it("never follows a link: a link to a file or a directory, the directory itself, a FIFO are refused by name", async () => {
    const secret = join(dir, "secret-dir");
    await mkdir(secret, { recursive: true });
    await writeFile(join(secret, "id_rsa"), "secret");
    const cases: Array<[string, (d: string) => Promise<unknown>, RegExp]> = [
      [
        "file-link",
        (d) => symlink(join(secret, "id_rsa"), join(d, "key")),
        /^key is a symbolic link to .*id_rsa, not a regular file$/,
      ],
      [
        "dir-link",
        (d) => symlink(secret, join(d, "ssh")),
        /^ssh is a symbolic link to .*secret-dir, not a regular file$/,
      ],
      ["fifo", async (d) => spawnSync("mkfifo", [join(d, "pipe")]), /^pipe is a FIFO, not a regular file$/],
    ];
    for (const [name, make, message] of cases) {
      const d = join(dir, `refuse-${name}`);
      await mkdir(d, { recursive: true });
      await writeFile(join(d, "ok"), "ok");
      await make(d);
      await assert.rejects(
        listFiles(d),
        (e: Error) => e instanceof NotRegularFile && message.test(e.message),
        name,
      );
    }
    await symlink(secret, join(dir, "linked-root"));
    await assert.rejects(listFiles(join(dir, "linked-root")), /^NotRegularFile: \. is a symbolic link to /);
  });
});

describe("packing a directory that holds a link to a secret", () => {
  it("is refused: the secret's bytes are not packed and its mode stays 0600", async () => {
    const secret = join(dir, "id_rsa");
    await writeFile(secret, "-----BEGIN OPENSSH PRIVATE KEY-----");
    await chmod(secret, 0o600);
    const model = join(dir, "linked-model");
    await mkdir(model, { recursive: true });
    await writeFile(join(model, "xgboost-model"), "model");
    await symlink(secret, join(model, "key"));
    await assert.rejects(
      packModelArchive(model, join(dir, "linked.tar.gz")),
      /^NotRegularFile: key is a symbolic link to /,
    );
    assert.equal((await stat(secret)).mode & 0o777, 0o600);
    await assert.rejects(readFile(join(dir, "linked.tar.gz")));
  });

  it("changes no mode on disk: a 0600 model file stays 0600 and is 0644 in the archive", async () => {
    const model = join(dir, "private-model");
    await mkdir(model, { recursive: true });
    await writeFile(join(model, "xgboost-model"), "model");
    await chmod(join(model, "xgboost-model"), 0o600);
    await packModelArchive(model, join(dir, "private.tar.gz"));
    assert.equal((await stat(join(model, "xgboost-model"))).mode & 0o777, 0o600);
    const modes: number[] = [];
    await tar.t({ file: join(dir, "private.tar.gz"), onReadEntry: (e) => modes.push(e.mode ?? -1) });
    assert.deepEqual(modes, [0o644]);
  });

  it("copyRegularFile() copies a file but neither reads through a link nor writes through one", async () => {
    const secret = join(dir, "copy-secret");
    await writeFile(secret, "secret");
    await symlink(secret, join(dir, "copy-link"));
    await assert.rejects(copyRegularFile(join(dir, "copy-link"), join(dir, "copy-out")), { code: "ELOOP" });
    await writeFile(join(dir, "copy-src"), "mine");
    await symlink(join(dir, "copy-victim"), join(dir, "copy-dest"));
    await assert.rejects(copyRegularFile(join(dir, "copy-src"), join(dir, "copy-dest")), { code: "EEXIST" });
    await assert.rejects(lstat(join(dir, "copy-victim")));
    await copyRegularFile(join(dir, "copy-src"), join(dir, "copy-new"));
    assert.equal(await readFile(join(dir, "copy-new"), "utf8"), "mine");
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

  it("never writes through a link: not one the archive makes, nor one already in the target", async () => {
    const outside = join(dir, "outside");
    await mkdir(outside, { recursive: true });
    const evil = Buffer.concat([
      tarEntry("evil", "2", "", outside),
      tarEntry("evil/pwned", "0", "through the link"),
      tarEntry("ok", "0", "ok"),
      Buffer.alloc(1024),
    ]);
    await writeFile(join(dir, "through.tar"), evil);
    const out = join(dir, "through-out");
    const r = await extractModelArchive(join(dir, "through.tar"), out);
    assert.deepEqual(r.skipped, ["evil"]);
    assert.deepEqual(await readdir(outside), []);
    assert.equal((await lstat(join(out, "evil"))).isDirectory(), true);
    // A target that already holds the link: the entry through it is refused, not written.
    const prepared = join(dir, "prepared-out");
    await mkdir(prepared, { recursive: true });
    await symlink(outside, join(prepared, "evil"));
    await extractModelArchive(join(dir, "through.tar"), prepared);
    assert.deepEqual(await readdir(outside), []);
    assert.equal(await readFile(join(prepared, "ok"), "utf8"), "ok");
    assert.ok(!(await bytesBelow(outside)).includes("through the link"));
  });

  it("refuses a file that is not a tar", async () => {
    await writeFile(join(dir, "not.tar.gz"), "plain text, not an archive at all".repeat(20));
    await assert.rejects(extractModelArchive(join(dir, "not.tar.gz"), join(dir, "x")), /Cannot extract/);
  });
});
