/**
 * `application/x-parquet` training data (https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost.html): column 0 is the label, every other
 * column a feature. Read with hyparquet from bytes in memory (no file access here). Numeric
 * columns of any physical type become float32; nulls become NaN (missing); string labels are
 * kept as `labelStrings` for the trainer to map to classes. A DataFrame's index that pandas or
 * dask stored as a column is not data, as SageMaker's container (pyarrow → pandas) reads it.
 */
import { type FileMetaData, parquetMetadata, parquetSchema } from "hyparquet";
import { parquetReadAsync } from "hyparquet/src/read.js";
import { SagebrewError } from "../errors/index.js";
import { checkPageHeaders } from "./_parquet-guard.js";
import type { Dataset } from "./types.js";

/** Options of `decodeParquet`. */
export interface ParquetDecodeOptions {
  /** Named in error messages, e.g. `train.parquet`. Default `input`. */
  readonly source?: string;
}

interface Chunk {
  readonly column: string;
  readonly data: ArrayLike<unknown>;
  readonly rowStart: number;
}

function fail(source: string, detail: string, cause?: unknown): SagebrewError {
  return new SagebrewError("SB_DATA_PARSE", `Cannot read Parquet file ${source}: ${detail}`, { cause });
}

function describe(v: unknown): string {
  if (v instanceof Date) return `a date (${v.toISOString()})`;
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (v instanceof Uint8Array) return "binary data";
  return `a value of type ${typeof v}`;
}

/** Names pandas and dask give a stored index column; reserved, so never a feature's name. */
const INDEX_COLUMN = /^(__index_level_\d+__|__null_dask_index__)$/;

/**
 * The columns that hold a DataFrame's index: those the `pandas` key-value metadata lists in
 * `index_columns` (a RangeIndex is listed as an object and stored as no column), and the
 * reserved names, which pyarrow would also restore as the index.
 */
function indexColumns(metadata: ReturnType<typeof parquetMetadata>, names: readonly string[]): Set<string> {
  const out = new Set(names.filter((n) => INDEX_COLUMN.test(n)));
  const pandas = metadata.key_value_metadata?.find((kv) => kv.key === "pandas")?.value;
  if (pandas === undefined) return out;
  try {
    const listed = (JSON.parse(pandas) as { index_columns?: unknown }).index_columns;
    if (Array.isArray(listed))
      for (const c of listed) if (typeof c === "string" && names.includes(c)) out.add(c);
  } catch {
    // Metadata that is not JSON describes no index; the columns are read as they are.
  }
  return out;
}

/** Converts one cell to a number; `undefined` when it is not numeric. */
function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (v === null || v === undefined) return Number.NaN;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  return undefined;
}

type ColumnChunk =
  | {
      readonly ok: true;
      readonly column: string;
      readonly pages: ArrayLike<unknown>[];
      readonly rowStart: number;
    }
  | { readonly ok: false; readonly error: unknown };

/**
 * Starts hyparquet's reader on every column chunk and returns one promise per chunk that never
 * rejects (a failure is `{ ok: false }`). hyparquet starts a chunk's decoding as it plans the next
 * one, and throws at once when a later row group's planning fails: the chunks it had started then
 * reject with nobody listening, which kills the process (or the Parquet thread, whose next file
 * takes the blame). So the bytes are handed out only once every chunk has its handler: until the
 * gate opens nothing can reject, and when planning throws it never opens.
 *
 * @throws Error when hyparquet cannot plan the read (the caller names the file).
 */
function readColumnChunks(
  buffer: ArrayBuffer,
  metadata: FileMetaData,
  columns: readonly string[] | undefined,
): Promise<ColumnChunk>[] {
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  const groups = parquetReadAsync({
    file: {
      byteLength: buffer.byteLength,
      slice: (s: number, e?: number) => gate.then(() => buffer.slice(s, e)),
    },
    metadata,
    utf8: true,
    ...(columns ? { columns: [...columns] } : {}),
  });
  const chunks = groups.flatMap((g) =>
    g.asyncColumns.map((c) =>
      c.data.then(
        (pages): ColumnChunk => ({
          ok: true,
          column: c.pathInSchema[0] ?? "",
          pages,
          rowStart: g.groupStart,
        }),
        (error: unknown): ColumnChunk => ({ ok: false, error }),
      ),
    ),
  );
  open();
  return chunks;
}

/**
 * Decodes a Parquet file into a dense `Dataset` (column 0 = label, the rest features).
 *
 * @throws SagebrewError `SB_DATA_PARSE` naming the file when it is truncated or corrupt, has
 *   nested or non-numeric feature columns, a null label, or fewer rows than its footer says.
 * @example const d = await decodeParquet(bytes, { source: "train.parquet" });
 */
export async function decodeParquet(bytes: Uint8Array, options: ParquetDecodeOptions = {}): Promise<Dataset> {
  const source = options.source ?? "input";
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: ReturnType<typeof parquetMetadata>;
  let names: string[];
  let index: Set<string>;
  let stringLabels = false;
  try {
    metadata = parquetMetadata(buffer);
    const root = parquetSchema(metadata);
    const all = root.children.map((c) => c.element.name);
    index = indexColumns(metadata, all);
    const data = root.children.filter((c) => !index.has(c.element.name));
    names = data.map((c) => {
      if (c.children.length > 0) {
        throw fail(
          source,
          `column ${JSON.stringify(c.element.name)} is nested; only flat columns can be read`,
        );
      }
      return c.element.name;
    });
    stringLabels = data[0]?.element.type === "BYTE_ARRAY";
  } catch (e) {
    if (e instanceof SagebrewError) throw e;
    throw fail(source, `not a readable Parquet file: ${(e as Error).message}`, e);
  }
  if (names.length < 1)
    throw fail(
      source,
      index.size > 0 ? "the file holds only its index, no data columns" : "the file has no columns",
    );
  const rows = Number(metadata.num_rows);
  const cols = names.length - 1;
  const position = new Map(names.map((n, i) => [n, i]));
  if (position.size !== names.length) throw fail(source, "two columns have the same name");

  if (!(Number.isSafeInteger(rows) && rows >= 0 && rows <= bytes.length * 64)) {
    throw fail(source, `the file is corrupt: its footer declares ${String(metadata.num_rows)} rows`);
  }
  let implausible: string | undefined;
  try {
    implausible = checkPageHeaders(buffer, metadata);
  } catch (e) {
    implausible = `unreadable column metadata: ${(e as Error).message}`;
  }
  if (implausible) throw fail(source, `the file is corrupt: ${implausible}`);
  const chunks: Chunk[] = [];
  try {
    const settled = await Promise.all(readColumnChunks(buffer, metadata, index.size > 0 ? names : undefined));
    for (const r of settled) {
      if (!r.ok) throw r.error;
      let rowStart = r.rowStart;
      for (const page of r.pages) {
        chunks.push({ column: r.column, data: page, rowStart });
        rowStart += page.length;
      }
    }
  } catch (e) {
    throw fail(source, `the file is truncated or corrupt: ${(e as Error).message}`, e);
  }

  const values = new Float32Array(rows * cols);
  const labels = new Float32Array(rows);
  const labelStrings: string[] | undefined = stringLabels ? new Array<string>(rows) : undefined;
  const filled = new Float64Array(names.length);
  for (const { column, data, rowStart } of chunks) {
    if (index.has(column)) continue;
    const j = position.get(column);
    if (j === undefined)
      throw fail(source, `a data page belongs to unknown column ${JSON.stringify(column)}`);
    if (rowStart + data.length > rows)
      throw fail(source, `column ${JSON.stringify(column)} has more rows than the footer's ${rows}`);
    filled[j] = (filled[j] ?? 0) + data.length;
    if (j === 0) {
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        const r = rowStart + i;
        if (labelStrings) {
          if (typeof v !== "string") {
            throw fail(
              source,
              `label column ${JSON.stringify(column)} row ${r + 1} holds ${v === null || v === undefined ? "null" : describe(v)}`,
            );
          }
          labelStrings[r] = v;
          continue;
        }
        const x = toNumber(v);
        if (x === undefined)
          throw fail(source, `label column ${JSON.stringify(column)} row ${r + 1} holds ${describe(v)}`);
        if (Number.isNaN(x) && (v === null || v === undefined)) {
          throw fail(source, `label column ${JSON.stringify(column)} is null in row ${r + 1}`);
        }
        labels[r] = x;
      }
      continue;
    }
    const base = j - 1;
    if (ArrayBuffer.isView(data) && !(data instanceof BigInt64Array || data instanceof BigUint64Array)) {
      const typed = data as unknown as ArrayLike<number>;
      for (let i = 0; i < typed.length; i++) values[(rowStart + i) * cols + base] = typed[i]!;
      continue;
    }
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      const x = toNumber(v);
      if (x === undefined) {
        throw fail(
          source,
          `feature column ${JSON.stringify(column)} (column ${j + 1}) row ${rowStart + i + 1} holds ${describe(v)}; features must be numeric`,
        );
      }
      values[(rowStart + i) * cols + base] = x;
    }
  }
  filled.forEach((n, j) => {
    if (n !== rows) {
      throw fail(
        source,
        `column ${JSON.stringify(names[j])} has ${n} of the ${rows} rows the footer declares`,
      );
    }
  });
  return {
    features: { kind: "dense", rows, cols, values },
    ...(labelStrings ? { labelStrings } : { labels }),
  };
}
