/**
 * The serving app's own cost per request, side by side with another built checkout's (before and
 * after a change), in one process: the 1-row and 100-row iris CSV invocations through
 * `precheck` + `handle` (what the HTTP adapter calls), no socket. CPU time is measured over
 * alternating batches, so noise from other work on the machine falls on both alike.
 *
 *   node --import tsx bench/app-ab.ts <baseline checkout> [--batches N] [--requests N]
 *
 * Both checkouts must be built (`npm run build`); the model is bench/work/serving/opt_ml (written
 * by `bench/run.ts serving`). Both apps run this checkout's XGBoost handler (the native binding
 * cannot be loaded twice in one process), so the comparison is of the serving app alone.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_DIR, WORK_DIR } from "./data.js";
import { median, num } from "./lib/stats.js";

type Runtime = typeof import("../packages/runtime/dist/index.js");
interface App {
  start(): Promise<void>;
  precheck(req: unknown): unknown;
  handle(req: unknown): unknown;
  stop(): Promise<void>;
}

const args = process.argv.slice(2);
const baselineDir = args[0];
if (!baselineDir) throw new Error("usage: bench/app-ab.ts <baseline checkout> [--batches N] [--requests N]");
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const batches = opt("--batches", 10);
const perBatch = opt("--requests", 50_000);
const optMl = join(WORK_DIR, "serving", "opt_ml");

const runtime = (repo: string) =>
  import(pathToFileURL(join(repo, "packages/runtime/dist/index.js")).href) as Promise<Runtime>;
const own = await runtime(REPO_DIR);

async function makeApp(repo: string): Promise<App> {
  const rt = await runtime(repo);
  const config = rt.readServingConfig({ SAGEMAKER_BASE_DIR: optMl, SAGEMAKER_MODEL_SERVER_WORKERS: "1" });
  const logger = rt.createLogger({ level: "warn" });
  const handler = rt.checkHandler(own.createXGBoostHandler(), "xgboost");
  const app = rt.createInferenceApp(handler, { config, logger }) as unknown as App;
  await app.start();
  return app;
}

function request(body: Uint8Array) {
  return {
    method: "POST",
    url: "/invocations",
    headers: { "content-type": "text/csv", accept: "text/csv", "content-length": String(body.length) },
    body,
  };
}

/** CPU µs per request over `n` requests (precheck, then handle, as the adapter does). */
function cpuPerRequest(app: App, req: ReturnType<typeof request>, n: number): number {
  const head = { method: req.method, url: req.url, headers: req.headers };
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    if (app.precheck(head) !== undefined) throw new Error("refused");
    const res = app.handle(req) as { status: number };
    if (res.status !== 200) throw new Error(`answered ${res.status}`);
  }
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / n;
}

const bodies = [1, 100].map((rows) => ({
  rows,
  req: request(readFileSync(join(REPO_DIR, "bench", "data", `iris-${rows}.csv`))),
}));
const apps = { this: await makeApp(REPO_DIR), baseline: await makeApp(baselineDir) };
for (const b of bodies) {
  const samples = { this: [] as number[], baseline: [] as number[] };
  for (const app of Object.values(apps)) cpuPerRequest(app, b.req, perBatch * 2);
  for (let i = 0; i < batches; i++) {
    const order = i % 2 === 0 ? (["this", "baseline"] as const) : (["baseline", "this"] as const);
    for (const k of order)
      samples[k].push(cpuPerRequest(apps[k], b.req, b.rows === 1 ? perBatch : perBatch / 10));
  }
  const [a, z] = [median(samples.this), median(samples.baseline)];
  console.log(
    `${b.rows}-row: this ${num(a)} µs (${samples.this.map(num).join(" ")}), baseline ${num(z)} µs (${samples.baseline.map(num).join(" ")}), this ÷ baseline ${((a / z) * 100).toFixed(0)} %`,
  );
}
for (const app of Object.values(apps)) await app.stop();
