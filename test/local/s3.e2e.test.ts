/**
 * S3 and STS on `sagebrew local`'s own port, reached as users reach them — boto3 with nothing but
 * AWS_ENDPOINT_URL set (upload_file's multipart, download_file, paginated listings, batch deletes,
 * GetCallerIdentity of `--account`, IAM refused in IAM's own protocol) — and an upload cut by a
 * kill -9 of the server: after the restart the object is the one before, and no partial file stays.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hasBoto3, type RunningLocal, runPythonJson, startLocal } from "../kit/local.js";

const skip = hasBoto3() ? false : "boto3 is not importable by the python3 on PATH";

let work: string;
let local: RunningLocal;

/** Runs Python with boto3 against `sagebrew local`; resolves to the JSON of its last line. */
function python(code: string, env: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>> {
  return runPythonJson(["-c", code], { local, cwd: work, env, label: "python" });
}

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), "sagebrew-local-s3-"));
  local = await startLocal(join(work, "state"), {
    args: ["--account", "111122223333"],
    env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine"), AWS_ENDPOINT_URL_S3: "" },
  });
});

after(async () => {
  await local?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("S3 and STS through boto3 with only AWS_ENDPOINT_URL", { skip }, () => {
  it("uploads (multipart above 8 MB), lists, downloads, deletes; STS answers --account; IAM is refused in its protocol", async () => {
    const out = await python(`
import hashlib, json, os, boto3, botocore
s3 = boto3.client("s3")
s3.create_bucket(Bucket="sagebrew-data")
data = bytes(range(256)) * (20 * 1024 * 1024 // 256)
open("big.bin", "wb").write(data)
s3.upload_file("big.bin", "sagebrew-data", "in/big.bin")
for i in range(5):
    s3.put_object(Bucket="sagebrew-data", Key=f"in/small/{i}.csv", Body=f"{i},1,2\\n".encode())
s3.put_object(Bucket="sagebrew-data", Key="in/../../escape", Body=b"key, not path")
head = s3.head_object(Bucket="sagebrew-data", Key="in/big.bin")
keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket="sagebrew-data", Prefix="in/", PaginationConfig={"PageSize": 2}) for o in p.get("Contents", [])]
prefixes = [p["Prefix"] for p in s3.list_objects_v2(Bucket="sagebrew-data", Delimiter="/", Prefix="in/")["CommonPrefixes"]]
s3.download_file("sagebrew-data", "in/big.bin", "back.bin")
same = hashlib.md5(open("back.bin", "rb").read()).hexdigest() == hashlib.md5(data).hexdigest()
escape = s3.get_object(Bucket="sagebrew-data", Key="in/../../escape")["Body"].read().decode()
deleted = s3.delete_objects(Bucket="sagebrew-data", Delete={"Objects": [{"Key": k} for k in keys]})["Deleted"]
try:
    s3.delete_bucket(Bucket="sagebrew-data")
    empty = True
except botocore.exceptions.ClientError as e:
    empty = e.response["Error"]["Code"]
me = boto3.client("sts").get_caller_identity()
try:
    boto3.client("iam").list_users()
    iam = None
except botocore.exceptions.ClientError as e:
    iam = [e.response["Error"]["Code"], e.response["Error"]["Message"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
print(json.dumps(dict(etag=head["ETag"], length=head["ContentLength"], keys=keys, prefixes=prefixes, same=same,
    escape=escape, deleted=len(deleted), empty=empty, account=me["Account"], arn=me["Arn"], iam=iam)))
`);
    assert.match(String(out.etag), /^"[0-9a-f]{32}-3"$/, "20 MiB in 8 MiB parts");
    assert.equal(out.length, 20 * 1024 * 1024);
    assert.deepEqual(out.keys, [
      "in/../../escape",
      "in/big.bin",
      ...[0, 1, 2, 3, 4].map((i) => `in/small/${i}.csv`),
    ]);
    assert.deepEqual(out.prefixes, ["in/../", "in/small/"]);
    assert.equal(out.same, true);
    assert.equal(out.escape, "key, not path");
    assert.equal(out.deleted, 7);
    assert.equal(out.empty, true);
    assert.equal(out.account, "111122223333");
    assert.equal(out.arn, "arn:aws:iam::111122223333:root");
    const [code, message, status] = out.iam as [string, string, number];
    assert.equal(code, "NotImplemented");
    assert.equal(status, 501);
    assert.match(message, /does not serve iam .*AWS_ENDPOINT_URL_IAM/);
    const files = await readdir(join(work, "state"));
    assert.ok(files.includes("s3"), "objects live under the state directory");
  });
});

/** Starts a PUT declaring `declared` bytes and sends `sent` of them; resolves once they are written. */
function partialPut(port: number, path: string, declared: number, sent: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request({
      host: "127.0.0.1",
      port,
      method: "PUT",
      path,
      headers: { "content-length": declared },
    });
    req.on("error", () => undefined);
    req.write(Buffer.alloc(sent, 0x61), () => resolve());
  });
}

function get(port: number, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("a kill -9 during an upload", { skip }, () => {
  it("leaves the object as it was before, and no partial file", async () => {
    const state = join(work, "state");
    const put = (path: string, body: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port: local.port,
            method: "PUT",
            path,
            headers: { "content-length": Buffer.byteLength(body) },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    assert.equal(await put("/crash-bucket", ""), 200);
    assert.equal(await put("/crash-bucket/model.tar.gz", "version 1"), 200);
    await partialPut(local.port, "/crash-bucket/model.tar.gz", 64 * 1024 * 1024, 8 * 1024 * 1024);
    for (let i = 0; i < 100 && (await readdir(join(state, "s3", "tmp"))).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await readdir(join(state, "s3", "tmp"))).length, 1, "the upload is being written");
    await local.kill();
    local = await startLocal(state, { env: { SAGEBREW_CONTAINER_ENGINE: join(work, "no-engine") } });
    const after = await get(local.port, "/crash-bucket/model.tar.gz");
    assert.equal(after.status, 200);
    assert.equal(after.body.toString(), "version 1");
    assert.deepEqual(await readdir(join(state, "s3", "tmp")), []);
  });
});
