/**
 * XGBoost's collective through sagebrew: sagebrew's tracker (XGBoost's own C tracker on 2.1+, the
 * TypeScript port of 1.7's protocol otherwise) and sagebrew's workers, against Python XGBoost's
 * own tracker and workers, as real processes on loopback.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isSagebrewError } from "../errors/index.js";
import { loadXGBoost } from "./_library.js";
import { Tracker, workerConfig } from "./index.js";

const PYTHON = "/usr/bin/python3";
// The parity checks run against whichever Python XGBoost is installed (1.7 here, 3.0 and 3.3 in the
// chroots of scripts/test-xgboost3.sh); only where there is none are they skipped.
const noPythonXGBoost =
  spawnSync(PYTHON, ["-c", "import xgboost"]).status === 0
    ? false
    : `needs Python XGBoost (${PYTHON} -c "import xgboost" failed)`;
const HERE = fileURLToPath(new URL(".", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "sb-ring-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const PARAMS = JSON.stringify({
  objective: "binary:logistic",
  tree_method: "hist",
  nthread: "1",
  max_depth: "3",
  eta: "0.3",
});
const ROUNDS = "4";

/** Seeded shards: label, then 4 features; each shard's rows differ. */
function shard(index: number, rows = 200): string {
  let s = 12345 + index * 7919;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const x = [rnd() * 2 - 1, rnd() * 2 - 1, rnd() * 2 - 1, rnd() * 2 - 1];
    lines.push([x[0]! + x[1]! * 0.5 > 0 ? 1 : 0, ...x.map((v) => v.toFixed(6))].join(","));
  }
  const path = join(dir, `shard${index}.csv`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}
const SHARDS = [0, 1, 2].map((i) => shard(i));

interface Ran {
  code: number | null;
  out: string;
}

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill("SIGKILL");
});

function run(
  cmd: string,
  args: string[],
  onLine?: (line: string) => void,
  timeoutMs = 240_000,
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let out = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    // A chunk is not a line: with PYTHONUNBUFFERED=1 `print("PORT", n)` arrives as "PORT" and " n\n".
    let rest = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      const lines = (rest + c).split("\n");
      rest = lines.pop()!;
      if (onLine) for (const l of lines) if (l) onLine(l);
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      out += c;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      children.delete(child);
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

type Kind = "python" | "sagebrew";

function worker(kind: Kind, port: number, rank: number, world: number, out: string): Promise<Ran> {
  const args = ["127.0.0.1", String(port), `w${rank}`, String(world), SHARDS[rank]!, out, ROUNDS, PARAMS];
  return kind === "python"
    ? run(PYTHON, [join(HERE, "testdata", "ring_worker.py"), ...args])
    : run(process.execPath, [
        "--conditions=sagebrew-source",
        "--import",
        "tsx",
        join(HERE, "testdata", "ring-worker.ts"),
        ...args,
      ]);
}

/** Python XGBoost's own ring on the first `n` shards; returns the model's JSON. */
async function pythonRing(n: number): Promise<string> {
  const out = join(dir, `python-${n}.json`);
  let port = 0;
  let workers: Promise<Ran[]> | undefined;
  const started = new Promise<Ran[]>((resolve) => {
    const tracker = run(PYTHON, [join(HERE, "testdata", "ring_tracker.py"), String(n)], (line) => {
      const m = /^PORT (\d+)/.exec(line);
      if (m && !workers) {
        port = Number(m[1]);
        workers = Promise.all(Array.from({ length: n }, (_, r) => worker("python", port, r, n, out)));
        resolve(workers);
      }
    });
    tracker.then((t) => {
      if (!workers) resolve([t]);
    });
  });
  for (const w of await started) assert.equal(w.code, 0, w.out);
  return readFileSync(out, "utf8");
}

/** sagebrew's tracker with the given workers; returns the model's JSON and the workers' output. */
async function sagebrewRing(kinds: Kind[]): Promise<{ model: string; outputs: Ran[] }> {
  const out = join(dir, `sagebrew-${kinds.join("-")}.json`);
  const tracker = await Tracker.start({ host: "127.0.0.1", port: 0, workers: kinds.length });
  const outputs = await Promise.all(kinds.map((k, r) => worker(k, tracker.port, r, kinds.length, out)));
  for (const w of outputs) assert.equal(w.code, 0, w.out);
  await tracker.wait();
  return { model: readFileSync(out, "utf8"), outputs };
}

/** The trees of a JSON model, compared to 1e-6. */
function assertSameTrees(a: string, b: string): void {
  const trees = (s: string) =>
    (JSON.parse(s) as { learner: { gradient_booster: { model: { trees: Record<string, unknown>[] } } } })
      .learner.gradient_booster.model.trees;
  const ta = trees(a);
  const tb = trees(b);
  assert.equal(ta.length, tb.length);
  ta.forEach((t, i) => {
    for (const key of ["split_indices", "left_children", "right_children", "default_left"])
      assert.deepEqual(t[key], tb[i]![key], `tree ${i} ${key}`);
    for (const key of ["split_conditions", "base_weights", "sum_hessian"]) {
      const x = t[key] as number[];
      const y = tb[i]![key] as number[];
      assert.equal(x.length, y.length, `tree ${i} ${key}`);
      x.forEach((v, j) => {
        assert.ok(Math.abs(v - y[j]!) <= 1e-6, `tree ${i} ${key}[${j}]: ${v} vs ${y[j]}`);
      });
    }
  });
}

describe("workerConfig()", () => {
  it("spells the settings as XGBoost 1.7 reads them (upper case, world size given)", () => {
    const c = JSON.parse(
      workerConfig([1, 7, 4], { trackerUri: "10.0.0.1", trackerPort: 9100, taskId: "algo-2", worldSize: 3 }),
    );
    assert.equal(c.DMLC_TRACKER_URI, "10.0.0.1");
    assert.equal(c.DMLC_TRACKER_PORT, "9100");
    assert.equal(c.DMLC_TASK_ID, "algo-2");
    assert.equal(c.rabit_world_size, "3");
    for (const [k, v] of Object.entries(c)) assert.ok(`${k}=${v}`.length < 256 && !/\s/.test(`${k}=${v}`));
  });

  it("spells them as 2.1 and newer read them (lower case, the port a JSON integer)", () => {
    const c = JSON.parse(
      workerConfig([3, 0, 0], { trackerUri: "10.0.0.1", trackerPort: 9100, taskId: "algo-2", worldSize: 3 }),
    );
    assert.deepEqual(
      { uri: c.dmlc_tracker_uri, port: c.dmlc_tracker_port, task: c.dmlc_task_id },
      { uri: "10.0.0.1", port: 9100, task: "algo-2" },
    );
    assert.equal(c.DMLC_TRACKER_URI, undefined);
  });
});

describe("a ring of XGBoost workers on loopback", () => {
  it(
    "sagebrew's tracker and 3 sagebrew workers train the model of Python XGBoost's own 3-worker ring",
    { skip: noPythonXGBoost },
    async () => {
      const [theirs, ours] = await Promise.all([
        pythonRing(3),
        sagebrewRing(["sagebrew", "sagebrew", "sagebrew"]),
      ]);
      assertSameTrees(ours.model, theirs);
      for (const o of ours.outputs) assert.match(o.out, /rows 600 rank \d/);
    },
  );

  it(
    "a mixed ring (sagebrew's tracker, a Python worker and a sagebrew worker) trains Python's 2-worker model",
    { skip: noPythonXGBoost },
    async () => {
      const [theirs, mixed] = await Promise.all([pythonRing(2), sagebrewRing(["python", "sagebrew"])]);
      assertSameTrees(mixed.model, theirs);
      assert.match(mixed.outputs[1]!.out, /rows 400 rank 1/);
    },
  );

  it("ignores a connection that never speaks (a port probe) and still forms the ring", async () => {
    const tracker = await Tracker.start({ host: "127.0.0.1", port: 0, workers: 2, stepTimeoutMs: 2_000 });
    const probe = netConnect({ host: "127.0.0.1", port: tracker.port });
    probe.on("error", () => undefined);
    try {
      if (tracker.kind === "xgboost") {
        // XGBoost 3.2's tracker is corrupted by a raw probe (SageMaker's container #479): its own matter.
        probe.destroy();
      }
      const out = join(dir, "probe.json");
      const outputs = await Promise.all([0, 1].map((r) => worker("sagebrew", tracker.port, r, 2, out)));
      for (const w of outputs) assert.equal(w.code, 0, w.out);
      await tracker.wait();
    } finally {
      probe.destroy();
    }
  });

  it("fails within its bound, naming the missing worker, when a worker never comes; the waiting worker fails too", async () => {
    const tracker = await Tracker.start({
      host: "127.0.0.1",
      port: 0,
      workers: 2,
      startTimeoutMs: 10_000,
      expectedTasks: ["w0", "w1"],
    });
    const started = Date.now();
    const [lone, verdict] = await Promise.all([
      worker("sagebrew", tracker.port, 0, 2, join(dir, "never.json")),
      tracker.wait().then(
        () => undefined,
        (e: unknown) => e,
      ),
    ]);
    assert.ok(isSagebrewError(verdict, "SB_CLUSTER"), String(verdict));
    // w1 never comes; w0 may not have reached the tracker yet either on a loaded machine.
    if (tracker.kind === "sagebrew")
      assert.match((verdict as Error).message, /did not start within 10 s: (w0, )?w1$/);
    assert.notEqual(lone.code, 0, lone.out);
    assert.ok(Date.now() - started < 150_000, "the lone worker gave up within its bound");
  });

  it("says the port is in use when it is", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen({ host: "127.0.0.1", port: 0 }, resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      await assert.rejects(
        Tracker.start({ host: "127.0.0.1", port, workers: 2 }),
        (e: unknown) => isSagebrewError(e, "SB_CLUSTER") && e.message.includes(`127.0.0.1:${port}`),
      );
    } finally {
      busy.close();
    }
  });

  it("uses XGBoost's own tracker exactly when the library has one (2.1 and newer)", () => {
    const [major, minor] = loadXGBoost().version;
    assert.equal(loadXGBoost().hasTracker, major > 2 || (major === 2 && minor >= 1));
  });
});
