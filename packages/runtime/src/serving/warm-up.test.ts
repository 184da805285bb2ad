/**
 * Warming the invocation path before `/ping` says 200 (`warmupRequests`), over real sockets: it
 * runs on the handler that opts in (the built-in XGBoost one does), never on one that does not, a
 * failing warm-up leaves the model ready and says why, the warm-up's requests are its own (a
 * client still gets 503 meanwhile), and a multi-model endpoint warms each model it loads.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { irisMlRoot } from "../../../../test/kit/iris.js";
import { createEmulatedXGBoostHandler } from "../algorithms/xgboost/emulate/index.js";
import { createXGBoostHandler, warmupCsv } from "../algorithms/xgboost/handler.js";
import { readServingConfig } from "../config/serving.js";
import { createLogger } from "../node/logger.js";
import { checkHandler, defineHandler, type ModelHandler } from "./handler.js";
import { createMultiModelApp } from "./multi-model.js";
import { type RunningServer, startServer } from "./server.js";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "sagebrew-warm-up-"));
  await mkdir(join(root, "model"), { recursive: true });
});
after(() => rm(root, { recursive: true, force: true }));

type Log = Record<string, unknown>;

function call(
  server: RunningServer,
  path: string,
  method = "GET",
  body?: string,
  extra: Record<string, string> = {},
) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const headers: Record<string, string> =
      body === undefined ? {} : { "content-type": "text/csv", accept: "text/csv", ...extra };
    const req = httpRequest(
      { host: "127.0.0.1", port: server.port, path, method, headers, agent: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Starts `handler` on port 0 with `env`; its log records are collected. */
async function serve(handler: ModelHandler<never>, env: Record<string, string> = {}, baseDir = root) {
  const logs: Log[] = [];
  const logger = createLogger({ level: "info", write: (l) => void logs.push(JSON.parse(l) as Log) });
  const config = readServingConfig({ SAGEMAKER_BASE_DIR: baseDir, SAGEMAKER_BIND_TO_PORT: "0", ...env });
  const server = await startServer(checkHandler(handler, "test handler"), {
    config,
    logger,
    host: "127.0.0.1",
  });
  return { server, logs };
}

/** A handler that counts its hook calls; with `samples`, it opts in to warm-up requests. */
function counting(
  options: {
    samples?: () => { body: string; contentType: string }[];
    predict?: (rows: number) => unknown;
  } = {},
) {
  const calls = { decode: 0, predict: 0, encode: 0 };
  const handler = defineHandler<{ ready: true }, number, unknown>({
    name: "counting",
    contentTypes: ["text/csv"],
    accepts: ["text/csv"],
    load: () => ({ ready: true }),
    decode(body) {
      calls.decode++;
      return new TextDecoder().decode(body).trim().split("\n").length;
    },
    predict(_model, rows) {
      calls.predict++;
      return options.predict ? options.predict(rows) : rows;
    },
    encode(output) {
      calls.encode++;
      return `${String(output)}\n`;
    },
    ...(options.samples ? { warmupRequests: options.samples } : {}),
  });
  return { handler: handler as ModelHandler<never>, calls };
}

const warmedRecord = (logs: Log[]) => logs.find((l) => l.msg === "invocation path warmed");
const failedRecord = (logs: Log[]) => logs.find((l) => String(l.msg).startsWith("warm-up requests failed"));

describe("warm-up requests", () => {
  it("run the built-in XGBoost handler's invocation path on bodies of 1, 100 and 1,000 rows before /ping says 200", async () => {
    const ml = await irisMlRoot();
    try {
      const { server, logs } = await serve(
        createXGBoostHandler() as ModelHandler<never>,
        { SAGEMAKER_MODEL_SERVER_WORKERS: "1" },
        ml,
      );
      try {
        await server.ready;
        assert.equal((await call(server, "/ping")).status, 200);
        const warmed = warmedRecord(logs);
        assert.ok(warmed, JSON.stringify(logs));
        const samples = warmed.samples as { bytes: number; calls: number; httpCalls: number }[];
        // 1, 100 and 1,000 rows answered as CSV, and one row as JSON; every one answered at least once.
        assert.equal(samples.length, 4);
        assert.deepEqual(
          samples.map((s) => s.bytes),
          [1, 100, 1000, 1].map((r) => Buffer.byteLength(warmupCsv(r, 4))),
        );
        for (const s of samples) assert.ok(s.calls >= 1, JSON.stringify(samples));
        // Then over the server's own socket.
        assert.ok(samples[0]!.httpCalls >= 1, JSON.stringify(samples));
        // Logged before readiness, and no invocation failed meanwhile.
        const at = (msg: string) => logs.findIndex((l) => l.msg === msg);
        assert.ok(at("invocation path warmed") < at("model loaded and warmed"));
        assert.equal(failedRecord(logs), undefined);
        assert.equal(
          logs.filter((l) => l.level === "error" || l.level === "warn").length,
          0,
          JSON.stringify(logs),
        );
        const answer = await call(server, "/invocations", "POST", "5.1,3.5,1.4,0.2\n");
        assert.equal(answer.status, 200);
        assert.equal(answer.text, "setosa\n");
      } finally {
        await server.stop({ deadlineMs: 2000 });
      }
    } finally {
      await rm(ml, { recursive: true, force: true });
    }
  });

  it("run the emulated image's handler (SAGEBREW_EMULATE) too, every request answered as the image does", async () => {
    const ml = await irisMlRoot();
    try {
      const handler = createEmulatedXGBoostHandler("1.7-1") as ModelHandler<never>;
      const { server, logs } = await serve(handler, { SAGEMAKER_MODEL_SERVER_WORKERS: "1" }, ml);
      try {
        await server.ready;
        const warmed = warmedRecord(logs);
        assert.ok(warmed, JSON.stringify(logs));
        const samples = warmed.samples as { calls: number }[];
        assert.equal(samples.length, 4);
        for (const s of samples) assert.ok(s.calls >= 1, JSON.stringify(samples));
        assert.equal(failedRecord(logs), undefined, JSON.stringify(logs));
      } finally {
        await server.stop({ deadlineMs: 2000 });
      }
    } finally {
      await rm(ml, { recursive: true, force: true });
    }
  });

  it("never call a handler that does not opt in with synthetic input", async () => {
    const { handler, calls } = counting();
    const { server, logs } = await serve(handler);
    try {
      await server.ready;
      assert.equal((await call(server, "/ping")).status, 200);
      assert.deepEqual(calls, { decode: 0, predict: 0, encode: 0 });
      assert.equal(warmedRecord(logs), undefined);
      assert.equal((await call(server, "/invocations", "POST", "1\n2\n")).text, "2\n");
      assert.deepEqual(calls, { decode: 1, predict: 1, encode: 1 });
    } finally {
      await server.stop({ deadlineMs: 2000 });
    }
  });

  it("run a custom handler's own warm-up requests through every hook, and none with SAGEBREW_WARMUP_MS=0", async () => {
    const samples = () => [{ body: "1\n2\n3\n", contentType: "text/csv" }];
    const on = counting({ samples });
    const a = await serve(on.handler);
    try {
      await a.server.ready;
      assert.ok(on.calls.predict >= 1);
      assert.equal(on.calls.decode, on.calls.predict);
      assert.equal(on.calls.encode, on.calls.predict);
      // In process, then over the server's own socket: every call reached the hooks.
      const [sample] = warmedRecord(a.logs)!.samples as { calls: number; httpCalls: number }[];
      assert.ok(sample!.httpCalls >= 1, JSON.stringify(sample));
      assert.equal(sample!.calls + sample!.httpCalls, on.calls.predict);
    } finally {
      await a.server.stop({ deadlineMs: 2000 });
    }
    const off = counting({ samples });
    const b = await serve(off.handler, { SAGEBREW_WARMUP_MS: "0" });
    try {
      await b.server.ready;
      assert.deepEqual(off.calls, { decode: 0, predict: 0, encode: 0 });
      assert.equal(warmedRecord(b.logs), undefined);
    } finally {
      await b.server.stop({ deadlineMs: 2000 });
    }
  });

  it("leave the model ready when a warm-up request fails, and say why", async () => {
    const failing = counting({
      samples: () => [{ body: "1\n", contentType: "text/csv" }],
      predict: (rows) => {
        if (rows === 1) throw new Error("one row is not enough for this model");
        return rows;
      },
    });
    const { server, logs } = await serve(failing.handler);
    try {
      await server.ready;
      assert.equal((await call(server, "/ping")).status, 200);
      const failed = failedRecord(logs);
      assert.ok(failed, JSON.stringify(logs));
      assert.match(
        String(failed.reason),
        /^warm-up request 1 was answered 500: .*one row is not enough for this model/,
      );
      assert.equal((await call(server, "/invocations", "POST", "1\n2\n")).text, "2\n");
    } finally {
      await server.stop({ deadlineMs: 2000 });
    }
    const throwing = counting({
      samples: () => {
        throw new Error("no samples today");
      },
    });
    const t = await serve(throwing.handler);
    try {
      await t.server.ready;
      assert.equal((await call(t.server, "/ping")).status, 200);
      assert.equal(failedRecord(t.logs)?.reason, "warmupRequests() failed: no samples today");
    } finally {
      await t.server.stop({ deadlineMs: 2000 });
    }
    const malformed = counting({
      samples: () =>
        [{ body: 42, contentType: "text/csv" }] as unknown as { body: string; contentType: string }[],
    });
    const m = await serve(malformed.handler);
    try {
      await m.server.ready;
      assert.equal((await call(m.server, "/ping")).status, 200);
      assert.equal(
        failedRecord(m.logs)?.reason,
        "warmupRequests() failed: request 1 is not { body: string | Uint8Array, contentType: string }",
      );
      assert.equal(malformed.calls.predict, 0);
    } finally {
      await m.server.stop({ deadlineMs: 2000 });
    }
  });

  it("are the warm-up's own: a client's invocation meanwhile is answered 503, as is /ping", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const inWarmup = new Promise<void>((r) => {
      entered = r;
    });
    const held = counting({
      samples: () => [{ body: "1\n", contentType: "text/csv" }],
      predict: async (rows) => {
        entered();
        await gate;
        return rows;
      },
    });
    const { server } = await serve(held.handler, { SAGEBREW_WARMUP_MS: "600000" });
    try {
      await inWarmup;
      assert.equal((await call(server, "/ping")).status, 503);
      const refused = await call(server, "/invocations", "POST", "1\n2\n");
      assert.equal(refused.status, 503);
      assert.match(refused.text, /still loading/);
      // The header of the warm-up's requests over the socket, without its token, is no way in.
      const guessed = await call(server, "/invocations", "POST", "1\n2\n", {
        "x-sagebrew-warmup": "0".repeat(32),
      });
      assert.equal(guessed.status, 503);
      release();
      await server.ready;
      assert.equal((await call(server, "/ping")).status, 200);
      assert.equal((await call(server, "/invocations", "POST", "1\n2\n")).text, "2\n");
    } finally {
      release();
      await server.stop({ deadlineMs: 2000 });
    }
  });

  it("warm each model a multi-model endpoint loads, before its load answers", async () => {
    const { handler, calls } = counting({ samples: () => [{ body: "1\n", contentType: "text/csv" }] });
    const mme = await mkdtemp(join(tmpdir(), "sagebrew-warm-up-mme-"));
    try {
      const dir = join(mme, "models", "a", "model");
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "weights.json"), "{}");
      const logs: Log[] = [];
      const logger = createLogger({ level: "info", write: (l) => void logs.push(JSON.parse(l) as Log) });
      const config = readServingConfig({ SAGEMAKER_BASE_DIR: mme, SAGEMAKER_MULTI_MODEL: "true" });
      const app = createMultiModelApp({
        config,
        logger,
        handlerFor: async () => checkHandler(handler, "counting"),
      });
      await app.start();
      const loaded = await app.request("/models", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model_name: "a", url: dir }),
      });
      assert.equal(loaded.status, 200);
      assert.ok(calls.predict >= 1);
      assert.equal(warmedRecord(logs)?.model, "a");
      await app.stop();
    } finally {
      await rm(mme, { recursive: true, force: true });
    }
  });
});
