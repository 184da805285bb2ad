import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseInputDataConfig, parseResourceConfig } from "./data-config.js";
import { decodeHyperparameters } from "./hyperparameters.js";

describe("decodeHyperparameters()", () => {
  it("decodes plain strings, JSON-encoded strings, numbers and booleans to the same strings", () => {
    const { values, reserved } = decodeHyperparameters({
      a: "5",
      b: '"reg:squarederror"',
      c: 0.25,
      d: true,
      e: "[[1,2],[3]]",
      f: '"not json',
      sagemaker_program: '"train.py"',
      sagemaker_anything: "x",
    });
    assert.deepEqual(values, {
      a: "5",
      b: "reg:squarederror",
      c: "0.25",
      d: "true",
      e: "[[1,2],[3]]",
      f: '"not json',
    });
    assert.deepEqual(reserved, { sagemaker_program: "train.py", sagemaker_anything: "x" });
  });

  it("rejects a document that is not an object", () => {
    assert.throws(() => decodeHyperparameters([1]), /expected a JSON object/);
  });
});

describe("parseInputDataConfig()", () => {
  it("reads channels with defaults and accepts the API's S3DataDistributionType spelling", () => {
    const m = parseInputDataConfig({
      train: { ContentType: "text/csv", TrainingInputMode: "Pipe", S3DataDistributionType: "ShardedByS3Key" },
      validation: {},
    });
    assert.deepEqual(m.get("train"), {
      name: "train",
      contentType: "text/csv",
      inputMode: "Pipe",
      distribution: "ShardedByS3Key",
      recordWrapper: "None",
      compression: "None",
    });
    assert.equal(m.get("validation")?.inputMode, "File");
  });

  it("names the channel and the field of a bad value", () => {
    assert.throws(
      () => parseInputDataConfig({ train: { TrainingInputMode: "Stream" } }),
      /channel train: TrainingInputMode "Stream" is not one of File, Pipe, FastFile/,
    );
    assert.throws(() => parseInputDataConfig({ "bad name": {} }), /names are 1-64 of/);
  });
});

describe("parseResourceConfig()", () => {
  it("sorts hosts and defaults to one local host", () => {
    assert.deepEqual(
      parseResourceConfig({ current_host: "algo-2", hosts: ["algo-2", "algo-10", "algo-1"] }).hosts,
      ["algo-1", "algo-10", "algo-2"],
    );
    assert.equal(parseResourceConfig(undefined).currentHost, "algo-1");
  });

  it("rejects a current host that is not among the hosts", () => {
    assert.throws(
      () => parseResourceConfig({ current_host: "algo-3", hosts: ["algo-1"] }),
      /expected current_host to be one of hosts/,
    );
  });
});
