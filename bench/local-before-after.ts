/**
 * `sagebrew local` before and after (`bench/run.ts local --baseline DIR`): this checkout's
 * `sagebrew local` and another checkout's (built with `npm run build`), both running at once, each
 * on its own state directory, the runs interleaved (order alternating):
 *  - CreateTrainingJob → Completed for iris (`file://` data), with SageMaker's XGBoost image named
 *    by its tag, as users name it, and by a digest (see SERVE_IMAGE); the part of it that is not
 *    the `Training` phase (the control plane's and the engine's own time), and the job's start;
 *  - CreateEndpoint → InService on the model each trained (the image by digest: see SERVE_IMAGE);
 *  - InvokeEndpoint under wrk: req/s, latency, and the CPU time of `sagebrew local`'s own process
 *    per request (its threads, not its children) — the cost of the front — beside the endpoint
 *    container's. Each checkout runs its own container (its own runtime), so the front's CPU is the
 *    figure to compare; the container's is shown to read the rest against.
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ensureIrisPayloads, REPO_DIR, WORK_DIR } from "./data.js";
import { loadNow } from "./lib/machine.js";
import {
  type Background,
  freePort,
  httpCall,
  processCpuS,
  startBackground,
  stopBackground,
  treeCpuS,
} from "./lib/proc.js";
import { median, num, table, withRange } from "./lib/stats.js";
import { runWrk } from "./lib/wrk.js";
import {
  call,
  endpointContainer,
  IMAGE,
  type LocalReport,
  ROLE,
  secondary,
  trainingJob,
  until,
  waitLocal,
} from "./local.js";

export interface LocalBeforeAfterOptions {
  /** Training jobs and endpoint creations per checkout (default 5). */
  runs: number;
  /** wrk runs per cell (default 3). */
  loadRuns: number;
  durationS: number;
  baseline: { dir: string; label: string };
  log: (s: string) => void;
}

type Key = "before" | "after";
const KEYS: readonly Key[] = ["before", "after"];
const CONCURRENCY = [1, 16] as const;
/**
 * The endpoints run SageMaker's XGBoost image named by a digest: both checkouts run it as their
 * plain `serve`. By its tag (1.7-1) the later checkout emulates that image's serving app
 * (SAGEBREW_EMULATE, since issue 19), a container of other costs that would hide the front's.
 */
const SERVE_IMAGE = `${IMAGE.slice(0, IMAGE.indexOf(":"))}@sha256:${"0".repeat(64)}`;

interface Side {
  key: Key;
  label: string;
  cli: string;
  state: string;
  port: number;
  server?: Background;
  endpoint?: string;
  container?: { pid: number; port: number };
}

interface Cell {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  frontUs: number;
  containerUs: number;
  errors: number;
}

const ratio = (after: number, before: number) => `${(after / before).toFixed(2)}×`;

export async function runLocalBeforeAfter(o: LocalBeforeAfterOptions): Promise<LocalReport> {
  const root = join(WORK_DIR, "local-before-after");
  rmSync(root, { recursive: true, force: true });
  const logDir = join(root, "logs");
  mkdirSync(logDir, { recursive: true });
  const payloads = ensureIrisPayloads();
  const bodies = [
    { rows: 1, file: payloads.one },
    { rows: 100, file: payloads.hundred },
  ];
  const sides: Record<Key, Side> = {
    before: {
      key: "before",
      label: o.baseline.label,
      cli: join(o.baseline.dir, "packages", "cli", "bin", "sagebrew"),
      state: join(root, "state-before"),
      port: await freePort(),
    },
    after: {
      key: "after",
      label: "this checkout",
      cli: join(REPO_DIR, "packages", "cli", "bin", "sagebrew"),
      state: join(root, "state-after"),
      port: await freePort(),
    },
  };
  const order = (r: number): Side[] => (r % 2 === 0 ? KEYS : [...KEYS].reverse()).map((k) => sides[k]);
  const times = () => ({ total: [] as number[], overhead: [] as number[], start: [] as number[] });
  const training = {
    tag: { before: times(), after: times() },
    digest: { before: times(), after: times() },
  };
  const endpointMs = { before: [] as number[], after: [] as number[] };
  const cells = new Map<string, Cell[]>();
  const loads = [loadNow()];
  const notes: string[] = [];
  try {
    for (const s of Object.values(sides)) {
      s.server = startBackground(
        `sagebrew local (${s.key})`,
        process.execPath,
        [s.cli, "local", "--port", String(s.port), "--state", s.state],
        { env: process.env, log: join(logDir, `local-${s.key}.log`) },
      );
      await waitLocal(s.port, s.server);
      o.log(`${s.key}: sagebrew local on port ${s.port} (pid ${s.server.pid}, ${s.cli})`);
    }

    const modelUrl: Partial<Record<Key, string>> = {};
    for (let r = 0; r < o.runs; r++) {
      for (const image of ["tag", "digest"] as const) {
        for (const s of order(r)) {
          const name = `iris-bench-${image}-${r + 1}`;
          const job = trainingJob(name, join(root, `out-${s.key}`));
          if (image === "digest")
            job.AlgorithmSpecification = { TrainingImage: SERVE_IMAGE, TrainingInputMode: "File" };
          const t0 = performance.now();
          await call(s.port, "CreateTrainingJob", job);
          const { doc, ms } = await until(
            t0,
            () => call(s.port, "DescribeTrainingJob", { TrainingJobName: name }),
            (d) => ["Completed", "Failed", "Stopped"].includes(String(d.TrainingJobStatus)),
            300,
          );
          if (doc.TrainingJobStatus !== "Completed")
            throw new Error(`${s.key} ${name} ended ${doc.TrainingJobStatus}: ${doc.FailureReason}`);
          if (image === "tag")
            modelUrl[s.key] = String((doc.ModelArtifacts as { S3ModelArtifacts: string }).S3ModelArtifacts);
          const t = training[image][s.key];
          t.total.push(ms);
          t.overhead.push(ms - secondary(doc, "Training"));
          t.start.push(secondary(doc, "Starting") + secondary(doc, "Downloading"));
          o.log(
            `training #${r + 1} ${image} ${s.key}: ${ms.toFixed(0)} ms (Training ${secondary(doc, "Training")} ms)`,
          );
        }
      }
    }

    for (const s of Object.values(sides)) {
      await call(s.port, "CreateModel", {
        ModelName: "iris-bench",
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: SERVE_IMAGE, ModelDataUrl: modelUrl[s.key] },
      });
      await call(s.port, "CreateEndpointConfig", {
        EndpointConfigName: "iris-bench",
        ProductionVariants: [
          {
            VariantName: "AllTraffic",
            ModelName: "iris-bench",
            InitialInstanceCount: 1,
            InstanceType: "ml.m5.large",
          },
        ],
      });
    }
    for (let r = 0; r < o.runs; r++) {
      for (const s of order(r)) {
        const endpoint = `iris-bench-${r + 1}`;
        const t0 = performance.now();
        await call(s.port, "CreateEndpoint", { EndpointName: endpoint, EndpointConfigName: "iris-bench" });
        const { doc, ms } = await until(
          t0,
          () => call(s.port, "DescribeEndpoint", { EndpointName: endpoint }),
          (d) => d.EndpointStatus !== "Creating",
          120,
        );
        if (doc.EndpointStatus !== "InService")
          throw new Error(`${s.key} ${endpoint} ended ${doc.EndpointStatus}: ${doc.FailureReason}`);
        endpointMs[s.key].push(ms);
        o.log(`endpoint #${r + 1} ${s.key}: CreateEndpoint → InService ${ms.toFixed(0)} ms`);
        if (r < o.runs - 1) {
          await call(s.port, "DeleteEndpoint", { EndpointName: endpoint });
          await until(
            performance.now(),
            () => call(s.port, "DescribeEndpoint", { EndpointName: endpoint }).catch(() => ({ gone: true })),
            (d) => d.gone === true,
            60,
          );
        } else {
          s.endpoint = endpoint;
          s.container = endpointContainer(s.state, endpoint);
        }
      }
    }

    const path = (s: Side) => `/endpoints/${s.endpoint}/invocations`;
    for (const b of bodies) {
      const answers = new Map<Key, string>();
      for (const s of Object.values(sides)) {
        const res = await httpCall(s.port, path(s), {
          method: "POST",
          body: readFileSync(b.file, "utf8"),
          headers: { "content-type": "text/csv", accept: "text/csv" },
          timeoutMs: 60_000,
        });
        if (res.status !== 200) throw new Error(`${s.key} answered ${res.status}: ${res.body}`);
        answers.set(s.key, res.body);
        // Warm-up: the container's walkers in place, the front's code compiled.
        await runWrk({ port: s.port, path: path(s), bodyFile: b.file, connections: 16, durationS: 2 });
      }
      const first = (k: Key) => JSON.stringify(answers.get(k)!.split("\n")[0]);
      notes.push(
        answers.get("before") === answers.get("after")
          ? `Both answer the ${b.rows}-row body alike (first line ${first("after")}).`
          : `The ${b.rows}-row body is answered differently: first line ${first("before")} before, ${first("after")} after.`,
      );
    }
    for (let r = 0; r < o.loadRuns; r++) {
      for (const b of bodies) {
        for (const c of CONCURRENCY) {
          for (const s of order(r)) {
            const front0 = processCpuS(s.server!.pid);
            const cont0 = treeCpuS(s.container!.pid);
            const w = await runWrk({
              port: s.port,
              path: path(s),
              bodyFile: b.file,
              connections: c,
              durationS: o.durationS,
            });
            const cell: Cell = {
              rps: w.rps,
              p50Ms: w.p50Ms,
              p99Ms: w.p99Ms,
              frontUs: ((processCpuS(s.server!.pid) - front0) / w.requests) * 1e6,
              containerUs: ((treeCpuS(s.container!.pid) - cont0) / w.requests) * 1e6,
              errors: w.errors,
            };
            const key = `${s.key}/${b.rows}/${c}`;
            cells.set(key, [...(cells.get(key) ?? []), cell]);
            o.log(
              `run ${r + 1} ${b.rows}-row c=${c} ${s.key}: ${w.rps.toFixed(0)} req/s, front ${cell.frontUs.toFixed(1)} µs/req, ` +
                `container ${cell.containerUs.toFixed(1)} µs/req${w.errors ? `, errors ${w.errors}` : ""} (load ${loadNow()})`,
            );
          }
        }
      }
      loads.push(loadNow());
    }
  } finally {
    for (const s of Object.values(sides)) if (s.server) await stopBackground(s.server, "SIGINT", 30);
  }

  const ms = (xs: number[]) => withRange(xs, num);
  const control = table(
    ["what", `before (${o.baseline.label})`, "after (this checkout)", "after ÷ before (medians)"],
    [
      ...(["tag", "digest"] as const).flatMap((image) => {
        const t = training[image];
        const row = (what: string, f: (x: ReturnType<typeof times>) => number[]) => [
          what,
          ms(f(t.before)),
          ms(f(t.after)),
          ratio(median(f(t.after)), median(f(t.before))),
        ];
        const by =
          image === "tag" ? "by its tag, 1.7-1 (as users name it)" : "by a digest (plain `train` in both)";
        return [
          row(`CreateTrainingJob → Completed (iris, 150 rows), the image ${by}`, (x) => x.total),
          row(
            "… of which not the Training phase (the job's start, download, upload and end)",
            (x) => x.overhead,
          ),
          row("… of which its start: Starting and Downloading", (x) => x.start),
        ];
      }),
      [
        "CreateEndpoint → InService (iris model)",
        ms(endpointMs.before),
        ms(endpointMs.after),
        ratio(median(endpointMs.after), median(endpointMs.before)),
      ],
    ],
  );
  const med = (k: Key, rows: number, c: number, f: (x: Cell) => number) =>
    median((cells.get(`${k}/${rows}/${c}`) ?? []).map(f));
  const invoke = table(
    [
      "rows",
      "c",
      "req/s before",
      "req/s after",
      "p99 ms before",
      "p99 ms after",
      "front CPU/req before (µs)",
      "front CPU/req after (µs)",
      "after ÷ before",
      "container CPU/req before / after (µs)",
      "errors",
    ],
    bodies.flatMap((b) =>
      CONCURRENCY.map((c) => {
        const f = (k: Key) => med(k, b.rows, c, (x) => x.frontUs);
        return [
          String(b.rows),
          String(c),
          num(med("before", b.rows, c, (x) => x.rps)),
          num(med("after", b.rows, c, (x) => x.rps)),
          num(med("before", b.rows, c, (x) => x.p99Ms)),
          num(med("after", b.rows, c, (x) => x.p99Ms)),
          num(f("before")),
          num(f("after")),
          ratio(f("after"), f("before")),
          `${num(med("before", b.rows, c, (x) => x.containerUs))} / ${num(med("after", b.rows, c, (x) => x.containerUs))}`,
          String(
            KEYS.reduce(
              (n, k) => n + (cells.get(`${k}/${b.rows}/${c}`) ?? []).reduce((m, x) => m + x.errors, 0),
              0,
            ),
          ),
        ];
      }),
    ),
  );
  const markdown = [
    `Both \`sagebrew local\`s ran at once, each on its own state directory, on Node ${process.versions.node}; ` +
      `before is \`${o.baseline.dir}\` (${o.baseline.label}), after this checkout. ` +
      `Control plane: ${o.runs} runs each, interleaved (order alternating), times seen by the client polling Describe… every 20 ms; median (min–max), ms.`,
    "",
    control,
    "",
    `InvokeEndpoint, wrk 1 thread, ${o.durationS} s per cell, ${o.loadRuns} runs, the two interleaved (order alternating) after a 2 s warm-up; medians. ` +
      "`front CPU/req` is the CPU time of `sagebrew local`'s own process (its threads, not its children) per request; the container is each checkout's own `serve` (its own runtime), shown beside it.",
    "",
    invoke,
    "",
    `Load average during the runs: ${loads.join(" → ")}.`,
  ].join("\n");
  return { markdown, notes };
}
