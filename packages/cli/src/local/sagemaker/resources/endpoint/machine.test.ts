import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DeployedVariant, EndpointDoc } from "../../docs.js";
import { type EndpointEvent, endpointTransition, newEndpoint } from "./machine.js";

const variants: DeployedVariant[] = [
  {
    variant: {
      VariantName: "AllTraffic",
      ModelName: "m",
      InitialInstanceCount: 1,
      InstanceType: "ml.m5.large",
    },
    model: { name: "m", ModelName: "m", ModelArn: "arn:m", CreationTime: 1 },
  },
];
const summaries = [
  {
    VariantName: "AllTraffic",
    DeployedImages: [],
    CurrentWeight: 1,
    DesiredWeight: 1,
    CurrentInstanceCount: 1,
    DesiredInstanceCount: 1,
  },
];
const created = newEndpoint({
  name: "e",
  arn: "arn:aws:sagemaker:us-east-1:123456789012:endpoint/e",
  config: "c1",
  variants,
  now: 100,
});

function after(events: EndpointEvent[], from: EndpointDoc = created): EndpointDoc | string {
  let doc = from;
  for (const [i, e] of events.entries()) {
    const t = endpointTransition(doc, e, 101 + i);
    if ("refused" in t) return t.refused;
    if ("removed" in t) return "removed";
    doc = t.doc;
  }
  return doc;
}

const doc = (r: EndpointDoc | string) => {
  assert.ok(typeof r !== "string", r as string);
  return r;
};

describe("endpointTransition()", () => {
  it("serves a rollout once every container answers, and a later update beside it", () => {
    const live = doc(after([{ type: "deployed", generation: 1, variants: summaries }]));
    assert.equal(live.EndpointStatus, "InService");
    assert.equal(live._live?.generation, 1);
    assert.equal(live._pending, undefined);
    const updating = doc(after([{ type: "update-requested", config: "c2", variants }], live));
    assert.deepEqual(
      [updating.EndpointStatus, updating._pending?.generation, updating._pending?.config],
      ["Updating", 2, "c2"],
    );
    const updated = doc(after([{ type: "deployed", generation: 2, variants: summaries }], updating));
    assert.deepEqual(
      [updated.EndpointStatus, updated.EndpointConfigName, updated._live?.generation],
      ["InService", "c2", 2],
    );
  });

  it("fails a create that cannot start, and rolls a failed update back to InService with the reason", () => {
    const failed = doc(after([{ type: "deploy-failed", generation: 1, reason: "no ping" }]));
    assert.deepEqual(
      [failed.EndpointStatus, failed.FailureReason, failed._pending],
      ["Failed", "no ping", undefined],
    );
    const rolledBack = doc(
      after([
        { type: "deployed", generation: 1, variants: summaries },
        { type: "update-requested", config: "c2", variants },
        { type: "deploy-failed", generation: 2, reason: "bad model" },
      ]),
    );
    assert.deepEqual(
      [rolledBack.EndpointStatus, rolledBack.FailureReason, rolledBack._live?.generation],
      ["InService", "bad model", 1],
    );
    // The next update clears the old reason.
    assert.equal(
      doc(after([{ type: "update-requested", config: "c3", variants }], rolledBack)).FailureReason,
      undefined,
    );
  });

  it("refuses a report about a rollout that is not the pending one, and anything but removal while deleting", () => {
    assert.match(
      String(after([{ type: "deployed", generation: 7, variants: summaries }])),
      /Cannot apply deployed to endpoint e: it is Creating/,
    );
    const deleting = doc(after([{ type: "delete-requested" }]));
    assert.equal(deleting.EndpointStatus, "Deleting");
    assert.match(
      String(after([{ type: "deployed", generation: 1, variants: summaries }], deleting)),
      /it is Deleting/,
    );
    assert.match(
      String(after([{ type: "deploy-failed", generation: 1, reason: "x" }], deleting)),
      /it is Deleting/,
    );
    assert.equal(after([{ type: "removed" }], deleting), "removed");
    assert.match(String(after([{ type: "removed" }])), /it is Creating/);
  });

  it("refuses UpdateEndpoint in SageMaker's words unless InService", () => {
    assert.equal(
      after([{ type: "update-requested", config: "c2", variants }]),
      `Cannot update in-progress endpoint "${created.EndpointArn}".`,
    );
    const failed = doc(after([{ type: "deploy-failed", generation: 1, reason: "x" }]));
    assert.equal(
      after([{ type: "update-requested", config: "c2", variants }], failed),
      `Cannot update failed endpoint "${created.EndpointArn}".`,
    );
  });

  it("fails an endpoint whose serving deployment cannot come back after a restart", () => {
    const live = doc(after([{ type: "deployed", generation: 1, variants: summaries }]));
    const failed = doc(
      after([{ type: "restart-failed", generation: 1, reason: "exited with code 1" }], live),
    );
    assert.deepEqual([failed.EndpointStatus, failed.FailureReason], ["Failed", "exited with code 1"]);
    assert.match(
      String(after([{ type: "restart-failed", generation: 3, reason: "x" }], live)),
      /it is InService/,
    );
  });
});
