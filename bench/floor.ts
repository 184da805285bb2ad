/**
 * libxgboost's own prediction cost through sagebrew's binding, the floor of the serving benchmark
 * (issue 22): `Booster.predictDense` on the calling thread with nthread=1 (as `serve` predicts),
 * of each CSV body already parsed into float32 rows (reading the body is not counted). Also, for
 * information, the generated JavaScript walker of the same model once warm (as in a long-running
 * server), where it compiles. Prints one JSON line prefixed "BENCH ": per body, the median CPU and
 * wall microseconds per call over 7 samples of about 40 ms each, after a warm-up.
 *
 *   node --import tsx bench/floor.ts MODEL BODY.csv [BODY.csv ...] [--no-js]
 */
import { readFileSync } from "node:fs";
import { Booster, compileTreeModel } from "../packages/runtime/src/xgboost/index.js";

function parseBody(path: string): { values: Float32Array; rows: number; cols: number } {
  const lines = readFileSync(path, "utf8").trim().split("\n");
  const cols = lines[0]!.split(",").length;
  const values = new Float32Array(lines.length * cols);
  lines.forEach((l, r) => {
    l.split(",").forEach((v, c) => {
      values[r * cols + c] = v === "" ? Number.NaN : Number(v);
    });
  });
  return { values, rows: lines.length, cols };
}

/** Median CPU and wall µs per call of `fn` over 7 samples of enough calls for ~40 ms each. */
function measure(fn: () => unknown, warm = 50): { cpuUs: number; wallUs: number } {
  for (let i = 0; i < warm; i++) fn();
  let calls = 10;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < calls; i++) fn();
    if (performance.now() - t > 40) break;
    calls *= 2;
  }
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let k = 0; k < 7; k++) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / calls);
    wall.push(((performance.now() - w0) * 1000) / calls);
  }
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[3]!;
  return { cpuUs: mid(cpu), wallUs: mid(wall) };
}

const noJs = process.argv.includes("--no-js");
const [model, ...bodies] = process.argv.slice(2).filter((a) => a !== "--no-js");
if (!model || bodies.length === 0) throw new Error("usage: bench/floor.ts MODEL BODY.csv [BODY.csv ...]");
const booster = await Booster.fromFile(model);
booster.setParam("nthread", 1);
const walker = noJs ? undefined : compileTreeModel(JSON.parse(booster.save("json").toString("utf8")));
const out: Record<string, { native: ReturnType<typeof measure>; js?: ReturnType<typeof measure> }> = {};
for (const path of bodies) {
  const data = parseBody(path);
  const native = measure(() => booster.predictDense(data));
  // Warm as a server that ran for a while: V8 optimises each generated function after many runs.
  const js = walker
    ? measure(() => walker.predict(data.values, data.rows), Math.max(200, 200_000 / data.rows))
    : undefined;
  out[String(data.rows)] = { native, ...(js ? { js } : {}) };
}
console.log(`BENCH ${JSON.stringify({ bodies: out })}`);
