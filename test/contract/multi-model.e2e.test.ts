/**
 * The multi-model endpoint (https://docs.aws.amazon.com/sagemaker/latest/dg/mms-container-apis.html) against the real, built `serve` process
 * (`packages/runtime/bin/serve`, `npm run build` first) with `SAGEMAKER_MULTI_MODEL=true` on port 0:
 * two iris XGBoost models trained here with the binding, plus one custom-handler model.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { xgboostVersion } from "@sagebrew/runtime";
import { IRIS_CLASSES, irisRows, trainIrisBooster } from "../kit/iris.js";
import { BUILT_SERVE, type ServeProcess, startServeProcess } from "../kit/serve-process.js";
import { type Reply, sendHttp } from "../kit/serving-drivers.js";

const DIST = new URL("../../packages/runtime/dist/bin/serve.js", import.meta.url);

let base: string;
const url = (name: string) => join(base, "models", name, "model");

/** Trains an iris model; `shift` rotates the labels, so the same row gets the next class name. */
async function trainIris(name: string, shift: number): Promise<void> {
  const booster = trainIrisBooster(shift);
  booster.setAttr("sagebrew_class_names", JSON.stringify(IRIS_CLASSES));
  await mkdir(url(name), { recursive: true });
  await booster.saveFile(join(url(name), "xgboost-model"));
  booster.dispose();
}

const HANDLER = `export default {
  name: "doubler",
  accepts: ["application/json"],
  load: () => ({ factor: 2 }),
  predict: (m, data) => Array.from(data.features.values, (v) => v * m.factor),
};
`;

/** Loads only once the test writes `<model dir>/release`, so a load can be held in progress. */
const GATED = `import { existsSync } from "node:fs";
import { join } from "node:path";
export default {
  name: "gated",
  async load({ modelDir, logger }) {
    logger.info("gated load waiting");
    while (!existsSync(join(modelDir, "release"))) await new Promise((r) => setTimeout(r, 20));
    return {};
  },
  predict: (m, data) => Array.from({ length: data.features.rows }, () => 1),
};
`;

before(async () => {
  assert.ok(existsSync(DIST), `run npm run build first: ${BUILT_SERVE} needs packages/runtime/dist`);
  base = await mkdtemp(join(tmpdir(), "sagebrew-mme-e2e-"));
  await trainIris("a", 0);
  await trainIris("b", 1);
  await mkdir(join(url("c"), "code"), { recursive: true });
  await writeFile(join(url("c"), "code", "handler.mjs"), HANDLER);
  await mkdir(join(url("d"), "code"), { recursive: true });
  await writeFile(join(url("d"), "code", "handler.mjs"), GATED);
});
after(() => rm(base, { recursive: true, force: true }));

const SETOSA = irisRows().features[0]!.join(",");

function json(r: Reply): unknown {
  assert.match(r.headers["content-type"] ?? "", /^application\/json/, r.text);
  return JSON.parse(r.text);
}

function load(port: number, name: string, dir = url(name)): Promise<Reply> {
  return sendHttp(port, "/models", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ model_name: name, url: dir }),
  });
}

function invoke(port: number, name: string, accept = "text/csv", row = SETOSA): Promise<Reply> {
  return sendHttp(port, `/models/${name}/invoke`, {
    method: "POST",
    headers: {
      "content-type": "text/csv",
      accept,
      "x-amzn-sagemaker-target-model": `${name}.tar.gz`,
      "x-amzn-sagemaker-custom-attributes": "trace=1",
    },
    body: row,
  });
}

async function stopped(p: ServeProcess): Promise<void> {
  p.child.kill("SIGTERM");
  assert.equal(await p.exited, 0, JSON.stringify(p.logs.slice(-5)));
}

describe("serve with SAGEMAKER_MULTI_MODEL=true (built program, real process)", () => {
  it("loads, lists, describes, invokes and unloads XGBoost and custom-handler models", async () => {
    const p = await startServeProcess(
      { SAGEMAKER_BASE_DIR: base, SAGEMAKER_MULTI_MODEL: "true" },
      { built: true },
    );
    try {
      assert.equal((await sendHttp(p.port, "/ping")).status, 200, "200 as soon as the server is up");
      assert.deepEqual(json(await sendHttp(p.port, "/models")), { models: [] });

      for (const name of ["b", "a", "c"]) {
        const r = await load(p.port, name);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(json(r), { status: "Workers scaled" });
      }
      const loadedLines = p.logs.filter((l) => l.msg === "model loaded");
      assert.deepEqual(loadedLines.map((l) => [l.model, l.handler]).sort(), [
        ["a", "xgboost"],
        ["b", "xgboost"],
        ["c", "doubler"],
      ]);
      const sizeA = (await stat(join(url("a"), "xgboost-model"))).size;
      assert.equal(loadedLines.find((l) => l.model === "a")?.memoryBytes, sizeA);

      // List: by name, {modelName, modelUrl}, paginated.
      assert.deepEqual(json(await sendHttp(p.port, "/models")), {
        models: ["a", "b", "c"].map((n) => ({ modelName: n, modelUrl: url(n) })),
      });
      const first = json(await sendHttp(p.port, "/models?limit=2")) as {
        models: Array<{ modelName: string }>;
        nextPageToken: string;
      };
      assert.deepEqual(
        first.models.map((m) => m.modelName),
        ["a", "b"],
      );
      assert.equal(typeof first.nextPageToken, "string");
      const second = json(
        await sendHttp(p.port, `/models?limit=2&next_page_token=${encodeURIComponent(first.nextPageToken)}`),
      );
      assert.deepEqual(second, { models: [{ modelName: "c", modelUrl: url("c") }] });
      const described = json(await sendHttp(p.port, "/models/b")) as Record<string, unknown>;
      assert.equal(described.modelName, "b");
      assert.equal(described.modelUrl, url("b"));

      // Invoke: the two iris models answer differently for the same row.
      const a = await invoke(p.port, "a");
      assert.equal(a.status, 200, a.text);
      assert.equal(a.text, "setosa\n");
      assert.equal((await invoke(p.port, "b")).text, "versicolor\n");
      const aJson = json(await invoke(p.port, "a", "application/json")) as {
        predictions: Array<{ predicted_label: string; probabilities: number[] }>;
      };
      assert.equal(aJson.predictions[0]?.predicted_label, "setosa");
      assert.equal(aJson.predictions[0]?.probabilities.length, 3);
      assert.deepEqual(json(await invoke(p.port, "c", "application/json", "1,2.5")), [2, 5]);
      const byHeader = await sendHttp(p.port, "/invocations", {
        method: "POST",
        headers: { "content-type": "text/csv", "x-amzn-sagemaker-target-model": "b" },
        body: SETOSA,
      });
      // No Accept: JSON, the multi-model server's default.
      const byHeaderJson = json(byHeader) as { predictions: Array<{ predicted_label: string }> };
      assert.equal(byHeaderJson.predictions[0]?.predicted_label, "versicolor");
      const badType = await invoke(p.port, "a", "text/html");
      assert.equal(badType.status, 406);
      assert.match(
        (json(badType) as { message: string }).message,
        /^Accept "text\/html" cannot be satisfied/,
      );

      // Load twice → 409; unload → 200, then 404; unknown → 404; missing url → 404.
      const twice = await load(p.port, "a");
      assert.equal(twice.status, 409);
      assert.deepEqual(json(twice), { message: "Model a is already registered." });
      const unload = await sendHttp(p.port, "/models/a", { method: "DELETE" });
      assert.equal(unload.status, 200);
      assert.deepEqual(json(unload), { status: 'Model "a" unregistered' });
      const gone = await invoke(p.port, "a");
      assert.equal(gone.status, 404);
      assert.deepEqual(json(gone), { message: "Model not found: a" });
      assert.equal((await sendHttp(p.port, "/models/a")).status, 404);
      const unknown = await sendHttp(p.port, "/models/nobody", { method: "DELETE" });
      assert.equal(unknown.status, 404);
      assert.deepEqual(json(unknown), { message: "Model not found: nobody" });
      const missing = await load(p.port, "ghost", join(base, "models", "ghost", "model"));
      assert.equal(missing.status, 404);
      assert.match(
        (json(missing) as { message: string }).message,
        /^Cannot load model ghost: .* does not exist/,
      );
      assert.equal((await sendHttp(p.port, "/models/ghost")).status, 404, "a failed load is not registered");
      assert.ok(p.logs.some((l) => l.msg === "model unloaded" && l.model === "a"));

      // Invocations of b and /ping are answered while another model's load is in progress.
      const gated = load(p.port, "d");
      let settled = false;
      void gated.then(() => {
        settled = true;
      });
      await p.waitForLog((l) => l.msg === "gated load waiting" && l.model === "d");
      const during = Array.from({ length: 16 }, () => invoke(p.port, "b"));
      const reload = load(p.port, "a");
      const replies = await Promise.all(during);
      assert.deepEqual(
        replies.map((r) => [r.status, r.text]),
        replies.map(() => [200, "versicolor\n"]),
      );
      assert.equal((await sendHttp(p.port, "/ping")).status, 200);
      assert.equal((await reload).status, 200);
      assert.equal((await invoke(p.port, "a")).text, "setosa\n");
      const racing = await load(p.port, "d");
      assert.equal(racing.status, 409);
      assert.deepEqual(json(racing), { message: "Model d is already registered. It is still loading." });
      assert.equal((await sendHttp(p.port, "/models/d")).status, 404, "not listed until loaded");
      assert.equal(settled, false, "the gated load was in progress all along");
      await writeFile(join(url("d"), "release"), "");
      assert.equal((await gated).status, 200);
      assert.equal((await invoke(p.port, "d")).status, 200);

      await stopped(p);
    } finally {
      p.kill();
    }
  });

  it("answers 507 when a load would exceed SAGEBREW_MME_MEMORY_MB, and loads once an unload frees room", async () => {
    const size = (await stat(join(url("a"), "xgboost-model"))).size;
    const budgetMb = ((size * 1.5) / 2 ** 20).toFixed(6);
    const p = await startServeProcess(
      { SAGEMAKER_BASE_DIR: base, SAGEMAKER_MULTI_MODEL: "true", SAGEBREW_MME_MEMORY_MB: budgetMb },
      { built: true },
    );
    try {
      assert.equal((await load(p.port, "a")).status, 200);
      const full = await load(p.port, "b");
      assert.equal(full.status, 507, full.text);
      assert.match(
        (json(full) as { message: string }).message,
        /^Cannot load model b: it needs [\d.]+ KiB and [\d.]+ KiB of the [\d.]+ KiB memory budget \(SAGEBREW_MME_MEMORY_MB\) is free; unload a model first$/,
      );
      assert.equal((await sendHttp(p.port, "/models/b")).status, 404);
      assert.equal((await sendHttp(p.port, "/models/a", { method: "DELETE" })).status, 200);
      assert.equal((await load(p.port, "b")).status, 200);
      assert.equal((await invoke(p.port, "b")).text, "versicolor\n");
      await stopped(p);
    } finally {
      p.kill();
    }
  });
});

/** SageMaker XGBoost's own test models (packages/runtime/src/algorithms/xgboost/testdata/README.md). */
const UPSTREAM_MODELS = new URL("../../packages/runtime/src/algorithms/xgboost/testdata/", import.meta.url);

describe("serve with SAGEMAKER_MULTI_MODEL=true answers as SageMaker's XGBoost multi-model container", () => {
  before(async () => {
    const plain = trainIrisBooster(0); // no class names: XGBoost's own answer
    await mkdir(url("plain"), { recursive: true });
    await plain.saveFile(join(url("plain"), "xgboost-model"));
    plain.dispose();
    for (const [name, file] of [
      ["pickled_model", "upstream-pickled-booster.pkl"],
      ["saved_booster", "upstream-legacy-binary.model"],
    ] as const) {
      await mkdir(url(name), { recursive: true });
      await copyFile(new URL(file, UPSTREAM_MODELS), join(url(name), "xgboost-model"));
    }
  });

  const post = (port: number, name: string, headers: Record<string, string>, body: string) =>
    sendHttp(port, `/models/${name}/invoke`, { method: "POST", headers, body });

  it("answers JSON by default: a plain array, one list of probabilities per row; CSV on one line", async () => {
    const p = await startServeProcess(
      { SAGEMAKER_BASE_DIR: base, SAGEMAKER_MULTI_MODEL: "true" },
      { built: true },
    );
    try {
      assert.equal((await load(p.port, "plain")).status, 200);
      const two = `${SETOSA}\n${SETOSA}`;
      const r = await post(p.port, "plain", { "content-type": "text/csv" }, two);
      assert.equal(r.status, 200, r.text);
      const rows = json(r) as number[][];
      assert.equal(rows.length, 2);
      assert.equal(rows[0]!.length, 3);
      assert.ok(rows[0]![0]! > 0.5);
      const csv = await post(p.port, "plain", { "content-type": "csv", accept: "csv" }, two);
      assert.equal(csv.status, 200, csv.text);
      assert.match(csv.text, /^\[[\d.e-]+, [\d.e-]+, [\d.e-]+\],\[[\d.e-]+, [\d.e-]+, [\d.e-]+\]$/);
    } finally {
      p.kill();
    }
  });

  // aws/sagemaker-xgboost-container test/integration/local/test_multiple_model_endpoint.py
  it("loads, invokes and unloads upstream's pickled and saved-booster test models", async (t) => {
    const [major, minor] = xgboostVersion();
    if (major > 3 || (major === 3 && minor >= 1))
      return t.skip("libxgboost 3.1+ reads neither legacy format");
    const p = await startServeProcess(
      { SAGEMAKER_BASE_DIR: base, SAGEMAKER_MULTI_MODEL: "true" },
      { built: true },
    );
    try {
      for (const name of ["pickled_model", "saved_booster"]) {
        const loaded = await load(p.port, name);
        assert.equal(loaded.status, 200, loaded.text);
        assert.deepEqual(json(loaded), { status: "Workers scaled" });
        const r = await post(p.port, name, { "content-type": "text/csv" }, "0,0,1,0");
        assert.equal(r.status, 200, r.text);
        const [row] = json(r) as number[][];
        assert.ok(
          row!.every((v, i) => Math.abs(v - [0.99157566, 0.00471861, 0.00370571][i]!) < 1e-6),
          r.text,
        );
      }
      const again = await load(p.port, "pickled_model");
      assert.equal(again.status, 409);
      assert.deepEqual(json(again), { message: "Model pickled_model is already registered." });
      const gone = await sendHttp(p.port, "/models/pickled_model", { method: "DELETE" });
      assert.deepEqual(json(gone), { status: 'Model "pickled_model" unregistered' });
      const missing = await post(p.port, "pickled_model", { "content-type": "text/csv" }, "0,0,1,0");
      assert.equal(missing.status, 404);
      assert.deepEqual(json(missing), { message: "Model not found: pickled_model" });
    } finally {
      p.kill();
    }
  });
});
