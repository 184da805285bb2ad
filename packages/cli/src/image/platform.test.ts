import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePlatform, platformForInstanceType } from "./platform.js";

test("platformForInstanceType() picks arm64 for Graviton families and amd64 for the rest", () => {
  const cases: [string, string][] = [
    ["ml.m5.large", "linux/amd64"],
    ["ml.c5d.2xlarge", "linux/amd64"],
    ["ml.g4dn.xlarge", "linux/amd64"],
    ["ml.g5.12xlarge", "linux/amd64"],
    ["ml.p4d.24xlarge", "linux/amd64"],
    ["ml.inf2.xlarge", "linux/amd64"],
    ["ml.m6g.large", "linux/arm64"],
    ["ml.c6gn.xlarge", "linux/arm64"],
    ["ml.c7g.4xlarge", "linux/arm64"],
    ["ml.r8gd.large", "linux/arm64"],
    ["ml.t4g.medium", "linux/arm64"],
  ];
  for (const [type, platform] of cases) assert.equal(platformForInstanceType(type), platform, type);
});

test("platformForInstanceType() rejects names that are not ml.<family>.<size>", () => {
  assert.throws(() => platformForInstanceType("m5.large"), { code: "SB_USAGE" });
});

test("parsePlatform() accepts the common spellings and rejects others", () => {
  assert.equal(parsePlatform("arm64"), "linux/arm64");
  assert.equal(parsePlatform("linux/arm64/v8"), "linux/arm64");
  assert.equal(parsePlatform("x86_64"), "linux/amd64");
  assert.throws(() => parsePlatform("windows/amd64"), { code: "SB_USAGE" });
});
