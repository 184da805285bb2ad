/**
 * The container image on a real engine: `sagebrew build` of the iris example, `docker run … train`
 * and `… serve` against a mounted /opt/ml, `sagebrew push` to a loopback registry (pulled back and
 * inspected with skopeo), and `sagebrew doctor` on the good image and on deliberately broken ones.
 * Needs root and docker.io, docker-registry, mmdebstrap, skopeo (scripts/install-system-deps.sh);
 * fails with the reason when CI=true, skips with it otherwise. Never binds host port 8080.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { createPushCommand } from "../../packages/cli/src/commands/push.js";
import { main } from "../../packages/cli/src/main.js";
import { RegistryClient } from "../../packages/cli/src/publish/registry-client.js";
import { engineUnavailable, startEngine, type TestEngine } from "../kit/engine.js";

const ROOT = resolve(import.meta.dirname, "../..");
const IRIS = join(ROOT, "examples", "iris-xgboost");
const TAG = "sagebrew-e2e/iris-xgboost:test";
const CENTROIDS = join(ROOT, "examples", "custom-handler");
const CENTROIDS_TAG = "sagebrew-e2e/custom-handler:test";

const unavailable = engineUnavailable();
if (unavailable && process.env.CI === "true") {
  throw new Error(`image suite cannot run in CI: ${unavailable}`);
}

async function cli(
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const sink = (append: (s: string) => void) =>
    ({
      write(chunk: string | Uint8Array) {
        append(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  const code = await main(argv, {
    stdout: sink((s) => {
      out += s;
    }),
    stderr: sink((s) => {
      err += s;
    }),
    env,
    cwd: ROOT,
  });
  return { code, out, err };
}

async function testDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sagebrew-optml-"));
  await cp(join(IRIS, "local_test", "test_dir"), dir, { recursive: true });
  await rm(join(dir, "model"), { recursive: true, force: true });
  await rm(join(dir, "output"), { recursive: true, force: true });
  return dir;
}

describe(
  "container image on a real engine",
  { skip: unavailable ? `skipped: ${unavailable}` : false },
  () => {
    let engine: TestEngine;
    let trained: string;
    const temps: string[] = [];

    before(async () => {
      assert.ok(
        existsSync(join(ROOT, "packages/runtime/dist/bin/train.js")) &&
          existsSync(join(ROOT, "packages/runtime/dist/bin/serve.js")),
        "packages/runtime/dist is missing: run `npm run build` first",
      );
      engine = await startEngine({ log: (l) => process.stderr.write(`# ${l}\n`) });
    });

    after(async () => {
      for (const d of temps) await rm(d, { recursive: true, force: true });
      await engine?.stop();
    });

    test("sagebrew build builds the iris image: exec-form entrypoint, EXPOSE 8080, labels, amd64", async () => {
      // no --base-image: the Dockerfile's FROM (node:26-trixie-slim, made locally by _engine.ts)
      const res = await cli(["build", IRIS, "-t", TAG, "-q"], engine.env);
      assert.equal(res.code, 0, res.err);
      assert.match(res.out, /built sagebrew-e2e\/iris-xgboost:test sha256:\w+ linux\/amd64/);
      const [info] = JSON.parse(engine.docker(["image", "inspect", TAG]).stdout);
      assert.deepEqual(info.Config.Entrypoint, ["node", "/opt/sagebrew/entrypoint.mjs"]);
      assert.deepEqual(Object.keys(info.Config.ExposedPorts), ["8080/tcp"]);
      assert.equal(info.Config.Labels["com.amazonaws.sagemaker.capabilities.accept-bind-to-port"], "true");
      assert.equal(info.Config.Labels["com.amazonaws.sagemaker.capabilities.multi-models"], "true");
      assert.equal(info.Config.Labels["dev.sagebrew.version"], "0.1.0");
      assert.equal(info.Config.Labels["dev.sagebrew.xgboost.version"], "3.0.0");
      assert.equal(info.Architecture, "amd64");
      // only production dependencies: no AWS SDK, no dev tooling, koffi pruned to this platform
      const ls = engine.docker([
        "run",
        "--rm",
        TAG,
        "ls",
        "/opt/sagebrew/node_modules",
        "/opt/sagebrew/node_modules/koffi/build/koffi",
      ]);
      assert.match(ls.stdout, /hyparquet/);
      assert.match(ls.stdout, /koffi/);
      assert.doesNotMatch(ls.stdout, /@aws-sdk|typescript|tsx|biome/);
      assert.match(ls.stdout, /linux_x64/);
      assert.doesNotMatch(ls.stdout, /win32|darwin/);
    });

    test("docker run IMAGE train writes the model, no failure file, exit 0", async () => {
      trained = await testDir();
      temps.push(trained);
      const res = engine.docker(
        ["run", "--rm", "--network", "none", "-v", `${trained}:/opt/ml`, TAG, "train"],
        {
          check: false,
        },
      );
      assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
      assert.ok(existsSync(join(trained, "model", "xgboost-model")), "model/xgboost-model was not written");
      assert.ok(!existsSync(join(trained, "output", "failure")), "a failure file was written");
      assert.match(res.stdout, /\[19\]\ttrain-mlogloss:/);
    });

    test("docker run IMAGE train with a broken hyperparameter writes the failure file and exits non-zero", async () => {
      const dir = await testDir();
      temps.push(dir);
      const hp = join(dir, "input", "config", "hyperparameters.json");
      const params = JSON.parse(await readFile(hp, "utf8"));
      await writeFile(hp, JSON.stringify({ ...params, max_depth: "deep" }));
      const res = engine.docker(["run", "--rm", "--network", "none", "-v", `${dir}:/opt/ml`, TAG, "train"], {
        check: false,
      });
      assert.notEqual(res.code, 0);
      const failure = await readFile(join(dir, "output", "failure"), "utf8");
      assert.match(failure, /max_depth/);
      assert.ok(!existsSync(join(dir, "model", "xgboost-model")));
    });

    test("docker run IMAGE serve answers /ping and /invocations (setosa); docker stop exits cleanly", async () => {
      assert.ok(trained, "needs the trained model of the previous test");
      const id = engine
        .docker(["run", "-d", "-p", "127.0.0.1::8080", "-v", `${trained}:/opt/ml`, TAG, "serve"])
        .stdout.trim();
      try {
        const port = /:(\d+)\s*$/m.exec(engine.docker(["port", id, "8080/tcp"]).stdout)?.[1];
        assert.ok(port, "no published port");
        let ping = 0;
        for (let i = 0; i < 200 && ping !== 200; i++) {
          ping = await fetch(`http://127.0.0.1:${port}/ping`).then(
            (r) => r.status,
            () => 0,
          );
          if (ping !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(ping, 200, engine.docker(["logs", id], { check: false }).stderr);
        const payload = await readFile(join(IRIS, "local_test", "payload.csv"));
        const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
          method: "POST",
          headers: { "Content-Type": "text/csv", Accept: "text/csv" },
          body: payload,
        });
        assert.equal(res.status, 200);
        assert.match(await res.text(), /setosa/);
        const stop = engine.docker(["stop", "-t", "20", id], { check: false });
        assert.equal(stop.code, 0);
        const state = JSON.parse(engine.docker(["inspect", "-f", "{{json .State}}", id]).stdout);
        assert.equal(state.ExitCode, 0, "serve should exit 0 on SIGTERM (137 would mean it was killed)");
        assert.equal(state.OOMKilled, false);
      } finally {
        engine.docker(["rm", "-f", id], { check: false });
      }
    });

    test("a custom algorithm (TypeScript, not XGBoost) trains and serves in its image, its code named by the project's package.json", async () => {
      const tsc = spawnSync(
        process.execPath,
        [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", CENTROIDS],
        {
          encoding: "utf8",
        },
      );
      assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
      const built = await cli(
        ["build", CENTROIDS, "-t", CENTROIDS_TAG, "--base-image", engine.baseImage, "-q"],
        engine.env,
      );
      assert.equal(built.code, 0, built.err);
      const job = async (hyperparameters: Record<string, string>): Promise<string> => {
        const dir = await mkdtemp(join(tmpdir(), "sagebrew-centroids-"));
        temps.push(dir);
        await cp(join(CENTROIDS, "local", "input"), join(dir, "input"), { recursive: true });
        await writeFile(
          join(dir, "input", "config", "hyperparameters.json"),
          JSON.stringify(hyperparameters),
        );
        return dir;
      };
      const train = (dir: string) =>
        engine.docker(["run", "--rm", "--network", "none", "-v", `${dir}:/opt/ml`, CENTROIDS_TAG, "train"], {
          check: false,
        });

      const bad = await job({ distance: "cosine" });
      const failed = train(bad);
      assert.equal(failed.code, 1, `${failed.stdout}\n${failed.stderr}`);
      assert.match(
        await readFile(join(bad, "output", "failure"), "utf8"),
        // The failure file holds the reason alone (as SageMaker shows it); the code goes to the log.
        /^Hyperparameter distance: "cosine" is not one of euclidean, manhattan\n$/,
      );

      const dir = await job({ epochs: "5" });
      const res = train(dir);
      assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
      assert.match(
        res.stderr,
        /algorithm nearest-centroid from file:\/\/\/opt\/program\/dist\/algorithm\.js/,
      );
      assert.match(res.stdout, /^\[4\]\ttrain-accuracy:0\.9\d*$/m);
      assert.ok(existsSync(join(dir, "model", "centroids.json")), "model/centroids.json was not written");
      assert.ok(existsSync(join(dir, "output", "data", "training-curve.svg")), "no training curve");

      const id = engine
        .docker(["run", "-d", "-p", "127.0.0.1::8080", "-v", `${dir}:/opt/ml`, CENTROIDS_TAG, "serve"])
        .stdout.trim();
      try {
        const port = /:(\d+)\s*$/m.exec(engine.docker(["port", id, "8080/tcp"]).stdout)?.[1];
        assert.ok(port, "no published port");
        let ping = 0;
        for (let i = 0; i < 200 && ping !== 200; i++) {
          ping = await fetch(`http://127.0.0.1:${port}/ping`).then(
            (r) => r.status,
            () => 0,
          );
          if (ping !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(ping, 200, engine.docker(["logs", id], { check: false }).stderr);
        const answer = await fetch(`http://127.0.0.1:${port}/invocations`, {
          method: "POST",
          headers: { "Content-Type": "text/csv", Accept: "text/csv" },
          body: "5.1,3.5,1.4,0.2\n6.3,3.3,6.0,2.5\n",
        });
        assert.equal(answer.status, 200);
        assert.equal(await answer.text(), "setosa\nvirginica\n");
        assert.equal(engine.docker(["stop", "-t", "20", id], { check: false }).code, 0);
        const state = JSON.parse(engine.docker(["inspect", "-f", "{{json .State}}", id]).stdout);
        assert.equal(state.ExitCode, 0);
      } finally {
        engine.docker(["rm", "-f", id], { check: false });
      }
    });

    test("sagebrew push --registry writes a Docker v2 schema 2 manifest that pulls back with entrypoint, port and labels", async () => {
      const repo = `${engine.registry}/sagebrew/iris-xgboost`;
      const res = await cli(["push", TAG, "--registry", repo, "--tag", "v1"], engine.env);
      assert.equal(res.code, 0, res.err);
      const digest = /digest: (sha256:[0-9a-f]{64})/.exec(res.out)?.[1];
      assert.ok(digest, res.out);
      assert.ok(res.out.includes(`${repo}@${digest}`));
      const raw = spawnSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${repo}:v1`], {
        encoding: "utf8",
      });
      assert.equal(raw.status, 0, raw.stderr);
      const manifest = JSON.parse(raw.stdout);
      assert.equal(manifest.schemaVersion, 2);
      assert.equal(manifest.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
      assert.equal(manifest.config.mediaType, "application/vnd.docker.container.image.v1+json");
      for (const l of manifest.layers)
        assert.equal(l.mediaType, "application/vnd.docker.image.rootfs.diff.tar.gzip");
      const inspect = JSON.parse(
        spawnSync("skopeo", ["inspect", "--config", "--tls-verify=false", `docker://${repo}@${digest}`], {
          encoding: "utf8",
        }).stdout,
      );
      assert.deepEqual(inspect.config.Entrypoint, ["node", "/opt/sagebrew/entrypoint.mjs"]);
      assert.deepEqual(Object.keys(inspect.config.ExposedPorts), ["8080/tcp"]);
      assert.equal(inspect.config.Labels["dev.sagebrew.xgboost.version"], "3.0.0");
      // pull it back through the engine and run it
      engine.docker(["rmi", `${repo}:v1`], { check: false });
      engine.docker(["pull", `${repo}@${digest}`]);
      const run = engine.docker([
        "run",
        "--rm",
        "--network",
        "none",
        `${repo}@${digest}`,
        "node",
        "--version",
      ]);
      assert.match(run.stdout, /^v26\./);
      // pushing again uploads nothing and gives the same digest (reproducible gzip layers)
      const again = await cli(["push", TAG, "--registry", repo, "--tag", "v1"], engine.env);
      assert.equal(again.code, 0, again.err);
      assert.ok(again.out.includes(digest));
      assert.match(again.err, /0 blobs uploaded/);
    });

    test("sagebrew push to ECR (fake ECR client) creates the repository, logs in and pushes to the registry it names", async () => {
      const calls: string[] = [];
      const token = Buffer.from("AWS:secret").toString("base64");
      const ecrHost = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
      const command = createPushCommand({
        ecr: (o) => {
          calls.push(`client region=${o.region}`);
          return {
            region: async () => o.region ?? "us-east-1",
            createRepository: async (name) => {
              calls.push(`create ${name}`);
              return "created";
            },
            getAuthorizationToken: async () => ({ token, proxyEndpoint: `https://${ecrHost}` }),
          };
        },
        openRegistry: (host, o) => {
          calls.push(`registry ${host} ${o.authorization}`);
          return new RegistryClient(engine.registry);
        },
      });
      let out = "";
      const io = {
        stdout: {
          write: (c: string) => {
            out += c;
            return true;
          },
        },
        stderr: { write: () => true },
        env: engine.env,
        cwd: ROOT,
      } as unknown as Parameters<typeof command.run>[1];
      assert.equal(await command.run([TAG, "--repository", "iris-ecr", "--region", "eu-west-1"], io), 0);
      assert.deepEqual(calls, [
        "client region=eu-west-1",
        "create iris-ecr",
        `registry ${ecrHost} Basic ${token}`,
      ]);
      assert.match(out, new RegExp(`${ecrHost}/iris-ecr@sha256:[0-9a-f]{64}`));
      const raw = spawnSync(
        "skopeo",
        ["inspect", "--raw", "--tls-verify=false", `docker://${engine.registry}/iris-ecr:test`],
        {
          encoding: "utf8",
        },
      );
      assert.equal(JSON.parse(raw.stdout).mediaType, "application/vnd.docker.distribution.manifest.v2+json");
    });

    test("sagebrew doctor passes on the good image (programs, entrypoint, port 8080, /ping, SIGTERM)", async () => {
      const res = await cli(
        ["doctor", "--image", TAG, "--model-dir", join(trained, "model"), "--instance-type", "ml.m5.large"],
        engine.env,
      );
      assert.equal(res.code, 0, `${res.out}\n${res.err}`);
      for (const check of [
        "entrypoint",
        "architecture",
        "train",
        "serve",
        "node",
        "xgboost",
        "port 8080",
        "ping",
        "SIGTERM",
      ]) {
        assert.match(res.out, new RegExp(`^ok\\s+${check}\\s`, "m"), `${check} should pass:\n${res.out}`);
      }
      const arm = await cli(
        ["doctor", "--image", TAG, "--instance-type", "ml.c7g.xlarge", "--no-run"],
        engine.env,
      );
      assert.equal(arm.code, 1);
      assert.match(arm.out, /FAIL\s+architecture.*needs linux\/arm64/);
      assert.match(arm.out, /fix: rebuild with `sagebrew build --instance-type ml.c7g.xlarge`/);
    });

    test("sagebrew doctor names a CRLF train, a serve without exec bit, and an OCI manifest", async () => {
      const ctx = await mkdtemp(join(tmpdir(), "sagebrew-broken-"));
      temps.push(ctx);
      await writeFile(
        join(ctx, "Dockerfile"),
        `FROM ${TAG}\nRUN sed -i 's/$/\\r/' /opt/sagebrew/bin/train && chmod 0644 /opt/sagebrew/bin/serve\n`,
      );
      engine.docker(["build", "-q", "-t", "sagebrew-e2e/broken:test", ctx]);
      const broken = await cli(["doctor", "--image", "sagebrew-e2e/broken:test"], engine.env);
      assert.equal(broken.code, 1, broken.out);
      assert.match(
        broken.out,
        /FAIL\s+train\s+\/opt\/sagebrew\/bin\/train has Windows \(CRLF\) line endings/,
      );
      assert.match(broken.out, /FAIL\s+serve\s+\/opt\/sagebrew\/bin\/serve is not executable/);
      assert.match(broken.out, /fix: convert it to LF/);

      const oci = `${engine.registry}/sagebrew/iris-oci:v1`;
      const copy = spawnSync(
        "skopeo",
        [
          "copy",
          "--format",
          "oci",
          "--src-tls-verify=false",
          "--dest-tls-verify=false",
          `docker://${engine.registry}/sagebrew/iris-xgboost:v1`,
          `docker://${oci}`,
        ],
        { encoding: "utf8", env: { ...process.env } },
      );
      assert.equal(copy.status, 0, copy.stderr);
      const res = await cli(["doctor", "--image", oci, "--no-run"], engine.env);
      assert.equal(res.code, 1, res.out);
      assert.match(
        res.out,
        /FAIL\s+manifest\s+the registry serves application\/vnd\.oci\.image\.manifest\.v1\+json/,
      );
    });
  },
);
