/**
 * Reads a channel's rows through the codec registry: each file's format from the channel's
 * `ContentType`, else from its name or first bytes; whole (`readChannel`) or in batches
 * (`streamChannel`); from files or, in pipe mode, from the FIFO. Every error names the channel
 * and the file.
 *
 * Two formats have faster or safer readers of whole files than "read the bytes, call the
 * decoder", and use them: a CSV file over 16 MiB is parsed by several threads (`csv-file.ts`), and
 * Parquet is decoded on its own thread under a time budget (`parquet-file.ts`). They decode with
 * the same codecs; every other format (a registered one too) goes the plain way.
 */
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { checkParts, concatDatasets } from "../codecs/concat.js";
import type { Codec, CodecRegistry, DecodeOptions } from "../codecs/registry.js";
import type { Dataset } from "../codecs/types.js";
import type { ChannelConfig } from "../config/data-config.js";
import { SagebrewError } from "../errors/index.js";
import { parseCsvRange } from "./_csv-range.js";
import type { ChannelData, ReadOptions, TrainingLogger } from "./algorithm.js";
import { type ChannelFile, type ChannelListing, listChannelFiles } from "./channels.js";
import { loadCsvFile } from "./csv-file.js";
import { decodeParquetFile } from "./parquet-file.js";
import { openPipe, readPipe } from "./pipe.js";

/** Where a channel's data is and how to read it. */
export interface ChannelSource {
  /** The declared name (`train`). */
  readonly name: string;
  /** The directory name under `input/data/` (`training`), or the pipe's prefix. */
  readonly directory: string;
  readonly dataDir: string;
  readonly config: ChannelConfig | undefined;
  readonly codecs: CodecRegistry;
  /** The channel's declared content types, when it restricts them. */
  readonly accepted?: readonly string[];
  readonly logger: TrainingLogger;
}

/** A file and the codec that reads it. */
interface Planned {
  readonly file: ChannelFile;
  readonly source: string;
  readonly codec: Codec;
  readonly options: DecodeOptions;
}

const HEAD_BYTES = 4096;

function readError(file: string, channel: string, e: unknown): SagebrewError {
  return new SagebrewError(
    "SB_DATA_READ",
    `Cannot read ${file} in channel ${channel}: ${(e as Error).message}`,
    {
      cause: e,
    },
  );
}

async function readHead(path: string): Promise<Uint8Array> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The declared codec (checked once), or undefined when each file's format is detected. */
function declaredCodec(
  src: ChannelSource,
): { codec: Codec; params: Readonly<Record<string, string>> } | undefined {
  const contentType = src.config?.contentType;
  if (!contentType) return undefined;
  return src.codecs.decoderFor(contentType, {
    purpose: "training",
    channel: src.directory,
    ...(src.accepted ? { accepted: src.accepted } : {}),
  });
}

function decodeOptions(
  source: string,
  params: Readonly<Record<string, string>>,
  o: ReadOptions,
): DecodeOptions {
  return { source, labels: o.labels ?? true, weights: o.weights ?? false, params };
}

/** Lists the files and settles each one's codec; reports what the listing skipped or followed. */
async function plan(
  src: ChannelSource,
  o: ReadOptions,
): Promise<{ planned: Planned[]; listing: ChannelListing; detected: boolean }> {
  const dir = join(src.dataDir, src.directory);
  const listing = await listChannelFiles(dir, src.directory);
  report(src, listing);
  if (listing.files.length === 0) {
    throw new SagebrewError(
      "SB_CHANNEL_EMPTY",
      `Cannot train: channel ${src.directory} holds no data files (${dir} is empty)`,
    );
  }
  const declared = declaredCodec(src);
  const planned: Planned[] = [];
  for (const file of listing.files) {
    if (file.size === 0) continue;
    const source = `${src.directory}/${file.name}`;
    let codec = declared?.codec;
    if (!codec) {
      const head = src.codecs.knowsByName(file.name)
        ? undefined
        : await readHead(file.path).catch((e: unknown) => {
            throw readError(file.name, src.directory, e);
          });
      codec = src.codecs.detect(file.name, head);
    }
    planned.push({ file, source, codec, options: decodeOptions(source, declared?.params ?? {}, o) });
  }
  return { planned, listing, detected: declared === undefined };
}

function report(src: ChannelSource, listing: ChannelListing): void {
  const ch = `channel ${src.directory}`;
  if (listing.skipped.length) src.logger.info(`${ch}: skipped hidden files ${listing.skipped.join(", ")}`);
  for (const l of listing.links)
    src.logger.info(`${ch}: followed the symbolic link ${l.name} to ${l.kind} ${l.target}`);
  if (listing.loops.length)
    src.logger.warn(
      `${ch}: did not follow ${listing.loops.join(", ")}: they lead to a directory already read`,
    );
}

/** Training data must carry labels; says so naming the file when it does not. */
function requireLabels(d: Dataset, p: { source: string; options: DecodeOptions }): Dataset {
  if (p.options.labels && d.features.rows > 0 && !d.labels && !d.labelStrings) {
    throw new SagebrewError("SB_LABEL", `Cannot train on ${p.source}: the records carry no labels`);
  }
  return d;
}

/** One file, whole, as one or more batches. */
async function readFileRows(p: Planned, channel: string): Promise<Dataset[]> {
  const { codec, options, file } = p;
  if (codec.name === "csv" && options.labels) {
    // Same decoder as the codec (`parseCsv`), over line-aligned ranges on several threads.
    const batches = await loadCsvFile(file.path, {
      source: p.source,
      weight: options.weights,
      header: options.params.header === "present" ? "present" : "absent",
    }).catch((e: unknown) => {
      const code = (e as NodeJS.ErrnoException).code;
      throw code === "ENOENT" || code === "EACCES" ? readError(file.name, channel, e) : e;
    });
    return batches.map((d) => requireLabels(d, p));
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(file.path);
  } catch (e) {
    throw readError(file.name, channel, e);
  }
  if (bytes.length === 0) return [];
  const d =
    codec.name === "parquet"
      ? await decodeParquetFile(bytes, { source: p.source })
      : await codec.decode!(bytes, options);
  return d.features.rows > 0 ? [requireLabels(d, p)] : [];
}

function summarize(parts: Dataset[], formats: Set<string>, bytes: number, channel: string): ChannelData {
  checkParts(parts, channel);
  return {
    parts,
    rows: parts.reduce((s, p) => s + p.features.rows, 0),
    cols: parts.reduce((m, p) => Math.max(m, p.features.cols), 0),
    formats,
    bytes,
  };
}

/**
 * Reads and decodes every file of a channel (or its pipe), in order.
 *
 * @throws SagebrewError SB_CHANNEL_EMPTY when it holds no files or no rows; SB_DATA_READ,
 *   SB_DATA_PARSE, SB_LABEL naming the file; SB_CHANNEL_INVALID for an unsupported content type.
 */
export async function readChannel(src: ChannelSource, o: ReadOptions = {}): Promise<ChannelData> {
  if (src.config?.inputMode === "Pipe") return readPipeChannel(src, o);
  const { planned, listing, detected } = await plan(src, o);
  const parts: Dataset[] = [];
  const formats = new Set<string>();
  for (const p of planned) {
    formats.add(p.codec.name);
    parts.push(...(await readFileRows(p, src.directory)));
  }
  const bytes = listing.files.reduce((s, f) => s + f.size, 0);
  const data = summarize(parts, formats, bytes, src.directory);
  const n = listing.files.length;
  if (data.rows === 0) {
    throw new SagebrewError(
      "SB_CHANNEL_EMPTY",
      `Cannot train: channel ${src.directory} holds no data rows (${n} file${n === 1 ? "" : "s"}, ${bytes} bytes)`,
    );
  }
  src.logger.info(
    `channel ${src.directory}: ${data.rows} rows x ${data.cols} features from ${n} file${n === 1 ? "" : "s"} (${[...formats].join(", ")}${detected ? ", detected" : ""})`,
  );
  return data;
}

/** Reads a channel into one data set. */
export async function readChannelDataset(src: ChannelSource, o: ReadOptions = {}): Promise<Dataset> {
  const data = await readChannel(src, o);
  return concatDatasets(data.parts, src.directory);
}

/** The pipe's codec: the declared one, else CSV (SageMaker's default content type). */
function pipeCodec(src: ChannelSource): { codec: Codec; params: Readonly<Record<string, string>> } {
  return (
    declaredCodec(src) ?? src.codecs.decoderFor("text/csv", { purpose: "training", channel: src.directory })
  );
}

async function readPipeChannel(src: ChannelSource, o: ReadOptions): Promise<ChannelData> {
  const { codec } = pipeCodec(src);
  const parts: Dataset[] = [];
  for await (const d of streamPipe(src, o)) parts.push(d);
  const data = summarize(parts, new Set([codec.name]), 0, src.directory);
  if (data.rows === 0) {
    throw new SagebrewError(
      "SB_CHANNEL_EMPTY",
      `Cannot train: pipe-mode channel ${src.directory} delivered no data rows`,
    );
  }
  src.logger.info(
    `channel ${src.directory}: ${data.rows} rows x ${data.cols} features from pipe ${src.directory}_0 (${codec.name})`,
  );
  return data;
}

/**
 * Streams the rows of a channel in batches: CSV in 32 MiB blocks as they are read, other formats
 * one file at a time; a pipe-mode channel as it arrives. Holds one batch at a time.
 */
export async function* streamChannel(src: ChannelSource, o: ReadOptions = {}): AsyncGenerator<Dataset> {
  if (src.config?.inputMode === "Pipe") {
    yield* streamPipe(src, o);
    return;
  }
  const { planned } = await plan(src, o);
  for (const p of planned) {
    if (p.codec.name === "csv") {
      yield* streamCsv(p.file.path, p.source, p.options, false);
      continue;
    }
    yield* await readFileRows(p, src.directory);
  }
}

async function* streamPipe(src: ChannelSource, o: ReadOptions): AsyncGenerator<Dataset> {
  const { codec, params } = pipeCodec(src);
  const path = await openPipe(src.dataDir, src.directory);
  const source = `${src.directory}_0`;
  const options = decodeOptions(source, params, o);
  const wrapped = src.config?.recordWrapper === "RecordIO";
  if (codec.name === "csv" && !wrapped) {
    yield* streamCsv(path, source, options, true);
    return;
  }
  const bytes = await readPipe(path, {
    source,
    recordWrapper: src.config?.recordWrapper ?? "None",
    keepFrames: codec.name === "recordio-protobuf",
  });
  const d = await codec.decode!(bytes, options);
  if (d.features.rows > 0) yield requireLabels(d, { source, options });
}

/** CSV block by block, each batch handed over before the next block is read. */
function streamCsv(
  path: string,
  source: string,
  options: DecodeOptions,
  fifo: boolean,
): AsyncGenerator<Dataset> {
  return fromCallbacks<Dataset>((emit) =>
    parseCsvRange(
      {
        path,
        source,
        start: 0,
        end: Number.POSITIVE_INFINITY,
        sequential: true,
        firstLine: 1,
        header: options.params.header === "present" ? "present" : "absent",
        label: options.labels,
        weight: options.weights,
      },
      (d) => emit(requireLabels(d, { source, options })),
    ).catch((e: unknown) => {
      const code = (e as NodeJS.ErrnoException).code;
      throw !fifo && (code === "ENOENT" || code === "EACCES")
        ? readError(source, source.split("/")[0]!, e)
        : e;
    }),
  );
}

/**
 * An async generator over what a producer emits through a callback. The producer reads on while
 * the consumer holds one item, then waits until it is taken; a consumer that stops early stops it.
 */
async function* fromCallbacks<T>(
  produce: (emit: (item: T) => Promise<void>) => Promise<void>,
): AsyncGenerator<T> {
  const stop = new Error("stopped by the consumer");
  let pending: { item: T; taken: () => void; cancel: (e: Error) => void } | undefined;
  let wake: (() => void) | undefined;
  let finished: { error?: unknown } | undefined;
  let closed = false;
  const signal = () => {
    wake?.();
    wake = undefined;
  };
  const running = produce(
    (item) =>
      new Promise<void>((taken, cancel) => {
        if (closed) return cancel(stop);
        pending = { item, taken, cancel };
        signal();
      }),
  ).then(
    () => {
      finished = {};
      signal();
    },
    (error: unknown) => {
      finished = { error };
      signal();
    },
  );
  try {
    for (;;) {
      if (pending) {
        const { item, taken } = pending;
        pending = undefined;
        taken();
        yield item;
        continue;
      }
      if (finished) {
        if ("error" in finished && finished.error !== undefined) throw finished.error;
        return;
      }
      await new Promise<void>((r) => {
        wake = r;
      });
    }
  } finally {
    if (!finished) {
      closed = true;
      pending?.cancel(stop);
      await running;
    }
  }
}
