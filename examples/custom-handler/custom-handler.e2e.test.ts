/**
 * End to end: the nearest-centroid model (TypeScript, not XGBoost) trained through the training
 * API and served through the handler API — in-process, and as a project (`package.json` declares
 * its code) with `sagebrew train` and the real `serve` process.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  checkAlgorithm,
  checkHandler,
  createInferenceApp,
  createLogger,
  defaultCodecs,
  type RoundReport,
  readServingConfig,
  runTraining,
} from "@sagebrew/runtime";
import { main } from "../../packages/cli/src/main.js";
import { startServeProcess } from "../../test/kit/serve-process.js";
import { sendHttp } from "../../test/kit/serving-drivers.js";
import algorithm from "./src/algorithm.js";
import handler from "./src/handler.js";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const EXAMPLE = here(".");

const temps: string[] = [];
after(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

/** A copy of `local/` (the iris training data) in a temp dir. */
async function job(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "sagebrew-centroid-"));
  temps.push(root);
  await cp(here("./local/input"), join(root, "input"), { recursive: true });
  return root;
}

function silentIo(cwd: string) {
  let out = "";
  let err = "";
  const sink = (append: (s: string) => void) =>
    ({
      write(chunk: string | Uint8Array) {
        append(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  return {
    io: {
      stdout: sink((s) => {
        out += s;
      }),
      stderr: sink((s) => {
        err += s;
      }),
      env: { ...process.env },
      cwd,
    },
    out: () => out,
    err: () => err,
  };
}

describe("examples/custom-handler in-process", () => {
  it("trains through the training API and answers through the handler API", async () => {
    const root = await job();
    const rounds: RoundReport[] = [];
    const outcome = await runTraining({
      root,
      algorithm: checkAlgorithm(algorithm, "nearest-centroid"),
      codecs: defaultCodecs(),
      reporter: { info: () => undefined, warn: () => undefined, round: (r) => rounds.push(r) },
    });
    assert.equal(outcome.exitCode, 0, outcome.error?.message);
    assert.equal(rounds.length, 20);
    assert.match(rounds[0]!.line, /^\[0\]\ttrain-accuracy:0\.\d+$/);
    assert.ok(rounds.at(-1)!.metrics[0]!.value >= 0.9, `accuracy ${rounds.at(-1)!.metrics[0]!.value}`);
    const metrics = JSON.parse(await readFile(join(root, "output/data/metrics.json"), "utf8"));
    assert.equal(metrics.rounds.length, 20);

    const config = readServingConfig({ SAGEMAKER_BASE_DIR: root }, { cpuCount: 1 });
    const app = createInferenceApp(checkHandler(handler, "nearest-centroid"), {
      config,
      logger: createLogger({ level: "error" }),
    });
    await app.start();
    const res = await app.request("/invocations", {
      method: "POST",
      headers: { "content-type": "text/csv", accept: "text/csv" },
      body: "5.1,3.5,1.4,0.2\n6.3,3.3,6.0,2.5\n",
    });
    assert.equal(res.status, 200);
    assert.equal(res.body, "setosa\nvirginica\n");
    await app.stop();
  });
});

describe("examples/custom-handler as a project", () => {
  before(() => {
    // The project declares its compiled code (package.json → "sagebrew"), as its image runs it.
    const tsc = spawnSync(process.execPath, [here("../../node_modules/typescript/bin/tsc"), "-p", EXAMPLE], {
      encoding: "utf8",
    });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  });

  it("`sagebrew train` in the project trains with the project's algorithm, `serve` serves it with its handler", async () => {
    const root = await job();
    const t = silentIo(EXAMPLE);
    const code = await main(["train", root, "--plain"], t.io);
    assert.equal(code, 0, t.err());
    assert.match(
      t.err(),
      /algorithm nearest-centroid from file:.*examples\/custom-handler\/dist\/algorithm\.js/,
    );
    assert.match(t.out(), /^\[19\]\ttrain-accuracy:/m);
    assert.deepEqual(await readdir(join(root, "model")), ["centroids.json"]);

    const p = await startServeProcess({ SAGEMAKER_BASE_DIR: root, SAGEBREW_PROJECT: EXAMPLE });
    try {
      for (;;) {
        if ((await sendHttp(p.port, "/ping")).status === 200) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const csv = await sendHttp(p.port, "/invocations", {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: "5.1,3.5,1.4,0.2\n6.3,3.3,6.0,2.5\n",
      });
      assert.equal(csv.status, 200);
      assert.equal(csv.text, "setosa\nvirginica\n");
      const json = await sendHttp(p.port, "/invocations", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          "x-amzn-sagemaker-custom-attributes": "explain",
        },
        body: JSON.stringify({ instances: [[5.9, 2.8, 4.3, 1.3]] }),
      });
      assert.equal(json.status, 200);
      assert.equal(JSON.parse(json.text).predictions[0].label, "versicolor");
      assert.equal(json.headers["x-amzn-sagemaker-custom-attributes"], "rows=1");
      const short = await sendHttp(p.port, "/invocations", {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: "5.1,3.5",
      });
      assert.equal(short.status, 400);
      assert.equal(
        short.text,
        "Cannot predict: the model expects 4 features per row, the request body has 2\n",
      );
      p.child.kill("SIGTERM");
      assert.equal(await p.exited, 0);
    } finally {
      p.kill();
    }
  });

  it("writes the failure file and exits 1 when the train channel holds no rows", async () => {
    const root = await job();
    await rm(join(root, "input/data/train/iris.csv"));
    const t = silentIo(EXAMPLE);
    assert.equal(await main(["train", root], t.io), 1);
    assert.match(
      await readFile(join(root, "output", "failure"), "utf8"),
      /^Cannot train: channel train holds no data files/,
    );
  });
});
