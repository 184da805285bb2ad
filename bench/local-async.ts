/**
 * Asynchronous inference on `sagebrew local` (issue 19 §2), against the real-time path on the same
 * model and container, in one run:
 *  - latency, one invocation at a time: InvokeEndpoint's round trip beside InvokeEndpointAsync's 202
 *    and the time until its answer exists — a `file://` output (polled every millisecond) and an
 *    object in sagebrew local's own S3 (HEAD polled every 2 ms), the targets interleaved;
 *  - throughput: `count` invocations submitted by 16 clients at once, from the first submission to
 *    the last answer written, with MaxConcurrentInvocationsPerInstance 1 and 4, beside InvokeEndpoint
 *    from 1 and 4 concurrent clients, interleaved run by run.
 * Requests are plain HTTP on keep-alive connections (the server checks no signature), so the
 * client's own cost stays out of the figures.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { IRIS_BUILTIN_DIR, REPO_DIR, WORK_DIR } from "./data.js";
import { loadNow } from "./lib/machine.js";
import { type Background, freePort, runTimed, sleep, startBackground, stopBackground } from "./lib/proc.js";
import { median, num, ratio, table, withRange } from "./lib/stats.js";

export interface LocalAsyncOptions {
  /** Throughput runs per cell, interleaved (default 3). */
  runs: number;
  /** Latency samples per target (default 200) and invocations per throughput run (default 400). */
  samples: number;
  count: number;
  log: (s: string) => void;
}

export interface LocalAsyncReport {
  markdown: string;
  notes: string[];
}

const CLI = join(REPO_DIR, "packages", "cli", "bin", "sagebrew");
const TRAIN = join(REPO_DIR, "packages", "runtime", "bin", "train");
const IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
const ROLE = "arn:aws:iam::123456789012:role/SageMakerRole";
const ROW = "5.1,3.5,1.4,0.2";
const BUCKET = "bench-async";
/** Clients submitting asynchronous invocations at once in the throughput runs. */
const SUBMITTERS = 16;

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on the keep-alive pool. */
function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body = "",
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        agent,
        headers: { ...headers, "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A SageMaker control-plane call; throws on an error answer. */
async function sagemaker(port: number, operation: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await call(
    port,
    "POST",
    "/",
    { "content-type": "application/x-amz-json-1.1", "x-amz-target": `SageMaker.${operation}` },
    JSON.stringify(body),
  );
  if (r.status !== 200) throw new Error(`${operation} answered ${r.status}: ${r.body}`);
  return JSON.parse(r.body) as Record<string, unknown>;
}

const invoke = (port: number, endpoint: string) =>
  call(port, "POST", `/endpoints/${endpoint}/invocations`, { "content-type": "text/csv" }, ROW);

/** InvokeEndpointAsync; resolves to the output location it answered. */
async function invokeAsync(port: number, endpoint: string, input: string): Promise<string> {
  const r = await call(port, "POST", `/endpoints/${endpoint}/async-invocations`, {
    "x-amzn-sagemaker-content-type": "text/csv",
    "x-amzn-sagemaker-inputlocation": input,
  });
  if (r.status !== 202) throw new Error(`InvokeEndpointAsync answered ${r.status}: ${r.body}`);
  return r.headers["x-amzn-sagemaker-outputlocation"] as string;
}

async function untilFile(path: string, timeoutMs = 60_000): Promise<void> {
  const t0 = performance.now();
  while (!existsSync(path)) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await sleep(1);
  }
}

async function untilObject(port: number, uri: string, timeoutMs = 60_000): Promise<void> {
  const path = `/${uri.slice("s3://".length)}`;
  const t0 = performance.now();
  while ((await call(port, "HEAD", path, {})).status !== 200) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`${uri} did not appear within ${timeoutMs} ms`);
    await sleep(2);
  }
}

async function waitInService(port: number, name: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const d = await sagemaker(port, "DescribeEndpoint", { EndpointName: name });
    if (d.EndpointStatus === "InService") return;
    if (d.EndpointStatus === "Failed") throw new Error(`${name} failed: ${d.FailureReason}`);
    await sleep(50);
  }
  throw new Error(`${name} did not come up`);
}

/** The iris model as the built-in image trains it (the runtime's `train`, emulating 1.7-1), packed. */
async function irisModel(root: string): Promise<string> {
  const dir = join(root, "train");
  mkdirSync(dir, { recursive: true });
  cpSync(join(IRIS_BUILTIN_DIR, "input"), join(dir, "input"), { recursive: true });
  const run = await runTimed(process.execPath, [TRAIN], {
    env: { ...process.env, SAGEMAKER_BASE_DIR: dir, SAGEBREW_EMULATE: "sagemaker-xgboost:1.7-1" },
    timeoutS: 300,
  });
  if (run.code !== 0) throw new Error(`train failed (${run.code}): ${run.stderr}`);
  const tar = join(root, "model.tar.gz");
  execFileSync("tar", ["-czf", tar, "-C", join(dir, "model"), "."]);
  return tar;
}

/** Percentiles of a sample: "median [p10–p90]". */
function spread(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `${num(median(s))} [${num(at(0.1))}–${num(at(0.9))}]`;
}

export async function runLocalAsyncBench(o: LocalAsyncOptions): Promise<LocalAsyncReport> {
  const root = join(WORK_DIR, "local-async");
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, "logs"), { recursive: true });
  const loadSamples = [loadNow()];
  const port = await freePort();
  const local: Background = startBackground(
    "sagebrew local",
    process.execPath,
    [CLI, "local", "--port", String(port), "--state", join(root, "state")],
    { env: { ...process.env, AWS_ENDPOINT_URL_S3: "" }, log: join(root, "logs", "local.log") },
  );
  try {
    for (let i = 0; ; i++) {
      try {
        await sagemaker(port, "ListEndpoints", {});
        break;
      } catch (e) {
        if (i > 600 || local.child.exitCode !== null) throw e;
        await sleep(100);
      }
    }
    const tar = await irisModel(root);
    await sagemaker(port, "CreateModel", {
      ModelName: "iris",
      ExecutionRoleArn: ROLE,
      PrimaryContainer: { Image: IMAGE, ModelDataUrl: pathToFileURL(tar).href },
    });
    const out = join(root, "out");
    const variant = {
      VariantName: "AllTraffic",
      ModelName: "iris",
      InstanceType: "ml.m5.large",
      InitialInstanceCount: 1,
    };
    const configs: Record<string, Record<string, unknown>> = {
      realtime: {},
      "async-file-1": {
        OutputConfig: { S3OutputPath: pathToFileURL(join(out, "c1")).href },
        ClientConfig: { MaxConcurrentInvocationsPerInstance: 1 },
      },
      "async-file-4": {
        OutputConfig: { S3OutputPath: pathToFileURL(join(out, "c4")).href },
        ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 },
      },
      "async-s3": {
        OutputConfig: { S3OutputPath: `s3://${BUCKET}/out` },
        ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 },
      },
    };
    for (const [name, asyncConfig] of Object.entries(configs)) {
      await sagemaker(port, "CreateEndpointConfig", {
        EndpointConfigName: name,
        ProductionVariants: [variant],
        ...(name === "realtime" ? {} : { AsyncInferenceConfig: asyncConfig }),
      });
      await sagemaker(port, "CreateEndpoint", { EndpointName: name, EndpointConfigName: name });
      await waitInService(port, name);
    }
    const inputFile = join(root, "row.csv");
    writeFileSync(inputFile, ROW);
    const fileInput = pathToFileURL(inputFile).href;
    if ((await call(port, "PUT", `/${BUCKET}`, {})).status !== 200) throw new Error("CreateBucket failed");
    await call(port, "PUT", `/${BUCKET}/in/row.csv`, { "content-type": "text/csv" }, ROW);
    const s3Input = `s3://${BUCKET}/in/row.csv`;
    o.log(`sagebrew local on port ${port}: 4 endpoints InService`);

    // Latency, one at a time, the targets interleaved.
    const lat = { sync: [] as number[], accepted: [] as number[], file: [] as number[], s3: [] as number[] };
    for (let i = 0; i < 20; i++) await invoke(port, "realtime"); // warm-up
    for (let i = 0; i < o.samples; i++) {
      let t0 = performance.now();
      const r = await invoke(port, "realtime");
      if (r.status !== 200) throw new Error(`InvokeEndpoint answered ${r.status}: ${r.body}`);
      lat.sync.push(performance.now() - t0);
      t0 = performance.now();
      const where = await invokeAsync(port, "async-file-4", fileInput);
      lat.accepted.push(performance.now() - t0);
      await untilFile(new URL(where).pathname);
      lat.file.push(performance.now() - t0);
      t0 = performance.now();
      await untilObject(port, await invokeAsync(port, "async-s3", s3Input));
      lat.s3.push(performance.now() - t0);
    }
    o.log(
      `latency: sync ${num(median(lat.sync))} ms, async → file ${num(median(lat.file))} ms, → S3 ${num(median(lat.s3))} ms`,
    );
    loadSamples.push(loadNow());

    // Throughput, interleaved run by run.
    const tput = new Map<string, number[]>();
    const record = (k: string, perS: number) => tput.set(k, [...(tput.get(k) ?? []), perS]);
    for (let run = 0; run < o.runs; run++) {
      for (const c of [1, 4]) {
        let next = 0;
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: c }, async () => {
            while (next++ < o.count) await invoke(port, "realtime");
          }),
        );
        record(`sync-${c}`, o.count / ((performance.now() - t0) / 1000));
        const dir = join(out, `c${c}`);
        rmSync(dir, { recursive: true, force: true });
        const t1 = performance.now();
        // Submitted by as many clients as it takes for the queue, not the submissions, to set the pace.
        let sent = 0;
        await Promise.all(
          Array.from({ length: SUBMITTERS }, async () => {
            while (sent++ < o.count) await invokeAsync(port, `async-file-${c}`, fileInput);
          }),
        );
        const submitted = performance.now() - t1;
        while (!existsSync(dir) || readdirSync(dir).length < o.count) await sleep(5);
        const total = performance.now() - t1;
        record(`async-${c}`, o.count / (total / 1000));
        record(`submit-${c}`, o.count / (submitted / 1000));
        o.log(
          `run ${run + 1}, concurrency ${c}: sync ${num(tput.get(`sync-${c}`)!.at(-1)!)}/s, async ${num(o.count / (total / 1000))}/s`,
        );
      }
      loadSamples.push(loadNow());
    }

    const perS = (x: number) => `${num(x)}/s`;
    const latency = table(
      ["path (one invocation at a time)", "ms, median [p10–p90]", "vs InvokeEndpoint"],
      [
        ["InvokeEndpoint round trip (real-time endpoint)", spread(lat.sync), "1×"],
        [
          "InvokeEndpointAsync until its 202",
          spread(lat.accepted),
          ratio(median(lat.accepted) / median(lat.sync)),
        ],
        [
          "InvokeEndpointAsync until the answer's file exists (`file://`, polled every 1 ms)",
          spread(lat.file),
          ratio(median(lat.file) / median(lat.sync)),
        ],
        [
          "InvokeEndpointAsync until the answer's object exists (sagebrew local's S3, HEAD every 2 ms)",
          spread(lat.s3),
          ratio(median(lat.s3) / median(lat.sync)),
        ],
      ],
    );
    const throughput = table(
      [
        "concurrency",
        "InvokeEndpoint, clients in parallel",
        "InvokeEndpointAsync (16 submitting clients), first submitted → last answer written",
        "async / sync",
        "async submissions (202s) alone",
      ],
      [1, 4].map((c) => [
        `${c} (${c} client${c > 1 ? "s" : ""}; MaxConcurrentInvocationsPerInstance ${c})`,
        withRange(tput.get(`sync-${c}`)!, perS),
        withRange(tput.get(`async-${c}`)!, perS),
        ratio(median(tput.get(`async-${c}`)!) / median(tput.get(`sync-${c}`)!)),
        withRange(tput.get(`submit-${c}`)!, perS),
      ]),
    );
    return {
      markdown: [
        `One iris row (\`${ROW}\`, text/csv) to the built-in XGBoost image's model on one instance; ${o.samples} latency samples per path, ${o.count} invocations per throughput run, ${o.runs} runs interleaved.`,
        "",
        latency,
        "",
        throughput,
      ].join("\n"),
      notes: [
        "What an asynchronous invocation adds to the container's work: the invocation written down before the 202 (a file, fsync'd, and its directory), the input read, the answer written (a `file://` one to a temporary file, fsync'd and renamed; an S3 one as an object of sagebrew local's S3), the queue file removed.",
        "The polling adds up to its interval (1 ms, 2 ms) to the async latencies; a client of SageMaker polls S3 every few seconds, or waits for an SNS notification.",
        `Load average during the run: ${loadSamples.join(" → ")} (a shared machine).`,
      ],
    };
  } finally {
    agent.destroy();
    await stopBackground(local, "SIGINT");
  }
}
