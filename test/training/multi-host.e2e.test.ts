/**
 * Multi-host training on loopback: `runLocalHosts` (what `sagebrew train --instance-count N`
 * runs) starting N processes of the real `train` program (built dist), against Python XGBoost's
 * own N-worker ring, and every way a cluster can go wrong: hosts without data, a single host with
 * data, none, a host killed mid-training, a tracker port in use.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type LocalHostsResult, runLocalHosts } from "../../packages/cli/src/local/hosts/index.js";
import { type MlDir, makeMlDir, REPO, SYSTEM_PYTHON, TRAIN_BIN } from "../kit/ml-dir.js";

const dirs: MlDir[] = [];
after(async () => {
  for (const d of dirs) await d.remove();
});

const PARAMS = {
  objective: "binary:logistic",
  tree_method: "hist",
  max_depth: "3",
  eta: "0.3",
  nthread: "1",
};

/** Seeded rows (label, 4 features) for shard `i`. */
function rows(i: number, n: number): string {
  let s = 4242 + i * 104729;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const out: string[] = [];
  for (let r = 0; r < n; r++) {
    const x = [rnd() * 2 - 1, rnd() * 2 - 1, rnd() * 2 - 1, rnd() * 2 - 1];
    out.push([x[0]! - x[2]! * 0.7 > 0 ? 1 : 0, ...x.map((v) => v.toFixed(6))].join(","));
  }
  return `${out.join("\n")}\n`;
}

/** A job whose train channel holds `files` shards, distributed as given. */
async function job(
  files: number,
  options: { distribution?: string; rounds?: number; rowsPerFile?: number } = {},
): Promise<MlDir> {
  const d = await makeMlDir();
  dirs.push(d);
  await d.write(
    "input/config/hyperparameters.json",
    JSON.stringify({ ...PARAMS, num_round: String(options.rounds ?? 5) }),
  );
  await d.write(
    "input/config/inputdataconfig.json",
    JSON.stringify({
      train: { ContentType: "text/csv", S3DistributionType: options.distribution ?? "ShardedByS3Key" },
    }),
  );
  await d.write("input/data/train/.keep", "");
  for (let i = 0; i < files; i++)
    await d.write(`input/data/train/part-${i}.csv`, rows(i, options.rowsPerFile ?? 200));
  return d;
}

interface Ran extends LocalHostsResult {
  readonly lines: ReadonlyMap<string, string>;
}

async function hosts(
  d: MlDir,
  count: number,
  options: {
    env?: NodeJS.ProcessEnv;
    onLine?: (host: string, line: string) => void;
    onStart?: (host: string, pid: number) => void;
  } = {},
): Promise<Ran> {
  const lines = new Map<string, string>();
  const result = await runLocalHosts({
    dir: d.root,
    count,
    command: [process.execPath, TRAIN_BIN],
    env: { SAGEBREW_HOSTS_WAIT_SECONDS: "120", ...options.env },
    onLine: (host, _stream, line) => {
      lines.set(host, `${lines.get(host) ?? ""}${line}\n`);
      options.onLine?.(host, line);
    },
    ...(options.onStart ? { onStart: options.onStart } : {}),
  });
  return { ...result, lines };
}

function pythonParity(
  spec: object,
): Promise<{ max_abs_diff: number; rows: number; python_trees: number; sagebrew_trees: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, [join(REPO, "test", "training", "ring_parity.py")], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      out += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      err += c;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`ring_parity.py exited ${code}: ${err}`));
      else resolve(JSON.parse(out.trim().split("\n").at(-1)!));
    });
    child.stdin.end(JSON.stringify(spec));
  });
}

// The parity checks run against whichever Python XGBoost is installed (1.7 here, 3.0 and 3.3 in the
// chroots of scripts/test-xgboost3.sh); only where there is none are they skipped.
const noPythonXGBoost =
  spawnSync(SYSTEM_PYTHON, ["-c", "import xgboost"]).status === 0
    ? false
    : `needs Python XGBoost (${SYSTEM_PYTHON} -c "import xgboost" failed)`;

describe("training across hosts on loopback", () => {
  it(
    "3 hosts on ShardedByS3Key train the model of Python XGBoost's own 3-worker ring on the same shards",
    {
      skip: noPythonXGBoost,
    },
    async () => {
      const d = await job(3);
      const r = await hosts(d, 3);
      assert.equal(r.exitCode, 0, [...r.lines.values()].join("\n"));
      for (const h of ["algo-1", "algo-2", "algo-3"]) {
        assert.match(r.lines.get(h)!, /^\[4\]\ttrain-logloss:/m, `${h} prints its metric lines`);
        assert.match(r.lines.get(h)!, /as rank \d/);
      }
      // Every host prints the same (global) metric.
      const last = (h: string) => /^\[4\]\t(.*)$/m.exec(r.lines.get(h)!)![1];
      assert.equal(last("algo-1"), last("algo-3"));
      const model = join(d.root, "model", "xgboost-model");
      assert.ok(existsSync(model));
      assert.ok(existsSync(join(d.root, "output", "data", "metrics.json")));
      const parity = await pythonParity({
        shards: [0, 1, 2].map((i) => d.file(`input/data/train/part-${i}.csv`)),
        params: PARAMS,
        num_round: 5,
        model,
      });
      assert.equal(parity.rows, 600);
      assert.equal(parity.sagebrew_trees, parity.python_trees);
      assert.ok(parity.max_abs_diff <= 1e-6, `predictions differ by ${parity.max_abs_diff}`);
    },
  );

  it("a host without data leaves with exit 0 and the others train (3 hosts, 2 files)", async () => {
    const d = await job(2);
    const r = await hosts(d, 3);
    assert.equal(r.exitCode, 0, [...r.lines.values()].join("\n"));
    assert.match(r.lines.get("algo-3")!, /host algo-3 does not train: it received no training data/);
    assert.doesNotMatch(r.lines.get("algo-3")!, /^\[0\]/m);
    assert.match(r.lines.get("algo-1")!, /training on 2 hosts \(algo-1, algo-2\)/);
    assert.ok(existsSync(join(d.root, "model", "xgboost-model")));
  });

  it("a single host with data trains alone (2 hosts, 1 file)", async () => {
    const d = await job(1);
    const r = await hosts(d, 2);
    assert.equal(r.exitCode, 0, [...r.lines.values()].join("\n"));
    assert.match(r.lines.get("algo-2")!, /does not train/);
    assert.match(r.lines.get("algo-1")!, /^\[4\]\ttrain-logloss:/m);
    assert.ok(existsSync(join(d.root, "model", "xgboost-model")));
  });

  it("no host with data: every host fails saying so", async () => {
    const d = await job(0);
    const r = await hosts(d, 2);
    assert.equal(r.exitCode, 1);
    for (const h of r.hosts) assert.match(h.failure ?? "", /no host received training data/, h.host);
    assert.match(
      await readFile(d.file("output/failure"), "utf8"),
      /^algo-1: Cannot train: no host received training data/,
    );
  });

  it("FullyReplicated gives every host every file", async () => {
    const d = await job(2, { distribution: "FullyReplicated" });
    const r = await hosts(d, 2);
    assert.equal(r.exitCode, 0, [...r.lines.values()].join("\n"));
    assert.match(r.lines.get("algo-2")!, /channel train: 400 rows/);
  });

  it("gives each host copies of its files, never links: a host writing to its input leaves them as they were", async () => {
    const d = await job(1, { distribution: "FullyReplicated", rounds: 1 });
    const r = await hosts(d, 2);
    assert.equal(r.exitCode, 0, [...r.lines.values()].join("\n"));
    const mine = join(d.root, "input", "data", "train", "part-0.csv");
    const before = await readFile(mine, "utf8");
    for (const host of ["algo-1", "algo-2"]) {
      const copy = join(d.root, ".sagebrew", "hosts", host, "input", "data", "train", "part-0.csv");
      assert.notEqual(statSync(copy).ino, statSync(mine).ino, host);
      appendFileSync(copy, "written by the host\n");
    }
    assert.equal(await readFile(mine, "utf8"), before);
  });

  it("a host killed mid-training stops every host within a bound, each failure naming it", async () => {
    const d = await job(3, { rounds: 100000, rowsPerFile: 300 });
    const pids = new Map<string, number>();
    let killed = false;
    const started = Date.now();
    const r = await hosts(d, 3, {
      onStart: (h, pid) => pids.set(h, pid),
      onLine: (h, line) => {
        if (!killed && h === "algo-2" && line.startsWith("[3]\t")) {
          killed = true;
          process.kill(pids.get("algo-2")!, "SIGKILL");
        }
      },
    });
    assert.ok(killed, [...r.lines.values()].join("\n"));
    assert.notEqual(r.exitCode, 0);
    for (const h of ["algo-1", "algo-3"]) {
      const o = r.hosts.find((x) => x.host === h)!;
      assert.notEqual(o.exitCode, 0, h);
      assert.match(o.failure ?? "", /[Hh]ost algo-2 left the cluster/, `${h}: ${o.failure}`);
    }
    assert.ok(Date.now() - started < 240_000, "no host waited for its whole time limit");
    assert.equal(existsSync(join(d.root, "model", "xgboost-model")), false);
  });

  it("a tracker port in use fails every host, saying so", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen({ host: "127.0.0.1", port: 0 }, resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const d = await job(2);
      const r = await hosts(d, 2, { env: { SAGEBREW_TRACKER_PORT: String(port) } });
      assert.notEqual(r.exitCode, 0);
      for (const h of r.hosts) assert.match(h.failure ?? "", new RegExp(`127\\.0\\.0\\.1:${port}`), h.host);
    } finally {
      busy.close();
    }
  });
});

// A network namespace of its own: DNS is unreachable there at once, and no query leaves the machine.
const noNetns =
  spawnSync("unshare", ["--net", "true"]).status === 0 ? false : "needs root and unshare (util-linux)";

describe("host names that never resolve", { skip: noNetns }, () => {
  it("fail the host within SAGEBREW_HOSTS_WAIT_SECONDS, naming the host", async () => {
    const d = await job(1);
    await d.write(
      "input/config/resourceconfig.json",
      JSON.stringify({ current_host: "algo-1", hosts: ["algo-1", "algo-2.never-resolves"] }),
    );
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn("unshare", ["--net", process.execPath, TRAIN_BIN], {
        env: {
          ...process.env,
          SAGEMAKER_BASE_DIR: d.root,
          SAGEBREW_HOSTS_WAIT_SECONDS: "3",
          SAGEBREW_HOST_ADDRESSES: "algo-1=127.0.0.1",
        },
        stdio: "ignore",
      });
      child.on("close", resolve);
    });
    assert.equal(code, 2);
    assert.match(
      await readFile(d.file("output/failure"), "utf8"),
      /^Cannot reach the other hosts: host algo-2\.never-resolves \(.+\) did not resolve within 3 s/,
    );
    assert.ok(Date.now() - started < 60_000);
  });
});

describe("sagebrew train --instance-count", () => {
  it(
    "finds its hosts through the address map: no name is looked up and nothing leaves loopback (strace)",
    {
      skip: existsSync("/usr/bin/strace") ? false : "needs strace",
    },
    async () => {
      const d = await job(2, { rounds: 3 });
      const trace = d.file("strace.txt");
      // The real command, every process and thread of it traced: the CLI, both hosts, XGBoost's ring.
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(
          "/usr/bin/strace",
          [
            "-f",
            "-qq",
            "-e",
            "trace=socket,connect,bind,sendto,sendmsg,sendmmsg,openat",
            "-o",
            trace,
            process.execPath,
            join(REPO, "packages", "cli", "bin", "sagebrew"),
            "train",
            d.root,
            "--instance-count",
            "2",
          ],
          { stdio: "ignore", env: { ...process.env, SAGEBREW_HOSTS_WAIT_SECONDS: "120" } },
        );
        child.on("close", resolve);
      });
      assert.equal(code, 0);
      assert.ok(existsSync(join(d.root, "model", "xgboost-model")));
      const text = await readFile(trace, "utf8");
      assert.match(
        text,
        /connect\(\d+, \{sa_family=AF_INET, sin_port=htons\(\d+\), sin_addr=inet_addr\("127\.0\.0\.1"\)/,
      );
      // DNS goes over UDP (or TCP to port 53): no datagram socket at all, every address loopback.
      assert.doesNotMatch(text, /socket\(AF_INET6?, SOCK_DGRAM/);
      const addresses = new Set(
        [...text.matchAll(/inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"/g)].map((m) => m[1] ?? m[2]),
      );
      for (const a of addresses) assert.ok(a === "127.0.0.1" || a === "0.0.0.0" || a === "::1", a);
      assert.doesNotMatch(text, /htons\(53\)/);
      // glibc's resolver (getaddrinfo through NSS "files") reads /etc/hosts first: never opened.
      assert.doesNotMatch(text, /"\/etc\/hosts"/);
    },
  );

  it("rejects a count that is not 1 to 64", async () => {
    const { main } = await import("../../packages/cli/src/main.js");
    let err = "";
    const sink = {
      write(c: string) {
        err += c;
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    const d = await job(1);
    const code = await main(["train", d.root, "--instance-count", "0"], {
      stdout: sink,
      stderr: sink,
      env: {},
      cwd: REPO,
    });
    assert.notEqual(code, 0);
    assert.match(err, /--instance-count 0 is not an integer from 1 to 64/);
  });
});
