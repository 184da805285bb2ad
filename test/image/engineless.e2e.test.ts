/**
 * `sagebrew build --engine none` against real tools: the base pulled from a docker-registry on
 * loopback (the stand-ins of node:26-trixie-slim from _engine.ts, pushed there), libxgboost added
 * from Debian's pinned .deb files, the archive loaded into a real dockerd and run (`train`,
 * `serve`), built twice in two directories for one digest, its files and config compared with the
 * image `docker build` makes of the same project on the same base, and pushed to the registry
 * where `sagebrew doctor` passes on it. Needs root and docker.io, docker-registry, mmdebstrap,
 * skopeo (skips, or fails in CI), and the Debian mirror (the .deb files, cached after a first run).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { main } from "../../packages/cli/src/main.js";
import { captureIo } from "../kit/capture-io.js";
import { aptMirror, engineUnavailable, startEngine, type TestEngine } from "../kit/engine.js";
import { servePredict } from "../kit/image-serve.js";

const ROOT = resolve(import.meta.dirname, "../..");
const IRIS = join(ROOT, "examples", "iris-xgboost");
const EPOCH = "1767225600"; // 2026-01-01: both builds get it, as CI would pass SOURCE_DATE_EPOCH

const unavailable = engineUnavailable();
if (unavailable && process.env.CI === "true") throw new Error(`image suite cannot run in CI: ${unavailable}`);

async function cli(argv: string[], env: NodeJS.ProcessEnv, cwd = ROOT) {
  const captured = captureIo({ env, cwd });
  const code = await main(argv, captured.io);
  return { code, out: captured.out(), err: captured.err() };
}

/** A docker image's flattened file list: `type mode uid/gid size path[ -> link]`, mtimes left out. */
function fileList(engine: TestEngine, image: string): string[] {
  const id = engine.docker(["create", image]).stdout.trim();
  try {
    const res = spawnSync("sh", ["-c", `docker export ${id} | tar --numeric-owner -tvf -`], {
      env: engine.env,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    assert.equal(res.status, 0, res.stderr);
    return res.stdout
      .trim()
      .split("\n")
      .map((l) => {
        const [perm, owner, size, , , ...rest] = l.split(/\s+/);
        return `${perm} ${owner} ${perm?.startsWith("d") ? "-" : size} ${rest.join(" ")}`;
      })
      .sort();
  } finally {
    engine.docker(["rm", id], { check: false });
  }
}

function pushed(engine: TestEngine, local: string, remote: string): string {
  engine.docker(["tag", local, remote]);
  const out = engine.docker(["push", remote]).stdout;
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
  assert.ok(digest, out);
  return `${remote}@${digest}`;
}

describe("sagebrew build --engine none", { skip: unavailable ? `skipped: ${unavailable}` : false }, () => {
  let engine: TestEngine;
  let env: NodeJS.ProcessEnv;
  /** The stand-in of Docker Hub's node:26-trixie-slim (no libxgboost), by digest. */
  let bare: string;
  /** The stand-in with libxgboost0 installed: what `docker build` starts from in this suite. */
  let full: string;
  const temps: string[] = [];
  const temp = async (prefix: string) => {
    const d = await mkdtemp(join(tmpdir(), prefix));
    temps.push(d);
    return d;
  };

  before(async () => {
    assert.ok(existsSync(join(ROOT, "packages/runtime/dist/bin/train.js")), "run `npm run build` first");
    engine = await startEngine({ log: (l) => process.stderr.write(`# ${l}\n`) });
    env = {
      ...engine.env,
      SOURCE_DATE_EPOCH: EPOCH,
      SAGEBREW_DEBIAN_MIRROR: aptMirror(),
      XDG_CACHE_HOME: process.env.SAGEBREW_CACHE_DIR ?? "/var/cache/sagebrew",
    };
    bare = pushed(
      engine,
      await engine.base("3.0", { bare: true }),
      `${engine.registry}/library/node:26-trixie-slim`,
    );
    full = pushed(engine, engine.baseImage, `${engine.registry}/sagebrew-test/node-xgboost:26-trixie-slim`);
  });

  after(async () => {
    for (const d of temps) await rm(d, { recursive: true, force: true });
    await engine?.stop();
  });

  let archive: string;
  let digest: string;

  test("two builds of the project in two directories give one digest and the same bytes; libxgboost comes from the pinned .deb files", async () => {
    const results: { digest: string; sha: string; out: string }[] = [];
    for (const name of ["first", "second"]) {
      const dir = join(await temp(`sagebrew-engineless-${name}-`), "iris-xgboost");
      await cp(IRIS, dir, { recursive: true });
      const output = join(dir, "..", "image.tar");
      const res = await cli(
        [
          "build",
          dir,
          "--engine",
          "none",
          "--base-image",
          bare,
          "--output",
          output,
          "-t",
          "sagebrew-e2e/engineless:test",
        ],
        env,
      );
      assert.equal(res.code, 0, res.err);
      const d = /^manifest (sha256:[0-9a-f]{64})/m.exec(res.out)?.[1];
      assert.ok(d, res.out);
      results.push({
        digest: d,
        sha: createHash("sha256")
          .update(await readFile(output))
          .digest("hex"),
        out: res.out,
      });
      archive = output;
    }
    assert.equal(results[0]?.digest, results[1]?.digest);
    assert.equal(results[0]?.sha, results[1]?.sha, "the archives differ byte for byte");
    assert.match(results[0]?.out ?? "", /added .*libxgboost0=3\.0\.0-1/);
    assert.match(results[0]?.out ?? "", /libgomp1=/);
    digest = results[0]?.digest ?? "";
  });

  test("docker load takes the archive; the image trains and serves iris, and dpkg knows libxgboost0", async () => {
    assert.ok(archive, "needs the archive of the previous test");
    const load = engine.docker(["load", "-i", archive]);
    assert.match(load.stdout, /sagebrew-e2e\/engineless:test/);
    const dpkg = engine.docker([
      "run",
      "--rm",
      "--network",
      "none",
      "sagebrew-e2e/engineless:test",
      "dpkg-query",
      "-W",
      "libxgboost0",
    ]);
    assert.match(dpkg.stdout, /^libxgboost0(:amd64)?\t3\.0\.0-1$/m);
    const ml = await temp("sagebrew-engineless-ml-");
    await cp(join(IRIS, "local_test", "test_dir", "input"), join(ml, "input"), { recursive: true });
    const train = engine.docker(
      ["run", "--rm", "--network", "none", "-v", `${ml}:/opt/ml`, "sagebrew-e2e/engineless:test", "train"],
      { check: false },
    );
    assert.equal(train.code, 0, `${train.stdout}\n${train.stderr}`);
    assert.match(train.stdout, /\[19\]\ttrain-mlogloss:/);
    const served = await servePredict(
      engine,
      "sagebrew-e2e/engineless:test",
      ml,
      "5.1,3.5,1.4,0.2\n6.3,3.3,6.0,2.5\n",
    );
    assert.equal(served.length, 2);
    assert.ok((served[0]?.[0] ?? 0) > 0.9 && (served[1]?.[2] ?? 0) > 0.9, JSON.stringify(served));
  });

  test("on the base docker build uses, it has the files and the config of the engine-built image", async () => {
    const dockerTag = "sagebrew-e2e/engine-built:test";
    const built = await cli(["build", IRIS, "-t", dockerTag, "-q"], env);
    assert.equal(built.code, 0, built.err);
    const output = join(await temp("sagebrew-engineless-same-"), "image.tar");
    const res = await cli(
      [
        "build",
        IRIS,
        "--engine",
        "none",
        "--base-image",
        full,
        "--output",
        output,
        "-t",
        "sagebrew-e2e/engineless-same:test",
        "-q",
      ],
      env,
    );
    assert.equal(res.code, 0, res.err);
    assert.doesNotMatch(res.out, /added/, "the base has libxgboost: nothing is added");
    engine.docker(["load", "-i", output]);
    assert.deepEqual(fileList(engine, "sagebrew-e2e/engineless-same:test"), fileList(engine, dockerTag));
    const config = (tag: string) => {
      const [info] = JSON.parse(engine.docker(["image", "inspect", tag]).stdout);
      const c = info.Config;
      return {
        Entrypoint: c.Entrypoint,
        Cmd: c.Cmd,
        Env: c.Env,
        WorkingDir: c.WorkingDir,
        ExposedPorts: c.ExposedPorts,
        Labels: c.Labels,
        Architecture: info.Architecture,
        Os: info.Os,
      };
    };
    assert.deepEqual(config("sagebrew-e2e/engineless-same:test"), config(dockerTag));
  });

  test("--push puts it in the registry as one Docker v2 schema 2 manifest of the built digest; doctor passes on it", async () => {
    const repo = `${engine.registry}/sagebrew/iris-engineless`;
    const res = await cli(
      [
        "build",
        IRIS,
        "--engine",
        "none",
        "--base-image",
        bare,
        "--push",
        "--registry",
        repo,
        "-t",
        "iris-engineless:v1",
        "-q",
      ],
      env,
    );
    assert.equal(res.code, 0, res.err);
    assert.ok(res.out.includes(`${repo}@${digest}`), `the pushed digest is the built one:\n${res.out}`);
    const raw = spawnSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${repo}:v1`], {
      encoding: "utf8",
    });
    assert.equal(raw.status, 0, raw.stderr);
    assert.equal(JSON.parse(raw.stdout).mediaType, "application/vnd.docker.distribution.manifest.v2+json");
    const ml = await temp("sagebrew-engineless-doctor-");
    await cp(join(IRIS, "local_test", "test_dir", "input"), join(ml, "input"), { recursive: true });
    const trained = await cli(["train", ml, "--plain"], env);
    assert.equal(trained.code, 0, trained.err);
    const doctor = await cli(
      ["doctor", "--image", `${repo}@${digest}`, "--model-dir", join(ml, "model")],
      env,
    );
    assert.equal(doctor.code, 0, doctor.out);
    for (const check of ["manifest", "entrypoint", "train", "serve", "xgboost", "ping", "SIGTERM"]) {
      assert.match(doctor.out, new RegExp(`^ok\\s+${check}\\s`, "m"), `${check}:\n${doctor.out}`);
    }
  });
});
