// node bench/serve-inproc.mjs [--repo DIR] [--rows FILE] [--prep S] [--warm S] [--n N] [--rounds R] [--callgrind]
// The CPU of one invocation without the socket: the built runtime of DIR (default this checkout)
// serves the iris model (bench/work/serving/opt_ml) through its app — route, negotiation, decode,
// predict, encode — called in-process with a prepared request: PREP seconds of a call every 2 ms
// (the walkers' preparation, as on a lightly loaded server), then WARM seconds of calls back to
// back. Prints µs of CPU per request (median of R rounds of N). With --callgrind, run it under
// `valgrind --tool=callgrind --instr-atstart=no`: each round switches instrumentation on around
// its N calls and dumps (one file per round), and the caller reads instructions per request from them.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    repo: { type: "string", default: resolve(import.meta.dirname, "..") },
    rows: { type: "string", default: join(import.meta.dirname, "data", "iris-100.csv") },
    model: { type: "string", default: join(import.meta.dirname, "work", "serving", "opt_ml") },
    prep: { type: "string", default: "8" },
    warm: { type: "string", default: "4" },
    n: { type: "string", default: "20000" },
    rounds: { type: "string", default: "7" },
    accept: { type: "string", default: "text/csv" },
    callgrind: { type: "boolean", default: false },
  },
});
const dist = join(values.repo, "packages", "runtime", "dist");
const { createXGBoostHandler, checkHandler, createInferenceApp, readServingConfig } = await import(
  join(dist, "index.js")
);
const { createLogger } = await import(join(dist, "node", "logger.js"));

const env = { ...process.env, SAGEMAKER_BASE_DIR: values.model };
const config = readServingConfig(env, { cpuCount: 2 });
const logger = createLogger({ level: process.env.INPROC_LOG ?? "warn", fields: { program: "serve-inproc" } });
const app = createInferenceApp(checkHandler(createXGBoostHandler(), "xgboost"), {
  config,
  logger,
  modelDir: join(values.model, "model"),
});
await app.start();
const body = new Uint8Array(readFileSync(values.rows));
const req = {
  method: "POST",
  url: "/invocations",
  headers: { "content-type": "text/csv", accept: values.accept, "content-length": String(body.length) },
  body,
};
let sink = 0;
const once = () => {
  const res = app.handle(req);
  if (res instanceof Promise) throw new Error("the invocation went asynchronous");
  if (res.status !== 200) throw new Error(`status ${res.status}: ${res.body}`);
  sink += res.body.length;
};
const tick = () => new Promise((r) => setImmediate(r));
// The walkers' preparation first, with a request every few ms (as a lightly loaded server sees),
// then the warm-up in slices that yield.
const prepUntil = performance.now() + Number(values.prep) * 1000;
while (performance.now() < prepUntil) {
  once();
  await new Promise((r) => setTimeout(r, 2));
}
const until = performance.now() + Number(values.warm) * 1000;
while (performance.now() < until) {
  for (let i = 0; i < 200; i++) once();
  await tick();
}
const first = app.handle(req);
const n = Number(values.n);
const ctl = (...args) =>
  new Promise((res, rej) =>
    execFile("callgrind_control", [...args, String(process.pid)], (e) => (e ? rej(e) : res())),
  );
const samples = [];
for (let r = 0; r < Number(values.rounds); r++) {
  if (values.callgrind) await ctl("-i", "on");
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) once();
  const c = process.cpuUsage(c0);
  if (values.callgrind) {
    await ctl("-d");
    await ctl("-i", "off");
  }
  samples.push((c.user + c.system) / n);
  await tick();
}
samples.sort((a, b) => a - b);
const med = samples[Math.floor(samples.length / 2)];
console.log(
  `${values.repo}: ${values.rows.split("/").pop()} accept ${values.accept}: ${med.toFixed(2)} µs CPU per invocation ` +
    `(median of ${samples.length} × ${n}; ${samples.map((s) => s.toFixed(1)).join(" ")}); first answer ${JSON.stringify(String(first.body).slice(0, 40))} (${sink})`,
);
await app.stop();
process.exit(0);
