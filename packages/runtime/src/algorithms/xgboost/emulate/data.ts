/**
 * A channel's files as SageMaker's XGBoost container reads them in File mode (`data_utils.py`,
 * called by `algorithm_mode/train.py`'s `get_validated_dmatrices`): the size check that refuses
 * hidden files, the first-line checks of CSV and libsvm, then every file of the channel (three
 * directory levels deep) parsed as XGBoost parses it — CSV with the sniffed delimiter and XGBoost's
 * CSV parser (`_csv.ts`), libsvm with sagebrew's parser (XGBoost's own reads malformed lines
 * leniently; docs/compatibility.md). Parquet, RecordIO-protobuf and Pipe mode are read by sagebrew's
 * codecs (the container uses pandas and MLIO there).
 */
import type { Dirent } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseLibsvm } from "../../../codecs/libsvm.js";
import type { Dataset } from "../../../codecs/types.js";
import { isSagebrewError } from "../../../errors/index.js";
import { parseCsvAsXGBoost, sniffDelimiter } from "./_csv.js";
import type { UpstreamFormat } from "./channels.js";
import { UpstreamError } from "./hyperparameters.js";

/** Where the container finds a channel (`SM_CHANNEL_<NAME>`), as its messages name it. */
export const containerChannelPath = (channel: string) => `/opt/ml/input/data/${channel}`;

/** `data_utils.MAX_FOLDER_DEPTH`: files deeper below the channel directory are not read. */
const MAX_FOLDER_DEPTH = 3;

const byName = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

async function entries(dir: string): Promise<Dirent[]> {
  return (await readdir(dir, { withFileTypes: true }).catch(() => [] as Dirent[])).sort(byName);
}

const statOf = (p: string) => stat(p).catch(() => undefined);

/**
 * `data_utils.get_size` (File mode): the bytes of every file below `dir`, 0 when it does not exist.
 *
 * @throws UpstreamError UserError for a hidden file anywhere below it.
 */
export async function upstreamSize(dir: string): Promise<number> {
  const top = await statOf(dir);
  if (!top) return 0;
  if (!top.isDirectory()) return top.size;
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await entries(d)) {
      const p = join(d, e.name);
      // os.walk lists links among the files, and does not descend into links to directories.
      if (e.isDirectory()) {
        await walk(p);
        continue;
      }
      const s = await statOf(p);
      if (e.isSymbolicLink() && s?.isDirectory()) continue;
      if (e.name.startsWith("."))
        throw new UpstreamError(
          "UserError",
          "Hidden file found in the data path! Remove that before training.",
        );
      total += s?.size ?? 0;
    }
  };
  await walk(dir);
  return total;
}

/** `_is_data_file`: not hidden, not `_`-prefixed, not an XGBoost cache file. */
const isDataFile = (name: string) =>
  !name.startsWith(".") && !name.startsWith("_") && !(name.includes(".cache") && /dtrain|dval/.test(name));

/** Python's text of a file opened with `errors="ignore"`. */
async function textOf(path: string): Promise<string> {
  return new TextDecoder("utf-8").decode(await readFile(path)).replaceAll("\ufffd", "");
}

/** The first line with its newline, as Python's `readline()` returns it (universal newlines). */
function firstLine(text: string): string {
  const m = /\r\n|\n|\r/.exec(text);
  return m ? `${text.slice(0, m.index)}\n` : text;
}

/**
 * `data_utils.validate_data_file_path`: the data files of the first directory without
 * subdirectories (walking in name order; the container walks in directory order) — CSV: the
 * delimiter of each file's first line; libsvm: the first line with features of each file.
 *
 * @returns the container's warnings.
 * @throws UpstreamError UserError with the container's message.
 */
export async function validateUpstreamFiles(dir: string, format: UpstreamFormat): Promise<string[]> {
  const top = await statOf(dir);
  let paths: string[];
  if (top?.isDirectory()) {
    let leaf = dir;
    for (;;) {
      const sub = (await entries(leaf)).find((e) => e.isDirectory());
      if (!sub) break;
      leaf = join(leaf, sub.name);
    }
    paths = [];
    for (const e of await entries(leaf)) {
      if (isDataFile(e.name) && (await statOf(join(leaf, e.name)))?.isFile()) paths.push(join(leaf, e.name));
    }
  } else paths = [dir];
  const warnings: string[] = [];
  for (const path of paths) {
    const text = await textOf(path);
    if (format === "csv") sniffDelimiter(firstLine(text));
    if (format === "libsvm") {
      const warning = validateLibsvmText(text, path.split("/").at(-1)!);
      if (warning) warnings.push(warning);
    }
  }
  return warnings;
}

/** `_validate_libsvm_format`: lines are checked until one has more than one feature. */
function validateLibsvmText(text: string, fileName: string): string | undefined {
  const lines = text.split(/(?<=\r\n|\n|\r)/).map((l) => l.replace(/\r\n?$/, "\n"));
  for (const line of lines) {
    if (line === "") continue;
    const n = libsvmFeatures(line);
    if (n > 1) return undefined;
    if (n < 0) {
      throw new UpstreamError(
        "UserError",
        `First line '${line.slice(0, 50)}...' of file '${fileName}' is not 'LIBSVM' format. Please ensure the file is in 'LIBSVM' format.`,
      );
    }
  }
  return `File ${fileName} is not an invalid LIBSVM file but has no features. Accepting simple validation.`;
}

/** `_get_num_valid_libsvm_features`: -1 when the line is not libsvm (it checks the second token's pair only). */
function libsvmFeatures(line: string): number {
  const split = line.split(" ");
  if (!validLibsvmLabel(split[0]!)) return -1;
  if (split.length === 1) return 0;
  let n = 0;
  for (let i = 1; i < split.length; i++) {
    if (!split[i]!.includes(":")) return -1;
    if (split[1]!.split(":").length !== 2) return -1;
    n++;
  }
  return n;
}

function validLibsvmLabel(label: string): boolean {
  const parts = label.split(":");
  if (parts.length > 2) return false;
  // float() strips whitespace (the line's newline) and takes Python's float syntax.
  return parts.every(
    (p) =>
      /^\s*[+-]?((\d(_?\d)*)?\.?\d(_?\d)*([eE][+-]?\d(_?\d)*)?|inf|infinity|nan)\s*$/i.test(p) &&
      /\d|inf|nan/i.test(p),
  );
}

/** The files XGBoost reads for a channel: every file three levels deep at most (links the container makes). */
async function channelFiles(dir: string, warn: (m: string) => void): Promise<string[]> {
  const top = await statOf(dir);
  if (!top) return [];
  if (!top.isDirectory()) return [dir];
  const out: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    if (depth > MAX_FOLDER_DEPTH) {
      warn(
        `The depth of folder ${dir} exceed the limit ${MAX_FOLDER_DEPTH}. Files in deeper sub dirs won't be loaded. Please adjust the folder structure accordingly.`,
      );
      return;
    }
    for (const e of await entries(d)) {
      const p = join(d, e.name);
      const s = await statOf(p);
      if (s?.isFile()) out.push(p);
      else if (s?.isDirectory()) await walk(p, depth + 1);
    }
  };
  await walk(dir, 1);
  return out;
}

/**
 * `data_utils.get_dmatrix` for CSV and libsvm in File mode: every file of the channel, parsed as
 * XGBoost parses it, with the delimiter sniffed from the first file's first line.
 *
 * @throws UpstreamError UserError `Failed to load … data with exception: …` where XGBoost fails.
 */
export async function loadUpstreamFiles(
  dir: string,
  format: "csv" | "libsvm",
  options: { csvWeights: boolean; warn: (m: string) => void },
): Promise<Dataset[]> {
  const files = await channelFiles(dir, options.warn);
  const parts: Dataset[] = [];
  if (format === "csv") {
    const first = files.find((f) => !f.split("/").at(-1)!.startsWith("_")) ?? files[0];
    if (first === undefined) return [];
    const delimiter = sniffDelimiter(firstLine(await textOf(first)));
    for (const f of files) {
      const { unreadLabels, ...d } = parseCsvAsXGBoost(await textOf(f), {
        delimiter,
        weights: options.csvWeights,
      });
      if (unreadLabels.first) {
        // The image trains on, silently: say what it does.
        options.warn(
          `${relative(dir, f) || f}: ${unreadLabels.count} label${unreadLabels.count === 1 ? " is" : "s are"} not a number (line ${unreadLabels.first.line}: ${JSON.stringify(unreadLabels.first.text)}); XGBoost's CSV parser in SageMaker's image reads such a label as 0 and the job trains on it — use numeric labels (0, 1, …), or sagebrew's own image, which maps class names`,
        );
      }
      if (d.features.rows > 0) parts.push(d);
    }
    return parts;
  }
  for (const f of files) {
    try {
      const d = parseLibsvm(await readFile(f), { source: relative(dir, f) || f, label: true });
      if (d.features.rows > 0) parts.push(d);
    } catch (e) {
      if (!isSagebrewError(e)) throw e;
      throw new UpstreamError("UserError", `Failed to load libsvm data with exception:\n${e.message}`);
    }
  }
  return parts;
}
