import assert from "node:assert/strict";
import { test } from "node:test";
import { nodeFinding } from "./_versions.js";
import { MIN_NODE_MAJOR, NODE_RELEASES, nodeSupport } from "./node-releases.js";

const day = (d: string) => new Date(`${d}T12:00:00Z`);

test("nodeSupport() follows the release table: 20 is past its end of life, 22/24/26 are supported until theirs", () => {
  assert.equal(nodeSupport("v20.20.2", day("2026-12-07")).status, "eol");
  assert.match(
    nodeSupport("v20.20.2", day("2026-12-07")).message,
    /end of life on 2026-04-30.*supports 22, 24, 26/,
  );
  for (const v of ["v22.23.5", "24.22.3", "v26.12.1"])
    assert.equal(nodeSupport(v, day("2026-12-07")).status, "supported");
  assert.equal(nodeSupport("v22.23.5", day("2027-04-30")).status, "supported");
  assert.equal(nodeSupport("v22.23.5", day("2027-05-01")).status, "eol");
  assert.equal(nodeSupport("v16.20.0", day("2026-12-07")).status, "old");
  assert.equal(nodeSupport("v27.0.0", day("2026-12-07")).status, "unknown");
});

test("the table is sorted, one row per LTS line, each ending in April, 30 months after its LTS start", () => {
  const majors = NODE_RELEASES.map((r) => r.major);
  assert.deepEqual(
    majors,
    [...majors].sort((a, b) => a - b),
  );
  assert.ok(majors.includes(MIN_NODE_MAJOR));
  for (const r of NODE_RELEASES) {
    assert.ok(r.lts < r.eol, `${r.major}`);
    assert.equal(
      Number(r.eol.slice(0, 4)) - Number(r.lts.slice(0, 4)),
      3,
      `${r.major}: LTS lines live until April three years on`,
    );
  }
});

test("nodeFinding() warns on an end-of-life Node with a fix, passes a supported one", () => {
  const old = nodeFinding("v20.20.2", "this machine", day("2026-12-07"));
  assert.equal(old.status, "warn");
  assert.match(old.fix ?? "", /22, 24 or 26/);
  assert.equal(nodeFinding("v26.12.1", "the image", day("2026-12-07")).status, "pass");
  assert.match(nodeFinding("v20.1.0", "the image", day("2026-12-07")).fix ?? "", /sagebrew build/);
});
