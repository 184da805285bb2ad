// node bench/transform-floor.mjs [ROUNDS]: what a batch transform of bench/data/iris-like-1000000.csv
// cannot go below on this machine, each part measured ROUNDS times (default 5), interleaved, medians
// of wall time and CPU (all threads):
//  - a Node boot (`node -e 0`): `sagebrew transform` needs two, the CLI's and `serve`'s, one after
//    the other;
//  - libxgboost predicting the 1,000,000 rows in one call on 2 threads (Python XGBoost's
//    `inplace_predict`, nthread 2, on the iris model of the batch transform bench), and on 1;
//  - reading the 16 MB file and parsing it as CSV (sagebrew's parseCsv, one thread, one call).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const repo = resolve(import.meta.dirname, "..");
const input = join(repo, "bench", "data", "iris-like-1000000.csv");
const model = join(repo, "bench", "work", "transform", "opt_ml", "model", "xgboost-model");
const rounds = Number(process.argv[2] ?? 5);
const { parseCsv } = await import(join(repo, "packages", "runtime", "dist", "codecs", "csv.js"));

const PY = `
import sys, time, numpy as np, pandas as pd, xgboost as xgb
X = pd.read_csv(sys.argv[1], header=None).values.astype(np.float32)
out = []
for nt in (2, 1):
    b = xgb.Booster(params={"nthread": nt}, model_file=sys.argv[2])
    b.inplace_predict(X[:1000])
    w, c = time.perf_counter(), time.process_time()
    b.inplace_predict(X)
    out.append(f"{time.perf_counter() - w} {time.process_time() - c}")
print(" ".join(out))
`;

const cpuOf = (stderr) => {
  const m = /CPU ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr);
  return { wall: Number(m[3]), cpu: Number(m[1]) + Number(m[2]) };
};
const samples = { boot: [], predict2: [], predict1: [], parse: [] };
for (let r = 0; r < rounds; r++) {
  const boot = execFileSync("sh", ["-c", `/usr/bin/time -f "CPU %U %S %e" "${process.execPath}" -e 0 2>&1`], {
    encoding: "utf8",
  });
  samples.boot.push(cpuOf(boot));
  const [w2, c2, w1, c1] = execFileSync("/usr/bin/python3", ["-c", PY, input, model], { encoding: "utf8" })
    .trim()
    .split(" ")
    .map(Number);
  samples.predict2.push({ wall: w2, cpu: c2 });
  samples.predict1.push({ wall: w1, cpu: c1 });
  const t = performance.now();
  const c0 = process.cpuUsage();
  const bytes = new Uint8Array(readFileSync(input));
  parseCsv(bytes, { source: input, label: false });
  const c = process.cpuUsage(c0);
  samples.parse.push({ wall: (performance.now() - t) / 1000, cpu: (c.user + c.system) / 1e6 });
}
const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
for (const [k, xs] of Object.entries(samples)) {
  console.log(
    `${k}: wall ${med(xs.map((x) => x.wall)).toFixed(3)} s, CPU ${med(xs.map((x) => x.cpu)).toFixed(3)} s`,
  );
}
