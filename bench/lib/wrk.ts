/** Drives one server with wrk (POST of a CSV body) and returns its figures. */
import { join } from "node:path";
import { BENCH_DIR } from "../data.js";
import { runTimed } from "./proc.js";

export interface WrkResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Socket errors plus non-2xx/3xx answers. */
  errors: number;
  non2xx: number;
}

export interface WrkOptions {
  port: number;
  bodyFile: string;
  connections: number;
  durationS: number;
  threads?: number;
  /** The request path (default `/invocations`). */
  path?: string;
}

export function wrkArgs(o: WrkOptions): string[] {
  return [
    "-t",
    String(o.threads ?? 1),
    "-c",
    String(o.connections),
    "-d",
    `${o.durationS}s`,
    "--timeout",
    "5s",
    "--latency",
    "-s",
    join(BENCH_DIR, "wrk", "post.lua"),
    `http://127.0.0.1:${o.port}${o.path ?? "/invocations"}`,
    "--",
    o.bodyFile,
  ];
}

export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const run = await runTimed("wrk", wrkArgs(o), { timeoutS: o.durationS + 30 });
  const line = run.stdout.split("\n").find((l) => l.startsWith("BENCH "));
  if (run.code !== 0 || !line) {
    throw new Error(
      `wrk against port ${o.port} failed (${run.code ?? run.signal}): ${run.stderr || run.stdout}`,
    );
  }
  const r = JSON.parse(line.slice(6)) as Record<string, number>;
  const v = (k: string) => r[k] ?? Number.NaN;
  return {
    requests: v("requests"),
    rps: v("requests") / (v("duration_us") / 1e6),
    p50Ms: v("p50_us") / 1000,
    p90Ms: v("p90_us") / 1000,
    p99Ms: v("p99_us") / 1000,
    maxMs: v("max_us") / 1000,
    errors: v("connect") + v("read") + v("write") + v("timeout") + v("status"),
    non2xx: v("status"),
  };
}
