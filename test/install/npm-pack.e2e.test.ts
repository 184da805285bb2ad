/**
 * End to end: both packages as npm would publish them. Each is built from its sources into a
 * staging copy (scripts/build-package.mjs, as its `prepack` does) and packed with `npm pack`; the
 * two tarballs are installed into an empty project (`npm install ./*.tgz`, dependencies from npm's
 * cache, else the registry), and there `npx sagebrew` trains, serves and predicts iris, and a
 * TypeScript file compiles against the installed types.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { builtinModules, createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PACKAGES = ["runtime", "cli"] as const;

interface PackJson {
  name: string;
  version: string;
  filename: string;
  files: { path: string }[];
}

interface Manifest {
  name: string;
  engines?: { node?: string };
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  files?: string[];
  dependencies?: Record<string, string>;
}

/** Runs a command to its end; rejects with its output when it fails. */
function sh(
  command: string,
  args: string[],
  options: { cwd: string; timeoutMs?: number },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 300_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(" ")} exited ${code ?? signal}:\n${stdout}${stderr}`));
    });
  });
}

let work: string;
let project: string;
const manifests = new Map<string, Manifest>();
const packed = new Map<string, PackJson>();

before(
  async () => {
    work = await mkdtemp(join(tmpdir(), "sagebrew-npm-pack-"));
    project = join(work, "project");
    mkdirSync(project);
    for (const name of PACKAGES) {
      const src = join(ROOT, "packages", name);
      const stage = join(work, "stage", name);
      mkdirSync(stage, { recursive: true });
      for (const f of ["package.json", "README.md", "LICENSE", "bin"]) {
        if (existsSync(join(src, f))) cpSync(join(src, f), join(stage, f), { recursive: true });
      }
      await sh(
        process.execPath,
        [join(ROOT, "scripts", "build-package.mjs"), src, "--out-dir", join(stage, "dist")],
        {
          cwd: ROOT,
        },
      );
      // --ignore-scripts: the staging copy has no sources for prepack to build; it was built above.
      const { stdout } = await sh("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], {
        cwd: stage,
      });
      const info = (JSON.parse(stdout) as PackJson[])[0]!;
      packed.set(name, info);
      manifests.set(name, JSON.parse(readFileSync(join(stage, "package.json"), "utf8")) as Manifest);
    }
    writeFileSync(
      join(project, "package.json"),
      `${JSON.stringify({ name: "empty", private: true }, null, 2)}\n`,
    );
    const tarballs = [...packed.values()].map((p) => join(work, p.filename));
    await sh("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...tarballs], {
      cwd: project,
      timeoutMs: 600_000,
    });
  },
  { timeout: 900_000 },
);

after(() => rm(work, { recursive: true, force: true }));

describe("the npm packages", () => {
  it("hold only their build, bin, package.json, README and LICENSE", () => {
    for (const [name, info] of packed) {
      const others = info.files
        .map((f) => f.path)
        .filter((p) => !/^(package\.json|README\.md|LICENSE|bin\/[^/]+|dist\/.+)$/.test(p));
      assert.deepEqual(others, [], name);
      const leaked = info.files.map((f) => f.path).filter((p) => /\.test\.|testdata|(^|\/)src\//.test(p));
      assert.deepEqual(leaked, [], name);
      for (const must of ["package.json", "README.md", "LICENSE"]) {
        assert.ok(
          info.files.some((f) => f.path === must),
          `${name} has ${must}`,
        );
      }
    }
  });

  it("declare engines, bins and exports that the tarball holds", () => {
    for (const [name, manifest] of manifests) {
      const files = new Set(packed.get(name)!.files.map((f) => f.path));
      assert.equal(manifest.engines?.node, ">=22", `${name}: sagebrew supports Node.js 22 and later`);
      assert.deepEqual(manifest.files, ["dist", "bin"], name);
      for (const [bin, target] of Object.entries(manifest.bin ?? {})) {
        assert.ok(files.has(target.replace(/^\.\//, "")), `${name} bin ${bin}`);
      }
      for (const [entry, conditions] of Object.entries(manifest.exports ?? {})) {
        if (typeof conditions === "string") continue;
        for (const condition of ["types", "default"]) {
          const target = conditions[condition];
          assert.ok(
            target && files.has(target.replace(/^\.\//, "")),
            `${name} exports ${entry} ${condition}`,
          );
        }
      }
    }
  });

  it("declare every package their code imports", () => {
    const builtins = new Set(builtinModules);
    for (const [name, manifest] of manifests) {
      const dir = join(project, "node_modules", ...manifest.name.split("/"));
      const declared = new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {})]);
      const missing = new Set<string>();
      for (const file of readdirSync(join(dir, "dist"), { recursive: true, encoding: "utf8" })) {
        if (!file.endsWith(".js")) continue;
        const text = readFileSync(join(dir, "dist", file), "utf8");
        for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"'./][^"']*)["']/g)) {
          const spec = m[1]!;
          if (spec.startsWith("node:") || builtins.has(spec)) continue;
          const pkg = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
          if (!declared.has(pkg)) missing.add(`${file}: ${spec}`);
        }
      }
      assert.deepEqual([...missing], [], `${name} imports packages it does not declare`);
    }
  });

  it(
    "install from their tarballs: npx sagebrew trains, serves and predicts iris",
    { timeout: 300_000 },
    async () => {
      const version = await sh("npx", ["--no-install", "sagebrew", "--version"], { cwd: project });
      assert.match(version.stdout, /^sagebrew \d+\.\d+\.\d+/);
      await sh("npx", ["--no-install", "sagebrew", "init", "iris"], { cwd: project });
      const ml = join("iris", "local_test", "test_dir");
      await sh("npx", ["--no-install", "sagebrew", "train", ml, "--plain"], { cwd: project });
      assert.ok(existsSync(join(project, ml, "model", "xgboost-model")));

      const serve = spawn("npx", ["--no-install", "sagebrew", "serve", ml, "--port", "0"], {
        cwd: project,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true, // its own process group: npx runs sagebrew as a child, and both are stopped
      });
      try {
        const url = await readyUrl(serve);
        const answer = await sh(
          "npx",
          ["--no-install", "sagebrew", "predict", join("iris", "local_test", "payload.csv"), "--url", url],
          { cwd: project },
        );
        assert.equal(answer.stdout, "setosa\n");
        assert.match(answer.stderr, /^200 OK · text\/csv/);
      } finally {
        await stopGroup(serve);
      }
    },
  );

  it("carry types a TypeScript project compiles against", { timeout: 120_000 }, async () => {
    writeFileSync(
      join(project, "consumer.ts"),
      [
        'import { type ModelHandler, runServe, runTrain } from "@sagebrew/runtime";',
        'import { ENV, SagebrewError } from "@sagebrew/runtime/core";',
        'import { COMMANDS, main } from "sagebrew";',
        'const handler: ModelHandler<number> = { name: "n", load: async () => 1, transform: () => "1\\n" };',
        "export const used = [runServe, runTrain, ENV.baseDir, SagebrewError, COMMANDS.length, main, handler];",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules", "@types")],
        },
        files: ["consumer.ts"],
      }),
    );
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    await sh(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project });
  });
});

/** The URL `sagebrew serve` prints once /ping answers 200. */
function readyUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      const m = /Ready: (http:\/\/[^/\s]+)\/ping/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr!.setEncoding("utf8").on("data", (c: string) => {
      out += c;
    });
    child.once("exit", (code) => reject(new Error(`sagebrew serve exited ${code}:\n${out}`)));
  });
}

/** SIGTERM to the child's process group (its pid), then SIGKILL if it has not exited within 20 s. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(-child.pid, "SIGTERM");
  const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}
