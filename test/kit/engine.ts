/**
 * A real container engine for the image suite: `dockerd` and a `docker-registry` on loopback, each
 * with its state in a temp dir and stopped by PID, plus the image lines' base images made locally
 * with mmdebstrap (minbase trixie or bookworm + libxgboost0 + Node.js 26 from the npm registry),
 * cached as tarballs so re-runs are fast. Nothing is pulled from the network.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, openSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";

const REQUIRED = ["dockerd", "docker", "docker-registry", "mmdebstrap", "skopeo"] as const;

/** A running engine and registry. */
export interface TestEngine {
  /** Environment with `DOCKER_HOST` pointing at our dockerd. */
  readonly env: NodeJS.ProcessEnv;
  /** `127.0.0.1:<port>` of the registry. */
  readonly registry: string;
  /** Tag of the default line's base image (`node:26-trixie-slim`, made locally). */
  readonly baseImage: string;
  /** Imports (making it first when not cached) a line's base; `bare`: without libxgboost. */
  base(line: TestLine, options?: { bare?: boolean }): Promise<string>;
  readonly dir: string;
  /** Runs the docker CLI against our engine. */
  docker(
    args: readonly string[],
    options?: { check?: boolean },
  ): { code: number; stdout: string; stderr: string };
  stop(): Promise<void>;
}

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  for (const dir of ["/usr/sbin", "/sbin"]) if (existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

/** Why the engine cannot be started here, or undefined when it can. */
export function engineUnavailable(): string | undefined {
  if (process.platform !== "linux") return `the image suite needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "the image suite needs root to start dockerd (run as root in CI)";
  const missing = REQUIRED.filter((n) => !which(n));
  if (missing.length > 0) {
    return `missing ${missing.join(", ")}: run scripts/install-system-deps.sh (Debian packages docker.io docker-registry mmdebstrap skopeo)`;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

async function waitFor(
  what: string,
  fn: () => boolean | Promise<boolean>,
  ms: number,
  log?: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = log && existsSync(log) ? readFileSync(log, "utf8").split("\n").slice(-15).join("\n") : "";
  throw new Error(`${what} did not become ready within ${ms} ms\n${tail}`);
}

export function aptMirror(): string {
  const files = ["/etc/apt/sources.list"];
  try {
    for (const f of readdirSync("/etc/apt/sources.list.d")) files.push(join("/etc/apt/sources.list.d", f));
  } catch {
    // no sources.list.d
  }
  for (const f of files) {
    let text = "";
    try {
      text = readFileSync(f, "utf8");
    } catch {
      continue;
    }
    const deb822 = /^URIs:\s*(\S+)/m.exec(text);
    if (deb822?.[1] && !deb822[1].includes("security")) return deb822[1];
    const classic = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text);
    if (classic?.[1]) return classic[1];
  }
  return "http://deb.debian.org/debian";
}

/** The image lines' stand-in bases (packages/cli/src/image/lines.ts), made here from Debian packages. */
export type TestLine = "3.0" | "1.7";
const LINE_SUITES: Record<TestLine, { suite: string; tag: string }> = {
  "3.0": { suite: "trixie", tag: "node:26-trixie-slim" },
  "1.7": { suite: "bookworm", tag: "node:26-bookworm-slim" },
};

/** The bin directory of Node.js 26 from the npm registry (scripts/node.sh: pinned, cached). */
function node26(): string {
  const res = spawnSync("bash", [join(import.meta.dirname, "../../scripts/node.sh"), "26"], {
    encoding: "utf8",
  });
  if (res.status !== 0) throw new Error(`scripts/node.sh 26 failed: ${res.stderr}`);
  return res.stdout.trim();
}

/**
 * Makes (or reuses from the cache) a stand-in of Docker Hub's `node:26-<suite>-slim`: a minbase
 * Debian root filesystem with Node.js 26 (the npm registry's binary) in /usr/local/bin, as the
 * official image has it. With `xgboost`, libxgboost0 is installed too, so the Dockerfile's RUN
 * finds it and needs no network; without, it is the base as Docker Hub has it (for `--engine none`,
 * which adds the library from .deb files).
 */
async function baseTarball(suite: string, xgboost: boolean, log: (line: string) => void): Promise<string> {
  const packages = ["ca-certificates", "libatomic1", ...(xgboost ? ["libxgboost0"] : [])];
  const mirror = aptMirror();
  const nodeBin = node26();
  const key = createHash("sha256")
    .update(JSON.stringify({ v: 2, node: nodeBin, packages, mirror, suite, arch: process.arch }))
    .digest("hex")
    .slice(0, 16);
  const cacheDir = process.env.SAGEBREW_CACHE_DIR ?? "/var/cache/sagebrew";
  await mkdir(cacheDir, { recursive: true });
  const tarball = join(cacheDir, `base-${suite}-${key}.tar`);
  if (existsSync(tarball)) return tarball;
  log(`making a ${suite} base with mmdebstrap (${packages.join(", ")}; ${mirror}); cached as ${tarball}`);
  const tmp = `${tarball}.${process.pid}.tmp.tar`;
  const res = spawnSync(
    "mmdebstrap",
    [
      "--variant=minbase",
      "--format=tar",
      `--include=${packages.join(",")}`,
      `--customize-hook=upload ${join(nodeBin, "node")} /usr/local/bin/node`,
      '--customize-hook=chroot "$1" chmod 0755 /usr/local/bin/node',
      // as the official image: apt's lists are not kept
      '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin',
      suite,
      tmp,
      mirror,
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  if (res.status !== 0)
    throw new Error(`mmdebstrap failed (exit ${res.status}):\n${res.stderr.slice(-3000)}`);
  await rename(tmp, tarball);
  return tarball;
}

/**
 * Imports the stand-in base of an image line into the engine, tagged exactly as the Dockerfile's
 * FROM names it (`node:26-trixie-slim`), so `docker build` finds it without pulling; the bare one
 * (no libxgboost) as `sagebrew-test/bare-<that name>`.
 */
async function importBase(
  engine: Pick<TestEngine, "docker">,
  line: TestLine,
  bare: boolean,
  log: (line: string) => void,
): Promise<string> {
  const { suite, tag: official } = LINE_SUITES[line];
  const tag = bare ? `sagebrew-test/bare-${official}` : official;
  if (engine.docker(["image", "inspect", tag], { check: false }).code === 0) return tag;
  const tarball = await baseTarball(suite, !bare, log);
  engine.docker(["import", tarball, tag]);
  return tag;
}

/**
 * Starts dockerd and a registry in a temp dir and makes the base image.
 *
 * @throws Error when a daemon does not come up; callers check `engineUnavailable()` first.
 */
export async function startEngine(options: { log?: (line: string) => void } = {}): Promise<TestEngine> {
  const log = options.log ?? (() => {});
  const dir = await mkdtemp("/tmp/sbimg-");
  const children: ChildProcess[] = [];
  const id = randomBytes(3).toString("hex");
  let bridge: string | undefined;
  const ip = which("ip");
  const dockerdArgs = [
    "--data-root",
    join(dir, "data"),
    "--exec-root",
    join(dir, "exec"),
    "--pidfile",
    join(dir, "docker.pid"),
    "-H",
    `unix://${join(dir, "docker.sock")}`,
    "--iptables=false",
    "--ip-masq=false",
    "--ip6tables=false",
  ];
  if (ip) {
    // Our own bridge, so another dockerd on the machine (docker0) is left alone.
    bridge = `sbbr${id}`;
    const subnet = `10.${200 + (Number.parseInt(id.slice(0, 2), 16) % 50)}.${Number.parseInt(id.slice(2, 4), 16)}`;
    for (const args of [
      ["link", "add", bridge, "type", "bridge"],
      ["addr", "add", `${subnet}.1/24`, "dev", bridge],
      ["link", "set", bridge, "up"],
    ]) {
      const r = spawnSync(ip, args, { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`ip ${args.join(" ")} failed: ${r.stderr}`);
    }
    dockerdArgs.push("--bridge", bridge);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${join(dir, "docker.sock")}` };
  delete env.DOCKER_CONTEXT;
  const docker = (args: readonly string[], o: { check?: boolean } = {}) => {
    const r = spawnSync("docker", args, { env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const out = { code: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
    if (o.check !== false && out.code !== 0)
      throw new Error(`docker ${args.join(" ")} failed: ${out.stderr}`);
    return out;
  };
  const dockerdLog = join(dir, "dockerd.log");
  const dockerd = spawn("dockerd", dockerdArgs, {
    stdio: ["ignore", openSync(dockerdLog, "a"), openSync(dockerdLog, "a")],
    detached: false,
  });
  children.push(dockerd);

  const port = await freePort();
  const registry = `127.0.0.1:${port}`;
  const registryConfig = join(dir, "registry.yml");
  await writeFile(
    registryConfig,
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "registry")}\n  delete:\n    enabled: true\nhttp:\n  addr: ${registry}\n`,
  );
  const registryLog = join(dir, "registry.log");
  const reg = spawn("docker-registry", ["serve", registryConfig], {
    stdio: ["ignore", openSync(registryLog, "a"), openSync(registryLog, "a")],
  });
  children.push(reg);

  const stop = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.pid === undefined) continue;
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(child.pid, "SIGTERM");
      const timer = setTimeout(
        () => child.pid && child.exitCode === null && process.kill(child.pid, "SIGKILL"),
        15_000,
      );
      await exited;
      clearTimeout(timer);
    }
    if (bridge && ip) spawnSync(ip, ["link", "del", bridge]);
    spawnSync("sh", ["-c", `grep -o ' ${dir}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l`]);
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  };

  try {
    await waitFor("dockerd", () => docker(["version"], { check: false }).code === 0, 30_000, dockerdLog);
    await waitFor(
      "docker-registry",
      async () => {
        try {
          return (await fetch(`http://${registry}/v2/`)).status === 200;
        } catch {
          return false;
        }
      },
      15_000,
      registryLog,
    );
    const base = (line: TestLine, o: { bare?: boolean } = {}) => importBase({ docker }, line, !!o.bare, log);
    return { env, registry, baseImage: await base("3.0"), base, dir, docker, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
