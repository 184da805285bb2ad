/**
 * The runtime's first check, remembered for the last request that passed: a request that differs
 * from it in the endpoint name or in any header member is checked in full again.
 */
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import { RequestCheck } from "./_check.js";

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const OK = { "content-type": "text/csv", accept: "text/csv" };

describe("RequestCheck", () => {
  it("refuses after a pass whatever differs: the name, a header's value, a header added", () => {
    const check = new RequestCheck("InvokeEndpoint", { skip: ["Body"] });
    assert.equal(check.check(request(OK), "ep-1"), undefined);
    assert.equal(check.check(request(OK), "ep-1"), undefined);
    assert.match(check.check(request(OK), "ep_1")?.message ?? "", /at 'endpointName'/);
    assert.match(
      check.check(request({ ...OK, accept: "é".repeat(3) }), "ep-1")?.message ?? "",
      /at 'accept' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
    assert.match(
      check.check(request({ ...OK, "x-amzn-sagemaker-inference-id": " x" }), "ep-1")?.message ?? "",
      /at 'inferenceId'/,
    );
    assert.match(
      check.check(request({ ...OK, "x-amzn-sagemaker-custom-attributes": "a".repeat(1025) }), "ep-1")
        ?.message ?? "",
      /at 'customAttributes' failed to satisfy constraint: Member must have length less than or equal to 1024/,
    );
    // A refusal is not remembered: the passing request still passes, the refused one is still refused.
    assert.equal(check.check(request(OK), "ep-1"), undefined);
    assert.match(check.check(request(OK), "ep_1")?.message ?? "", /at 'endpointName'/);
  });

  it("checks each operation against its own members", () => {
    const stream = new RequestCheck("InvokeEndpointWithResponseStream", { skip: ["Body"] });
    assert.equal(stream.check(request(OK), "ep-1"), undefined);
    assert.match(
      stream.check(request({ ...OK, "x-amzn-sagemaker-accept": "é" }), "ep-1")?.message ?? "",
      /at 'accept'/,
    );
  });
});
