/**
 * Finds a channel's data: every file below `input/data/<channel>/`, recursively, in a stable
 * (byte-wise sorted path) order, and the codec for each from the channel's `ContentType`, or —
 * when none is declared — from the file extension and then the content. Hidden files and
 * `_`-prefixed markers (`_SUCCESS`) are skipped and reported.
 */
import { readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { SagebrewError } from "../errors/index.js";

export type DataFormat = "csv" | "libsvm" | "parquet" | "recordio-protobuf";

export interface ChannelFile {
  readonly path: string;
  /** Path relative to the channel directory, for messages. */
  readonly name: string;
  readonly size: number;
}

export interface ChannelListing {
  readonly files: readonly ChannelFile[];
  readonly skipped: readonly string[];
}

/** Lists the data files of a channel directory. */
export async function listChannelFiles(dir: string, channel: string): Promise<ChannelListing> {
  const files: ChannelFile[] = [];
  const skipped: string[] = [];
  async function walk(d: string): Promise<void> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      throw new SagebrewError(
        "SB_DATA_READ",
        `Cannot read channel ${channel} directory ${d}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.name.startsWith(".") || e.name.startsWith("_")) {
        skipped.push(relative(dir, p));
        continue;
      }
      if (e.isDirectory()) await walk(p);
      else {
        const st = await stat(p).catch((err: unknown) => {
          throw new SagebrewError(
            "SB_DATA_READ",
            `Cannot read ${relative(dir, p)} in channel ${channel}: ${(err as Error).message}`,
          );
        });
        if (st.isFile()) files.push({ path: p, name: relative(dir, p), size: st.size });
      }
    }
  }
  await walk(dir);
  return { files, skipped };
}

/** Maps a content type (any case, with parameters) to a data format. */
export function formatOfContentType(
  contentType: string,
): { format: DataFormat; params: Record<string, string> } | undefined {
  const [type = "", ...rest] = contentType.split(";");
  const params: Record<string, string> = {};
  for (const p of rest) {
    const [k, v] = p.split("=");
    if (k && v !== undefined) params[k.trim().toLowerCase()] = v.trim().replace(/^"|"$/g, "");
  }
  switch (type.trim().toLowerCase()) {
    case "csv":
    case "text/csv":
      return { format: "csv", params };
    case "libsvm":
    case "text/libsvm":
    case "text/x-libsvm":
      return { format: "libsvm", params };
    case "parquet":
    case "application/x-parquet":
      return { format: "parquet", params };
    case "recordio-protobuf":
    case "application/x-recordio-protobuf":
      return { format: "recordio-protobuf", params };
    default:
      return undefined;
  }
}

/** Guesses the format of an undeclared channel file from its extension, then its first bytes. */
export function guessFormat(name: string, head: Uint8Array): DataFormat {
  const lower = name.toLowerCase();
  if (lower.endsWith(".csv") || lower.endsWith(".csv.gz")) return "csv";
  if (lower.endsWith(".libsvm") || lower.endsWith(".svm")) return "libsvm";
  if (lower.endsWith(".parquet")) return "parquet";
  if (lower.endsWith(".rec") || lower.endsWith(".pbr") || lower.endsWith(".recordio"))
    return "recordio-protobuf";
  if (head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31) return "parquet"; // PAR1
  if (head[0] === 0x0a && head[1] === 0x23 && head[2] === 0xd7 && head[3] === 0xce)
    return "recordio-protobuf";
  const firstLine = new TextDecoder().decode(head.subarray(0, 4096)).split("\n")[0] ?? "";
  return /(^|\s)\d+:\S/.test(firstLine) && !firstLine.includes(",") ? "libsvm" : "csv";
}
