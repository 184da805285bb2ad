/**
 * The three servers of the serving benchmark, each started on a free loopback port in the
 * background and stopped by PID:
 *  - sagebrew: the runtime's `serve` program on an /opt/ml-shaped directory;
 *  - classic: nginx → gunicorn (gevent workers, one per CPU) → Flask + pandas + Python XGBoost,
 *    launched the way the classic `serve` script launches it (AWS's scikit_bring_your_own example, aws/amazon-sagemaker-examples);
 *  - bare: one Node process with node:http answering a constant (the machine's limit);
 *  - native: sagebrew's `serve` with `SAGEBREW_XGBOOST_JS=off`, libxgboost walking every tree (the
 *    reference for the generated walker's cost in start-up time and memory);
 *  - baseline (with `--baseline DIR`): the same `serve` program from another built checkout, so that
 *    a change is measured side by side with the code it replaces.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { BENCH_DIR, IRIS_EXAMPLE_DIR, REPO_DIR } from "./data.js";
import {
  type Background,
  runTimed,
  startBackground,
  stopBackground,
  treeCpuS,
  treeRssKiB,
} from "./lib/proc.js";

export type StackKey = "sagebrew" | "native" | "baseline" | "classic" | "bare";

export interface Running {
  key: StackKey;
  port: number;
  processes: Background[];
  startedAt: number;
}

export interface Stack {
  key: StackKey;
  label: string;
  start(port: number, optMl: string, logDir: string): Running;
}

export const SAGEBREW_SERVE = join(REPO_DIR, "packages", "runtime", "bin", "serve");
const CLASSIC_DIR = join(BENCH_DIR, "peer", "classic");

const sagebrew: Stack = {
  key: "sagebrew",
  label: "sagebrew serve",
  start(port, optMl, logDir) {
    const env = { ...process.env, SAGEMAKER_BASE_DIR: optMl, SAGEMAKER_BIND_TO_PORT: String(port) };
    const bg = startBackground("sagebrew serve", process.execPath, [SAGEBREW_SERVE], {
      env,
      log: join(logDir, "sagebrew.log"),
    });
    return { key: "sagebrew", port, processes: [bg], startedAt: bg.startedAt };
  },
};

/** sagebrew's `serve` with the generated JavaScript walker off: libxgboost walks every tree. */
export const nativeStack: Stack = {
  key: "native",
  label: "sagebrew serve, SAGEBREW_XGBOOST_JS=off",
  start(port, optMl, logDir) {
    const env = {
      ...process.env,
      SAGEMAKER_BASE_DIR: optMl,
      SAGEMAKER_BIND_TO_PORT: String(port),
      SAGEBREW_XGBOOST_JS: "off",
    };
    const bg = startBackground("sagebrew serve (native)", process.execPath, [SAGEBREW_SERVE], {
      env,
      log: join(logDir, "native.log"),
    });
    return { key: "native", port, processes: [bg], startedAt: bg.startedAt };
  },
};

/** sagebrew's `serve` from another checkout (`npm run build` done there): a before/after peer. */
export function baselineStack(repoDir: string, label: string): Stack {
  const serve = join(repoDir, "packages", "runtime", "bin", "serve");
  if (!existsSync(join(repoDir, "packages", "runtime", "dist", "bin", "serve.js"))) {
    throw new Error(`--baseline ${repoDir}: build it first (packages/runtime/dist/bin/serve.js is missing)`);
  }
  return {
    key: "baseline",
    label,
    start(port, optMl, logDir) {
      const env = { ...process.env, SAGEMAKER_BASE_DIR: optMl, SAGEMAKER_BIND_TO_PORT: String(port) };
      const bg = startBackground("baseline serve", process.execPath, [serve], {
        env,
        log: join(logDir, "baseline.log"),
      });
      return { key: "baseline", port, processes: [bg], startedAt: bg.startedAt };
    },
  };
}

let classicRun = 0;

/**
 * Starts the classic stack: nginx from `bench/peer/classic/nginx.conf.template` → gunicorn with
 * gevent workers (one per CPU) → the Flask app. `maxBodyMb` replaces the tutorial's
 * `client_max_body_size 5m` (batch transform sends 6 MB requests).
 */
export function startClassicStack(
  port: number,
  optMl: string,
  logDir: string,
  options: { maxBodyMb?: number } = {},
): Running {
  const workers = cpus().length;
  const dir = join(logDir, `classic-${process.pid}-${classicRun++}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o777 });
  const sock = join(dir, "gunicorn.sock");
  let template = readFileSync(join(CLASSIC_DIR, "nginx.conf.template"), "utf8");
  if (options.maxBodyMb !== undefined) {
    if (!template.includes("client_max_body_size 5m;")) {
      throw new Error("bench/peer/classic/nginx.conf.template no longer says client_max_body_size 5m");
    }
    template = template.replace("client_max_body_size 5m;", `client_max_body_size ${options.maxBodyMb}m;`);
  }
  const conf = template
    .replaceAll("{{PORT}}", String(port))
    .replaceAll("{{SOCK}}", sock)
    .replaceAll("{{DIR}}", dir);
  writeFileSync(join(dir, "nginx.conf"), conf);
  // The XGBoost container pins OMP_NUM_THREADS=1 for serving (https://github.com/aws/sagemaker-xgboost-container, serving): one thread per worker.
  const env = { ...process.env, SAGEMAKER_BASE_DIR: optMl, OMP_NUM_THREADS: "1" };
  const nginx = startBackground(
    "nginx",
    "/usr/sbin/nginx",
    ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")],
    { env, log: join(logDir, "classic-nginx.log") },
  );
  const gunicorn = startBackground(
    "gunicorn",
    "/usr/bin/gunicorn",
    [
      "--timeout",
      "60",
      "-k",
      "gevent",
      "-b",
      `unix:${sock}`,
      "-w",
      String(workers),
      "--worker-connections",
      String(1000 * workers),
      "--chdir",
      CLASSIC_DIR,
      "wsgi:app",
    ],
    { env, log: join(logDir, "classic-gunicorn.log") },
  );
  return { key: "classic", port, processes: [nginx, gunicorn], startedAt: nginx.startedAt };
}

const classic: Stack = {
  key: "classic",
  label: "classic nginx + gunicorn/gevent + Flask",
  start: (port, optMl, logDir) => startClassicStack(port, optMl, logDir),
};

/** Trains the iris model with sagebrew's `train` into a fresh /opt/ml-shaped `optMl` (a copy of the example's input). */
export async function trainIrisModel(optMl: string, log: (s: string) => void): Promise<void> {
  rmSync(optMl, { recursive: true, force: true });
  mkdirSync(optMl, { recursive: true });
  cpSync(join(IRIS_EXAMPLE_DIR, "input"), join(optMl, "input"), { recursive: true });
  log("training the iris model with sagebrew's train");
  const run = await runTimed(process.execPath, [join(REPO_DIR, "packages", "runtime", "bin", "train")], {
    env: { ...process.env, SAGEMAKER_BASE_DIR: optMl },
    timeoutS: 300,
  });
  if (run.code !== 0 || !existsSync(join(optMl, "model", "xgboost-model"))) {
    throw new Error(`sagebrew train failed on the iris example (${run.code}): ${run.stderr || run.stdout}`);
  }
}

const bare: Stack = {
  key: "bare",
  label: "bare Node http (constant)",
  start(port, _optMl, logDir) {
    const bg = startBackground("bare node", process.execPath, [join(BENCH_DIR, "servers", "bare.mjs")], {
      env: { ...process.env, PORT: String(port) },
      log: join(logDir, "bare.log"),
    });
    return { key: "bare", port, processes: [bg], startedAt: bg.startedAt };
  },
};

export const STACKS: readonly Stack[] = [sagebrew, classic, bare];

export async function stop(running: Running): Promise<void> {
  await Promise.all(running.processes.map((p) => stopBackground(p)));
}

/** Resident memory of the whole stack (every process and its workers), in MB. */
export function stackRssMB(running: Running): number {
  return running.processes.reduce((sum, p) => sum + treeRssKiB(p.pid), 0) / 1024;
}

/** CPU seconds used so far by the whole stack. */
export function stackCpuS(running: Running): number {
  return running.processes.reduce((sum, p) => sum + treeCpuS(p.pid), 0);
}
