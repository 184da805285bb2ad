/**
 * `sagebrew doctor`: preflight checks that turn SageMaker's late, opaque failures into findings,
 * each with its fix. Checks a project directory, a built image, or both.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { XGBOOST_MODEL_FILE } from "@sagebrew/runtime/core";
import {
  DOCKER_MANIFEST_V2,
  parseReference,
  type Registry,
  RegistryClient,
  sagemakerAcceptsManifest,
} from "../publish/index.js";
import type { Finding } from "./_finding.js";
import { httpGet, probeListeners, probePrograms } from "./_probes.js";
import { nodeFinding, probeVersions, xgboostFinding } from "./_versions.js";
import { type ContainerEngine, type ImageInfo, inspectImage } from "./engine.js";
import { architectureOf, platformForInstanceType } from "./platform.js";

export type { Finding } from "./_finding.js";
export { nodeFinding } from "./_versions.js";

/** Serverless Inference's maximum container image size. */
export const SERVERLESS_IMAGE_LIMIT_BYTES = 10 * 1024 ** 3;
/** SageMaker's /ping request timeout. */
export const PING_TIMEOUT_MS = 2000;

/** Options of `doctorImage`. */
export interface DoctorImageOptions {
  /** Target instance type for the architecture check. Default `ml.m5.large`. */
  instanceType?: string;
  /** A model directory (holding `xgboost-model`) for the serve checks. Default: none (serve checks skipped). */
  modelDir?: string;
  /** Run containers (programs, port, /ping, SIGTERM). Default true. */
  run?: boolean;
  /** How long `serve` may take to start listening, in ms. Default 60000. */
  startupMs?: number;
  /** Registry client factory for remote references. Default: `RegistryClient` (HTTP for loopback). */
  openRegistry?: (host: string) => Registry;
  /** Progress lines. */
  log?: (line: string) => void;
}

function hasRegistryHost(ref: string): boolean {
  const first = ref.split("/")[0] ?? "";
  return ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
}

async function manifestFinding(image: string, options: DoctorImageOptions): Promise<Finding> {
  if (!hasRegistryHost(image)) {
    return {
      check: "manifest",
      status: "skip",
      message: "local image: `sagebrew push` always writes a Docker v2 schema 2 manifest",
    };
  }
  const ref = parseReference(image);
  const registry = options.openRegistry?.(ref.host) ?? new RegistryClient(ref.host);
  const got = await registry.getManifest(ref.repository, ref.digest ?? ref.tag ?? "latest");
  if (sagemakerAcceptsManifest(got.mediaType)) {
    return { check: "manifest", status: "pass", message: `${got.mediaType} (single platform)` };
  }
  return {
    check: "manifest",
    status: "fail",
    message: `the registry serves ${got.mediaType}; SageMaker rejects it ("Unsupported manifest media type")`,
    fix: `push with \`sagebrew push\` (always ${DOCKER_MANIFEST_V2}), or build with \`docker buildx build --provenance=false --output type=docker\` and push that`,
  };
}

function entrypointFinding(info: ImageInfo): Finding {
  const ep = info.entrypoint;
  if (!ep || ep.length === 0) {
    return {
      check: "entrypoint",
      status: "warn",
      message: "no ENTRYPOINT: SageMaker will execute `train` / `serve` from PATH directly",
      fix: 'use the exec form, e.g. ENTRYPOINT ["node", "/opt/sagebrew/entrypoint.mjs"] (sagebrew init writes it)',
    };
  }
  const first = ep[0] ?? "";
  const base = first.split("/").pop() ?? "";
  if ((base === "sh" || base === "bash" || base === "dash") && ep[1] === "-c") {
    return {
      check: "entrypoint",
      status: "fail",
      message: `shell-form ENTRYPOINT (${JSON.stringify(ep)}): the program is a child of /bin/sh, gets no SIGTERM and ignores the train/serve argument`,
      fix: 'write it as a JSON array: ENTRYPOINT ["node", "/opt/sagebrew/entrypoint.mjs"]',
    };
  }
  if (/^tini(-static)?$/.test(base) || ep.some((a) => /(^|\/)tini(-static)?$/.test(a))) {
    return {
      check: "entrypoint",
      status: "fail",
      message: `tini in the ENTRYPOINT (${JSON.stringify(ep)}): SageMaker forbids it, it misreads the train/serve argument`,
      fix: "remove tini; sagebrew's entrypoint is PID 1 and handles SIGTERM itself",
    };
  }
  return { check: "entrypoint", status: "pass", message: `exec form: ${ep.join(" ")}` };
}

function architectureFinding(info: ImageInfo, instanceType: string): Finding {
  const expected = architectureOf(platformForInstanceType(instanceType));
  if (info.architecture === expected && info.os === "linux") {
    return {
      check: "architecture",
      status: "pass",
      message: `${info.os}/${info.architecture} runs on ${instanceType}`,
    };
  }
  return {
    check: "architecture",
    status: "fail",
    message: `image is ${info.os}/${info.architecture}, ${instanceType} needs linux/${expected}; the endpoint would log "exec format error"`,
    fix: `rebuild with \`sagebrew build --instance-type ${instanceType}\` (or --platform linux/${expected})`,
  };
}

function sizeFinding(info: ImageInfo): Finding {
  const gb = info.size / 1024 ** 3;
  const text = gb >= 1 ? `${gb.toFixed(2)} GB` : `${(info.size / 1e6).toFixed(0)} MB`;
  if (info.size > SERVERLESS_IMAGE_LIMIT_BYTES) {
    return {
      check: "size",
      status: "warn",
      message: `${text} exceeds Serverless Inference's 10 GB image limit (real-time endpoints accept it, but start slower)`,
      fix: "keep only production dependencies in the image; bake no data or models into it",
    };
  }
  return { check: "size", status: "pass", message: `${text} (Serverless Inference limit 10 GB)` };
}

async function programFindings(engine: ContainerEngine, image: string): Promise<Finding[]> {
  const probes = await probePrograms(engine, image, ["train", "serve"]);
  if (!probes) {
    return [
      {
        check: "programs",
        status: "skip",
        message: "the image has no /bin/sh, so train and serve could not be inspected",
      },
    ];
  }
  return probes.map((p): Finding => {
    const check = p.name;
    if (!p.path) {
      return {
        check,
        status: "fail",
        message: `\`${p.name}\` is not on PATH: \`docker run IMAGE ${p.name}\` without sagebrew's entrypoint fails with "executable file not found in $PATH"`,
        fix: `put an executable \`${p.name}\` in a PATH directory (sagebrew images have /opt/sagebrew/bin/${p.name})`,
      };
    }
    if (p.crlf) {
      return {
        check,
        status: "fail",
        message: `${p.path} has Windows (CRLF) line endings: its shebang becomes "${p.shebang ?? ""}\\r" and exec fails (exit 127, "No such file or directory")`,
        fix: "convert it to LF (`sed -i 's/\\r$//'`, or `* text=auto eol=lf` in .gitattributes); `sagebrew build` normalizes scripts it stages",
      };
    }
    if (!p.executable) {
      return {
        check,
        status: "fail",
        message: `${p.path} is not executable: SageMaker fails with "permission denied"`,
        fix: `chmod 0755 it before COPY (or RUN chmod +x ${p.path}); \`sagebrew build\` sets 0755 on scripts it stages`,
      };
    }
    if (!p.interpreterFound) {
      return {
        check,
        status: "fail",
        message: `${p.path} starts with "${p.shebang}" but that interpreter is not in the image`,
        fix: "install the interpreter in the image or fix the #! line",
      };
    }
    return {
      check,
      status: "pass",
      message: `${p.path} is executable${p.shebang ? `, LF, ${p.shebang}` : ""}`,
    };
  });
}

async function serveFindings(
  engine: ContainerEngine,
  image: string,
  modelDir: string,
  options: DoctorImageOptions,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const run = await engine.run(
    ["run", "-d", "-p", "127.0.0.1::8080", "-v", `${modelDir}:/opt/ml/model:ro`, image, "serve"],
    { check: false },
  );
  const container = run.stdout.trim();
  if (run.code !== 0 || !container) {
    return [{ check: "serve", status: "fail", message: `cannot start \`serve\`: ${run.stderr.trim()}` }];
  }
  try {
    const port = await engine.run(["port", container, "8080/tcp"], { check: false });
    const hostPort = /:(\d+)\s*$/m.exec(port.stdout)?.[1];
    const deadline = Date.now() + (options.startupMs ?? 60_000);
    let answered: Awaited<ReturnType<typeof httpGet>> | undefined;
    while (Date.now() < deadline) {
      const state = await engine.run(["inspect", "-f", "{{.State.Running}}", container], { check: false });
      if (state.stdout.trim() !== "true") break;
      if (hostPort) {
        const probe = await httpGet(`http://127.0.0.1:${hostPort}/ping`, PING_TIMEOUT_MS);
        if ("status" in probe && probe.status === 200) {
          answered = probe;
          break;
        }
        if ("status" in probe) answered = probe;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const logs = await engine.run(["logs", container], { check: false });
    const output = `${logs.stdout}${logs.stderr}`;
    if (/EADDRINUSE/.test(output)) {
      findings.push({
        check: "port 8080",
        status: "fail",
        message: "serve could not listen: something else in the container already holds port 8080",
        fix: "start nothing else on 8080 in the image (no nginx or second server on that port)",
      });
    } else {
      const listeners = await probeListeners(engine, container);
      const others = listeners.filter((l) => l.port === 8080 && l.pid !== undefined && l.pid !== 1);
      findings.push(
        others.length > 0
          ? {
              check: "port 8080",
              status: "fail",
              message: `port 8080 is held by ${others.map((l) => `PID ${l.pid} (${l.command})`).join(", ")}, not by the serve program (PID 1)`,
              fix: "start nothing else on 8080; the serve program must be PID 1 and own the port",
            }
          : { check: "port 8080", status: "pass", message: "only the serve program (PID 1) listens on 8080" },
      );
    }
    const final = hostPort ? await httpGet(`http://127.0.0.1:${hostPort}/ping`, PING_TIMEOUT_MS) : undefined;
    if (final && "status" in final && final.status === 200) {
      findings.push({
        check: "ping",
        status: "pass",
        message: `GET /ping answered 200 in ${final.ms.toFixed(0)} ms (SageMaker allows ${PING_TIMEOUT_MS} ms)`,
      });
    } else {
      const why =
        final && "error" in final
          ? final.error
          : answered && "status" in answered
            ? `HTTP ${answered.status}`
            : "the container stopped or never listened";
      findings.push({
        check: "ping",
        status: "fail",
        message: `GET /ping did not answer 200 within ${PING_TIMEOUT_MS} ms: ${why}; last log lines: ${output.trim().split("\n").slice(-3).join(" | ")}`,
        fix: "make /ping answer 200 once the model is loaded; check the model directory and the logs above",
      });
    }
    const stop = await engine.run(["stop", "-t", "10", container], { check: false });
    const exit = await engine.run(["inspect", "-f", "{{.State.ExitCode}}", container], { check: false });
    const code = Number(exit.stdout.trim());
    findings.push(
      stop.code === 0 && code !== 137
        ? { check: "SIGTERM", status: "pass", message: `serve stopped on SIGTERM (exit ${code})` }
        : {
            check: "SIGTERM",
            status: "fail",
            message: `serve ignored SIGTERM and was killed (exit ${code}): PID 1 needs its own handler`,
            fix: "use an exec-form ENTRYPOINT and handle SIGTERM in the program (sagebrew's entrypoint does)",
          },
    );
  } finally {
    await engine.run(["rm", "-f", container], { check: false });
  }
  return findings;
}

/**
 * Checks an image: manifest media type (remote references), entrypoint, architecture for the
 * instance type, size, `train`/`serve` on PATH, its Node.js (end of life?) and libxgboost (the
 * version its label records?), and — with a model — port 8080, /ping and SIGTERM.
 *
 * @example const findings = await doctorImage("iris:dev", engine, { modelDir: "local_test/test_dir/model" });
 */
export async function doctorImage(
  image: string,
  engine: ContainerEngine,
  options: DoctorImageOptions = {},
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const log = options.log ?? (() => {});
  const instanceType = options.instanceType ?? "ml.m5.large";
  try {
    findings.push(await manifestFinding(image, options));
  } catch (e) {
    findings.push({ check: "manifest", status: "fail", message: (e as Error).message });
  }
  let info = await inspectImage(engine, image);
  if (!info && hasRegistryHost(image)) {
    log(`pulling ${image}`);
    await engine.run(["pull", image], { check: false });
    info = await inspectImage(engine, image);
  }
  if (!info) {
    findings.push({
      check: "image",
      status: "fail",
      message: `image ${image} was not found`,
      fix: "build it with `sagebrew build` (or pass the right --image)",
    });
    return findings;
  }
  findings.push(entrypointFinding(info), architectureFinding(info, instanceType), sizeFinding(info));
  if (info.exposedPorts.includes("8080/tcp")) {
    findings.push({ check: "expose", status: "pass", message: "EXPOSE 8080" });
  } else {
    findings.push({
      check: "expose",
      status: "warn",
      message: "the image does not EXPOSE 8080",
      fix: "add EXPOSE 8080",
    });
  }
  if (options.run === false) return findings;
  const hostArch = process.arch === "arm64" ? "arm64" : "amd64";
  if (info.architecture !== hostArch) {
    findings.push({
      check: "programs",
      status: "skip",
      message: `cannot run a ${info.architecture} image on this ${hostArch} host; run doctor on a ${info.architecture} machine`,
    });
    return findings;
  }
  log("inspecting train and serve");
  findings.push(...(await programFindings(engine, image)));
  const versions = await probeVersions(engine, image);
  if (versions) {
    findings.push(nodeFinding(versions.node, "the image"), xgboostFinding(info.labels, versions));
  } else {
    findings.push({
      check: "node",
      status: "warn",
      message: "the image has no `node` on PATH: its Node.js and XGBoost versions could not be checked",
    });
  }
  if (!options.modelDir) {
    findings.push({
      check: "ping",
      status: "skip",
      message:
        "no model: pass a project with local_test/test_dir/model (run `sagebrew train` first) or --model-dir",
    });
    return findings;
  }
  log("starting serve");
  findings.push(...(await serveFindings(engine, image, options.modelDir, options)));
  return findings;
}

/** Checks a project directory: its Dockerfile (exec-form ENTRYPOINT, no tini, EXPOSE) and test data. */
export async function doctorProject(dir: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  let dockerfile: string | undefined;
  try {
    dockerfile = await readFile(join(dir, "Dockerfile"), "utf8");
  } catch {
    findings.push({
      check: "Dockerfile",
      status: "pass",
      message: "none: `sagebrew build` uses its template",
    });
  }
  if (dockerfile !== undefined) {
    const lines = dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/);
    const entry = lines.filter((l) => /^\s*ENTRYPOINT\s/i.test(l)).pop();
    if (!entry) {
      findings.push({
        check: "Dockerfile",
        status: "warn",
        message: "no ENTRYPOINT: `train` and `serve` must then be executables on PATH",
        fix: 'add ENTRYPOINT ["node", "/opt/sagebrew/entrypoint.mjs"] (see `sagebrew init`)',
      });
    } else if (!/^\s*ENTRYPOINT\s+\[/i.test(entry)) {
      findings.push({
        check: "Dockerfile",
        status: "fail",
        message: `shell-form ${entry.trim()}: the program would not be PID 1 and would not receive SIGTERM`,
        fix: 'use the exec form: ENTRYPOINT ["node", "/opt/sagebrew/entrypoint.mjs"]',
      });
    } else if (/tini/.test(entry)) {
      findings.push({
        check: "Dockerfile",
        status: "fail",
        message: `${entry.trim()}: SageMaker forbids tini as the entrypoint`,
        fix: "remove tini from the ENTRYPOINT",
      });
    } else {
      findings.push({ check: "Dockerfile", status: "pass", message: `exec-form ${entry.trim()}` });
    }
    if (!lines.some((l) => /^\s*EXPOSE\s+.*\b8080\b/i.test(l))) {
      findings.push({
        check: "Dockerfile",
        status: "warn",
        message: "no EXPOSE 8080",
        fix: "add EXPOSE 8080",
      });
    }
    if (/\r\n/.test(dockerfile)) {
      findings.push({
        check: "line endings",
        status: "warn",
        message: "the Dockerfile has CRLF line endings (sagebrew build normalizes them; other tools may not)",
        fix: "add `* text=auto eol=lf` to .gitattributes",
      });
    }
  }
  const hp = join(dir, "local_test", "test_dir", "input", "config", "hyperparameters.json");
  try {
    const parsed = JSON.parse(await readFile(hp, "utf8")) as Record<string, unknown>;
    const nonString = Object.entries(parsed).filter(([, v]) => typeof v !== "string");
    findings.push(
      nonString.length > 0
        ? {
            check: "hyperparameters",
            status: "warn",
            message: `${nonString.map(([k]) => k).join(", ")} are not strings; SageMaker always passes strings`,
            fix: 'quote the values ("num_round": "20") so local tests match SageMaker',
          }
        : {
            check: "hyperparameters",
            status: "pass",
            message: "local_test hyperparameters are strings, as SageMaker sends",
          },
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      findings.push({ check: "hyperparameters", status: "fail", message: `${hp}: ${(e as Error).message}` });
    }
  }
  return findings;
}

/** The default model directory of a project: `local_test/test_dir/model` when it holds a model. */
export async function projectModelDir(dir: string): Promise<string | undefined> {
  const model = join(dir, "local_test", "test_dir", "model");
  try {
    await stat(join(model, XGBOOST_MODEL_FILE));
    return model;
  } catch {
    return undefined;
  }
}

/** Renders findings as aligned lines with fixes; the summary says how many failed. */
export function formatFindings(findings: readonly Finding[]): string {
  const mark = { pass: "ok  ", warn: "warn", fail: "FAIL", skip: "skip" } as const;
  const width = Math.max(0, ...findings.map((f) => f.check.length));
  const lines = findings.flatMap((f) => [
    `${mark[f.status]}  ${f.check.padEnd(width)}  ${f.message}`,
    ...(f.fix && (f.status === "fail" || f.status === "warn")
      ? [`      ${" ".repeat(width)}  fix: ${f.fix}`]
      : []),
  ]);
  const failed = findings.filter((f) => f.status === "fail").length;
  const warned = findings.filter((f) => f.status === "warn").length;
  lines.push(
    "",
    failed === 0 ? `no problems found${warned ? ` (${warned} warnings)` : ""}` : `${failed} problem(s) found`,
  );
  return `${lines.join("\n")}\n`;
}
