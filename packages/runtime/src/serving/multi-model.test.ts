import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createXGBoostHandler, type XGBoostServingModel } from "../algorithms/xgboost/handler.js";
import { readServingConfig } from "../config/serving.js";
import { isSagebrewError } from "../errors/index.js";
import { createLogger } from "../node/logger.js";
import { Booster, DMatrix, XGBoostPool } from "../xgboost/index.js";
import { MAX_MODEL_ENTRIES, modelDirectoryBytes } from "./_models-root.js";
import type { AppResponse } from "./app.js";
import { checkHandler, defineHandler } from "./handler.js";
import { resolveHandler } from "./load-handler.js";
import { createMultiModelApp, defaultMemoryBudget, type MultiModelApp } from "./multi-model.js";
import { startServer } from "./server.js";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "sagebrew-mme-"));
});
after(() => rm(root, { recursive: true, force: true }));

/** A model that answers `value` for every row; `gate` holds predictions until released. */
interface Constant {
  readonly value: number;
  readonly dir: string;
}

/** What the constant handler saw: closed model dirs, and a gate the test can hold predictions at. */
function constantHandler() {
  const closed: string[] = [];
  let gate: Promise<void> | undefined;
  let started = 0;
  const handler = defineHandler<Constant, unknown, number[]>({
    name: "constant",
    accepts: ["application/json", "text/csv"],
    async load({ modelDir }) {
      const w = JSON.parse(await readFile(join(modelDir, "weights.json"), "utf8")) as { value: unknown };
      if (typeof w.value !== "number") throw new Error(`weights.json in ${modelDir} has no numeric value`);
      return { value: w.value, dir: modelDir };
    },
    warmup(model) {
      if (model.value < 0) throw new Error("a negative value fails its warm-up");
    },
    async predict(model, input) {
      started++;
      await gate;
      const rows = (input as { features: { rows: number } }).features.rows;
      return Array.from({ length: rows }, () => model.value);
    },
    close(model) {
      closed.push(model.dir);
    },
  });
  return {
    handler,
    closed,
    started: () => started,
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((r) => {
        release = r;
      });
      return release;
    },
  };
}

/** A model directory `<base>/models/<name>/model` holding `files`. */
async function modelDir(name: string, files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = join(root, "models", name, "model");
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(join(dir, rel, ".."), { recursive: true });
    await writeFile(join(dir, rel), content);
  }
  return dir;
}

function setup(options: { budget?: number; env?: Record<string, string> } = {}) {
  const c = constantHandler();
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: "debug", write: (l) => void logs.push(JSON.parse(l)) });
  const config = readServingConfig({ SAGEMAKER_BASE_DIR: root, ...options.env });
  let stopped = 0;
  const app = createMultiModelApp({
    config,
    logger,
    handlerFor: async (dir) =>
      (await resolveHandler({ handlerModule: undefined, modelDir: dir, builtin: () => c.handler })).handler,
    ...(options.budget === undefined ? {} : { memoryBudgetBytes: options.budget }),
    onStopped: () => {
      stopped++;
    },
  });
  return { app, c, logs, stopped: () => stopped };
}

function text(r: AppResponse): string {
  return typeof r.body === "string" ? r.body : new TextDecoder().decode(r.body);
}

function body(r: AppResponse): Record<string, unknown> {
  assert.equal(r.headers["content-type"], "application/json", text(r));
  return JSON.parse(text(r)) as Record<string, unknown>;
}

function load(app: MultiModelApp, name: string, url: string) {
  return app.request("/models", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ model_name: name, url }),
  });
}

function invoke(app: MultiModelApp, name: string, csv = "1,2\n3,4\n", headers: Record<string, string> = {}) {
  return app.request(`/models/${encodeURIComponent(name)}/invoke`, {
    method: "POST",
    headers: { "content-type": "text/csv", accept: "application/json", ...headers },
    body: csv,
  });
}

describe("multi-model app (docs/serving.md, multi-model endpoints)", () => {
  it("answers /ping with 200 once started, with no model loaded, and lists no models", async () => {
    const { app } = setup();
    assert.equal((await app.request("/ping")).status, 503);
    await app.start();
    assert.equal((await app.request("/ping")).status, 200);
    assert.equal(app.precheck({ method: "GET", url: "/ping", headers: {} }), undefined, "nothing to refuse");
    const list = await app.request("/models");
    assert.equal(list.status, 200);
    assert.deepEqual(body(list), { models: [] });
    await app.stop();
  });

  it("loads a model (200 Workers scaled), describes it, and invokes it by path and by Target-Model", async () => {
    const { app, logs } = setup();
    await app.start();
    const url = await modelDir("one", { "weights.json": '{"value": 7}' });
    const r = await load(app, "one", url);
    assert.equal(r.status, 200, text(r));
    assert.deepEqual(body(r), { status: "Workers scaled" });
    const d = await app.request("/models/one");
    assert.equal(d.status, 200);
    assert.deepEqual(body(d), { modelName: "one", modelUrl: url, handler: "constant", memoryBytes: 12 });
    const p = await invoke(app, "one");
    assert.equal(p.status, 200, text(p));
    assert.equal(p.headers["content-type"], "application/json");
    assert.equal(text(p), "[7,7]");
    const viaHeader = await app.request("/invocations", {
      method: "POST",
      headers: { "content-type": "text/csv", accept: "text/csv", "X-Amzn-SageMaker-Target-Model": "one" },
      body: "1,2",
    });
    assert.equal(viaHeader.status, 200, text(viaHeader));
    assert.equal(text(viaHeader), "7\n");
    const loaded = logs.find((l) => l.msg === "model loaded");
    assert.equal(loaded?.model, "one");
    assert.equal(loaded?.memoryBytes, 12);
    await app.stop();
  });

  it("answers 409 with MMS's message for a second load, and exactly one of two concurrent loads wins", async () => {
    const { app } = setup();
    await app.start();
    const url = await modelDir("twice", { "weights.json": '{"value": 1}' });
    assert.equal((await load(app, "twice", url)).status, 200);
    const again = await load(app, "twice", url);
    assert.equal(again.status, 409);
    assert.deepEqual(body(again), { message: "Model twice is already registered." });

    const race = await Promise.all([load(app, "race", url), load(app, "race", url)]);
    assert.deepEqual(race.map((r) => r.status).sort(), [200, 409]);
    assert.match(
      String(body(race.find((r) => r.status === 409)!).message),
      /^Model race is already registered\./,
    );
    assert.deepEqual(
      app.models().map((m) => m.modelName),
      ["race", "twice"],
    );
    await app.stop();
  });

  it("unloads after in-flight invocations finish, closes the model before answering, then answers 404", async () => {
    const { app, c } = setup();
    await app.start();
    const url = await modelDir("busy", { "weights.json": '{"value": 3}' });
    assert.equal((await load(app, "busy", url)).status, 200);
    const release = c.hold();
    const inFlight = invoke(app, "busy");
    while (c.started() === 0) await new Promise((r) => setImmediate(r));
    let unloaded = false;
    const unload = app.request("/models/busy", { method: "DELETE" }).then((r) => {
      unloaded = true;
      return r;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(unloaded, false, "the unload waits for the invocation");
    assert.deepEqual(c.closed, []);
    assert.equal((await invoke(app, "busy")).status, 404, "new invocations are refused at once");
    release();
    assert.equal((await inFlight).status, 200);
    const u = await unload;
    assert.equal(u.status, 200);
    assert.deepEqual(body(u), { status: 'Model "busy" unregistered' });
    assert.deepEqual(c.closed, [url], "close ran before the answer");
    assert.equal(app.memory.usedBytes, 0);

    const gone = await invoke(app, "busy");
    assert.equal(gone.status, 404);
    assert.deepEqual(body(gone), { message: "Model not found: busy" });
    assert.equal((await app.request("/models/busy")).status, 404);
    const again = await app.request("/models/busy", { method: "DELETE" });
    assert.equal(again.status, 404);
    assert.deepEqual(body(again), { message: "Model not found: busy" });
    await app.stop();
  });

  it("answers 404 for a missing url and 500 with the reason for a bad model; neither is registered", async () => {
    const { app, c } = setup();
    await app.start();
    const missing = await load(app, "missing", join(root, "models", "nowhere", "model"));
    assert.equal(missing.status, 404);
    assert.match(
      String(body(missing).message),
      /^Cannot load model missing: .*nowhere\/model does not exist/,
    );
    const file = await modelDir("file", { "weights.json": "{}" });
    assert.equal(
      (await load(app, "file", join(file, "weights.json"))).status,
      404,
      "a file is not a model dir",
    );

    const bad = await load(app, "bad", file);
    assert.equal(bad.status, 500);
    assert.match(
      String(body(bad).message),
      /^Cannot load model bad from .*: weights.json in .* has no numeric value$/,
    );

    const cold = await load(app, "cold", await modelDir("cold", { "weights.json": '{"value": -1}' }));
    assert.equal(cold.status, 500);
    assert.match(String(body(cold).message), /fails its warm-up/);
    assert.equal(c.closed.length, 1, "a model loaded but not warmed is closed");

    assert.deepEqual(app.models(), []);
    assert.equal(app.memory.usedBytes, 0);
    assert.equal((await app.request("/models/bad")).status, 404);
    const ok = await load(app, "bad", await modelDir("good", { "weights.json": '{"value": 2}' }));
    assert.equal(ok.status, 200, "the name is free again");
    await app.stop();
  });

  it("answers 507 when the memory budget would be exceeded, and loads again once an unload frees room", async () => {
    const { app, logs } = setup({ budget: 1500 });
    await app.start();
    const a = await modelDir("mem-a", { "weights.json": '{"value": 1}', "pad.bin": new Uint8Array(1000) });
    const b = await modelDir("mem-b", { "weights.json": '{"value": 2}', "pad.bin": new Uint8Array(1000) });
    assert.equal((await load(app, "a", a)).status, 200);
    assert.equal(app.memory.usedBytes, 1012);
    const full = await load(app, "b", b);
    assert.equal(full.status, 507);
    assert.equal(
      body(full).message,
      "Cannot load model b: it needs 1.0 KiB and 0.5 KiB of the 1.5 KiB memory budget (SAGEBREW_MME_MEMORY_MB) is free; unload a model first",
    );
    assert.ok(logs.some((l) => l.msg === "model load failed" && l.status === 507));
    assert.equal((await app.request("/models/a", { method: "DELETE" })).status, 200);
    assert.equal((await load(app, "b", b)).status, 200);
    await app.stop();
  });

  it("reads the budget from SAGEBREW_MME_MEMORY_MB, else takes a share of memory", () => {
    const { app } = setup({ env: { SAGEBREW_MME_MEMORY_MB: "1.5" } });
    assert.equal(app.memory.budgetBytes, 1.5 * 1024 * 1024);
    assert.equal(setup().app.memory.budgetBytes, defaultMemoryBudget());
    assert.ok(defaultMemoryBudget() > 0);
    assert.throws(
      () => readServingConfig({ SAGEBREW_MME_MEMORY_MB: "lots" }),
      (e) =>
        isSagebrewError(e) && e.code === "SB_ENV_INVALID" && /SAGEBREW_MME_MEMORY_MB="lots"/.test(e.message),
    );
  });

  it("lists models by name, in pages of `limit` with nextPageToken; a bad token or limit is a 400", async () => {
    const { app } = setup();
    await app.start();
    const url = await modelDir("page", { "weights.json": '{"value": 1}' });
    for (const name of ["c", "a", "e", "b", "d"]) assert.equal((await load(app, name, url)).status, 200);
    const all = body(await app.request("/models"));
    assert.deepEqual(all, {
      models: ["a", "b", "c", "d", "e"].map((n) => ({ modelName: n, modelUrl: url })),
    });

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const q = `?limit=2${token ? `&next_page_token=${encodeURIComponent(token)}` : ""}`;
      const page = body(await app.request(`/models${q}`)) as {
        models: Array<{ modelName: string }>;
        nextPageToken?: string;
      };
      seen.push(...page.models.map((m) => m.modelName));
      token = page.nextPageToken;
      pages++;
    } while (token !== undefined);
    assert.deepEqual(seen, ["a", "b", "c", "d", "e"]);
    assert.equal(pages, 3);
    assert.equal("nextPageToken" in body(await app.request("/models?limit=5")), false);

    for (const q of ["limit=0", "limit=x", "limit=1001", "next_page_token=bogus"]) {
      const r = await app.request(`/models?${q}`);
      assert.equal(r.status, 400, q);
      assert.match(String(body(r).message), /^Cannot list models/);
    }
    await app.stop();
  });

  it("answers unknown routes, wrong methods and malformed loads with one JSON sentence", async () => {
    const { app } = setup();
    await app.start();
    const cases: Array<
      [string, { method?: string; body?: string; headers?: Record<string, string> }, number]
    > = [
      ["/nope", {}, 404],
      ["/models", { method: "PUT" }, 405],
      ["/models/x/invoke", { method: "GET" }, 405],
      ["/models/%E0%A4%A", {}, 400],
      ["/invocations", { method: "POST", headers: { "content-type": "text/csv" }, body: "1" }, 400],
      ["/models", { method: "POST", body: "{nope" }, 400],
      ["/models", { method: "POST", body: "[]" }, 400],
      ["/models", { method: "POST", body: '{"url": "/x"}' }, 400],
      ["/models", { method: "POST", body: '{"model_name": "x"}' }, 400],
    ];
    for (const [path, init, status] of cases) {
      const r = await app.request(path, init);
      assert.equal(r.status, status, `${init.method ?? "GET"} ${path}: ${text(r)}`);
      const message = String(body(r).message);
      assert.match(message, /^[A-Z][^\n]+$/, message);
    }
    const wrong = await app.request("/models", { method: "PUT" });
    assert.equal(wrong.headers.allow, "GET, HEAD, POST");
    await app.stop();
  });

  it("keeps single-model statuses for a model's invocations, as JSON, and prechecks before the body", async () => {
    const { app } = setup();
    await app.start();
    const url = await modelDir("strict", { "weights.json": '{"value": 5}' });
    assert.equal((await load(app, "strict", url)).status, 200);
    const unsupported = await invoke(app, "strict", "1", { "content-type": "image/png" });
    assert.equal(unsupported.status, 415);
    assert.match(String(body(unsupported).message), /^Content-Type image\/png is not supported/);
    const notAcceptable = await invoke(app, "strict", "1", { accept: "text/html" });
    assert.equal(notAcceptable.status, 406);
    const undecodable = await invoke(app, "strict", "1,a\n");
    assert.equal(undecodable.status, 400);
    const head = (url: string, headers: Record<string, string>) =>
      app.precheck({ method: "POST", url, headers })?.status;
    assert.equal(head("/models/strict/invoke", { "content-type": "text/csv" }), undefined, "read the body");
    assert.equal(head("/models/strict/invoke", { "content-type": "image/png" }), 415);
    assert.equal(head("/models/other/invoke", { "content-type": "text/csv" }), 404);
    assert.equal(head("/models", { "content-type": "application/json" }), undefined);
    await app.stop();
  });

  it("accepts load parameters in the query, and resolves a relative url against <base>/models", async () => {
    const { app } = setup();
    await app.start();
    const url = await modelDir("rel", { "weights.json": '{"value": 4}' });
    const r = await app.request("/models?model_name=rel&url=rel%2Fmodel", { method: "POST" });
    assert.equal(r.status, 200, text(r));
    assert.equal(app.models()[0]?.modelUrl, url);
    await app.stop();
  });

  it("stops: /ping 503, loads and invocations refused, every model closed, onStopped run once", async () => {
    const { app, c, stopped } = setup();
    await app.start();
    const url = await modelDir("stop", { "weights.json": '{"value": 1}' });
    assert.equal((await load(app, "s1", url)).status, 200);
    assert.equal((await load(app, "s2", url)).status, 200);
    await app.stop();
    assert.equal(app.state, "stopping");
    assert.equal((await app.request("/ping")).status, 503);
    assert.equal((await load(app, "s3", url)).status, 503);
    assert.equal((await invoke(app, "s1")).status, 503);
    assert.deepEqual(c.closed, [url, url]);
    assert.equal(stopped(), 1);
    assert.equal(app.memory.usedBytes, 0);
  });
});

describe("multi-model app with XGBoost models", () => {
  const pool = new XGBoostPool(1);
  after(() => pool.close());

  /** A 2-feature binary model whose answer is feature 0 > 0.5 (or its opposite with `flip`). */
  async function xgbModel(name: string, flip: boolean): Promise<string> {
    const rows = 40;
    const values = new Float32Array(rows * 2);
    const labels = new Float32Array(rows);
    for (let i = 0; i < rows; i++) {
      values[i * 2] = (i % 10) / 10;
      values[i * 2 + 1] = i % 3;
      labels[i] = Number((i % 10) / 10 > 0.5) ^ Number(flip);
    }
    const d = DMatrix.fromDense({ values, rows, cols: 2 }, { labels });
    const b = Booster.create([d], {
      objective: "binary:logistic",
      max_depth: 2,
      eta: 1,
      nthread: 1,
      seed: 1,
    });
    for (let i = 0; i < 4; i++) b.update(i, d);
    b.setAttr("sagebrew_class_names", JSON.stringify(["low", "high"]));
    const dir = join(root, "models", name, "model");
    await mkdir(dir, { recursive: true });
    await b.saveFile(join(dir, "xgboost-model"));
    b.dispose();
    d.dispose();
    return dir;
  }

  it("serves two models with different answers, and unload frees the boosters before answering", async () => {
    const logger = createLogger({ level: "silent" });
    const config = readServingConfig({ SAGEMAKER_BASE_DIR: root, SAGEMAKER_MODEL_SERVER_WORKERS: "1" });
    const xgb = checkHandler(createXGBoostHandler({ pool }), "xgboost");
    const held: XGBoostServingModel[] = [];
    const spy = checkHandler(
      {
        ...xgb,
        async load(ctx: Parameters<typeof xgb.load>[0]) {
          const m = (await xgb.load(ctx)) as XGBoostServingModel;
          held.push(m);
          return m;
        },
      },
      "xgboost",
    );
    const app = createMultiModelApp({ config, logger, handlerFor: async () => spy });
    await app.start();
    const [up, down] = await Promise.all([xgbModel("xgb-up", false), xgbModel("xgb-down", true)]);
    assert.equal((await load(app, "up", up)).status, 200);
    assert.equal((await load(app, "down", down)).status, 200);
    const ask = async (name: string) =>
      text(await invoke(app, name, "0.9,1\n0.1,1\n", { accept: "text/csv" }));
    assert.equal(await ask("up"), "high\nlow\n");
    assert.equal(await ask("down"), "low\nhigh\n");
    assert.equal(held.length, 2);
    assert.equal((await app.request("/models/up", { method: "DELETE" })).status, 200);
    assert.ok(
      held[0]!.boosters.every((b) => b.disposed),
      "the unloaded model's boosters are freed",
    );
    assert.ok(
      held[1]!.boosters.every((b) => !b.disposed),
      "the other model is untouched",
    );
    assert.equal(await ask("down"), "low\nhigh\n");
    await app.stop();
    assert.ok(held[1]!.boosters.every((b) => b.disposed));
  });
});

describe("modelDirectoryBytes()", () => {
  it("adds up the files under a directory, recursively, without code/", async () => {
    const dir = await modelDir("sizes", {
      "a.bin": new Uint8Array(10),
      "sub/b.bin": new Uint8Array(5),
      "code/handler.js": "x".repeat(100),
    });
    const models = join(root, "models");
    assert.equal(await modelDirectoryBytes(models, dir), 15);
    await assert.rejects(modelDirectoryBytes(models, join(dir, "none")), { code: "ENOENT" });
    await assert.rejects(modelDirectoryBytes(models, join(dir, "a.bin")), { code: "ENOTDIR" });
  });

  it("stops at a bounded number of entries, and follows a link back up only once", async () => {
    const wide = await modelDir("wide", {});
    await mkdir(wide, { recursive: true });
    for (let i = 0; i <= MAX_MODEL_ENTRIES; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, MAX_MODEL_ENTRIES + 1 - i) }, (_, k) => i + k);
      await Promise.all(batch.map((n) => writeFile(join(wide, `f${n}`), "")));
    }
    await assert.rejects(modelDirectoryBytes(join(root, "models"), wide), {
      code: "SB_BAD_REQUEST",
      message: /holds more than 10000 files and directories/,
    });
    const loop = await modelDir("loop", { "sub/a.bin": new Uint8Array(3) });
    await symlink("..", join(loop, "sub", "up"));
    assert.equal(await modelDirectoryBytes(join(root, "models"), loop), 3);
  });
});

describe("multi-model app: models are read only from <base>/models", () => {
  /** An outside directory holding a model and a handler that records that it ran. */
  async function outsideModel(): Promise<string> {
    const dir = join(root, "outside", "model");
    await mkdir(join(dir, "code"), { recursive: true });
    await writeFile(join(dir, "weights.json"), '{"value": 9}');
    await writeFile(join(dir, "secret-file-name.txt"), "secret");
    await writeFile(
      join(dir, "code", "handler.js"),
      `globalThis.__sagebrewOutsideHandlerRan = true; export default {};`,
    );
    return dir;
  }

  it("refuses urls outside the models root, by .., absolute path or symlink, and never runs their code", async () => {
    const { app } = setup();
    await app.start();
    const outside = await outsideModel();
    await mkdir(join(root, "models", "links"), { recursive: true });
    await symlink(outside, join(root, "models", "links", "dir-link"));
    const inner = await modelDir("innerlink", { "weights.json": '{"value": 1}' });
    await symlink(join(outside, "secret-file-name.txt"), join(inner, "leak.txt"));
    const codeOnly = await modelDir("codelink", { "weights.json": '{"value": 1}' });
    await symlink(join(outside, "code"), join(codeOnly, "code"));
    const cases: Array<[string, string, number]> = [
      ["etc", "/etc", 403],
      ["dotdot", "../outside/model", 403],
      ["dotdot-abs", join(root, "models", "..", "outside", "model"), 403],
      ["abs", outside, 403],
      ["root", join(root, "models"), 403],
      ["dir-link", "links/dir-link", 403],
      ["file-link", inner, 403],
      ["code-link", codeOnly, 403],
      ["nul", "a\u0000b", 400],
    ];
    for (const [name, url, status] of cases) {
      const r = await app.request("/models", {
        method: "POST",
        body: JSON.stringify({ model_name: name, url }),
      });
      assert.equal(r.status, status, `${name}: ${text(r)}`);
      const message = String(body(r).message);
      assert.doesNotMatch(
        message,
        /secret-file-name|handler\.js|passwd|hosts/,
        `${name} lists nothing outside`,
      );
    }
    assert.equal((globalThis as Record<string, unknown>).__sagebrewOutsideHandlerRan, undefined);
    assert.deepEqual(app.models(), []);
    assert.equal(app.memory.usedBytes, 0);
    await app.stop();
  });

  it("accepts links that stay inside the models root", async () => {
    const { app } = setup();
    await app.start();
    const real = await modelDir("shared", { "weights.json": '{"value": 6}' });
    await mkdir(join(root, "models", "alias"), { recursive: true });
    await symlink(real, join(root, "models", "alias", "model"));
    const r = await load(app, "alias", join(root, "models", "alias", "model"));
    assert.equal(r.status, 200, text(r));
    assert.equal((await invoke(app, "alias")).status, 200);
    await app.stop();
  });

  it("answers 400 for model names outside SageMaker's limits, in loads, routes and the target header", async () => {
    const { app } = setup();
    await app.start();
    const url = await modelDir("named", { "weights.json": '{"value": 1}' });
    for (const name of ["x".repeat(1025), " lead", "tab\tname", "caf\u00e9", "nul\u0000"]) {
      const r = await load(app, name, url);
      assert.equal(r.status, 400, JSON.stringify(name).slice(0, 40));
      assert.ok(String(body(r).message).length < 400, "the message does not echo a long name");
    }
    assert.equal((await load(app, "x".repeat(1024), url)).status, 200, "1024 characters is allowed");
    assert.equal((await app.request(`/models/${"y".repeat(1025)}`)).status, 400);
    assert.equal((await app.request(`/models/${"x".repeat(1024)}`, { method: "DELETE" })).status, 200);
    const viaHeader = await app.request("/invocations", {
      method: "POST",
      headers: { "content-type": "text/csv", "x-amzn-sagemaker-target-model": "z".repeat(1025) },
      body: "1,2\n",
    });
    assert.equal(viaHeader.status, 400);
    await app.stop();
  });
});

describe("multi-model app over a socket", () => {
  /** POSTs `size` bytes to `path`, declared by Content-Length or sent chunked. */
  function post(port: number, path: string, size: number, chunked: boolean) {
    return new Promise<{ status: number; type: string; text: string }>((resolve, reject) => {
      const headers: Record<string, string> = { "content-type": "text/csv" };
      if (!chunked) headers["content-length"] = String(size);
      const req = httpRequest(
        { host: "127.0.0.1", port, path, method: "POST", headers, agent: false },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            text += c;
          });
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), text }),
          );
        },
      );
      req.on("error", reject);
      const row = Buffer.from("1,2\n");
      for (let sent = 0; sent < size; sent += row.length) req.write(row);
      req.end();
    });
  }

  it("answers a body over the limit with 413 as JSON, declared or streamed, on every route", async () => {
    const { app } = setup({ env: { SAGEMAKER_MAX_PAYLOAD_IN_MB: "0.01" } });
    const logger = createLogger({ level: "silent" });
    const config = readServingConfig({ SAGEMAKER_BASE_DIR: root, SAGEMAKER_MAX_PAYLOAD_IN_MB: "0.01" });
    const server = await startServer(undefined, { config, logger, app, host: "127.0.0.1" });
    try {
      const url = await modelDir("big", { "weights.json": '{"value": 1}' });
      assert.equal((await load(app, "big", url)).status, 200);
      for (const path of ["/models/big/invoke", "/models"]) {
        for (const chunked of [false, true]) {
          const r = await post(server.port, path, 64 * 1024, chunked);
          const how = `${path} ${chunked ? "chunked" : "declared"}`;
          assert.equal(r.status, 413, `${how}: ${r.text}`);
          assert.equal(r.type, "application/json", how);
          const { message } = JSON.parse(r.text) as { message: string };
          assert.match(
            message,
            /^The request body .*over the limit of 10486 bytes \(SAGEMAKER_MAX_PAYLOAD_IN_MB\)$/,
            how,
          );
        }
      }
      assert.equal((await post(server.port, "/models/big/invoke", 8, true)).status, 200);
    } finally {
      await server.stop({ deadlineMs: 2000 });
    }
  });
});
