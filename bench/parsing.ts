/**
 * Parsing benchmark (issue 5): bytes on disk → float32 typed arrays, in MB/s of input, for numeric
 * CSV, libsvm and RecordIO-protobuf — sagebrew's codecs against the JavaScript libraries for the
 * format and against Python (pandas, numpy, XGBoost's own loaders, scikit-learn's svmlight reader,
 * a `struct` RecordIO-protobuf decoder), side by side in one run. Each measurement is one parse in a
 * fresh process (bench/parse-one.mjs, bench/peer/parse_py.py), the runs interleaved round-robin so
 * that noise on the shared machine hits every parser alike.
 *
 * Data: the HIGGS-like generator of bench/data.ts at 200,000 rows (and its 1,000,000-row file),
 * the same 200,000 rows rewritten as libsvm (zero-based indices, zeros left out as libsvm writers
 * do) and as RecordIO-protobuf (sagebrew's `encodeRecordioProtobuf`, dense float32, label in the
 * Record's label map).
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeRecordioProtobuf, parseCsv } from "../packages/runtime/dist/index.js";
import { BENCH_DIR, DATA_DIR, ensureTrainingData, REPO_DIR, TRAIN_ROWS, WORK_DIR } from "./data.js";
import { loadNow, PYTHON } from "./lib/machine.js";
import { runTimed } from "./lib/proc.js";
import { median, num, pass, ratio, spreadPct, table } from "./lib/stats.js";
import { selfTimes } from "./profile.js";

export interface ParsingOptions {
  runs: number;
  /** Also run `parseCsv` once under `node --cpu-prof` and add its hot functions and source lines. */
  profile?: boolean;
  /** Also parse the 1,000,000-row CSV (bench/data/higgs-like.csv; generated if missing). */
  big: boolean;
  log: (s: string) => void;
}

export interface ParsingReport {
  markdown: string;
  notes: string[];
}

type Format = "csv" | "libsvm" | "recordio";

interface Parser {
  key: string;
  label: string;
  side: "sagebrew" | "JavaScript" | "Python";
  formats: readonly Format[];
  /** Skipped on the 1,000,000-row file (too slow to repeat there). */
  smallOnly?: boolean;
}

const PARSERS: readonly Parser[] = [
  { key: "sagebrew-csv", label: "sagebrew `parseCsv` (1 thread)", side: "sagebrew", formats: ["csv"] },
  {
    key: "sagebrew-csv-file",
    label: "sagebrew `loadCsvFile` (parallel streaming, 2 threads)",
    side: "sagebrew",
    formats: ["csv"],
  },
  {
    key: "papaparse",
    label: "papaparse (`dynamicTyping`) → Float32Array",
    side: "JavaScript",
    formats: ["csv"],
  },
  {
    key: "csv-parse",
    label: "csv-parse/sync (`cast: true`) → Float32Array",
    side: "JavaScript",
    formats: ["csv"],
    smallOnly: true,
  },
  {
    key: "pandas",
    label: "pandas `read_csv(header=None).to_numpy(float32)`",
    side: "Python",
    formats: ["csv"],
  },
  { key: "numpy-loadtxt", label: "numpy `loadtxt(dtype=float32)`", side: "Python", formats: ["csv"] },
  {
    key: "xgb-csv",
    label: "xgboost `DMatrix('…?format=csv&label_column=0')`",
    side: "Python",
    formats: ["csv"],
  },
  { key: "sagebrew-libsvm", label: "sagebrew `parseLibsvm`", side: "sagebrew", formats: ["libsvm"] },
  {
    key: "naive-libsvm",
    label: "plain JS (`split` + `Number`) → typed arrays",
    side: "JavaScript",
    formats: ["libsvm"],
  },
  { key: "xgb-libsvm", label: "xgboost `DMatrix('…?format=libsvm')`", side: "Python", formats: ["libsvm"] },
  {
    key: "sklearn-libsvm",
    label: "scikit-learn `load_svmlight_file(dtype=float32)`",
    side: "Python",
    formats: ["libsvm"],
  },
  {
    key: "sagebrew-recordio",
    label: "sagebrew `decodeRecordioProtobuf`",
    side: "sagebrew",
    formats: ["recordio"],
  },
  {
    key: "recordio-struct",
    label: "Python `struct` decoder + `numpy.frombuffer`",
    side: "Python",
    formats: ["recordio"],
  },
];

interface InputFile {
  key: string;
  label: string;
  format: Format;
  path: string;
  rows: number;
  bytes: number;
}

interface Sample {
  wallS: number;
  cpuS: number;
  rows: number;
  cols: number;
}

const ROWS = 200_000;
const DERIVED_RECIPE = "issue-5 v1";

/** The 200,000-row CSV rewritten as libsvm and RecordIO-protobuf (reused while the CSV is unchanged). */
function ensureDerived(
  csvPath: string,
  csvBytes: number,
  log: (s: string) => void,
): { libsvm: string; recordio: string } {
  const libsvm = join(DATA_DIR, "higgs-like-200000.libsvm");
  const recordio = join(DATA_DIR, "higgs-like-200000.rec");
  const meta = join(DATA_DIR, "higgs-like-200000.derived.json");
  const want = JSON.stringify({ recipe: DERIVED_RECIPE, csvBytes });
  if (existsSync(libsvm) && existsSync(recordio) && existsSync(meta) && readFileSync(meta, "utf8") === want) {
    return { libsvm, recordio };
  }
  log("writing the libsvm and RecordIO-protobuf copies of the 200,000-row CSV");
  const csv = readFileSync(csvPath);
  const lines = csv.toString("latin1").split("\n");
  const out: string[] = [];
  for (const line of lines) {
    if (line === "") continue;
    const f = line.split(",");
    const parts = [f[0]!];
    for (let i = 1; i < f.length; i++) if (Number(f[i]) !== 0) parts.push(`${i - 1}:${f[i]}`);
    out.push(parts.join(" "));
  }
  writeFileSync(`${libsvm}.tmp`, out.join("\n") + "\n");
  renameSync(`${libsvm}.tmp`, libsvm);
  const dataset = parseCsv(csv, { source: csvPath, label: true });
  writeFileSync(`${recordio}.tmp`, encodeRecordioProtobuf(dataset));
  renameSync(`${recordio}.tmp`, recordio);
  writeFileSync(meta, want);
  return { libsvm, recordio };
}

function command(p: Parser, path: string): [string, string[]] {
  return p.side === "Python"
    ? [PYTHON, [join(BENCH_DIR, "peer", "parse_py.py"), p.key, path]]
    : [process.execPath, [join(BENCH_DIR, "parse-one.mjs"), p.key, path]];
}

async function measure(p: Parser, file: InputFile): Promise<Sample> {
  const [cmd, args] = command(p, file.path);
  const run = await runTimed(cmd, args, { timeoutS: 300 });
  const line = run.stdout.split("\n").find((l) => l.startsWith("BENCH "));
  if (run.code !== 0 || !line) {
    throw new Error(
      `${p.key} on ${file.path} failed (${run.code ?? run.signal}): ${run.stderr.slice(-1500)}`,
    );
  }
  const s = JSON.parse(line.slice(6)) as Sample;
  if (s.rows !== file.rows) throw new Error(`${p.key} read ${s.rows} rows of ${file.path}, not ${file.rows}`);
  return s;
}

/** Versions of the JavaScript libraries and the Python packages beyond pandas and xgboost. */
export function parsingVersions(): string[] {
  const npm = (name: string) =>
    (
      JSON.parse(readFileSync(join(REPO_DIR, "node_modules", name, "package.json"), "utf8")) as {
        version: string;
      }
    ).version;
  const py = spawnSync(
    PYTHON,
    ["-c", "import numpy, sklearn; print(numpy.__version__, sklearn.__version__)"],
    {
      encoding: "utf8",
      timeout: 30_000,
    },
  )
    .stdout.trim()
    .split(" ");
  return [
    `papaparse ${npm("papaparse")}`,
    `csv-parse ${npm("csv-parse")}`,
    `numpy ${py[0] ?? "unknown"}`,
    `scikit-learn ${py[1] ?? "unknown"}`,
  ];
}

export async function runParsing(o: ParsingOptions): Promise<ParsingReport> {
  const notes: string[] = [];
  const small = ensureTrainingData(ROWS, o.log);
  const derived = ensureDerived(small.path, small.bytes, o.log);
  const files: InputFile[] = [
    {
      key: "csv",
      label: "CSV 200,000 × 28",
      format: "csv",
      path: small.path,
      rows: ROWS,
      bytes: small.bytes,
    },
    {
      key: "libsvm",
      label: "libsvm 200,000 × 28",
      format: "libsvm",
      path: derived.libsvm,
      rows: ROWS,
      bytes: statSync(derived.libsvm).size,
    },
    {
      key: "recordio",
      label: "RecordIO-protobuf 200,000 × 28",
      format: "recordio",
      path: derived.recordio,
      rows: ROWS,
      bytes: statSync(derived.recordio).size,
    },
  ];
  if (o.big) {
    const big = ensureTrainingData(TRAIN_ROWS, o.log);
    files.push({
      key: "csv-1m",
      label: "CSV 1,000,000 × 28",
      format: "csv",
      path: big.path,
      rows: TRAIN_ROWS,
      bytes: big.bytes,
    });
  }
  const cells = files.flatMap((f) =>
    PARSERS.filter((p) => p.formats.includes(f.format) && !(p.smallOnly && f.rows > ROWS)).map((p) => ({
      f,
      p,
    })),
  );
  const samples = new Map<string, Sample[]>();
  const loads: string[] = [loadNow()];
  for (let r = 0; r < o.runs; r++) {
    const order = r % 2 === 0 ? cells : [...cells].reverse();
    for (const { f, p } of order) {
      const s = await measure(p, f);
      const k = `${f.key}/${p.key}`;
      samples.set(k, [...(samples.get(k) ?? []), s]);
      o.log(
        `run ${r + 1} ${f.key} ${p.key}: ${s.wallS.toFixed(3)} s (${(f.bytes / 1e6 / s.wallS).toFixed(0)} MB/s, cpu ${s.cpuS.toFixed(2)} s; load ${loadNow()})`,
      );
    }
    loads.push(loadNow());
  }

  const out: string[] = [];
  const mbps = (f: InputFile, p: Parser) => {
    const xs = (samples.get(`${f.key}/${p.key}`) ?? []).map((s) => f.bytes / 1e6 / s.wallS);
    return { med: median(xs), spread: spreadPct(xs) };
  };
  const pandas = PARSERS.find((p) => p.key === "pandas")!;
  const csvFiles = files.filter((f) => f.format === "csv");
  const pandasRowsPerS = median(
    csvFiles.filter((f) => f.rows === ROWS).map((f) => (mbps(f, pandas).med * 1e6) / (f.bytes / f.rows)),
  );
  for (const f of files) {
    const parsers = PARSERS.filter((p) => p.formats.includes(f.format) && samples.has(`${f.key}/${p.key}`));
    const bestPython = Math.max(...parsers.filter((p) => p.side === "Python").map((p) => mbps(f, p).med));
    const rows = parsers.map((p) => {
      const m = mbps(f, p);
      const xs = samples.get(`${f.key}/${p.key}`)!;
      const rowsPerS = (m.med * 1e6) / (f.bytes / f.rows);
      return [
        p.side,
        p.label,
        num(median(xs.map((s) => s.wallS))),
        num(median(xs.map((s) => s.cpuS))),
        `**${num(m.med)}**`,
        `±${m.spread.toFixed(0)} %`,
        num(rowsPerS / 1e6),
        f.format === "csv" ? ratio(m.med / mbps(f, pandas).med) : ratio(rowsPerS / pandasRowsPerS),
        ratio(m.med / bestPython),
      ];
    });
    out.push(
      `#### ${f.label}: ${(f.bytes / 1e6).toFixed(1)} MB (\`${f.path.slice(BENCH_DIR.length - "bench".length)}\`)`,
      "",
      table(
        [
          "side",
          "parser",
          "wall (s)",
          "CPU (s)",
          "MB/s",
          "spread",
          "M rows/s",
          f.format === "csv" ? "÷ pandas" : "rows/s ÷ pandas CSV rows/s",
          "÷ best Python for the format",
        ],
        rows,
      ),
      "",
    );
  }

  const target = (f: InputFile, key: string) =>
    mbps(f, PARSERS.find((p) => p.key === key)!).med / mbps(f, pandas).med;
  const targetRows = csvFiles.flatMap((f) =>
    ["sagebrew-csv", "sagebrew-csv-file"].map((k) => {
      const t = target(f, k);
      return [`${f.label}: ${PARSERS.find((p) => p.key === k)!.label} ≥ 3× pandas`, ratio(t), pass(t >= 3)];
    }),
  );
  out.push(
    "Target (CSV parsing ≥ 3× pandas, MB/s):",
    "",
    table(["target", "measured", "status"], targetRows),
    "",
  );
  out.push(
    `Medians of ${o.runs} runs; \`spread\` is (max − min) / median of MB/s; MB/s = input bytes (10^6) ÷ wall time from ` +
      "path to typed arrays (reading from the page cache included, imports and process start excluded); " +
      "CPU = user + system of the whole process over the same span (all threads). Each measurement is a fresh " +
      "process (JIT and heap cold, as in a training job that loads its data once); runs interleaved " +
      "round-robin, alternate rounds in reverse order. " +
      `Load average during the runs: ${loads.join(" → ")}.`,
  );
  notes.push(
    "XGBoost's loaders (dmlc text parsers, C++) may use every core (OpenMP) and produce a DMatrix, not a NumPy array; " +
      "`loadCsvFile` parses in 2 worker threads (the CPU count); everything else is one thread. CPU ≈ wall for a " +
      "multi-threaded loader means the other core was busy with other work on the shared machine.",
    `libsvm: zero-based indices, exact zeros left out (as libsvm writers do); the \`index:\` prefixes make the file ` +
      `${(files[1]!.bytes / files[0]!.bytes).toFixed(2)}× the CSV's size. There is no maintained npm libsvm parser, hence the ` +
      "plain-JavaScript baseline.",
    "RecordIO-protobuf: no JavaScript library in the devDependencies reads SageMaker's Record protobuf, and the Python " +
      "`protobuf` package is not installed on this machine (the SDK's reference `read_records` needs it), so the Python " +
      "peer is a hand-written `struct` decoder (bench/peer/parse_py.py) that walks frames and protobuf fields per record " +
      "and takes the packed float32 values with `numpy.frombuffer` — faster than the protobuf-based reference would be.",
    "Ratios in the libsvm and RecordIO tables compare rows/s with pandas reading the same 200,000 rows as CSV.",
  );
  if (o.profile) {
    const f = files.find((x) => x.rows === TRAIN_ROWS) ?? files[0]!;
    o.log(`profiling parseCsv on ${f.path}`);
    out.push("", profileParseCsv(f));
  }
  return { markdown: out.join("\n"), notes };
}

interface ProfileNode {
  callFrame: { functionName: string; url: string };
  positionTicks?: { line: number; ticks: number }[];
}

/** `parseCsv` under `node --cpu-prof` once: its hot functions and source lines (dist, as run). */
function profileParseCsv(f: InputFile): string {
  const dir = join(WORK_DIR, "profiles", "parsing");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const run = spawnSync(
    process.execPath,
    ["--cpu-prof", `--cpu-prof-dir=${dir}`, join(BENCH_DIR, "parse-one.mjs"), "sagebrew-csv", f.path],
    { encoding: "utf8", timeout: 300_000 },
  );
  const line = run.stdout.split("\n").find((l) => l.startsWith("BENCH "));
  const file = readdirSync(dir).find((x) => x.endsWith(".cpuprofile"));
  if (run.status !== 0 || !line || !file) throw new Error(`profiling parseCsv failed: ${run.stderr}`);
  const wallS = (JSON.parse(line.slice(6)) as { wallS: number }).wallS;
  const path = join(dir, file);
  const prof = JSON.parse(readFileSync(path, "utf8")) as {
    nodes: ProfileNode[];
    samples: number[];
    startTime: number;
    endTime: number;
  };
  const msPerTick = (prof.endTime - prof.startTime) / 1000 / prof.samples.length;
  const hotLines = new Map<string, number>();
  const sources = new Map<string, string[]>();
  for (const n of prof.nodes) {
    const url = n.callFrame.url;
    if (!url.includes("/codecs/")) continue;
    const name = url.split("/").pop()!;
    if (!sources.has(name)) sources.set(name, readFileSync(fileURLToPath(url), "utf8").split("\n"));
    for (const t of n.positionTicks ?? []) {
      const k = `${name}:${t.line}`;
      hotLines.set(k, (hotLines.get(k) ?? 0) + t.ticks * msPerTick);
    }
  }
  const fnRows = selfTimes(path)
    .filter((x) => x.name !== "(idle)")
    .slice(0, 6)
    .map((x) => [`\`${x.name}\``, num(x.ms)]);
  const lineRows = [...hotLines]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([k, ms]) => {
      const [name, ln] = k.split(":");
      const text = sources.get(name!)?.[Number(ln) - 1]?.trim() ?? "";
      return [`\`${k}\``, num(ms), `\`${text.replaceAll("|", "\\|").slice(0, 90)}\``];
    });
  return [
    `Where \`parseCsv\` spends its time on ${f.label} (one run under \`node --cpu-prof\`, ${num(wallS)} s; ` +
      "self time in ms; lines are of the built `packages/runtime/dist/codecs/*.js`):",
    "",
    table(["function", "self (ms)"], fnRows),
    "",
    table(["line", "ms", "code"], lineRows),
  ].join("\n");
}
