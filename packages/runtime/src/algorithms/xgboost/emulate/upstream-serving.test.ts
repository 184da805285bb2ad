/**
 * Upstream-derived checks of serving: SageMaker's XGBoost container's own Flask app
 * (`algorithm_mode/serve.py`, 1.5-1, 1.7-1 and 3.0-5, through Flask's test client, on XGBoost 1.7.4)
 * answered these requests to these models (testdata/upstream_serving.py, testdata/models/); the
 * emulated handler must answer them alike — status, Content-Type and body, byte for byte, except the
 * text of XGBoost's own errors, whose source line depends on the XGBoost version.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { readServingConfig } from "../../../config/serving.js";
import { createLogger } from "../../../node/logger.js";
import { checkHandler, createInferenceApp, type ModelApp } from "../../../serving/index.js";
import { createEmulatedXGBoostHandler } from "./index.js";

interface Answer {
  status: number;
  responseType: string;
  response: string;
}
interface Config {
  model: string;
  env: Record<string, string>;
  requests: Array<{
    contentType: string | null;
    accept: string | null;
    body: string;
    answers: Array<{ versions: string[]; answer: Answer }>;
  }>;
}
const expected = JSON.parse(
  readFileSync(new URL("./testdata/upstream-serving.json", import.meta.url), "utf8"),
) as { configs: Config[] };
const MODELS = fileURLToPath(new URL("./testdata/models/", import.meta.url));

const apps: ModelApp[] = [];
after(async () => {
  for (const app of apps) await app.stop?.();
});

describe("serve under SAGEBREW_EMULATE answers as SageMaker's XGBoost image", () => {
  for (const c of expected.configs) {
    it(`model ${c.model}${Object.keys(c.env).length ? ` with ${JSON.stringify(c.env)}` : ""}`, async () => {
      const config = readServingConfig({ ...c.env, SAGEMAKER_MODEL_SERVER_WORKERS: "1" }, { cpuCount: 1 });
      const handler = checkHandler(createEmulatedXGBoostHandler("1.7-1"), "xgboost");
      const app = createInferenceApp(handler, {
        config,
        logger: createLogger({ level: "silent" }),
        modelDir: `${MODELS}${c.model}`,
      });
      apps.push(app);
      await app.start();
      const mismatches: string[] = [];
      for (const r of c.requests) {
        assert.equal(r.answers.length, 1, "1.5-1, 1.7-1 and 3.0-5 answer alike");
        const want = r.answers[0]!.answer;
        // RecordIO-protobuf answers need protobuf, which the harness stubs (testdata/README.md): the
        // image's encoder also repeats earlier records in later ones, which sagebrew does not copy.
        if (want.response.includes("MagicMock")) continue;
        const headers: Record<string, string> = {};
        if (r.contentType !== null) headers["content-type"] = r.contentType;
        if (r.accept !== null) headers.accept = r.accept;
        const res = await app.handle({
          method: "POST",
          url: "/invocations",
          headers,
          body: new TextEncoder().encode(r.body),
        });
        const body = typeof res.body === "string" ? res.body : Buffer.from(res.body ?? "").toString();
        const got = {
          status: res.status,
          responseType: String(res.headers["content-type"] ?? ""),
          response: body,
        };
        // XGBoost's own error: its text names a source line of the XGBoost build.
        const xgboostError = want.response.startsWith("Unable to evaluate payload provided: [hh:mm:ss]");
        const same = xgboostError
          ? got.status === want.status &&
            got.responseType === want.responseType &&
            /^Unable to evaluate payload provided: .*Check failed/.test(got.response)
          : // Flask's own 500 page for an encoder the image lacks: the status and type, with a sentence instead
            want.response.startsWith("<!doctype html>")
            ? got.status === 500 && got.responseType === want.responseType
            : JSON.stringify(got) === JSON.stringify(want);
        if (!same)
          mismatches.push(
            `${JSON.stringify([r.contentType, r.accept, r.body])}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
          );
      }
      assert.deepEqual(mismatches, []);
    });
  }
});
