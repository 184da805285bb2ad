// @ts-check
/**
 * One timed parse for the parsing benchmark (bench/parsing.ts), in a fresh process so that no
 * parser inherits another's heap or JIT state: path → float32 typed arrays, the file in the page
 * cache, reading included (as pandas.read_csv includes it). Prints one line
 * `BENCH {"wallS", "cpuS", "rows", "cols", "sum"}`; CPU time is the whole process's (all threads).
 *
 *   node bench/parse-one.mjs <parser> <file>
 *
 * Plain JavaScript, no tsx: worker threads inherit the process's `--import`, and tsx's loader hooks
 * in `loadCsvFile`'s parse threads would slow their start-up. It imports the built runtime (dist),
 * what the `train` and `serve` programs run.
 *
 * Parsers: sagebrew-csv (parseCsv, one thread), sagebrew-csv-file (loadCsvFile, parallel
 * streaming), papaparse (dynamicTyping), csv-parse (sync, cast), sagebrew-libsvm (parseLibsvm),
 * naive-libsvm (String.split + Number), sagebrew-recordio (decodeRecordioProtobuf).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parse as csvParse } from "csv-parse/sync";
import Papa from "papaparse";
import { decodeRecordioProtobuf, parseCsv, parseLibsvm } from "../packages/runtime/dist/index.js";
import { loadCsvFile } from "../packages/runtime/dist/training/csv-file.js";

/**
 * @typedef {object} Parsed
 * @property {number} rows
 * @property {number} cols
 * @property {Float32Array[]} arrays every float32 array the parse produced, summed afterwards as a checksum
 */

/**
 * Array of rows of numbers → one row-major Float32Array (part of the timed work).
 * @param {unknown[][]} rowsOfNumbers
 * @returns {Parsed}
 */
function toFloat32(rowsOfNumbers) {
  let rows = rowsOfNumbers.length;
  while (rows > 0 && (rowsOfNumbers[rows - 1]?.length ?? 0) <= 1) rows--; // trailing empty line
  const cols = rowsOfNumbers[0]?.length ?? 0;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = rowsOfNumbers[r] ?? [];
    if (row.length !== cols) throw new Error(`row ${r + 1} has ${row.length} fields, not ${cols}`);
    for (let c = 0; c < cols; c++) out[r * cols + c] = /** @type {number} */ (row[c]);
  }
  return { rows, cols, arrays: [out] };
}

/**
 * What a JavaScript developer would write for libsvm without a library: split and Number.
 * @param {string} text
 * @returns {Parsed}
 */
function naiveLibsvm(text) {
  const lines = text.split("\n");
  /** @type {number[]} */
  const labels = [];
  const indptr = [0];
  /** @type {number[]} */
  const indices = [];
  /** @type {number[]} */
  const values = [];
  let maxIndex = -1;
  for (const line of lines) {
    if (line.trim() === "") continue;
    const tokens = line.trim().split(/\s+/);
    labels.push(Number(tokens[0]));
    for (let t = 1; t < tokens.length; t++) {
      const [i, v] = (tokens[t] ?? "").split(":");
      const index = Number(i);
      indices.push(index);
      values.push(Number(v));
      if (index > maxIndex) maxIndex = index;
    }
    indptr.push(indices.length);
  }
  const vals = Float32Array.from(values);
  Uint32Array.from(indices);
  Uint32Array.from(indptr);
  return { rows: labels.length, cols: maxIndex + 2, arrays: [vals, Float32Array.from(labels)] };
}

/**
 * @param {string} parser
 * @param {string} file
 * @returns {Promise<Parsed>}
 */
async function run(parser, file) {
  const source = basename(file);
  switch (parser) {
    case "sagebrew-csv": {
      const d = parseCsv(readFileSync(file), { source, label: true });
      return {
        rows: d.features.rows,
        cols: d.features.cols + 1,
        arrays: [d.features.values, /** @type {Float32Array} */ (d.labels)],
      };
    }
    case "sagebrew-csv-file": {
      // parallelFrom 1 MiB: the 200,000-row file streams in parallel too, as a large file would
      const batches = await loadCsvFile(file, {
        source,
        weight: false,
        header: "absent",
        parallelFrom: 1 << 20,
      });
      return {
        rows: batches.reduce((n, d) => n + d.features.rows, 0),
        cols: (batches[0]?.features.cols ?? 0) + 1,
        arrays: batches.flatMap((d) => [d.features.values, /** @type {Float32Array} */ (d.labels)]),
      };
    }
    case "papaparse": {
      const res = Papa.parse(readFileSync(file, "latin1"), {
        dynamicTyping: true,
        skipEmptyLines: true,
      });
      if (res.errors.length) throw new Error(`papaparse: ${res.errors[0]?.message}`);
      return toFloat32(/** @type {unknown[][]} */ (res.data));
    }
    case "csv-parse":
      return toFloat32(csvParse(readFileSync(file), { cast: true, skip_empty_lines: true }));
    case "sagebrew-libsvm": {
      const d = parseLibsvm(readFileSync(file), { source, label: true });
      return {
        rows: d.features.rows,
        cols: d.features.cols + 1,
        arrays: [d.features.values, /** @type {Float32Array} */ (d.labels)],
      };
    }
    case "naive-libsvm":
      return naiveLibsvm(readFileSync(file, "latin1"));
    case "sagebrew-recordio": {
      const d = decodeRecordioProtobuf(readFileSync(file), { source });
      return {
        rows: d.features.rows,
        cols: d.features.cols + 1,
        arrays: [d.features.values, /** @type {Float32Array} */ (d.labels)],
      };
    }
    default:
      throw new Error(`Unknown parser ${parser}`);
  }
}

const [parser, file] = process.argv.slice(2);
if (!parser || !file) {
  console.error("usage: node bench/parse-one.mjs <parser> <file>");
  process.exit(2);
}
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const parsed = await run(parser, file);
const wallS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
let sum = 0;
for (const a of parsed.arrays) for (let i = 0; i < a.length; i++) sum += a[i] ?? 0;
console.log(
  `BENCH ${JSON.stringify({ wallS, cpuS: (cpu.user + cpu.system) / 1e6, rows: parsed.rows, cols: parsed.cols, sum })}`,
);
