/**
 * Image builds (issue 21 §3): `sagebrew build --engine none` against `docker build` of the same
 * project (the iris example, through `sagebrew build`) on the same base, cold and warm, runs
 * interleaved; and the images' sizes. A real dockerd and a docker-registry on loopback, and the
 * stand-in bases of test/kit/engine.ts (node:26-trixie-slim made with mmdebstrap), pushed there
 * for the engine-less builds to pull.
 *  - cold: no cache at all (engine-less: an empty blob/.deb cache, so the base is pulled from the
 *    loopback registry and the .deb files from the Debian mirror; docker: `--no-cache`);
 *  - warm: the same project again with caches (engine-less: blobs and .debs on disk; docker: its
 *    layer cache);
 *  - warm after an edit: one project file changed, caches kept.
 * Engine-less builds run on both bases: the one docker uses (libxgboost installed, nothing added)
 * and the bare one, where libxgboost and its dependencies come from the pinned .deb files.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aptMirror, startEngine, type TestEngine } from "../test/kit/engine.js";
import { IRIS_EXAMPLE_DIR, REPO_DIR } from "./data.js";
import { mb, median, table, withRange } from "./lib/stats.js";

export interface ImageBuildOptions {
  runs: number;
  log: (s: string) => void;
}

export interface ImageBuildReport {
  markdown: string;
  notes: string[];
}

const CLI = join(REPO_DIR, "packages", "cli", "bin", "sagebrew");

function timed(env: NodeJS.ProcessEnv, args: string[]): number {
  const started = performance.now();
  const res = spawnSync(process.execPath, [CLI, ...args], { env, encoding: "utf8", maxBuffer: 64 << 20 });
  const s = (performance.now() - started) / 1000;
  if (res.status !== 0) throw new Error(`sagebrew ${args.join(" ")} failed: ${res.stderr}`);
  return s;
}

function pushed(engine: TestEngine, local: string, remote: string): string {
  engine.docker(["tag", local, remote]);
  const out = engine.docker(["push", remote]).stdout;
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
  if (!digest) throw new Error(`no digest from docker push: ${out}`);
  return `${remote}@${digest}`;
}

type Row = "docker" | "none" | "none-debs";
const LABELS: Record<Row, string> = {
  docker: "`docker build` (`sagebrew build`)",
  none: "`--engine none`, same base",
  "none-debs": "`--engine none`, bare base + .deb files",
};

export async function runImageBuildBench(o: ImageBuildOptions): Promise<ImageBuildReport> {
  const engine = await startEngine({ log: o.log });
  const work = mkdtempSync(join(tmpdir(), "sagebrew-bench-image-"));
  try {
    const bare = pushed(
      engine,
      await engine.base("3.0", { bare: true }),
      `${engine.registry}/library/node:26-trixie-slim`,
    );
    const full = pushed(engine, engine.baseImage, `${engine.registry}/bench/node-xgboost:26-trixie-slim`);
    const project = join(work, "iris-xgboost");
    cpSync(IRIS_EXAMPLE_DIR, project, { recursive: true });
    const env = (cache: string): NodeJS.ProcessEnv => ({
      ...engine.env,
      SOURCE_DATE_EPOCH: "1767225600",
      SAGEBREW_DEBIAN_MIRROR: aptMirror(),
      XDG_CACHE_HOME: cache,
    });
    const build = (row: Row, phase: "cold" | "warm", cache: string): number => {
      if (row === "docker") {
        return timed(env(cache), [
          "build",
          project,
          "-t",
          "bench/iris:docker",
          "-q",
          ...(phase === "cold" ? ["--no-cache"] : []),
        ]);
      }
      return timed(env(cache), [
        "build",
        project,
        "--engine",
        "none",
        "-q",
        "--base-image",
        row === "none" ? full : bare,
        "--output",
        join(work, `${row}.tar`),
        "-t",
        `bench/iris:${row}`,
      ]);
    };
    const rows: Row[] = ["docker", "none", "none-debs"];
    const times: Record<string, number[]> = {};
    const add = (k: string, s: number) => {
      times[k] ??= [];
      times[k].push(s);
    };
    for (let run = 0; run < o.runs; run++) {
      for (const row of rows) {
        const cache = join(work, `cache-${row}-${run}`);
        o.log(`run ${run + 1}/${o.runs}: ${row} cold, warm, edited`);
        add(`${row} cold`, build(row, "cold", cache));
        add(`${row} warm`, build(row, "warm", cache));
        writeFileSync(join(project, "notes.txt"), `run ${run} ${row}\n`);
        add(`${row} edited`, build(row, "warm", cache));
        rmSync(cache, { recursive: true, force: true });
      }
    }
    const sec = (x: number) => `${x.toFixed(1)} s`;
    const ratio = (phase: string, row: Row) =>
      (median(times[`${row} ${phase}`] ?? []) / median(times[`docker ${phase}`] ?? [])).toFixed(2);
    const timing = table(
      ["build", "cold", "warm", "warm, one file changed", "cold / docker", "warm / docker"],
      rows.map((r) => [
        LABELS[r],
        withRange(times[`${r} cold`] ?? [], sec),
        withRange(times[`${r} warm`] ?? [], sec),
        withRange(times[`${r} edited`] ?? [], sec),
        r === "docker" ? "—" : `${ratio("cold", r)}×`,
        r === "docker" ? "—" : `${ratio("warm", r)}×`,
      ]),
    );
    engine.docker(["load", "-i", join(work, "none.tar")]);
    engine.docker(["load", "-i", join(work, "none-debs.tar")]);
    const size = (tag: string) =>
      Number(engine.docker(["image", "inspect", "-f", "{{.Size}}", tag]).stdout.trim());
    const sizes = table(
      ["image", "unpacked (docker image inspect)", "archive (gzip layers)"],
      [
        [LABELS.docker, mb(size("bench/iris:docker")), "—"],
        [LABELS.none, mb(size("bench/iris:none")), mb(statSync(join(work, "none.tar")).size)],
        [
          LABELS["none-debs"],
          mb(size("bench/iris:none-debs")),
          mb(statSync(join(work, "none-debs.tar")).size),
        ],
      ],
    );
    return {
      markdown: [
        `The iris example, ${o.runs} interleaved runs (median, range):`,
        "",
        timing,
        "",
        "Sizes:",
        "",
        sizes,
      ].join("\n"),
      notes: [
        "Both paths start from the same stand-in of node:26-trixie-slim (mmdebstrap, with libxgboost0 for docker build, which then installs nothing); the engine-less builds pull it from a docker-registry on loopback, docker has it locally.",
        "Cold engine-less builds fetch the .deb files from the Debian mirror (the machine's), so their time includes that download; warm ones read them from the cache.",
        "A warm `docker build` reuses every layer; a warm engine-less build still stages the runtime and writes, hashes and gzips its two layers and the archive (the base layers are copied as they are).",
      ],
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
    await engine.stop();
  }
}
