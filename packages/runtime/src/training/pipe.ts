/**
 * Pipe mode (`shared/contract.md` §1.6): a channel arrives as FIFOs `<channel>_<epoch>`, one per
 * epoch, created by SageMaker and written while the algorithm reads. XGBoost trains from memory,
 * so sagebrew reads epoch 0 once, streaming: CSV is parsed block by block as it arrives.
 */
import { open, stat } from "node:fs/promises";
import { scanFrames } from "../codecs/_recordio.js";
import type { Dataset } from "../codecs/types.js";
import { SagebrewError } from "../errors/index.js";
import { parseCsvRange } from "./_csv-range.js";
import type { DataFormat } from "./channels.js";
import { TRAINING_DECODERS } from "./data.js";

export interface PipeOptions {
  readonly format: DataFormat;
  readonly params: Readonly<Record<string, string>>;
  readonly csvWeights: boolean;
  /** SageMaker wraps each S3 object in a RecordIO record when the channel says `RecordIO`. */
  readonly recordWrapper: "None" | "RecordIO";
  /** How long to wait for the FIFO to appear. Default 10 minutes. */
  readonly waitMs?: number;
}

async function waitFor(path: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await stat(path);
      return;
    } catch {
      if (Date.now() > deadline) {
        throw new SagebrewError(
          "SB_CHANNEL_MISSING",
          `Cannot read pipe-mode channel: ${path} did not appear within ${Math.round(waitMs / 1000)} s`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function readAll(path: string): Promise<Buffer> {
  const fh = await open(path, "r");
  try {
    const chunks: Buffer[] = [];
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
    }
    return Buffer.concat(chunks);
  } finally {
    await fh.close();
  }
}

/** Concatenates the payloads of RecordIO-wrapped objects. */
function unwrap(bytes: Uint8Array, source: string): Uint8Array {
  const parts: Uint8Array[] = [];
  try {
    scanFrames(bytes, (payload, start, end) => {
      parts.push(payload.subarray(start, end));
    });
  } catch (e) {
    throw new SagebrewError(
      "SB_DATA_PARSE",
      `Cannot unwrap RecordIO records of ${source}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  return Buffer.concat(parts);
}

/** Reads epoch 0 of a pipe-mode channel into row batches. */
export async function loadPipeChannel(
  dataDir: string,
  channel: string,
  options: PipeOptions,
): Promise<Dataset[]> {
  const path = `${dataDir}/${channel}_0`;
  await waitFor(path, options.waitMs ?? 600_000);
  const source = `${channel}_0`;
  if (options.format === "csv" && options.recordWrapper === "None") {
    const labelSize = options.params.label_size;
    if (labelSize !== undefined && labelSize !== "1") {
      throw new SagebrewError(
        "SB_CHANNEL_INVALID",
        `Cannot read ${source}: content type parameter label_size=${labelSize} is not supported (only 1)`,
      );
    }
    const batches: Dataset[] = [];
    await parseCsvRange(
      {
        path,
        source,
        start: 0,
        end: Number.POSITIVE_INFINITY,
        sequential: true,
        firstLine: 1,
        header: options.params.header === "present" ? "present" : "absent",
        label: true,
        weight: options.csvWeights,
      },
      (d) => batches.push(d),
    );
    return batches;
  }
  let bytes: Uint8Array = await readAll(path);
  if (options.recordWrapper === "RecordIO" && options.format !== "recordio-protobuf")
    bytes = unwrap(bytes, source);
  const d = await TRAINING_DECODERS[options.format](bytes, {
    source,
    csvWeights: options.csvWeights,
    params: options.params,
  });
  return d.features.rows > 0 ? [d] : [];
}
