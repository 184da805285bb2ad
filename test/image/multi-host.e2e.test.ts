/**
 * Multi-host training in the image, as SageMaker runs it: N containers of the built iris image on
 * a user-defined Docker network, with hostnames algo-1…N (resolved by the network's DNS), each
 * with an /opt/ml of its own — a resourceconfig.json naming every host and its ShardedByS3Key share
 * of the training channel — on the container's default ports. The ring trains iris across them;
 * algo-1's model serves, and equals the model `sagebrew train --instance-count N` trains on
 * loopback from the same shards; the other hosts exit 0 without a model. Needs what the image
 * suite needs (root, docker.io, docker-registry, mmdebstrap, skopeo); fails with the reason when
 * CI=true, skips with it otherwise. Never binds host port 8080.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { runLocalHosts } from "../../packages/cli/src/local/hosts/index.js";
import { main } from "../../packages/cli/src/main.js";
import { engineUnavailable, startEngine, type TestEngine } from "../kit/engine.js";

const ROOT = resolve(import.meta.dirname, "../..");
const IRIS = join(ROOT, "examples", "iris-xgboost");
const IRIS_CSV = join(IRIS, "local_test", "test_dir", "input", "data", "training", "iris.csv");
const TAG = "sagebrew-e2e/iris-xgboost:multi-host";
const N = 3;
const HOSTS = Array.from({ length: N }, (_, i) => `algo-${i + 1}`);

const unavailable = engineUnavailable();
if (unavailable && process.env.CI === "true") {
  throw new Error(`image multi-host suite cannot run in CI: ${unavailable}`);
}

/** The iris rows dealt round-robin into N parts, so that every part holds every class. */
async function parts(): Promise<string[]> {
  const rows = (await readFile(IRIS_CSV, "utf8")).split("\n").filter((l) => l.trim());
  return HOSTS.map((_, i) => `${rows.filter((_, r) => r % N === i).join("\n")}\n`);
}

/** The iris job's config with the training channel sharded by key. */
async function writeConfig(dir: string): Promise<void> {
  await cp(join(IRIS, "local_test", "test_dir", "input", "config"), join(dir, "input", "config"), {
    recursive: true,
  });
  await writeFile(
    join(dir, "input", "config", "inputdataconfig.json"),
    JSON.stringify({
      training: {
        ContentType: "text/csv",
        TrainingInputMode: "File",
        S3DistributionType: "ShardedByS3Key",
        RecordWrapperType: "None",
      },
    }),
  );
}

describe(
  "multi-host training in containers on a user-defined network",
  { skip: unavailable ? `skipped: ${unavailable}` : false },
  () => {
    let engine: TestEngine;
    const temps: string[] = [];

    before(async () => {
      assert.ok(
        existsSync(join(ROOT, "packages/runtime/dist/bin/train.js")),
        "packages/runtime/dist is missing: run `npm run build` first",
      );
      engine = await startEngine({ log: (l) => process.stderr.write(`# ${l}\n`) });
      let err = "";
      const sink = {
        write(c: string | Uint8Array) {
          err += typeof c === "string" ? c : Buffer.from(c).toString("utf8");
          return true;
        },
      } as unknown as NodeJS.WritableStream;
      // The 1.7 line: its libxgboost (bookworm's 1.7.4) is this machine's, so the containers' model
      // can be compared byte for byte with the one the same shards give on loopback here.
      await engine.base("1.7");
      const code = await main(["build", IRIS, "-t", TAG, "--xgboost", "1.7", "-q"], {
        stdout: sink,
        stderr: sink,
        env: engine.env,
        cwd: ROOT,
      });
      assert.equal(code, 0, err);
    });

    after(async () => {
      for (const d of temps) await rm(d, { recursive: true, force: true });
      await engine?.stop();
    });

    test(`${N} containers (hostnames algo-1…${N}, ShardedByS3Key) train iris as one ring; algo-1's model serves, the others exit 0 without one`, async () => {
      const shards = await parts();
      // One /opt/ml per host, as SageMaker gives each instance: its own resourceconfig.json and
      // the one S3 object (of N) that ShardedByS3Key hands it.
      const dirs: string[] = [];
      for (const [i, host] of HOSTS.entries()) {
        const dir = await mkdtemp(join(tmpdir(), `sagebrew-mh-${host}-`));
        temps.push(dir);
        dirs.push(dir);
        await writeConfig(dir);
        await writeFile(
          join(dir, "input", "config", "resourceconfig.json"),
          JSON.stringify({ current_host: host, hosts: HOSTS, network_interface_name: "eth0" }),
        );
        await mkdir(join(dir, "input", "data", "training"), { recursive: true });
        await writeFile(join(dir, "input", "data", "training", `part-${i}.csv`), shards[i]!);
      }

      const id = randomBytes(3).toString("hex");
      const network = engine.docker(["network", "create", `sbmh-${id}`]).stdout.trim();
      const containers: string[] = [];
      try {
        for (const [i, host] of HOSTS.entries()) {
          containers.push(
            engine
              .docker([
                "run",
                "-d",
                "--name",
                `sbmh-${id}-${host}`,
                "--hostname",
                host,
                "--network",
                network,
                "--network-alias",
                host,
                // Bounded here (SageMaker's 15 minutes by default) so that a broken network fails the test.
                "-e",
                "SAGEBREW_HOSTS_WAIT_SECONDS=120",
                "-v",
                `${dirs[i]}:/opt/ml`,
                TAG,
                "train",
              ])
              .stdout.trim(),
          );
        }
        const codes = containers.map((c) => {
          const r = spawnSync("docker", ["wait", c], { env: engine.env, encoding: "utf8", timeout: 300_000 });
          return Number(r.stdout.trim());
        });
        const logs = containers.map((c) => {
          const r = engine.docker(["logs", c], { check: false });
          return `${r.stdout}${r.stderr}`;
        });
        const all = logs.map((l, i) => `--- ${HOSTS[i]} (exit ${codes[i]})\n${l}`).join("\n");
        assert.deepEqual(
          codes,
          HOSTS.map(() => 0),
          all,
        );
        assert.match(
          logs[0]!,
          /training on 3 hosts \(algo-1, algo-2, algo-3\) as rank 0; this host writes the model/,
          all,
        );
        assert.match(logs[0]!, /XGBoost tracker \(\w+\) listening on \d+\.\d+\.\d+\.\d+:9100/, all);
        // Every host prints the same metric, computed over every host's rows.
        const last = (l: string) => /^\[19\]\t(train-mlogloss:\S+)$/m.exec(l)?.[1];
        assert.ok(last(logs[0]!), all);
        for (const l of logs) assert.equal(last(l), last(logs[0]!), all);
        assert.ok(existsSync(join(dirs[0]!, "model", "xgboost-model")), "algo-1 wrote no model");
        for (const d of dirs.slice(1)) {
          assert.ok(
            !existsSync(join(d, "model", "xgboost-model")),
            `${d}: a host other than algo-1 wrote a model`,
          );
          assert.ok(!existsSync(join(d, "output", "failure")));
        }

        // The same shards on loopback (`sagebrew train --instance-count 3`): the same model.
        const local = await mkdtemp(join(tmpdir(), "sagebrew-mh-local-"));
        temps.push(local);
        await writeConfig(local);
        for (const [i, s] of shards.entries()) {
          await mkdir(join(local, "input", "data", "training"), { recursive: true });
          await writeFile(join(local, "input", "data", "training", `part-${i}.csv`), s);
        }
        const ran = await runLocalHosts({
          dir: local,
          count: N,
          command: [process.execPath, join(ROOT, "packages", "runtime", "bin", "train")],
          onLine: () => {},
        });
        assert.equal(ran.exitCode, 0);
        assert.deepEqual(
          await readFile(join(dirs[0]!, "model", "xgboost-model")),
          await readFile(join(local, "model", "xgboost-model")),
          "the containers' model differs from the loopback hosts' model",
        );
      } finally {
        for (const c of containers) engine.docker(["rm", "-f", c], { check: false });
        engine.docker(["network", "rm", network], { check: false });
      }

      // algo-1's model serves: every iris row predicted as labelled (or all but a few).
      const serve = engine
        .docker(["run", "-d", "-p", "127.0.0.1::8080", "-v", `${dirs[0]}:/opt/ml`, TAG, "serve"])
        .stdout.trim();
      try {
        const port = /:(\d+)\s*$/m.exec(engine.docker(["port", serve, "8080/tcp"]).stdout)?.[1];
        assert.ok(port, "no published port");
        let ping = 0;
        for (let i = 0; i < 200 && ping !== 200; i++) {
          ping = await fetch(`http://127.0.0.1:${port}/ping`).then(
            (r) => r.status,
            () => 0,
          );
          if (ping !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(ping, 200, engine.docker(["logs", serve], { check: false }).stderr);
        const rows = (await readFile(IRIS_CSV, "utf8")).split("\n").filter((l) => l.trim());
        const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
          method: "POST",
          headers: { "Content-Type": "text/csv", Accept: "text/csv" },
          body: `${rows.map((r) => r.split(",").slice(1).join(",")).join("\n")}\n`,
        });
        assert.equal(res.status, 200);
        const predicted = (await res.text()).trim().split("\n");
        assert.equal(predicted.length, rows.length);
        const right = predicted.filter((p, i) => p === rows[i]!.split(",")[0]).length;
        assert.ok(right >= 145, `${right} of 150 iris rows predicted as labelled`);
        assert.equal(predicted[0], "setosa");
      } finally {
        engine.docker(["rm", "-f", serve], { check: false });
      }
    });
  },
);
