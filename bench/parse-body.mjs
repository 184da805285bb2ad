// node bench/parse-body.mjs [--repo DIR] FILE...: µs of CPU per parseCsv of each request body (the
// built runtime of DIR, default this checkout), median of 7 samples of N parses (N: about 50 ms of
// work) after a warm-up of the same length — the parsing a server does before any prediction.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  options: { repo: { type: "string", default: resolve(import.meta.dirname, "..") } },
  allowPositionals: true,
});
const { parseCsv } = await import(join(values.repo, "packages", "runtime", "dist", "codecs", "csv.js"));
for (const file of positionals) {
  const body = new Uint8Array(readFileSync(file));
  const parse = () => parseCsv(body, { source: file, label: false });
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 50) {
    parse();
    n++;
  }
  for (let i = 0; i < n; i++) parse();
  const samples = [];
  for (let k = 0; k < 7; k++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) parse();
    const c = process.cpuUsage(c0);
    samples.push((c.user + c.system) / n);
  }
  samples.sort((a, b) => a - b);
  const us = samples[3];
  console.log(
    `${file}: ${body.length} bytes, ${us < 100 ? us.toFixed(2) : us.toFixed(0)} µs of CPU per parse`,
  );
}
