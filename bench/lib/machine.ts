/** Describes the machine and the software versions a benchmark ran with. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";

export const PYTHON = "/usr/bin/python3";

export interface Machine {
  nproc: number;
  cpu: string;
  memGiB: number;
  kernel: string;
  loadAtStart: [number, number, number];
  commit: string;
  /** Runtime/CLI source files changed but not committed when the run started (what dist was built from). */
  uncommitted: string[];
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000 });
  return (r.stdout || r.stderr || "").trim() || "unavailable";
}

export function describeMachine(repoDir: string): Machine {
  const load = loadavg();
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    memGiB: totalmem() / 2 ** 30,
    kernel: release(),
    loadAtStart: [load[0] ?? 0, load[1] ?? 0, load[2] ?? 0],
    commit: sh("git", ["-C", repoDir, "rev-parse", "--short", "HEAD"]),
    uncommitted: sh("git", ["-C", repoDir, "status", "--porcelain", "--", "packages"])
      .split("\n")
      .filter((l) => /^.. \S/.test(l))
      .map((l) => l.slice(3).trim()),
  };
}

export function loadNow(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
}

export function machineLine(m: Machine): string {
  return (
    `${m.nproc} × ${m.cpu}, ${m.memGiB.toFixed(0)} GiB RAM, Linux ${m.kernel}; ` +
    `load average at start ${m.loadAtStart.map((x) => x.toFixed(2)).join(" ")}; commit ${m.commit}` +
    (m.uncommitted.length ? ` plus uncommitted changes to ${m.uncommitted.join(", ")}` : "")
  );
}

/** Versions of everything a sub-benchmark touched, one "name version" per entry. */
export function versions(which: "training" | "serving" | "local"): string[] {
  if (which === "local") {
    return [
      `Node ${process.versions.node}`,
      `libxgboost ${sh("dpkg-query", ["-W", "libxgboost0"]).split(/\s+/)[1] ?? "unknown"} (Debian)`,
      sh("wrk", ["-v"])
        .split("\n")[0]!
        .replace(/ Copyright.*/, ""),
    ];
  }
  const py = sh(PYTHON, [
    "-c",
    "import sys, pandas, xgboost; print(sys.version.split()[0], pandas.__version__, xgboost.__version__)",
  ]).split(" ");
  const out = [
    `Node ${process.versions.node}`,
    `Python ${py[0]} (${PYTHON})`,
    `pandas ${py[1]}`,
    `Python xgboost ${py[2]}`,
    `libxgboost ${sh("dpkg-query", ["-W", "libxgboost0"]).split(/\s+/)[1] ?? "unknown"} (Debian)`,
  ];
  if (which === "serving") {
    const flask = sh(PYTHON, [
      "-c",
      "import flask, gevent; print(flask.__version__, gevent.__version__)",
    ]).split(" ");
    out.push(
      `Flask ${flask[0]}`,
      `gevent ${flask[1]}`,
      sh("gunicorn", ["--version"]).replace(/[()]/g, "").replace("version ", ""),
      sh("nginx", ["-v"]).replace("nginx version: nginx/", "nginx "),
      sh("wrk", ["-v"])
        .split("\n")[0]!
        .replace(/ Copyright.*/, ""),
    );
  }
  return out;
}

/** Total RAM in bytes, read from /proc/meminfo (falls back to os.totalmem). */
export function memTotalBytes(): number {
  try {
    const m = /MemTotal:\s+(\d+) kB/.exec(readFileSync("/proc/meminfo", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return totalmem();
}
