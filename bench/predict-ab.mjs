// node bench/predict-ab.mjs MODEL BODY.csv... [--repo DIR]...: µs of CPU per libxgboost prediction
// (`Booster.predictDense`, nthread 1, as `serve` predicts) of each body, by the built runtime of each
// DIR (default this checkout), the checkouts interleaved in one process on one loaded libxgboost:
// medians of 7 rounds, each of about 50 ms of calls per checkout, after a warm-up of the same. What
// differs between checkouts is the binding's own work around libxgboost's call (its proxy DMatrix,
// its configuration, the copy of the result).
import { readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  options: { repo: { type: "string", multiple: true, default: [resolve(import.meta.dirname, "..")] } },
  allowPositionals: true,
});
const [model, ...bodies] = positionals;
if (!model || bodies.length === 0) {
  console.error("usage: node bench/predict-ab.mjs MODEL BODY.csv... [--repo DIR]...");
  process.exit(2);
}
const sides = [];
for (const repo of values.repo) {
  const dist = join(resolve(repo), "packages", "runtime", "dist");
  const { Booster } = await import(join(dist, "xgboost", "index.js"));
  const booster = await Booster.fromFile(model);
  booster.setParam("nthread", 1);
  sides.push({ repo, booster });
}

/** The body's rows as float32, read the plain way (parsing is not what is measured). */
function rowsOf(file) {
  const lines = readFileSync(file, "utf8").trim().split("\n");
  const cols = lines[0].split(",").length;
  const values = new Float32Array(lines.length * cols);
  lines.forEach((l, r) => {
    l.split(",").forEach((v, c) => {
      values[r * cols + c] = v === "" ? Number.NaN : Number(v);
    });
  });
  return { values, rows: lines.length, cols };
}

const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
for (const file of bodies) {
  const data = rowsOf(file);
  let n = 1;
  const t0 = performance.now();
  for (const s of sides) s.booster.predictDense(data);
  n = Math.max(3, Math.ceil(50 / (performance.now() - t0 + 1e-3)));
  for (const s of sides) for (let i = 0; i < n; i++) s.booster.predictDense(data);
  const samples = sides.map(() => []);
  for (let round = 0; round < 7; round++) {
    const order = round % 2 ? [...sides.keys()].reverse() : [...sides.keys()];
    for (const k of order) {
      const c0 = cpuUs();
      for (let i = 0; i < n; i++) sides[k].booster.predictDense(data);
      samples[k].push((cpuUs() - c0) / n);
    }
  }
  const medians = samples.map((s) => s.sort((a, b) => a - b)[3]);
  const cells = sides.map((s, k) => `${s.repo}: ${medians[k].toFixed(1)} µs`);
  const ratio = sides.length > 1 ? `; first ÷ second ${(medians[0] / medians[1]).toFixed(2)}` : "";
  console.log(`${basename(file)} (${data.rows} rows): ${cells.join(", ")}${ratio}`);
}
process.exit(0);
