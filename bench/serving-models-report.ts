/** The tables of the realistic-model serving benchmark (bench/serving-models.ts), with its targets. */
import { median, num, pass, ratio, spreadPct, table } from "./lib/stats.js";
import { BODY_ROWS } from "./models.js";
import {
  type Cell,
  CONCURRENCY,
  cellKey,
  type ModelResults,
  type ServingModelsOptions,
} from "./serving-models.js";
import type { StackKey } from "./serving-stacks.js";

export function renderModel(o: ServingModelsOptions, r: ModelResults): string {
  const { model, floors: f, stacks } = r;
  const has = (k: StackKey) => stacks.some((s) => s.key === k);
  const cells = (m: Map<string, Cell[]>, k: StackKey, rows: number, c: number) =>
    m.get(cellKey(k, rows, c)) ?? [];
  const med = (m: Map<string, Cell[]>, k: StackKey, rows: number, c: number, g: (x: Cell) => number) =>
    median(cells(m, k, rows, c).map(g));
  const walkers = (xs: Cell[]) => [...new Set(xs.map((x) => x.walker))].join(" / ") || "n/a";
  const out: string[] = [`### ${model.recipe.label}`, ""];

  out.push(
    `Floors: µs of CPU per call to predict each body already parsed into float32 rows, one thread ` +
      "(median of 7 samples of ~40 ms after a warm-up, measured before and after the load runs, the lower kept); " +
      "the generated JavaScript walker warm, as a server runs it after thousands of requests, for comparison.",
    "",
    table(
      [
        "rows",
        "libxgboost via sagebrew's binding",
        "… measured between the steady runs (median)",
        `Python xgboost ${f.xgboostPy} inplace_predict`,
        "generated JavaScript, warm",
      ],
      BODY_ROWS.map((rows) => [
        `${rows}`,
        num(f.binding.get(rows) ?? Number.NaN),
        num(median(r.interleavedFloor.get(rows) ?? [])),
        num(f.python.get(rows) ?? Number.NaN),
        num(f.js.get(rows) ?? Number.NaN),
      ]),
    ),
    "",
  );

  const figure: string[][] = [];
  for (const rows of BODY_ROWS) {
    for (const c of CONCURRENCY) {
      for (const [phase, m] of [
        [`first ${o.firstS} s`, r.first],
        ["steady", r.steady],
      ] as const) {
        for (const s of stacks) {
          const xs = cells(m, s.key, rows, c);
          if (xs.length === 0) continue;
          const cpu = med(m, s.key, rows, c, (x) => (x.requests > 0 ? x.cpuUsPerReq : Number.NaN));
          figure.push([
            `${rows}`,
            `${c}`,
            s.label,
            phase,
            num(med(m, s.key, rows, c, (x) => x.rps)),
            xs.length > 1 ? `±${spreadPct(xs.map((x) => x.rps)).toFixed(0)} %` : "",
            s.key === "bare" ? "" : num((rows * 1e6) / cpu),
            num(med(m, s.key, rows, c, (x) => x.p50Ms)),
            num(med(m, s.key, rows, c, (x) => x.p99Ms)),
            num(cpu),
            walkers(xs),
            `${xs.reduce((n, x) => n + x.errors, 0)}`,
          ]);
        }
      }
    }
  }
  out.push(
    "Medians; `first` = a server started fresh for the cell and driven the moment `/ping` said 200 " +
      `(one window of ${o.firstS} s); \`steady\` = all servers up and warmed, ${o.runs} runs of ${o.durationS} s ` +
      "interleaved; `rows/s per core` = rows per second of the server's own CPU time; latencies in ms; " +
      "`CPU/req` in µs (all the server's processes, from /proc).",
    "",
    table(
      [
        "rows",
        "c",
        "server",
        "phase",
        "req/s",
        "spread",
        "rows/s per core",
        "p50",
        "p99",
        "CPU/req",
        "walker",
        "errors",
      ],
      figure,
    ),
    "",
  );

  if (has("sagebrew") && has("bare")) {
    const targets: string[][] = [];
    for (const rows of BODY_ROWS) {
      // The floor measured between the steady runs' cells (same load), else the separate one.
      const between = r.interleavedFloor.get(rows) ?? [];
      const floor = between.length ? median(between) : (f.binding.get(rows) ?? Number.NaN);
      for (const c of CONCURRENCY) {
        // CPU per request: on this shared machine the steadier measure of a request's time.
        const pick = (x: Cell) => x.cpuUsPerReq;
        const bare = med(r.steady, "bare", rows, c, pick);
        const limit = 1.2 * (floor + bare);
        for (const [phase, m] of [
          ["first", r.first],
          ["steady", r.steady],
        ] as const) {
          const ours = med(m, "sagebrew", rows, c, pick);
          const classic = has("classic") ? med(r.steady, "classic", rows, c, (x) => x.rps) : Number.NaN;
          const rps = med(m, "sagebrew", rows, c, (x) => x.rps);
          const base = has("baseline") ? med(m, "baseline", rows, c, (x) => x.cpuUsPerReq) : Number.NaN;
          targets.push([
            `${rows}`,
            `${c}`,
            phase,
            `${num(floor)} + ${num(bare)}`,
            num(ours),
            `${((ours / (floor + bare)) * 100).toFixed(0)} %`,
            pass(ours <= limit),
            has("classic") ? ratio(rps / classic) : "n/a",
            has("baseline")
              ? `${((med(m, "sagebrew", rows, c, (x) => x.cpuUsPerReq) / base) * 100).toFixed(0)} %`
              : "n/a",
          ]);
        }
      }
    }
    out.push(
      "Targets: request time ≤ 1.2 × (libxgboost's single-thread prediction of the body through the binding + " +
        "a bare server's round trip), request time read as the server's CPU per request in µs (the bare server's own " +
        "at the same c and body; wall-clock latency on this shared machine moves with the load, CPU time far less); " +
        "the floor is libxgboost's CPU per call measured in each steady run just before that body's cells (median), so " +
        "that it and the servers see the same load; and req/s against the classic stack's steady state.",
      "",
      table(
        [
          "rows",
          "c",
          "phase",
          "floor + bare (µs)",
          "sagebrew (µs)",
          "÷ (floor + bare)",
          "≤ 1.2×",
          "÷ classic req/s",
          "CPU/req ÷ baseline",
        ],
        targets,
      ),
      "",
    );
  }

  const native = r.cold.get("native");
  out.push(
    "Cold start = launch to the first 200 on `/ping`; RSS idle = the whole stack 30 s later for the sagebrew servers " +
      "(for sagebrew, 30 s after its walkers are in place: the `xgboost walkers` log line; the last column: how long " +
      "after `/ping` that was), 2 s for the others " +
      `(${r.cold.values().next().value?.ms.length ?? 0} runs each, interleaved); RSS after load = after the steady runs.`,
    "",
    table(
      [
        "server",
        "cold start median (ms)",
        "range (ms)",
        "÷ native",
        "RSS idle (MB)",
        "÷ native",
        "RSS after load (MB)",
        "walkers in place after /ping (ms)",
      ],
      stacks.map((s) => {
        const c = r.cold.get(s.key);
        const ms = median(c?.ms ?? []);
        const rss = median(c?.rssMB ?? []);
        return [
          s.label,
          num(ms),
          c ? `${num(Math.min(...c.ms))}–${num(Math.max(...c.ms))}` : "n/a",
          native ? ratio(ms / median(native.ms)) : "n/a",
          num(rss),
          native ? ratio(rss / median(native.rssMB)) : "n/a",
          num(r.rssAfterMB.get(s.key) ?? Number.NaN),
          c?.walkersMs.length ? num(median(c.walkersMs)) : "",
        ];
      }),
    ),
    "",
    ...r.answers.map((a) => `- ${a}`),
    `- Load average during the runs: ${r.loads.join(" → ")}.`,
  );
  return out.join("\n");
}
