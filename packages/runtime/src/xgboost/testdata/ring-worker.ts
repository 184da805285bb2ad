/**
 * A sagebrew worker of a ring, for the binding's tests: the same steps as `ring_worker.py`
 * (join, build the matrix, then update and evaluate round by round, check an allreduce; rank 0
 * saves the model as JSON), through sagebrew's Collective on its own thread.
 * Usage: ring-worker.ts URI PORT TASK WORLD SHARD.csv OUT.json ROUNDS PARAMS_JSON
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Booster, Collective, DMatrix } from "../index.js";

const [uri, port, task, world, shard, out, rounds, params] = process.argv.slice(2) as string[];
const rows = readFileSync(shard!, "utf8")
  .trim()
  .split("\n")
  .map((l) => l.split(",").map(Number));
const cols = rows[0]!.length - 1;
const values = new Float32Array(rows.length * cols);
const labels = new Float32Array(rows.length);
rows.forEach((r, i) => {
  labels[i] = r[0]!;
  for (let c = 0; c < cols; c++) values[i * cols + c] = r[c + 1]!;
});
const ring = await Collective.join({
  trackerUri: uri!,
  trackerPort: Number(port),
  taskId: task!,
  worldSize: Number(world),
  timeoutSec: 120,
});
const d = await DMatrix.fromRowsAsync({ dense: { values, rows: rows.length, cols } }, { labels, pool: ring.pool });
const booster = await Booster.createAsync([d], JSON.parse(params!) as Record<string, string>, ring.pool);
for (let i = 0; i < Number(rounds); i++) {
  await booster.updateAsync(i, d);
  process.stdout.write(`${await booster.evalAsync(i, [[d, "train"]])}\n`);
}
const [total] = await ring.allreduce(new Float64Array([rows.length]), "sum");
process.stdout.write(`rows ${total} rank ${ring.rank}\n`);
if (ring.rank === 0) writeFileSync(out!, booster.save("json"));
await ring.finalize();
