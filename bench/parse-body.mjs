// node bench/parse-body.mjs FILE...: µs of CPU per parseCsv of each request body (the built runtime), median of 7
// samples of 100 parses after 200 warm-up parses — the parsing a server does before any prediction.
import { readFileSync } from "node:fs";

const { parseCsv } = await import("../packages/runtime/dist/codecs/csv.js");
for (const file of process.argv.slice(2)) {
  const body = new Uint8Array(readFileSync(file));
  const parse = () => parseCsv(body, { source: file, label: false });
  for (let i = 0; i < 200; i++) parse();
  const samples = [];
  for (let k = 0; k < 7; k++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < 100; i++) parse();
    const c = process.cpuUsage(c0);
    samples.push((c.user + c.system) / 100);
  }
  samples.sort((a, b) => a - b);
  console.log(`${file}: ${body.length} bytes, ${samples[3].toFixed(0)} µs of CPU per parse`);
}
