/**
 * A local Batch Transform job: every file under the input directory goes through split → batch →
 * `serve` over HTTP → assemble (→ join/filter), and `<input>.out` is written only when the whole
 * file succeeded. Job values win over `/execution-parameters`, which win over defaults (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-batch-code.html).
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { LIMITS, ROUTES, SagebrewError, toSagebrewError } from "@sagebrew/runtime/core";
import { type BatchStrategy, batchRecords, parseBatchStrategy } from "./batch.js";
import { type DataProcessing, filterInput, joinOutput } from "./join.js";
import { executionParameters, type ServeProcess, startServe } from "./server.js";
import { type Records, recordAt, recordsOf, type SplitType, splitRecords } from "./split.js";

export interface TransformJob {
  readonly inputPath: string;
  readonly outputDir: string;
  /** An /opt/ml-shaped directory holding `model/`. */
  readonly baseDir: string;
  readonly serveCommand: readonly string[];
  readonly contentType: string;
  readonly accept?: string;
  readonly splitType: SplitType;
  readonly assembleWith: "None" | "Line";
  /** Job values; unset ones come from /execution-parameters, then defaults. */
  readonly batchStrategy?: BatchStrategy;
  readonly maxPayloadMb?: number;
  readonly maxConcurrentTransforms?: number;
  /** Present when InputFilter, OutputFilter or JoinSource=Input is used. */
  readonly dataProcessing?: DataProcessing;
  readonly env?: NodeJS.ProcessEnv;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Receives every line `serve` prints. */
  readonly onServeLine?: (line: string) => void;
  /** Stops the job: no new request is sent, files not done are reported as failed, `serve` stops. */
  readonly signal?: AbortSignal;
}

export type ProgressEvent =
  | {
      kind: "start";
      files: number;
      strategy: BatchStrategy;
      maxPayloadMb: number;
      concurrency: number;
      pid: number;
    }
  | { kind: "requests"; file: string; done: number; total: number }
  | { kind: "file"; file: string; ok: boolean; records: number; error?: string };

export interface TransformSummary {
  readonly files: number;
  readonly succeeded: number;
  readonly failed: ReadonlyArray<{ file: string; error: string }>;
  readonly records: number;
  readonly requests: number;
  readonly seconds: number;
  readonly strategy: BatchStrategy;
  readonly maxPayloadMb: number;
  readonly concurrency: number;
}

async function listFiles(root: string): Promise<string[]> {
  const st = await stat(root);
  if (st.isFile()) return [root];
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (e.name.startsWith(".")) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(root);
  return out;
}

/** Runs `items` through `fn` with at most `limit` in flight; results keep input order. */
async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure;
  return results;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Runs the job: starts `serve`, transforms every file, stops `serve`.
 *
 * @throws SagebrewError `SB_TRANSFORM` when `serve` cannot start; per-file failures are reported
 *   in the summary instead.
 */
export async function runTransform(job: TransformJob): Promise<TransformSummary> {
  const started = Date.now();
  const files = await listFiles(job.inputPath);
  const firstRel = files[0] ? relative(await inputBase(job), files[0]) : "";
  // The first file is read and split while `serve` starts — once it is spawned: splitting a large
  // file first would delay the server's start by as long.
  let firstInput: Promise<Records> | undefined;
  const server = await startServe({
    onSpawn: () => {
      if (!files[0]) return;
      firstInput = readInput(files[0], job, firstRel);
      firstInput.catch(() => undefined); // reported with that file, below
    },
    command: job.serveCommand,
    baseDir: job.baseDir,
    ...(job.maxPayloadMb !== undefined ? { maxPayloadMb: job.maxPayloadMb } : {}),
    ...(job.batchStrategy !== undefined
      ? {
          batchStrategy:
            job.batchStrategy === "MultiRecord" ? ("MULTI_RECORD" as const) : ("SINGLE_RECORD" as const),
        }
      : {}),
    ...(job.maxConcurrentTransforms !== undefined
      ? { maxConcurrentTransforms: job.maxConcurrentTransforms }
      : {}),
    ...(job.env ? { env: job.env } : {}),
    ...(job.onServeLine ? { onLine: job.onServeLine } : {}),
  });
  try {
    const ep = await executionParameters(server);
    // precedence: job values > execution-parameters > defaults
    const strategy =
      job.batchStrategy ?? (ep?.BatchStrategy ? parseBatchStrategy(ep.BatchStrategy) : "SingleRecord");
    const maxPayloadMb = job.maxPayloadMb ?? ep?.MaxPayloadInMB ?? LIMITS.defaultMaxPayloadMb;
    const concurrency = job.maxConcurrentTransforms || ep?.MaxConcurrentTransforms || 1;
    job.onProgress?.({
      kind: "start",
      files: files.length,
      strategy,
      maxPayloadMb,
      concurrency,
      pid: server.pid,
    });
    const base = await inputBase(job);
    let records = 0;
    let requests = 0;
    const failed: Array<{ file: string; error: string }> = [];
    for (const file of files) {
      const rel = relative(base, file);
      try {
        if (job.signal?.aborted)
          throw new SagebrewError("SB_TRANSFORM", "Cannot transform the file: the job was stopped");
        const input = file === files[0] && firstInput ? await firstInput : await readInput(file, job, rel);
        const out = await transformFile(server, job, input, rel, { strategy, maxPayloadMb, concurrency });
        const target = join(job.outputDir, `${rel}.out`);
        await mkdir(dirname(target), { recursive: true });
        const tmp = `${target}.partial-${process.pid}`;
        await writeFile(tmp, out.body);
        await rename(tmp, target);
        records += out.records;
        requests += out.requests;
        job.onProgress?.({ kind: "file", file: rel, ok: true, records: out.records });
      } catch (e) {
        const err = toSagebrewError(e, "SB_TRANSFORM");
        failed.push({ file: rel, error: err.message });
        await rm(join(job.outputDir, `${rel}.out`), { force: true });
        job.onProgress?.({ kind: "file", file: rel, ok: false, records: 0, error: err.message });
      }
    }
    return {
      files: files.length,
      succeeded: files.length - failed.length,
      failed,
      records,
      requests,
      seconds: (Date.now() - started) / 1000,
      strategy,
      maxPayloadMb,
      concurrency,
    };
  } finally {
    await server.stop();
  }
}

interface Effective {
  readonly strategy: BatchStrategy;
  readonly maxPayloadMb: number;
  readonly concurrency: number;
}

/** The directory that output paths are relative to. */
async function inputBase(job: TransformJob): Promise<string> {
  return (await stat(job.inputPath)).isFile() ? dirname(job.inputPath) : job.inputPath;
}

/** Reads one input file and splits it into records. */
async function readInput(file: string, job: TransformJob, rel: string): Promise<Records> {
  const buf = await readFile(file); // a view of it, not a copy
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  return splitRecords(bytes, job.splitType, { source: rel });
}

async function transformFile(
  server: ServeProcess,
  job: TransformJob,
  inputs: Records,
  rel: string,
  eff: Effective,
): Promise<{ body: Uint8Array; records: number; requests: number }> {
  const dp = job.dataProcessing;
  if (dp && job.splitType !== "Line") {
    throw new SagebrewError("SB_USAGE", "InputFilter, OutputFilter and JoinSource=Input need SplitType=Line");
  }
  const sent = dp
    ? recordsOf(
        Array.from({ length: inputs.count }, (_, i) =>
          enc.encode(filterInput(recordAt(inputs, i), dp, `record ${i + 1} of ${rel}`)),
        ),
      )
    : inputs;
  const batches = batchRecords(sent, {
    strategy: eff.strategy,
    splitType: job.splitType,
    maxPayloadBytes: Math.floor(eff.maxPayloadMb * 1024 * 1024),
    source: rel,
  });
  const headers: Record<string, string> = { "content-type": job.contentType };
  if (job.accept) headers.accept = job.accept;
  let done = 0;
  const bodies = await pool(batches, eff.concurrency, async (b) => {
    if (job.signal?.aborted)
      throw new SagebrewError("SB_TRANSFORM", "Cannot transform the file: the job was stopped");
    const r = await server.post(ROUTES.invocations, b.body, headers);
    if (r.status !== 200) {
      const which = b.count === 1 ? `record ${b.first + 1}` : `records ${b.first + 1}–${b.first + b.count}`;
      throw new SagebrewError(
        "SB_TRANSFORM",
        `Cannot transform ${which} of ${rel}: serve answered ${r.status}: ${r.body.toString().trim().slice(0, 500)}`,
      );
    }
    job.onProgress?.({ kind: "requests", file: rel, done: ++done, total: batches.length });
    return r.body;
  });
  let body: Uint8Array;
  if (dp) {
    const lines: string[] = [];
    bodies.forEach((buf, k) => {
      const b = batches[k]!;
      const outLines = dec.decode(buf).split("\n");
      if (outLines[outLines.length - 1] === "") outLines.pop();
      if (outLines.length !== b.count) {
        throw new SagebrewError(
          "SB_TRANSFORM",
          `Cannot join the output of ${rel}: a request with ${b.count} records got ${outLines.length} lines back`,
        );
      }
      outLines.forEach((line, j) => {
        const i = b.first + j;
        lines.push(joinOutput(recordAt(inputs, i), line.replace(/\r$/, ""), dp, `record ${i + 1} of ${rel}`));
      });
    });
    body = enc.encode(lines.length ? `${lines.join("\n")}\n` : "");
  } else body = assemble(bodies, job.assembleWith);
  return { body, records: inputs.count, requests: batches.length };
}

/** `AssembleWith`: `None` concatenates response bodies; `Line` ends each with one newline. */
export function assemble(bodies: readonly Uint8Array[], assembleWith: "None" | "Line"): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const b of bodies) {
    parts.push(b);
    if (assembleWith === "Line" && (b.length === 0 || b[b.length - 1] !== 0x0a))
      parts.push(Uint8Array.of(0x0a));
  }
  return Buffer.concat(parts);
}
