/**
 * The two image lines on a real engine (packages/cli/src/image/lines.ts): XGBoost 3.0 on
 * node:26-trixie-slim (the default) and 1.7 on node:26-bookworm-slim (`--xgboost 1.7`), each
 * training and serving iris in Docker; models cross between XGBoost versions as SageMaker users'
 * do: the 3.0 image's model read by Python XGBoost 3.0 (Debian trixie's, in the chroot of
 * scripts/test-xgboost3.sh), and models written by XGBoost 1.7.4 (SageMaker's 1.7-1 line; this
 * machine's python3-xgboost) in every format it saves, served by the 3.0 image. Predictions are
 * compared row by row. Needs root, docker.io, docker-registry, mmdebstrap (skips, or fails in CI).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { main } from "../../packages/cli/src/main.js";
import { captureIo } from "../kit/capture-io.js";
import { engineUnavailable, startEngine, type TestEngine } from "../kit/engine.js";
import { maxDifference, type Probabilities, servePredict } from "../kit/image-serve.js";

const ROOT = resolve(import.meta.dirname, "../..");
const IRIS = join(ROOT, "examples", "iris-xgboost");
const IRIS_CSV = join(IRIS, "local_test", "test_dir", "input", "data", "training", "iris.csv");
const MODELS_PY = join(import.meta.dirname, "fixtures", "xgb_models.py");
const TAG_30 = "sagebrew-e2e/iris-lines:3.0";
const TAG_17 = "sagebrew-e2e/iris-lines:1.7";
/** float32 predictions printed by two programs: equal to well under this. */
const CLOSE = 1e-6;

const unavailable = engineUnavailable();
if (unavailable && process.env.CI === "true") throw new Error(`image suite cannot run in CI: ${unavailable}`);

async function cli(
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; out: string; err: string }> {
  const captured = captureIo({ env, cwd: ROOT });
  const code = await main(argv, captured.io);
  return { code, out: captured.out(), err: captured.err() };
}

/** The rows of iris.csv without their label: 150 rows to predict. */
async function irisPayload(): Promise<string> {
  const text = await readFile(IRIS_CSV, "utf8");
  return text
    .trim()
    .split("\n")
    .map((l) => l.split(",").slice(1).join(","))
    .join("\n")
    .concat("\n");
}

/** Runs xgb_models.py in Python XGBoost 3.0: Debian trixie's, in scripts/test-xgboost3.sh's chroot. */
async function python30(args: (string | { file: string })[]): Promise<string> {
  const made = spawnSync("bash", [join(ROOT, "scripts", "test-xgboost3.sh"), "--root"], { encoding: "utf8" });
  assert.equal(made.status, 0, made.stderr);
  const root = made.stdout.trim();
  const work = await mkdtemp(join(root, "tmp", "sb-lines-"));
  try {
    const inside = `/tmp/${basename(work)}`;
    const argv: string[] = [];
    for (const [i, a] of args.entries()) {
      if (typeof a === "string") argv.push(a);
      else {
        await cp(a.file, join(work, `arg${i}`));
        argv.push(`${inside}/arg${i}`);
      }
    }
    await cp(MODELS_PY, join(work, "xgb_models.py"));
    const res = spawnSync(
      "/usr/sbin/chroot",
      [root, "/usr/bin/python3", `${inside}/xgb_models.py`, ...argv],
      {
        encoding: "utf8",
        env: { PATH: "/usr/bin:/bin", HOME: "/tmp", OMP_NUM_THREADS: "1" },
      },
    );
    assert.equal(res.status, 0, res.stderr);
    return res.stdout;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function trainedIn(engine: TestEngine, image: string, temps: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sagebrew-lines-"));
  temps.push(dir);
  await cp(join(IRIS, "local_test", "test_dir", "input"), join(dir, "input"), { recursive: true });
  const res = engine.docker(["run", "--rm", "--network", "none", "-v", `${dir}:/opt/ml`, image, "train"], {
    check: false,
  });
  assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
  assert.ok(existsSync(join(dir, "model", "xgboost-model")));
  return dir;
}

describe(
  "image lines: XGBoost 3.0 (default) and 1.7",
  { skip: unavailable ? `skipped: ${unavailable}` : false },
  () => {
    let engine: TestEngine;
    let payload: string;
    const temps: string[] = [];

    before(async () => {
      assert.ok(existsSync(join(ROOT, "packages/runtime/dist/bin/train.js")), "run `npm run build` first");
      engine = await startEngine({ log: (l) => process.stderr.write(`# ${l}\n`) });
      await engine.base("1.7");
      payload = await irisPayload();
    });

    after(async () => {
      for (const d of temps) await rm(d, { recursive: true, force: true });
      await engine?.stop();
    });

    test("the default image is XGBoost 3.0 on node:26-trixie-slim; its model loads in Python XGBoost 3.0 and predicts the same", async () => {
      const built = await cli(["build", IRIS, "-t", TAG_30, "-q"], engine.env);
      assert.equal(built.code, 0, built.err);
      assert.match(built.err, /XGBoost 3\.0\.0 on node:26-trixie-slim/);
      const [info] = JSON.parse(engine.docker(["image", "inspect", TAG_30]).stdout);
      assert.equal(info.Config.Labels["dev.sagebrew.xgboost.version"], "3.0.0");
      const node = engine.docker(["run", "--rm", "--network", "none", TAG_30, "node", "--version"]);
      assert.match(node.stdout, /^v26\./);

      const ml = await trainedIn(engine, TAG_30, temps);
      const served = await servePredict(engine, TAG_30, ml, payload);
      assert.equal(served.length, 150);
      const payloadFile = join(ml, "payload.csv");
      await writeFile(payloadFile, payload);
      const py = JSON.parse(
        await python30(["predict", { file: join(ml, "model", "xgboost-model") }, { file: payloadFile }]),
      ) as { version: string; predictions: Probabilities[] };
      assert.match(py.version, /^3\.0\./);
      assert.ok(maxDifference(served, py.predictions) < CLOSE, "Python XGBoost 3.0 predicts otherwise");
    });

    test("--xgboost 1.7 gives XGBoost 1.7.4 on node:26-bookworm-slim: trains and serves iris, doctor checks the library against the label", async () => {
      const built = await cli(["build", IRIS, "-t", TAG_17, "--xgboost", "1.7", "-q"], engine.env);
      assert.equal(built.code, 0, built.err);
      assert.match(built.err, /XGBoost 1\.7\.4 on node:26-bookworm-slim/);
      const [info] = JSON.parse(engine.docker(["image", "inspect", TAG_17]).stdout);
      assert.equal(info.Config.Labels["dev.sagebrew.xgboost.version"], "1.7.4");
      const debian = engine.docker([
        "run",
        "--rm",
        "--network",
        "none",
        TAG_17,
        "cat",
        "/etc/debian_version",
      ]);
      assert.match(debian.stdout, /^12\./);

      const ml = await trainedIn(engine, TAG_17, temps);
      const served = await servePredict(engine, TAG_17, ml, payload);
      assert.equal(served.length, 150);
      assert.ok(served.every((p) => p.length === 3));

      const doctor = await cli(["doctor", "--image", TAG_17, "--model-dir", join(ml, "model")], engine.env);
      assert.equal(doctor.code, 0, doctor.out);
      assert.match(doctor.out, /^ok\s+xgboost\s+libxgboost 1\.7\.4 loads, as the label records/m);
      assert.match(doctor.out, /^ok\s+node\s+the image: Node\.js 26\./m);
    });

    test("models written by XGBoost 1.7.4 (SageMaker's 1.7-1) in each format load in the 3.0 image and predict as 1.7.4 does", async () => {
      const out = await mkdtemp(join(tmpdir(), "sagebrew-xgb17-"));
      temps.push(out);
      const trained = spawnSync("/usr/bin/python3", [MODELS_PY, "train", IRIS_CSV, out], {
        encoding: "utf8",
      });
      assert.equal(trained.status, 0, trained.stderr);
      assert.match(trained.stdout, /"version": "1\.7\.4"/);
      const payloadFile = join(out, "payload.csv");
      await writeFile(payloadFile, payload);
      // "default" is what SageMaker's 1.7-1 container writes: save_model("xgboost-model"), XGBoost's
      // legacy binary format on 1.7 (which XGBoost 3.1 and later no longer read; docs/compatibility.md).
      for (const format of ["default", "json", "ubj"]) {
        const model = join(out, format, "xgboost-model");
        const py = spawnSync("/usr/bin/python3", [MODELS_PY, "predict", model, payloadFile], {
          encoding: "utf8",
        });
        assert.equal(py.status, 0, py.stderr);
        const expected = (JSON.parse(py.stdout) as { predictions: Probabilities[] }).predictions;
        const ml = join(out, `ml-${format}`);
        await mkdir(join(ml, "model"), { recursive: true });
        await cp(model, join(ml, "model", "xgboost-model"));
        const served = await servePredict(engine, TAG_30, ml, payload);
        assert.ok(
          maxDifference(served, expected) < CLOSE,
          `${format}: the 3.0 image predicts otherwise than 1.7.4`,
        );
      }
    });

    test("doctor fails an image whose label names another XGBoost than the one it loads", async () => {
      const ctx = await mkdtemp(join(tmpdir(), "sagebrew-mislabel-"));
      temps.push(ctx);
      await writeFile(join(ctx, "Dockerfile"), `FROM ${TAG_30}\nLABEL dev.sagebrew.xgboost.version=1.7.4\n`);
      engine.docker(["build", "-q", "-t", "sagebrew-e2e/mislabeled:test", ctx]);
      const res = await cli(["doctor", "--image", "sagebrew-e2e/mislabeled:test"], engine.env);
      assert.equal(res.code, 1, res.out);
      assert.match(
        res.out,
        /FAIL\s+xgboost\s+the label records XGBoost 1\.7\.4, but the image loads libxgboost 3\.0\.0/,
      );
    });
  },
);
