/**
 * The region every AWS client gets: `--region` (or sagebrew.json), else the SDK's own chain —
 * AWS_REGION, then AWS_DEFAULT_REGION as boto3 and the AWS CLI read it (the SDK for JavaScript
 * does not), then the profile's (left to the SDK).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clientConfig } from "./_sdk.js";

describe("clientConfig()", () => {
  it("gives --region first, and leaves AWS_REGION to the SDK", () => {
    assert.deepEqual(clientConfig({ region: "eu-west-1" }, { AWS_DEFAULT_REGION: "us-east-1" }), {
      region: "eu-west-1",
    });
    assert.deepEqual(clientConfig({}, { AWS_REGION: "eu-west-2", AWS_DEFAULT_REGION: "us-east-1" }), {});
  });

  it("honours AWS_DEFAULT_REGION when AWS_REGION is unset", () => {
    assert.deepEqual(clientConfig({}, { AWS_DEFAULT_REGION: "us-east-1" }), { region: "us-east-1" });
    assert.deepEqual(clientConfig({ profile: "dev" }, { AWS_DEFAULT_REGION: "us-east-1" }), {
      region: "us-east-1",
      profile: "dev",
    });
  });

  it("leaves the region to the profile when neither variable is set", () => {
    assert.deepEqual(clientConfig({}, {}), {});
    assert.deepEqual(clientConfig({}, { AWS_DEFAULT_REGION: "" }), {});
  });
});
