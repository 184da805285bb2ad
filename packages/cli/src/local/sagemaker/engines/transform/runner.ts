/**
 * Transform jobs (https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform.html): the input objects are downloaded, split by key across the job's
 * instances, and run through sagebrew's local batch transform (`local/transform`: split, batch,
 * `serve`, assemble, join and filter) with the job's settings; every `<input>.out` goes to
 * `<S3OutputPath>/<relative path>.out`. `serve`'s output is the job's log stream
 * `<job>/<instance-id>-<epoch>` in `/aws/sagemaker/TransformJobs`.
 */
import { createHash } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { extractModelArchive, listFiles } from "../../../model-archive.js";
import {
  compileJsonPath,
  type DataProcessing,
  recordFormat,
  runTransform,
} from "../../../transform/index.js";
import { containerOf, type TransformJobDoc } from "../../docs.js";
import type { LogStore } from "../../logs/index.js";
import type { TransformEngine, TransformJobEvent, TransformJobLedger } from "../../resources/index.js";
import { joinUri, type ObjectStorage, pathForKey } from "../../storage/index.js";
import type { RuntimePrograms } from "../containers/index.js";

export const TRANSFORM_LOG_GROUP = "/aws/sagemaker/TransformJobs";

export interface TransformRunnerOptions {
  /** The transform jobs: their documents, and their state machine to report to. */
  readonly jobs: TransformJobLedger;
  readonly logs: LogStore;
  readonly storage: ObjectStorage;
  readonly programs: RuntimePrograms;
  readonly workDir: string;
  readonly now: () => number;
  readonly env: NodeJS.ProcessEnv;
  readonly warn: (message: string) => void;
}

/** The environment `serve` inherits: the machine's, without the front's own SageMaker settings. */
function inherited(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env))
    if (!k.startsWith("SAGEMAKER_") && !k.startsWith("AWS_ENDPOINT_URL")) out[k] = v;
  return out;
}

function dataProcessing(job: TransformJobDoc): DataProcessing | undefined {
  const dp = job.DataProcessing;
  if (!dp || (!dp.InputFilter && !dp.OutputFilter && dp.JoinSource !== "Input")) return undefined;
  const contentType = job.TransformInput.ContentType ?? "application/octet-stream";
  const inputFormat = recordFormat(contentType);
  const outputFormat = recordFormat(job.TransformOutput.Accept ?? contentType);
  if (!inputFormat || !outputFormat) {
    throw new Error(
      "InputFilter, OutputFilter and JoinSource need CSV or JSON (Lines) content and accept types",
    );
  }
  return {
    joinSource: dp.JoinSource ?? "None",
    inputFormat,
    outputFormat,
    ...(dp.InputFilter ? { inputFilter: compileJsonPath(dp.InputFilter) } : {}),
    ...(dp.OutputFilter ? { outputFilter: compileJsonPath(dp.OutputFilter) } : {}),
  };
}

export class TransformRunner implements TransformEngine {
  readonly #o: TransformRunnerOptions;
  readonly #aborts = new Map<string, AbortController>();
  readonly #runs = new Map<string, Promise<void>>();

  constructor(options: TransformRunnerOptions) {
    this.#o = options;
  }

  start(job: TransformJobDoc): void {
    const abort = new AbortController();
    const key = job.name.toLowerCase();
    this.#aborts.set(key, abort);
    const run = this.#run(job.name, abort.signal)
      .catch(async (e: Error) => {
        // Whatever went wrong, the job ends, saying so.
        await this.#o.logs.flush();
        await this.#report(job.name, { type: "failed", reason: `ClientError: ${e.message}` }).catch(
          () => undefined,
        );
      })
      .finally(() => this.#aborts.delete(key));
    this.#runs.set(key, run);
  }

  stop(job: TransformJobDoc): void {
    this.#aborts.get(job.name.toLowerCase())?.abort();
  }

  async settled(name: string): Promise<void> {
    await this.#runs.get(name.toLowerCase());
  }

  /** Jobs that were running when `sagebrew local` last stopped end, saying so. */
  async recover(): Promise<void> {
    for (const job of this.#o.jobs.list()) {
      if (job.TransformJobStatus !== "InProgress" && job.TransformJobStatus !== "Stopping") continue;
      await this.#o.jobs.apply(job.name, { type: "interrupted" });
    }
  }

  async close(): Promise<void> {
    for (const a of this.#aborts.values()) a.abort();
    await Promise.allSettled([...this.#runs.values()]);
  }

  #report(name: string, event: TransformJobEvent) {
    return this.#o.jobs.report(name, event);
  }

  async #run(name: string, signal: AbortSignal): Promise<void> {
    const job = this.#o.jobs.get(name);
    if (!job) return;
    const dir = join(this.#o.workDir, name.toLowerCase());
    await rm(dir, { recursive: true, force: true });
    const start = this.#o.now();
    if (!("doc" in (await this.#report(name, { type: "started" })))) {
      await this.#report(name, { type: "stopped" });
      return;
    }
    const container = containerOf(job._model);
    const modelUrl = container.ModelDataUrl ?? container.ModelDataSource?.S3DataSource.S3Uri;
    const base = join(dir, "opt_ml");
    await mkdir(join(base, "model"), { recursive: true });
    if (modelUrl) {
      const archive = join(dir, "model.tar.gz");
      await this.#o.storage.download(modelUrl, archive);
      await extractModelArchive(archive, join(base, "model"));
    }
    const source = job.TransformInput.DataSource.S3DataSource;
    const objects = await this.#o.storage.list(source.S3Uri, source.S3DataType);
    const count = Math.max(1, Math.min(job.TransformResources.InstanceCount, objects.length));
    const epoch = Math.floor(start);
    const dp = dataProcessing(job);
    // Every key is checked before any instance starts, so that none runs for a job that fails.
    for (const [i, o] of objects.entries()) {
      try {
        pathForKey(join(dir, `input-${(i % count) + 1}`), o, "the transform job's input directory");
      } catch (e) {
        throw new Error(`Cannot download the input data: ${(e as Error).message}`);
      }
    }
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const id = `i-${createHash("sha256").update(`${job.TransformJobName}/${index}`).digest("hex").slice(0, 17)}`;
        const stream = `${job.TransformJobName}/${id}-${epoch}`;
        const log = (line: string) => this.#o.logs.write(TRANSFORM_LOG_GROUP, stream, line);
        const inputDir = join(dir, `input-${index + 1}`);
        const outputDir = join(dir, `output-${index + 1}`);
        await mkdir(inputDir, { recursive: true });
        // Objects are split across instances by key, one object to one instance.
        const mine = objects.filter((_, i) => i % count === index);
        const placed = mine.map((o) => pathForKey(inputDir, o, "the transform job's input directory"));
        for (const [i, o] of mine.entries()) await this.#o.storage.download(o.uri, placed[i]!);
        const summary = await runTransform({
          inputPath: inputDir,
          outputDir,
          baseDir: base,
          serveCommand: this.#o.programs.serve,
          contentType: job.TransformInput.ContentType ?? "application/octet-stream",
          ...(job.TransformOutput.Accept ? { accept: job.TransformOutput.Accept } : {}),
          splitType: (job.TransformInput.SplitType ?? "None") as "None" | "Line" | "RecordIO",
          assembleWith: job.TransformOutput.AssembleWith ?? "None",
          ...(job.BatchStrategy ? { batchStrategy: job.BatchStrategy } : {}),
          ...(job.MaxPayloadInMB ? { maxPayloadMb: job.MaxPayloadInMB } : {}),
          ...(job.MaxConcurrentTransforms ? { maxConcurrentTransforms: job.MaxConcurrentTransforms } : {}),
          ...(dp ? { dataProcessing: dp } : {}),
          env: { ...inherited(this.#o.env), ...(container.Environment ?? {}), ...(job.Environment ?? {}) },
          onServeLine: log,
          onProgress: (e) => {
            if (e.kind === "file")
              log(e.ok ? `ok ${e.file} (${e.records} records)` : `failed ${e.file}: ${e.error}`);
          },
          signal,
        });
        for (const f of summary.failed) failures.push(`${f.file}: ${f.error}`);
        for (const f of await listFiles(outputDir)) {
          await this.#o.storage.upload(join(outputDir, f), joinUri(job.TransformOutput.S3OutputPath, f));
        }
      }),
    );
    await this.#o.logs.flush();
    if (signal.aborted) {
      await this.#report(name, { type: "stopped" });
      return;
    }
    if (failures.length) {
      await this.#report(name, {
        type: "failed",
        reason: `ClientError: ${failures.length} file(s) failed; the first: ${failures[0]}`,
      });
      return;
    }
    await this.#report(name, { type: "completed" });
  }
}
