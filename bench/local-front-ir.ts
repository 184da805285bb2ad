/**
 * Instructions of `sagebrew local`'s front per InvokeEndpoint, counted by callgrind: the figure
 * that wall-clock CPU time on a shared machine cannot settle. Each checkout's `sagebrew local` runs
 * alone under `valgrind --tool=callgrind --instr-atstart=no` (its children, the endpoint's `serve`,
 * run natively), an endpoint on a plain `serve` (the image by digest), warmed up; then, for each
 * mode, instrumentation is switched on, N InvokeEndpoint calls are made from this process (one
 * after another, or 16 at once on keep-alive connections), and the counters are dumped: the
 * instructions of the front's process (all its threads, garbage collection and compilation
 * included) divided by N.
 *
 *   node --import tsx bench/local-front-ir.ts --baseline /tmp/core-before [--requests 5000] [--rounds 2]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ensureIrisPayloads, REPO_DIR, WORK_DIR } from "./data.js";
import { loadNow } from "./lib/machine.js";
import { type Background, freePort, sleep, startBackground, stopBackground } from "./lib/proc.js";
import { call, IMAGE, ROLE, until } from "./local.js";

const SERVE_IMAGE = `${IMAGE.slice(0, IMAGE.indexOf(":"))}@sha256:${"0".repeat(64)}`;

const { values } = parseArgs({
  options: {
    baseline: { type: "string" },
    model: { type: "string" },
    requests: { type: "string", default: "5000" },
    rounds: { type: "string", default: "2" },
    only: { type: "string" },
  },
});
const N = Number(values.requests);
const ROUNDS = Number(values.rounds);

/** N InvokeEndpoint calls, `c` at a time on keep-alive connections; throws on any non-200. */
async function invoke(port: number, path: string, body: Buffer, n: number, c: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: c });
  let next = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path,
          method: "POST",
          agent,
          headers: { "content-type": "text/csv", accept: "text/csv", "content-length": body.length },
        },
        (res) => {
          res.resume();
          res.on("end", () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`answered ${res.statusCode}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const worker = async () => {
    while (next < n) {
      next++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: c }, worker));
  agent.destroy();
}

/** The dump's own count (its `totals:` line: this part's instructions; `summary:` is not reliable here). */
function totalIr(file: string): number {
  const line = readFileSync(file, "utf8")
    .split("\n")
    .find((l) => l.startsWith("totals:"));
  if (!line) throw new Error(`no totals in ${file}`);
  return Number(line.split(/\s+/)[1]);
}

async function measure(
  label: string,
  repo: string,
  model: string,
  body: Buffer,
): Promise<Record<string, number[]>> {
  const dir = join(WORK_DIR, "local-front-ir", label);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const bg: Background = startBackground(
    `sagebrew local (${label}) under callgrind`,
    "valgrind",
    [
      "--tool=callgrind",
      "--instr-atstart=no",
      "--separate-threads=yes",
      `--callgrind-out-file=${join(dir, "cg.out")}`,
      process.execPath,
      join(repo, "packages", "cli", "bin", "sagebrew"),
      "local",
      "--port",
      String(port),
      "--state",
      join(dir, "state"),
    ],
    { env: process.env, log: join(dir, "local.log") },
  );
  const out: Record<string, number[]> = {
    sequential: [],
    "sequential, all threads": [],
    "16 at once": [],
    "16 at once, all threads": [],
  };
  try {
    const t0 = performance.now();
    for (;;) {
      try {
        await call(port, "ListEndpoints", {});
        break;
      } catch {
        if (bg.child.exitCode !== null) throw new Error(`${label}: sagebrew local exited`);
        if (performance.now() - t0 > 300_000) throw new Error(`${label}: no answer within 300 s`);
        await sleep(500);
      }
    }
    await call(port, "CreateModel", {
      ModelName: "ir",
      ExecutionRoleArn: ROLE,
      PrimaryContainer: { Image: SERVE_IMAGE, ModelDataUrl: model },
    });
    await call(port, "CreateEndpointConfig", {
      EndpointConfigName: "ir",
      ProductionVariants: [
        { VariantName: "AllTraffic", ModelName: "ir", InitialInstanceCount: 1, InstanceType: "ml.m5.large" },
      ],
    });
    await call(port, "CreateEndpoint", { EndpointName: "ir", EndpointConfigName: "ir" });
    const { doc } = await until(
      performance.now(),
      () => call(port, "DescribeEndpoint", { EndpointName: "ir" }),
      (d) => d.EndpointStatus !== "Creating",
      300,
    );
    if (doc.EndpointStatus !== "InService") throw new Error(`${label}: endpoint ${doc.EndpointStatus}`);
    const path = "/endpoints/ir/invocations";
    // Warm-up: the front's code compiled and tiered up in both modes.
    await invoke(port, path, body, 6000, 16);
    await invoke(port, path, body, 4000, 1);
    const ctl = (...args: string[]) => execFileSync("callgrind_control", [...args, String(bg.pid)]);
    let dumps = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (const [mode, c] of [
        ["sequential", 1],
        ["16 at once", 16],
      ] as const) {
        ctl("-i", "on");
        await invoke(port, path, body, N, c);
        ctl("-d");
        ctl("-i", "off");
        dumps++;
        // One file per thread: `cg.out.<dump>-<thread>`, thread 01 the main one (JavaScript, the
        // sockets); the others are V8's helpers (optimising compiler, parallel GC).
        const files = readdirSync(dir).filter((f) => f.startsWith(`cg.out.${dumps}-`));
        if (files.length === 0) throw new Error(`${label}: no dump ${dumps} in ${dir}`);
        const main = totalIr(join(dir, `cg.out.${dumps}-01`)) / N;
        const all = files.reduce((n, f) => n + totalIr(join(dir, f)), 0) / N;
        out[mode]!.push(main);
        out[`${mode}, all threads`]!.push(all);
        const perReq = main;
        console.log(
          `${label} round ${r + 1} ${mode}: ${Math.round(perReq)} instructions/request on the main thread, ${Math.round(all)} in all`,
        );
      }
    }
  } finally {
    await stopBackground(bg, "SIGINT", 60);
  }
  return out;
}

async function main(): Promise<void> {
  const body = readFileSync(ensureIrisPayloads().one);
  const model = values.model ?? pathToFileURL("/tmp/front-model/model.tar.gz").href;
  console.log(`load ${loadNow()}; ${N} requests per mode, ${ROUNDS} rounds`);
  const sides: [string, string][] = [["after", REPO_DIR]];
  if (values.baseline) sides.unshift(["before", values.baseline]);
  const results: Record<string, Record<string, number[]>> = {};
  for (const [label, repo] of sides) {
    if (values.only && values.only !== label) continue;
    results[label] = await measure(label, repo, model, body);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const mode of Object.keys(results.after ?? results.before ?? {})) {
    const b = results.before?.[mode];
    const a = results.after?.[mode];
    console.log(
      `${mode}: before ${b ? Math.round(med(b)) : "-"}, after ${a ? Math.round(med(a)) : "-"} instructions/request (median of ${ROUNDS})` +
        (a && b ? `, after ÷ before ${(med(a) / med(b)).toFixed(3)}` : ""),
    );
  }
  console.log(JSON.stringify(results));
}

await main();
