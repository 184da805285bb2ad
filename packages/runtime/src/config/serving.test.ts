import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSagebrewError } from "../errors/index.js";
import { nextSafePort, portRange, readServingConfig } from "./serving.js";

describe("readServingConfig()", () => {
  it("gives the contract defaults for an empty environment", () => {
    const c = readServingConfig({}, { cpuCount: 4 });
    assert.equal(c.baseDir, "/opt/ml");
    assert.equal(c.port, 8080);
    assert.equal(c.bindAddress, undefined);
    assert.equal(c.safePortRange, undefined);
    assert.equal(c.maxPayloadBytes, 6 * 1024 * 1024);
    assert.equal(c.maxPayloadMb, 6);
    assert.equal(c.timeoutMs, 60_000);
    assert.equal(c.workers, 4);
    assert.equal(c.maxConcurrentTransforms, 4);
    assert.equal(c.defaultAccept, undefined);
    assert.equal(c.logLevel, "info");
    assert.equal(c.multiModel, false);
    assert.equal(c.batchStrategy, "MULTI_RECORD");
    assert.equal(c.inferenceOutput, undefined);
    assert.equal(c.ensemble, true);
    assert.equal(c.xgboostJs, "auto");
    assert.equal(c.xgboostPrepareAfterMs, undefined, "per model, the handler's default");
    assert.ok(Object.isFrozen(c));
  });

  it("takes an IP address to listen on, not a name", () => {
    for (const a of ["127.0.0.1", "0.0.0.0", "::1", "::", "fe80::1"])
      assert.equal(readServingConfig({ SAGEBREW_BIND_ADDRESS: a }).bindAddress, a);
    for (const bad of ["localhost", "256.0.0.1", "127.0.0", "1.2.3.4.5", "example.com"])
      assert.throws(
        () => readServingConfig({ SAGEBREW_BIND_ADDRESS: bad }),
        (e: unknown) =>
          isSagebrewError(e, "SB_ENV_INVALID") &&
          (e as Error).message ===
            `Cannot use SAGEBREW_BIND_ADDRESS=${JSON.stringify(bad)}: expected an IP address such as 127.0.0.1 or ::1`,
        bad,
      );
  });

  it("reads every variable", () => {
    const c = readServingConfig({
      SAGEMAKER_BASE_DIR: "/tmp/ml",
      SAGEMAKER_BIND_TO_PORT: "0",
      SAGEMAKER_SAFE_PORT_RANGE: "9000-9999",
      SAGEMAKER_MAX_PAYLOAD_IN_MB: "19",
      SAGEMAKER_MODEL_SERVER_TIMEOUT: "0.5",
      SAGEMAKER_MODEL_SERVER_WORKERS: "3",
      SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: "application/json",
      SAGEMAKER_CONTAINER_LOG_LEVEL: "20",
      SAGEMAKER_MULTI_MODEL: "true",
      SAGEMAKER_BATCH: "true",
      SAGEMAKER_BATCH_STRATEGY: "SingleRecord",
      SAGEMAKER_MAX_CONCURRENT_TRANSFORMS: "2",
      SAGEMAKER_INFERENCE_OUTPUT: " Predicted_Label, probabilities ,",
      SAGEMAKER_INFERENCE_ENSEMBLE: "false",
      SAGEBREW_HANDLER: "./handler.js",
      SAGEBREW_XGBOOST_JS: "Off",
    });
    assert.equal(c.baseDir, "/tmp/ml");
    assert.equal(c.port, 0);
    assert.deepEqual(c.safePortRange, { first: 9000, last: 9999 });
    assert.equal(c.maxPayloadBytes, 19 * 1024 * 1024);
    assert.equal(c.timeoutMs, 500);
    assert.equal(c.workers, 3);
    assert.equal(c.defaultAccept, "application/json");
    assert.equal(c.logLevel, "info");
    assert.equal(c.multiModel, true);
    assert.equal(c.batch, true);
    assert.equal(c.batchStrategy, "SINGLE_RECORD");
    assert.equal(c.maxConcurrentTransforms, 2);
    assert.deepEqual(c.inferenceOutput, ["predicted_label", "probabilities"]);
    assert.equal(c.ensemble, false);
    assert.equal(c.handlerModule, "./handler.js");
    assert.equal(c.xgboostJs, "off");
    assert.equal(readServingConfig({ SAGEBREW_XGBOOST_PREPARE_AFTER_MS: "0" }).xgboostPrepareAfterMs, 0);
    assert.equal(
      readServingConfig({ SAGEBREW_XGBOOST_PREPARE_AFTER_MS: "2500" }).xgboostPrepareAfterMs,
      2500,
    );
  });

  it("reads MAX_CONTENT_LENGTH (bytes), as SageMaker's XGBoost container does, over SAGEMAKER_MAX_PAYLOAD_IN_MB", () => {
    const c = readServingConfig({ MAX_CONTENT_LENGTH: "20971520", SAGEMAKER_MAX_PAYLOAD_IN_MB: "6" });
    assert.equal(c.maxPayloadBytes, 20971520);
    assert.equal(c.maxPayloadMb, 20);
    assert.equal(c.maxPayloadVariable, "MAX_CONTENT_LENGTH");
    const d = readServingConfig({ SAGEMAKER_MAX_PAYLOAD_IN_MB: "8" });
    assert.equal(d.maxPayloadBytes, 8 * 1024 * 1024);
    assert.equal(d.maxPayloadVariable, "SAGEMAKER_MAX_PAYLOAD_IN_MB");
  });

  it("answers JSON by default on a multi-model endpoint, as SageMaker's multi-model server does", () => {
    assert.equal(readServingConfig({ SAGEMAKER_MULTI_MODEL: "true" }).defaultAccept, "application/json");
    assert.equal(
      readServingConfig({ SAGEMAKER_MULTI_MODEL: "true", SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: "text/csv" })
        .defaultAccept,
      "text/csv",
    );
    assert.equal(readServingConfig({}).defaultAccept, undefined);
  });

  it("prefers SAGEMAKER_CONTAINER_LOG_LEVEL over LOG_LEVEL", () => {
    assert.equal(readServingConfig({ LOG_LEVEL: "debug" }).logLevel, "debug");
    assert.equal(
      readServingConfig({ LOG_LEVEL: "debug", SAGEMAKER_CONTAINER_LOG_LEVEL: "WARNING" }).logLevel,
      "warn",
    );
  });

  const bad: Array<[string, string]> = [
    ["SAGEMAKER_BIND_TO_PORT", "80a"],
    ["SAGEMAKER_BIND_TO_PORT", "70000"],
    ["SAGEMAKER_MAX_PAYLOAD_IN_MB", "-1"],
    ["MAX_CONTENT_LENGTH", "6MB"],
    ["MAX_CONTENT_LENGTH", "0"],
    ["SAGEMAKER_MODEL_SERVER_TIMEOUT", "soon"],
    ["SAGEMAKER_MODEL_SERVER_WORKERS", "0"],
    ["SAGEMAKER_MODEL_SERVER_WORKERS", "2.5"],
    ["SAGEMAKER_SAFE_PORT_RANGE", "9999-9000"],
    ["SAGEMAKER_MULTI_MODEL", "maybe"],
    ["SAGEMAKER_BATCH_STRATEGY", "ALL"],
    ["SAGEBREW_XGBOOST_JS", "fast"],
    ["SAGEBREW_XGBOOST_PREPARE_AFTER_MS", "-5"],
    ["SAGEBREW_XGBOOST_PREPARE_AFTER_MS", "later"],
  ];
  for (const [name, value] of bad) {
    it(`rejects ${name}=${value} naming the variable`, () => {
      assert.throws(
        () => readServingConfig({ [name]: value }),
        (e: unknown) => isSagebrewError(e, "SB_ENV_INVALID") && e.message.includes(name),
      );
    });
  }
});

describe("portRange() and nextSafePort()", () => {
  it("picks the first port, then the next one, and stops at the end", () => {
    const r = portRange("9000-9001")!;
    assert.equal(nextSafePort(r), 9000);
    assert.equal(nextSafePort(r, 9000), 9001);
    assert.throws(() => nextSafePort(r, 9001), /exhausted/);
  });
});
