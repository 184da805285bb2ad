/** Runs an image's `serve` on a mounted /opt/ml and asks it for predictions, on a real engine. */
import type { TestEngine } from "./engine.js";

/** One prediction of a multi-class model: the probability of each class. */
export type Probabilities = number[];

/**
 * Starts `docker run IMAGE serve` with `mlDir` as /opt/ml (host port from `-p 127.0.0.1::8080`),
 * waits for /ping, POSTs `csv` asking for JSON, stops the container and returns each row's
 * probabilities (`probabilities` of a model with class names, else `score`).
 *
 * @throws Error when /ping never answers 200, or /invocations answers another status.
 */
export async function servePredict(
  engine: TestEngine,
  image: string,
  mlDir: string,
  csv: string,
): Promise<Probabilities[]> {
  const id = engine
    .docker(["run", "-d", "-p", "127.0.0.1::8080", "-v", `${mlDir}:/opt/ml`, image, "serve"])
    .stdout.trim();
  try {
    const port = /:(\d+)\s*$/m.exec(engine.docker(["port", id, "8080/tcp"]).stdout)?.[1];
    if (!port) throw new Error("no published port");
    let ping = 0;
    for (let i = 0; i < 300 && ping !== 200; i++) {
      ping = await fetch(`http://127.0.0.1:${port}/ping`).then(
        (r) => r.status,
        () => 0,
      );
      if (ping !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    if (ping !== 200)
      throw new Error(`serve never answered /ping: ${engine.docker(["logs", id], { check: false }).stderr}`);
    const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
      method: "POST",
      headers: { "Content-Type": "text/csv", Accept: "application/json" },
      body: csv,
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`/invocations answered ${res.status}: ${text}`);
    const body = JSON.parse(text) as { predictions: { probabilities?: number[]; score?: number[] }[] };
    return body.predictions.map((p) => p.probabilities ?? p.score ?? []);
  } finally {
    engine.docker(["rm", "-f", id], { check: false });
  }
}

/** The largest absolute difference between two tables of probabilities of the same shape. */
export function maxDifference(a: readonly Probabilities[], b: readonly Probabilities[]): number {
  if (a.length !== b.length) throw new Error(`${a.length} rows against ${b.length}`);
  let max = 0;
  for (const [i, row] of a.entries()) {
    const other = b[i] ?? [];
    if (row.length !== other.length)
      throw new Error(`row ${i}: ${row.length} values against ${other.length}`);
    for (const [j, v] of row.entries()) max = Math.max(max, Math.abs(v - (other[j] ?? Number.NaN)));
  }
  return max;
}
