/**
 * The local S3 over a real socket, driven by the AWS SDK for JavaScript v3 as a user's code drives
 * it (its default checksums: CRC32 in an aws-chunked trailer for streams; lib-storage's multipart
 * Upload), and by raw HTTP where a client would never send the bytes (wrong checksums, broken
 * framing, oversized declarations). Keys that look like paths stay keys: no file appears outside
 * the store, and each comes back as written.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import {
  type ChecksumAlgorithm,
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { checksumOf } from "./_checksums.js";
import { openLocalS3 } from "./index.js";

let dir: string;
let server: Server;
let port: number;
let warnings: string[];

const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

async function startServer(): Promise<void> {
  warnings = [];
  const s3 = await openLocalS3({
    dir: join(dir, "s3"),
    account: "123456789012",
    warn: (m) => warnings.push(m),
  });
  server = createServer((req, res) => {
    const m = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(req.headers.authorization ?? "");
    s3.handle(req, res, { region: m?.[1] ?? "us-east-1" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
}

function client(region = "us-east-1"): S3Client {
  return new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
}

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const codeOf = (xml: string) => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "sagebrew-s3-"));
  await startServer();
  await client().send(new CreateBucketCommand({ Bucket: "data" }));
});

after(async () => {
  server?.closeAllConnections();
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("objects through the AWS SDK", () => {
  it("round-trips a PutObject of a string and of a stream (aws-chunked with a CRC32 trailer), ETag = MD5", async () => {
    const s3 = client();
    const put = await s3.send(new PutObjectCommand({ Bucket: "data", Key: "hello.txt", Body: "hello" }));
    assert.equal(put.ETag, `"${md5(Buffer.from("hello"))}"`);
    assert.equal(put.ChecksumCRC32, checksumOf("crc32", Buffer.from("hello")));
    const body = Buffer.alloc(200_000, 3);
    const streamed = await s3.send(
      new PutObjectCommand({
        Bucket: "data",
        Key: "stream.bin",
        Body: Readable.from([body.subarray(0, 70_000), body.subarray(70_000)]),
        ContentLength: body.length,
      }),
    );
    assert.equal(streamed.ETag, `"${md5(body)}"`);
    const got = await s3.send(
      new GetObjectCommand({ Bucket: "data", Key: "stream.bin", ChecksumMode: "ENABLED" }),
    );
    assert.equal(got.ChecksumCRC32, checksumOf("crc32", body));
    assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body);
  });

  for (const algorithm of ["CRC32C", "CRC64NVME", "SHA1", "SHA256"] as ChecksumAlgorithm[]) {
    it(`verifies and keeps a ${algorithm} checksum (the SDK validates it on GET)`, async () => {
      const s3 = client();
      const body = Buffer.from(`payload for ${algorithm}`);
      await s3.send(
        new PutObjectCommand({
          Bucket: "data",
          Key: `sum/${algorithm}`,
          Body: body,
          ChecksumAlgorithm: algorithm,
        }),
      );
      const got = await s3.send(
        new GetObjectCommand({ Bucket: "data", Key: `sum/${algorithm}`, ChecksumMode: "ENABLED" }),
      );
      assert.equal(Buffer.from(await got.Body!.transformToByteArray()).toString(), body.toString());
      const value = (got as unknown as Record<string, string>)[`Checksum${algorithm}`];
      assert.equal(value, checksumOf(algorithm.toLowerCase() as never, body));
    });
  }

  it("uploads 11 MiB + 1 byte with lib-storage's Upload: multipart, ETag = MD5 of the parts' MD5s + -3", async () => {
    const s3 = client();
    const body = Buffer.alloc(11 * 1024 * 1024 + 1);
    for (let i = 0; i < body.length; i += 4096) body[i] = i % 251;
    const done = await new Upload({
      client: s3,
      params: { Bucket: "data", Key: "big.bin", Body: body },
      partSize: 5 * 1024 * 1024,
    }).done();
    const parts = [body.subarray(0, 5 << 20), body.subarray(5 << 20, 10 << 20), body.subarray(10 << 20)];
    const expected = `${createHash("md5")
      .update(Buffer.concat(parts.map((p) => createHash("md5").update(p).digest())))
      .digest("hex")}-3`;
    assert.equal(done.ETag, `"${expected}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: "data", Key: "big.bin" }));
    assert.equal(head.ContentLength, body.length);
    assert.equal(head.PartsCount, 3);
    const got = await s3.send(new GetObjectCommand({ Bucket: "data", Key: "big.bin" }));
    assert.equal(md5(await got.Body!.transformToByteArray()), md5(body));
    const range = await s3.send(new GetObjectCommand({ Bucket: "data", Key: "big.bin", Range: "bytes=-5" }));
    assert.equal(range.ContentRange, `bytes ${body.length - 5}-${body.length - 1}/${body.length}`);
    assert.deepEqual(Buffer.from(await range.Body!.transformToByteArray()), body.subarray(-5));
  });

  it("copies, lists by prefix, delimiter, start-after and pages, and deletes in a batch", async () => {
    const s3 = client();
    for (const k of ["p/a", "p/b", "p/sub/c", "p/sub/d", "q"])
      await s3.send(new PutObjectCommand({ Bucket: "data", Key: `list/${k}`, Body: k }));
    const copy = await s3.send(
      new CopyObjectCommand({ Bucket: "data", Key: "list/q-copy", CopySource: "data/list/q" }),
    );
    assert.equal(copy.CopyObjectResult?.ETag, `"${md5(Buffer.from("q"))}"`);
    const top = await s3.send(
      new ListObjectsV2Command({ Bucket: "data", Prefix: "list/p/", Delimiter: "/" }),
    );
    assert.deepEqual(
      top.Contents?.map((o) => o.Key),
      ["list/p/a", "list/p/b"],
    );
    assert.deepEqual(
      top.CommonPrefixes?.map((p) => p.Prefix),
      ["list/p/sub/"],
    );
    assert.equal(top.KeyCount, 3);
    const after = await s3.send(
      new ListObjectsV2Command({ Bucket: "data", Prefix: "list/", StartAfter: "list/p/sub/c" }),
    );
    assert.deepEqual(
      after.Contents?.map((o) => o.Key),
      ["list/p/sub/d", "list/q", "list/q-copy"],
    );
    const paged: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client: s3, pageSize: 2 },
      { Bucket: "data", Prefix: "list/" },
    )) {
      assert.ok((page.Contents?.length ?? 0) <= 2);
      paged.push(...(page.Contents ?? []).map((o) => o.Key!));
    }
    assert.deepEqual(paged, [
      "list/p/a",
      "list/p/b",
      "list/p/sub/c",
      "list/p/sub/d",
      "list/q",
      "list/q-copy",
    ]);
    const deleted = await s3.send(
      new DeleteObjectsCommand({ Bucket: "data", Delete: { Objects: paged.map((Key) => ({ Key })) } }),
    );
    assert.equal(deleted.Deleted?.length, 6);
    assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "list/" }))).KeyCount, 0);
  });
});

describe("buckets", () => {
  it("answers S3's bucket errors: NoSuchBucket, BucketNotEmpty, BucketAlreadyOwnedByYou, location constraints", async () => {
    const east = client();
    await assert.rejects(
      east.send(new HeadBucketCommand({ Bucket: "missing-bucket" })),
      (e: Error & { $metadata: { httpStatusCode: number } }) => e.$metadata.httpStatusCode === 404,
    );
    await assert.rejects(east.send(new DeleteBucketCommand({ Bucket: "data" })), { name: "BucketNotEmpty" });
    await assert.rejects(east.send(new CreateBucketCommand({ Bucket: "Bad_Name" })), {
      name: "InvalidBucketName",
    });
    // us-east-1 answers its owner's second CreateBucket with 200; other regions with 409.
    await east.send(new CreateBucketCommand({ Bucket: "data" }));
    // The JS SDK adds the client's region as the constraint by itself; boto3 does not.
    const auth =
      "AWS4-HMAC-SHA256 Credential=testing/20260101/us-west-2/s3/aws4_request, SignedHeaders=host, Signature=00";
    const unconstrained = await send("PUT", "/west-bucket", { authorization: auth, "content-length": "0" });
    assert.equal(codeOf(unconstrained.body), "IllegalLocationConstraintException");
    const west = client("us-west-2");
    await west.send(
      new CreateBucketCommand({
        Bucket: "west-bucket",
        CreateBucketConfiguration: { LocationConstraint: "us-west-2" },
      }),
    );
    await assert.rejects(
      west.send(
        new CreateBucketCommand({
          Bucket: "west-bucket",
          CreateBucketConfiguration: { LocationConstraint: "us-west-2" },
        }),
      ),
      { name: "BucketAlreadyOwnedByYou" },
    );
    const head = await west.send(new HeadBucketCommand({ Bucket: "west-bucket" }));
    assert.equal(head.BucketRegion, "us-west-2");
    await west.send(new DeleteBucketCommand({ Bucket: "west-bucket" }));
  });

  it("serves virtual-hosted requests (Host: <bucket>.localhost)", async () => {
    const put = await send(
      "PUT",
      "/vh/key.txt",
      { host: `data.localhost:${port}`, "content-length": "2" },
      "vh",
    );
    assert.equal(put.status, 200);
    const get = await send("GET", "/vh/key.txt", { host: `data.localhost:${port}` });
    assert.equal(get.body, "vh");
    const list = await send("GET", "/?list-type=2&prefix=vh/", { host: `data.localhost:${port}` });
    assert.match(list.body, /<Key>vh\/key\.txt<\/Key>/);
  });
});

describe("errors S3 answers", () => {
  const chunked = (payload: string, trailer: string) =>
    `${payload.length.toString(16)}\r\n${payload}\r\n0\r\n${trailer}\r\n\r\n`;

  it("verifies trailing and header checksums and Content-MD5: BadDigest, and nothing stored", async () => {
    const good = chunked("abc", `x-amz-checksum-crc32:${checksumOf("crc32", Buffer.from("abc"))}`);
    const headers = {
      "content-encoding": "aws-chunked",
      "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      "x-amz-trailer": "x-amz-checksum-crc32",
      "x-amz-decoded-content-length": "3",
    };
    assert.equal(
      (await send("PUT", "/data/chk/good", { ...headers, "content-length": String(good.length) }, good))
        .status,
      200,
    );
    const bad = chunked("abc", "x-amz-checksum-crc32:AAAAAA==");
    const r = await send("PUT", "/data/chk/bad", { ...headers, "content-length": String(bad.length) }, bad);
    assert.equal(r.status, 400);
    assert.equal(codeOf(r.body), "BadDigest");
    assert.match(r.body, /The CRC32 you specified did not match the calculated checksum/);
    const header = await send(
      "PUT",
      "/data/chk/bad",
      { "x-amz-checksum-sha256": checksumOf("sha256", Buffer.from("other")), "content-length": "3" },
      "abc",
    );
    assert.equal(codeOf(header.body), "BadDigest");
    const md5Bad = await send(
      "PUT",
      "/data/chk/bad",
      { "content-md5": checksumOf("md5", Buffer.from("x")), "content-length": "3" },
      "abc",
    );
    assert.equal(codeOf(md5Bad.body), "BadDigest");
    const invalid = await send(
      "PUT",
      "/data/chk/bad",
      { "content-md5": "nope", "content-length": "3" },
      "abc",
    );
    assert.equal(codeOf(invalid.body), "InvalidDigest");
    const broken = await send("PUT", "/data/chk/bad", { ...headers, "content-length": "9" }, "zz\r\nabc\r\n");
    assert.equal(codeOf(broken.body), "InvalidRequest");
    assert.equal((await send("HEAD", "/data/chk/bad")).status, 404);
  });

  it("answers lengths as S3 does: MissingContentLength (411), EntityTooLarge above 5 GiB, IncompleteBody", async () => {
    const missing = await send("PUT", "/data/len/x", { "transfer-encoding": "chunked" }, "abc");
    assert.equal(missing.status, 411);
    assert.equal(codeOf(missing.body), "MissingContentLength");
    const huge = await send(
      "PUT",
      "/data/len/x",
      {
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": String(6 * 1024 ** 3),
        "content-length": "5",
      },
      "0\r\n\r\n",
    );
    assert.equal(codeOf(huge.body), "EntityTooLarge");
    const short = await send(
      "PUT",
      "/data/len/x",
      { "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "10", "content-length": "12" },
      "3\r\nabc\r\n0\r\n\r\n",
    );
    assert.equal(codeOf(short.body), "IncompleteBody");
  });

  it("answers HEAD errors without a body, GET errors as <Error> XML, ranges past the end as InvalidRange", async () => {
    const head = await send("HEAD", "/data/nothing-here");
    assert.equal(head.status, 404);
    assert.equal(head.body, "");
    const get = await send("GET", "/data/nothing-here");
    assert.equal(get.status, 404);
    assert.match(
      get.body,
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>nothing-here<\/Key><Resource>\/data\/nothing-here<\/Resource><RequestId>/,
    );
    assert.equal(codeOf((await send("GET", "/no-such-bucket/k")).body), "NoSuchBucket");
    const range = await send("GET", "/data/hello.txt", { range: "bytes=10-20" });
    assert.equal(range.status, 416);
    assert.equal(codeOf(range.body), "InvalidRange");
    const tagging = await send("GET", "/data/hello.txt?tagging");
    assert.equal(tagging.status, 501);
    assert.match(tagging.body, /NotImplemented.*tagging/s);
  });

  it("answers multipart errors: EntityTooSmall, InvalidPart, InvalidPartOrder, NoSuchUpload; ListParts pages", async () => {
    const create = await send("POST", "/data/mp/obj?uploads");
    const id = /<UploadId>([^<]+)<\/UploadId>/.exec(create.body)![1]!;
    const part = async (n: number, body: string) => {
      const r = await send(
        "PUT",
        `/data/mp/obj?partNumber=${n}&uploadId=${id}`,
        { "content-length": String(body.length) },
        body,
      );
      return String(r.headers.etag);
    };
    const e1 = await part(1, "one");
    const e2 = await part(2, "two");
    assert.equal(
      codeOf(
        (await send("PUT", `/data/mp/obj?partNumber=10001&uploadId=${id}`, { "content-length": "1" }, "x"))
          .body,
      ),
      "InvalidArgument",
    );
    const complete = (parts: [number, string][]) =>
      send(
        "POST",
        `/data/mp/obj?uploadId=${id}`,
        {},
        `<CompleteMultipartUpload>${parts.map(([n, e]) => `<Part><PartNumber>${n}</PartNumber><ETag>${e}</ETag></Part>`).join("")}</CompleteMultipartUpload>`,
      );
    assert.equal(
      codeOf(
        (
          await complete([
            [1, e1],
            [2, e2],
          ])
        ).body,
      ),
      "EntityTooSmall",
    );
    assert.equal(codeOf((await complete([[1, '"0000"']])).body), "InvalidPart");
    assert.equal(
      codeOf(
        (
          await complete([
            [2, e2],
            [1, e1],
          ])
        ).body,
      ),
      "InvalidPartOrder",
    );
    assert.equal(
      codeOf((await send("POST", `/data/mp/obj?uploadId=${id}`, {}, "<Complete")).body),
      "MalformedXML",
    );
    const parts = await client().send(
      new ListPartsCommand({ Bucket: "data", Key: "mp/obj", UploadId: id, MaxParts: 1 }),
    );
    assert.deepEqual(
      parts.Parts?.map((p) => p.PartNumber),
      [1],
    );
    assert.equal(parts.IsTruncated, true);
    const single = await complete([[2, e2]]);
    assert.equal(single.status, 200);
    assert.match(
      single.body,
      new RegExp(
        `<ETag>&quot;${createHash("md5")
          .update(Buffer.from(e2.replace(/"/g, ""), "hex"))
          .digest("hex")}-1&quot;</ETag>`,
      ),
    );
    assert.equal((await send("GET", "/data/mp/obj")).body, "two");
    const gone = await send("DELETE", `/data/mp/obj?uploadId=${id}`);
    assert.equal(gone.status, 404);
    assert.equal(codeOf(gone.body), "NoSuchUpload");
  });
});

describe("keys are data", () => {
  const keys = [
    "../../escape.txt",
    "/abs",
    "a\u0000b",
    "..",
    ".",
    "%2e%2e/x",
    "a//b",
    "dir/../../../etc/passwd",
    "é/\u{1F600}",
    "k".repeat(1024 - "confined/".length),
  ];

  it("stores keys that look like paths as keys: each round-trips, no file lands outside the store", async () => {
    const s3 = client();
    for (const Key of keys)
      await s3.send(new PutObjectCommand({ Bucket: "data", Key: `confined/${Key}`, Body: Key }));
    await s3.send(new PutObjectCommand({ Bucket: "data", Key: "../outside", Body: "x" }));
    for (const Key of keys) {
      const got = await s3.send(new GetObjectCommand({ Bucket: "data", Key: `confined/${Key}` }));
      assert.equal(await got.Body!.transformToString(), Key);
    }
    const listed = await send("GET", "/data?list-type=2&prefix=confined/&encoding-type=url");
    const found = [...listed.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) =>
      decodeURIComponent(m[1]!).slice("confined/".length),
    );
    assert.deepEqual(new Set(found), new Set(keys));
    await assert.rejects(
      s3.send(new PutObjectCommand({ Bucket: "data", Key: "k".repeat(1025), Body: "x" })),
      { name: "KeyTooLongError" },
    );
    // Every file of the store is a bucket record or an object file named by a hash.
    const files: string[] = [];
    const walk = async (d: string) => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(d, e.name));
        else files.push(relative(dir, join(d, e.name)));
      }
    };
    await walk(dir);
    for (const f of files)
      assert.match(f, /^s3\/buckets\/[a-z0-9.-]+\/(bucket\.json|objects\/[0-9a-f]{2}\/[0-9a-f]{64})$/, f);
  });

  it("reads everything back after a restart; leftovers in tmp/ are removed, foreign files ignored with a warning", async () => {
    await writeFile(join(dir, "s3", "tmp", "half-written"), "partial");
    await writeFile(join(dir, "s3", "buckets", "data", "objects", "zz"), "stray");
    server.closeAllConnections();
    server.close();
    await startServer();
    const got = await client().send(new GetObjectCommand({ Bucket: "data", Key: "big.bin" }));
    assert.equal(got.ContentLength, 11 * 1024 * 1024 + 1);
    assert.deepEqual(await readdir(join(dir, "s3", "tmp")), []);
    assert.equal(
      (await client().send(new GetObjectCommand({ Bucket: "data", Key: "confined/../../escape.txt" })))
        .ContentLength,
      16,
    );
  });
});
