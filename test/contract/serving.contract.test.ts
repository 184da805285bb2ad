/**
 * The hosting contract (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html, your-algorithms-batch-code.html), run twice with the same cases: against the
 * app in-process and over a real socket on port 0.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { checkHandler, createXGBoostHandler, readServingConfig } from "@sagebrew/runtime";
import { IRIS_CLASSES, irisMlRoot, irisRows } from "../kit/iris.js";
import { type DriverName, makeTarget, type Target } from "../kit/serving-drivers.js";
import { echoHandler, gate } from "./fixtures/echo-handler.js";

const { features, labels } = irisRows();
const csvRow = (i: number) => features[i]!.join(",");
const SETOSA = csvRow(0);
const VERSICOLOR = csvRow(50);
const VIRGINICA = csvRow(100);

async function irisTarget(driver: DriverName, env: Record<string, string> = {}, classNames = true) {
  const root = await irisMlRoot({ classNames });
  const config = readServingConfig(
    // Every refusal of this suite is checked to be logged once: no rate limit (tested in hostile-clients).
    {
      SAGEMAKER_BASE_DIR: root,
      SAGEMAKER_BIND_TO_PORT: "0",
      SAGEBREW_REJECTION_LOG_LIMIT: "1000000",
      ...env,
    },
    { cpuCount: 2 },
  );
  const t = await makeTarget(driver, checkHandler(createXGBoostHandler(), "xgboost"), config);
  await t.start();
  return t;
}

const csv = (body: string, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "text/csv", ...headers },
  body,
});

for (const driver of ["in-process", "socket"] as const) {
  describe(`hosting contract (${driver})`, () => {
    describe("GET /ping", () => {
      it("is not 200 before the model is loaded and warmed, then 200 with an empty body", async () => {
        const g = gate();
        const config = readServingConfig({ SAGEMAKER_BIND_TO_PORT: "0" });
        const t = await makeTarget(
          driver,
          checkHandler(echoHandler({ loadGate: g.promise }), "echo"),
          config,
        );
        try {
          const starting = t.start();
          const early = await t.send("/ping");
          assert.equal(early.status, 503);
          assert.match(early.text, /still loading/);
          const invokeEarly = await t.send("/invocations", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: "{}",
          });
          assert.equal(invokeEarly.status, 503);
          g.open();
          await starting;
          const ready = await t.send("/ping");
          assert.equal(ready.status, 200);
          assert.equal(ready.text, "");
        } finally {
          await t.close();
        }
      });

      it("answers 500 with the reason when the model cannot be loaded", async () => {
        const config = readServingConfig({
          SAGEMAKER_BASE_DIR: "/nonexistent-sagebrew",
          SAGEMAKER_BIND_TO_PORT: "0",
        });
        const t = await makeTarget(driver, checkHandler(createXGBoostHandler(), "xgboost"), config);
        try {
          await assert.rejects(t.start(), /Cannot read the model directory/);
          const r = await t.send("/ping");
          assert.equal(r.status, 500);
          assert.match(
            r.text,
            /could not be loaded: Cannot read the model directory \/nonexistent-sagebrew\/model/,
          );
        } finally {
          await t.close();
        }
      });
    });

    describe("iris model", () => {
      let t: Target;
      before(async () => {
        t = await irisTarget(driver);
      });
      after(() => t.close());

      it("GET /ping says 200 and is not logged at info", async () => {
        const before = t.logs.length;
        assert.equal((await t.send("/ping")).status, 200);
        const pingLogs = t.logs.slice(before).filter((l) => !l.includes('"level":"debug"'));
        assert.deepEqual(pingLogs, []);
      });

      it("GET /execution-parameters reports the batch parameters", async () => {
        const r = await t.send("/execution-parameters");
        assert.equal(r.status, 200);
        assert.deepEqual(JSON.parse(r.text), {
          MaxConcurrentTransforms: 2,
          BatchStrategy: "MULTI_RECORD",
          MaxPayloadInMB: 6,
        });
      });

      it("answers a CSV row with its class name by default, as the classic tutorial", async () => {
        for (const accept of [undefined, "*/*", "text/csv"]) {
          const r = await t.send("/invocations", csv(SETOSA, accept ? { accept } : {}));
          assert.equal(r.status, 200, r.text);
          assert.equal(r.text, "setosa\n");
          assert.match(r.headers["content-type"]!, /^text\/csv/);
        }
      });

      it("answers several CSV rows one per line, with CRLF, BOM, charset and label_size=1", async () => {
        const body = `\uFEFF${SETOSA}\r\n${VERSICOLOR}\r\n\r\n${VIRGINICA}\r\n`;
        const r = await t.send(
          "/invocations",
          csv(body, { "content-type": "text/csv; label_size=1; charset=UTF-8" }),
        );
        assert.equal(r.status, 200, r.text);
        assert.equal(r.text, "setosa\nversicolor\nvirginica\n");
      });

      it("reads the bare content types csv and libsvm, as SageMaker's XGBoost container does", async () => {
        for (const [contentType, body] of [
          ["csv", SETOSA],
          ["CSV; label_size=1", SETOSA],
          ["libsvm", "0:5.1 1:3.5 2:1.4 3:0.2"],
        ] as const) {
          const r = await t.send("/invocations", csv(body, { "content-type": contentType }));
          assert.equal(r.status, 200, `${contentType}: ${r.text}`);
          assert.equal(r.text, "setosa\n");
        }
      });

      it("reads a one-based libsvm request to a zero-based model, as SageMaker's container does", async () => {
        // aws/sagemaker-xgboost-container test_abalone.py sends "10 1:2 2:0.645 … 8:0.385" to an
        // 8-feature model; here the iris model's 4 features as 1:…4:, with a label to ignore.
        const r = await t.send(
          "/invocations",
          csv("0 1:5.1 2:3.5 3:1.4 4:0.2", { "content-type": "text/libsvm" }),
        );
        assert.equal(r.status, 200, r.text);
        assert.equal(r.text, "setosa\n");
        const tooWide = await t.send(
          "/invocations",
          csv("0:5.1 1:3.5 2:1.4 5:0.2", { "content-type": "text/libsvm" }),
        );
        assert.equal(tooWide.status, 400, tooWide.text);
      });

      it("answers JSON with predicted_label and probabilities", async () => {
        const r = await t.send("/invocations", csv(SETOSA, { accept: "application/json" }));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers["content-type"], "application/json");
        const body = JSON.parse(r.text) as {
          predictions: Array<{ predicted_label: string; probabilities: number[] }>;
        };
        assert.equal(body.predictions[0]!.predicted_label, "setosa");
        assert.equal(body.predictions[0]!.probabilities.length, 3);
        assert.ok(body.predictions[0]!.probabilities[0]! > 0.5);
      });

      it("answers JSON Lines one object per line", async () => {
        const r = await t.send(
          "/invocations",
          csv(`${SETOSA}\n${VIRGINICA}\n`, { accept: "application/jsonlines" }),
        );
        assert.equal(r.status, 200, r.text);
        const lines = r.text
          .trimEnd()
          .split("\n")
          .map((l) => JSON.parse(l) as { predicted_label: string });
        assert.deepEqual(
          lines.map((l) => l.predicted_label),
          ["setosa", "virginica"],
        );
      });

      const inputs: Array<[string, string, string]> = [
        [
          "application/json",
          JSON.stringify({ instances: [features[0], features[100]] }),
          "setosa\nvirginica\n",
        ],
        ["application/json", JSON.stringify([features[50]]), "versicolor\n"],
        ["application/json", JSON.stringify({ features: features[0] }), "setosa\n"],
        [
          "application/jsonlines",
          `${JSON.stringify(features[0])}\n${JSON.stringify({ features: features[50] })}\n`,
          "setosa\nversicolor\n",
        ],
        [
          "text/libsvm",
          `0:${features[0]![0]} 1:${features[0]![1]} 2:${features[0]![2]} 3:${features[0]![3]}\n`,
          "setosa\n",
        ],
        [
          "text/x-libsvm",
          `1 0:${features[100]![0]} 1:${features[100]![1]} 2:${features[100]![2]} 3:${features[100]![3]}\n`,
          "virginica\n",
        ],
      ];
      for (const [type, body, expected] of inputs) {
        it(`reads ${type} ${body.slice(0, 30)}…`, async () => {
          const r = await t.send("/invocations", { method: "POST", headers: { "content-type": type }, body });
          assert.equal(r.status, 200, r.text);
          assert.equal(r.text, expected);
        });
      }

      it("classifies the whole iris set mostly right", async () => {
        const r = await t.send("/invocations", csv(features.map((f) => f.join(",")).join("\n")));
        const got = r.text.trimEnd().split("\n");
        const right = got.filter((name, i) => name === IRIS_CLASSES[labels[i]!]).length;
        assert.ok(right >= 140, `${right} of 150`);
      });

      const failures: Array<[string, Parameters<Target["send"]>[1], number, RegExp]> = [
        [
          "3 columns for a 4-feature model",
          csv("5.1,3.5,1.4"),
          400,
          /expects 4 features per row, the request body has 3/,
        ],
        ["a non-numeric value", csv("5.1,abc,1.4,0.2"), 400, /line 1.*column 2/],
        ["an empty body", csv(""), 400, /holds no rows/],
        [
          "text/plain",
          csv(SETOSA, { "content-type": "text/plain" }),
          415,
          /text\/plain is not supported: send one of text\/csv/,
        ],
        ["no Content-Type", { method: "POST", body: SETOSA }, 415, /no Content-Type/],
        [
          "an unparsable Content-Type",
          csv(SETOSA, { "content-type": "comma-separated" }),
          415,
          /"comma-separated" is not a media type/,
        ],
        [
          "a bare csv with label_size=2",
          csv(SETOSA, { "content-type": "csv; label_size=2" }),
          415,
          /label_size must be 1/,
        ],
        [
          "a repeated label_size",
          csv(SETOSA, { "content-type": "text/csv; label_size=2; label_size=1" }),
          415,
          /is not a media type/,
        ],
        [
          "label_size=0",
          csv(SETOSA, { "content-type": "text/csv;label_size=0" }),
          415,
          /label_size must be 1/,
        ],
        [
          "charset latin1",
          csv(SETOSA, { "content-type": "text/csv; charset=latin1" }),
          415,
          /Charset "latin1" is not supported/,
        ],
        [
          "Accept text/libsvm",
          csv(SETOSA, { accept: "text/libsvm" }),
          406,
          /cannot be satisfied: this model answers text\/csv/,
        ],
        ["GET /invocations", { method: "GET" }, 405, /this route answers POST/],
      ];
      for (const [name, init, status, message] of failures) {
        it(`answers ${status} for ${name}, with one sentence, logged once`, async () => {
          const before = t.logs.length;
          const r = await t.send("/invocations", init);
          assert.equal(r.status, status, r.text);
          assert.match(r.text, message);
          assert.equal(r.text.trimEnd().split("\n").length, 1);
          const logged = t.logs.slice(before).filter((l) => l.includes("invocation rejected"));
          assert.equal(logged.length, status === 405 ? 0 : 1);
        });
      }

      it("answers 404 for an unknown route", async () => {
        const r = await t.send("/predict", { method: "POST" });
        assert.equal(r.status, 404);
        assert.match(r.text, /No route \/predict/);
      });

      it("answers concurrent small and large requests correctly", async () => {
        const big = Array.from({ length: 3000 }, (_, i) => csvRow(i % 150)).join("\n");
        const expectedBig = Array.from({ length: 3000 }, (_, i) => i % 150);
        const jobs = Array.from({ length: 24 }, async (_, i) => {
          if (i % 4 === 0) {
            const r = await t.send("/invocations", csv(big));
            assert.equal(r.status, 200);
            const names = r.text.trimEnd().split("\n");
            assert.equal(names.length, 3000);
            assert.equal(names[0], "setosa");
            assert.equal(
              names.filter((n, k) => n === IRIS_CLASSES[labels[expectedBig[k]!]!]).length > 2800,
              true,
            );
          } else {
            const row = [SETOSA, VERSICOLOR, VIRGINICA][i % 3]!;
            const r = await t.send("/invocations", csv(row));
            assert.equal(r.text, `${IRIS_CLASSES[i % 3]}\n`);
          }
        });
        await Promise.all(jobs);
      });
    });

    describe("configuration", () => {
      it("answers SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT when Accept is missing or */*", async () => {
        const t = await irisTarget(driver, { SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: "application/json" });
        try {
          for (const headers of [{}, { accept: "*/*" }] as Array<Record<string, string>>) {
            const r = await t.send("/invocations", csv(SETOSA, headers));
            assert.equal(r.headers["content-type"], "application/json");
            assert.equal(JSON.parse(r.text).predictions[0].predicted_label, "setosa");
          }
        } finally {
          await t.close();
        }
      });

      it("answers the keys of SAGEMAKER_INFERENCE_OUTPUT in CSV and JSON", async () => {
        const t = await irisTarget(driver, {
          SAGEMAKER_INFERENCE_OUTPUT: "predicted_label,probability,labels,predicted_score",
        });
        try {
          const j = await t.send("/invocations", csv(SETOSA, { accept: "application/json" }));
          const p = JSON.parse(j.text).predictions[0];
          assert.deepEqual(Object.keys(p), ["predicted_label", "probability", "labels", "predicted_score"]);
          assert.equal(p.predicted_label, "setosa");
          assert.deepEqual(p.labels, ["setosa", "versicolor", "virginica"]);
          assert.equal(p.predicted_score, null);
          const c = await t.send("/invocations", csv(SETOSA));
          assert.match(c.text, /^setosa,0\.\d+,"\[setosa, versicolor, virginica\]",NaN\n$/);
        } finally {
          await t.close();
        }
      });

      it("answers XGBoost's scores for a model without class names", async () => {
        const t = await irisTarget(driver, {}, false);
        try {
          const c = await t.send("/invocations", csv(SETOSA));
          assert.match(c.text, /^0\.\d+,0\.\d+,0\.\d+\n$/);
          const j = await t.send("/invocations", csv(SETOSA, { accept: "application/json" }));
          assert.equal(JSON.parse(j.text).predictions[0].score.length, 3);
        } finally {
          await t.close();
        }
      });

      it("answers 413 for a body over SAGEMAKER_MAX_PAYLOAD_IN_MB", async () => {
        const t = await irisTarget(driver, { SAGEMAKER_MAX_PAYLOAD_IN_MB: "0.01" });
        try {
          const body = `${SETOSA}\n`.repeat(1000);
          const r = await t.send("/invocations", csv(body));
          assert.equal(r.status, 413);
          assert.match(r.text, /over the limit of 10486 bytes/);
          assert.equal((await t.send("/invocations", csv(SETOSA))).status, 200);
        } finally {
          await t.close();
        }
      });

      it("answers 413 over MAX_CONTENT_LENGTH, as SageMaker's XGBoost container, and reports it in MB", async () => {
        const t = await irisTarget(driver, {
          MAX_CONTENT_LENGTH: "2097152",
          SAGEMAKER_MAX_PAYLOAD_IN_MB: "6",
        });
        try {
          const r = await t.send("/invocations", csv(`${SETOSA}\n`.repeat(150_000)));
          assert.equal(r.status, 413);
          assert.match(r.text, /over the limit of 2097152 bytes \(MAX_CONTENT_LENGTH\)/);
          assert.equal(JSON.parse((await t.send("/execution-parameters")).text).MaxPayloadInMB, 2);
          assert.equal((await t.send("/invocations", csv(SETOSA))).status, 200);
        } finally {
          await t.close();
        }
      });
    });

    describe("custom handler", () => {
      let t: Target;
      before(async () => {
        const config = readServingConfig({
          SAGEMAKER_BIND_TO_PORT: "0",
          SAGEMAKER_MODEL_SERVER_TIMEOUT: "0.2",
        });
        t = await makeTarget(driver, checkHandler(echoHandler(), "echo"), config);
        await t.start();
      });
      after(() => t.close());
      const json = (value: unknown, headers: Record<string, string> = {}) => ({
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(value),
      });

      it("passes X-Amzn-SageMaker-Custom-Attributes to the handler and returns the handler's", async () => {
        const r = await t.send(
          "/invocations",
          json({ value: 1 }, { "X-Amzn-SageMaker-Custom-Attributes": "trace=abc" }),
        );
        assert.equal(r.status, 200);
        assert.equal(r.headers["x-amzn-sagemaker-custom-attributes"], "echo=trace=abc");
        assert.equal(r.text, "[1]");
      });

      it("answers 504 with a message when the invocation is over SAGEMAKER_MODEL_SERVER_TIMEOUT", async () => {
        const r = await t.send("/invocations", json({ delayMs: 1000 }));
        assert.equal(r.status, 504);
        assert.match(r.text, /took longer than 0.2 s \(SAGEMAKER_MODEL_SERVER_TIMEOUT\)/);
      });

      it("answers 504 when a synchronous predict runs over SAGEMAKER_MODEL_SERVER_TIMEOUT", async () => {
        const r = await t.send("/invocations", json({ busyMs: 300, value: 1 }));
        assert.equal(r.status, 504);
        assert.match(r.text, /took longer than 0.2 s \(SAGEMAKER_MODEL_SERVER_TIMEOUT\)/);
        assert.equal((await t.send("/invocations", json({ value: 2 }))).text, "[2]");
      });

      it("answers 500 with the model's message when predict fails, logged once with its cause", async () => {
        const before = t.logs.length;
        const r = await t.send("/invocations", json({ value: "throw" }));
        assert.equal(r.status, 500);
        assert.equal(r.text, "Cannot predict: the echo model was asked to fail\n");
        const logged = t.logs.slice(before).filter((l) => l.includes("invocation failed"));
        assert.equal(logged.length, 1);
        assert.match(logged[0]!, /"cause":\{"name":"Error","message":"the echo model was asked to fail"/);
      });

      it("answers 400 when the handler's decode fails", async () => {
        const r = await t.send("/invocations", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{oops",
        });
        assert.equal(r.status, 400);
        assert.match(r.text, /^Cannot decode the request body as application\/json: /);
      });
    });
  });
}
