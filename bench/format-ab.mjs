// node bench/format-ab.mjs [--module FILE]...: ns of CPU per formatFloat32 call (how `serve` writes
// every score it answers in CSV or JSON) of each built predictions module (default this checkout's
// packages/runtime/dist/codecs/predictions.js), the modules interleaved in one process: medians of 9
// rounds of about 40 ms per module, after a warm-up of the same, over fixed values (seeded): model
// outputs as serving answers them — probabilities (a logistic of a spread of margins), regression
// scores of several magnitudes, and a few round numbers.
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    module: {
      type: "string",
      multiple: true,
      default: [
        resolve(import.meta.dirname, "..", "packages", "runtime", "dist", "codecs", "predictions.js"),
      ],
    },
  },
});
// mulberry32: the same values every run.
let seed = 0x5eed;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const inputs = new Float32Array(4096);
for (let i = 0; i < inputs.length; i++) {
  const kind = i % 8;
  const margin = (random() - 0.5) * 16;
  inputs[i] =
    kind < 5
      ? 1 / (1 + Math.exp(-margin)) // probabilities
      : kind < 7
        ? margin * 10 ** Math.floor(random() * 6 - 2) // scores from 1e-2 to 1e3
        : Math.round(margin * 4) / 4; // round numbers
}
const sides = [];
for (const file of values.module) {
  const { formatFloat32 } = await import(resolve(file));
  sides.push({ file, formatFloat32, samples: [] });
}
// The outputs must agree, or the comparison means nothing.
for (const v of inputs) {
  const outs = new Set(sides.map((s) => s.formatFloat32(v)));
  if (outs.size !== 1) throw new Error(`modules disagree on ${v}: ${[...outs].join(" vs ")}`);
}
let sink = 0;
const pass = (f) => {
  for (let i = 0; i < inputs.length; i++) sink += f(inputs[i]).length;
};
const calibrate = (f) => {
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 40) {
    pass(f);
    n++;
  }
  return n;
};
const passes = sides.map((s) => calibrate(s.formatFloat32));
for (let round = 0; round < 9; round++) {
  for (const [i, s] of sides.entries()) {
    const c0 = process.cpuUsage();
    for (let k = 0; k < passes[i]; k++) pass(s.formatFloat32);
    const c = process.cpuUsage(c0);
    s.samples.push(((c.user + c.system) * 1000) / (passes[i] * inputs.length));
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const first = median(sides[0].samples);
for (const s of sides) {
  const m = median(s.samples);
  console.log(`${s.file}: ${m.toFixed(1)} ns per value (${(m / first).toFixed(2)}× the first)`);
}
if (sink === 42) console.log("");
