/**
 * S3 throughput (issue 19 §1): one large object PUT and GET through `sagebrew local`'s S3 (the
 * built CLI, its state on this machine's temp disk) against moto_server's S3, with the same client
 * — the AWS SDK for JavaScript v3, streaming a file up and back down to a file — and against the
 * machine's own limits: `cp` of the file on the same disk, and MD5 + CRC32 (what the server computes
 * over every byte) in memory. Runs interleaved; medians with their range.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import { startMoto } from "../test/kit/moto.js";
import { REPO_DIR } from "./data.js";
import { median, num, ratio, table, withRange } from "./lib/stats.js";

export interface S3BenchOptions {
  runs: number;
  /** Object size in MiB. */
  mib: number;
  log: (s: string) => void;
}

export interface S3BenchReport {
  markdown: string;
  notes: string[];
}

const CLI = join(REPO_DIR, "packages", "cli", "bin", "sagebrew");

/** Starts the built `sagebrew local` on a free port; resolves to its URL and a stop. */
async function startSagebrewLocal(state: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [CLI, "local", "--port", "0", "--state", state], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, AWS_ENDPOINT_URL_S3: "", SAGEBREW_CONTAINER_ENGINE: join(state, "no-engine") },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /SageMaker on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`sagebrew local exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((done) => {
        child.once("exit", () => done());
        child.kill("SIGINT");
      }),
  };
}

type Sdk = typeof import("@aws-sdk/client-s3");

async function client(sdk: Sdk, endpoint: string, checksums: "WHEN_SUPPORTED" | "WHEN_REQUIRED") {
  return new sdk.S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    requestChecksumCalculation: checksums,
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/** Seconds to PUT `file` as one object, and to GET it back into `back`. */
async function putGet(
  sdk: Sdk,
  s3: import("@aws-sdk/client-s3").S3Client,
  file: string,
  back: string,
): Promise<{ put: number; get: number }> {
  const size = statSync(file).size;
  let t = performance.now();
  await s3.send(
    new sdk.PutObjectCommand({
      Bucket: "bench",
      Key: "big.bin",
      Body: createReadStream(file),
      ContentLength: size,
    }),
  );
  const put = (performance.now() - t) / 1000;
  t = performance.now();
  const got = await s3.send(new sdk.GetObjectCommand({ Bucket: "bench", Key: "big.bin" }));
  await pipeline(got.Body as Readable, createWriteStream(back));
  const get = (performance.now() - t) / 1000;
  if (statSync(back).size !== size) throw new Error(`GET returned ${statSync(back).size} bytes, not ${size}`);
  rmSync(back);
  return { put, get };
}

/** Seconds for MD5 and CRC32 over `bytes` in 1 MiB pieces (the server's work per byte). */
function hashSeconds(bytes: number): number {
  const piece = Buffer.alloc(1 << 20, 7);
  const md5 = createHash("md5");
  let crc = 0;
  const t = performance.now();
  for (let done = 0; done < bytes; done += piece.length) {
    md5.update(piece);
    crc = (zlib as unknown as { crc32: (d: Uint8Array, v: number) => number }).crc32(piece, crc);
  }
  md5.digest();
  return (performance.now() - t) / 1000;
}

export async function runS3Bench(o: S3BenchOptions): Promise<S3BenchReport> {
  const sdk = (await import("@aws-sdk/client-s3")) as Sdk;
  const work = mkdtempSync(join(tmpdir(), "sagebrew-bench-s3-"));
  const file = join(work, "big.bin");
  const bytes = o.mib * 1024 * 1024;
  // Incompressible, so that no layer can shortcut it.
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24;
  const out = createWriteStream(file);
  for (let i = 0; i < o.mib; i++) out.write(chunk);
  await new Promise((r) => out.end(r));
  const local = await startSagebrewLocal(join(work, "state"));
  const moto = await startMoto();
  const rows: Record<string, { put: number[]; get: number[] }> = {
    "sagebrew local, SDK default checksums (aws-chunked, CRC32 trailer)": { put: [], get: [] },
    "sagebrew local, checksums when required (plain body)": { put: [], get: [] },
    "moto_server 5.2.1, checksums when required (plain body)": { put: [], get: [] },
  };
  const cp: number[] = [];
  const hash: number[] = [];
  const notes: string[] = [];
  try {
    const clients = {
      "sagebrew local, SDK default checksums (aws-chunked, CRC32 trailer)": await client(
        sdk,
        local.url,
        "WHEN_SUPPORTED",
      ),
      "sagebrew local, checksums when required (plain body)": await client(sdk, local.url, "WHEN_REQUIRED"),
      "moto_server 5.2.1, checksums when required (plain body)": await client(sdk, moto.url, "WHEN_REQUIRED"),
    };
    await clients["sagebrew local, checksums when required (plain body)"].send(
      new sdk.CreateBucketCommand({ Bucket: "bench" }),
    );
    await clients["moto_server 5.2.1, checksums when required (plain body)"].send(
      new sdk.CreateBucketCommand({ Bucket: "bench" }),
    );
    for (let r = 0; r < o.runs; r++) {
      for (const [label, s3] of Object.entries(clients)) {
        const { put, get } = await putGet(sdk, s3, file, join(work, "back.bin"));
        rows[label]!.put.push(put);
        rows[label]!.get.push(get);
        o.log(`s3 run ${r + 1}: ${label}: PUT ${put.toFixed(2)} s, GET ${get.toFixed(2)} s`);
      }
      let t = performance.now();
      const res = spawnSync("cp", ["--reflink=never", file, join(work, "copy.bin")]);
      if (res.status !== 0) throw new Error(`cp failed: ${res.stderr}`);
      cp.push((performance.now() - t) / 1000);
      rmSync(join(work, "copy.bin"));
      t = performance.now();
      hash.push(hashSeconds(bytes));
    }
  } finally {
    await local.stop();
    await moto.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const mbps = (s: number) => bytes / 1e6 / s;
  const fmt = (xs: number[]) => withRange(xs.map(mbps), num);
  const motoRow = rows["moto_server 5.2.1, checksums when required (plain body)"]!;
  const cpMedian = median(cp);
  const body = [
    `One ${o.mib} MiB object (incompressible), ${o.runs} interleaved runs; MB/s (median, range). The client is the AWS SDK for JavaScript v3 in one process, streaming a file up (PutObject, one request) and down to a file (GetObject); both servers write to this machine's temp disk (moto keeps objects in its own temporary files).`,
    "",
    table(
      ["server", "PUT MB/s", "GET MB/s", "PUT vs moto", "GET vs moto", "PUT vs `cp`"],
      [
        ...Object.entries(rows).map(([label, r]) => [
          label,
          fmt(r.put),
          fmt(r.get),
          ratio(median(motoRow.put) / median(r.put)),
          ratio(median(motoRow.get) / median(r.get)),
          ratio(cpMedian / median(r.put)),
        ]),
        ["`cp --reflink=never` of the file (the disk's own copy)", fmt(cp), "", "", "", "1.0×"],
        ["MD5 + CRC32 over the bytes in memory (the server's hashing)", fmt(hash), "", "", "", ""],
      ],
    ),
  ].join("\n");
  notes.push(
    "Every PUT byte is hashed by the server (MD5 for the ETag, always; the request's checksum when it carries one) on the same two cores as the client, which computes its own CRC32: the last row is the ceiling of that work, and a PUT runs below it, not at the disk's speed. GET only reads and sends. The machine was shared with other work (see the load average).",
    "\"vs moto\" is moto's time over this row's (above 1× = faster than moto); \"vs `cp`\" is `cp`'s time over this row's PUT (1× would be the disk's own copy speed).",
  );
  return { markdown: body, notes };
}
