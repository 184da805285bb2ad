/**
 * Pipe mode (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html): a channel arrives as FIFOs `<channel>_<epoch>`, one per
 * epoch, created by SageMaker and written while the algorithm reads. XGBoost trains from memory,
 * so sagebrew reads epoch 0 once (`data.ts` parses CSV block by block as it arrives). SageMaker
 * wraps each S3 object in a RecordIO record when the channel says `RecordWrapperType: RecordIO`.
 */
import { open, stat } from "node:fs/promises";
import { scanFrames } from "../codecs/recordio.js";
import { SagebrewError } from "../errors/index.js";

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

/** The FIFO of a pipe-mode channel's first epoch, once it exists. */
export async function openPipe(dataDir: string, channel: string, waitMs = 600_000): Promise<string> {
  const path = `${dataDir}/${channel}_0`;
  await waitFor(path, waitMs);
  return path;
}

/** Reads a whole FIFO; RecordIO-wrapped objects are unwrapped unless the format is RecordIO itself. */
export async function readPipe(
  path: string,
  options: { source: string; recordWrapper: "None" | "RecordIO"; keepFrames: boolean },
): Promise<Uint8Array> {
  const bytes = await readAll(path);
  return options.recordWrapper === "RecordIO" && !options.keepFrames ? unwrap(bytes, options.source) : bytes;
}
