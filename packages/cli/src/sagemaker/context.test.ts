/**
 * How long a waiting command pauses between polls: 1 s at first (0.25 s against sagebrew local),
 * then doubling up to the flow's interval, so a job that ends in a second is seen to end then; and the interval the typed API
 * takes from SAGEBREW_POLL_SECONDS as the CLI does.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PollClock, pollIntervalSeconds } from "./context.js";

describe("PollClock", () => {
  it("pauses 1 s five times, then doubles up to the flow's interval", () => {
    const clock = new PollClock(10);
    assert.deepEqual(
      Array.from({ length: 10 }, () => clock.next()),
      [1000, 1000, 1000, 1000, 1000, 2000, 4000, 8000, 10_000, 10_000],
    );
  });

  it("against sagebrew local (quicken) pauses 0.25 s eight times first, then goes on as before", () => {
    const clock = new PollClock(10);
    assert.equal(clock.next(), 1000);
    clock.quicken();
    assert.deepEqual(
      Array.from({ length: 12 }, () => clock.next()),
      [250, 250, 250, 250, 250, 250, 250, 250, 1000, 1000, 1000, 1000],
    );
    assert.deepEqual([clock.next(), clock.next()], [2000, 4000]);
    const short = new PollClock(0.1);
    short.quicken();
    assert.equal(short.next(), 100, "never longer than the interval");
  });

  it("never pauses longer than a shorter interval (SAGEBREW_POLL_SECONDS=0.5)", () => {
    const clock = new PollClock(0.5);
    assert.deepEqual([clock.next(), clock.next()], [500, 500]);
  });
});

describe("pollIntervalSeconds()", () => {
  it("takes the option, else SAGEBREW_POLL_SECONDS, else the flow's default", () => {
    assert.equal(pollIntervalSeconds(2, 10, { SAGEBREW_POLL_SECONDS: "0.5" }), 2);
    assert.equal(pollIntervalSeconds(undefined, 10, { SAGEBREW_POLL_SECONDS: "0.5" }), 0.5);
    assert.equal(pollIntervalSeconds(undefined, 15, {}), 15);
    assert.equal(pollIntervalSeconds(undefined, 15, { SAGEBREW_POLL_SECONDS: "" }), 15);
  });

  it("refuses a SAGEBREW_POLL_SECONDS that is not seconds in (0, 600]", () => {
    for (const bad of ["0", "-1", "soon", "601"]) {
      assert.throws(() => pollIntervalSeconds(undefined, 10, { SAGEBREW_POLL_SECONDS: bad }), {
        message: `SAGEBREW_POLL_SECONDS=${bad} is not a number of seconds in (0, 600]`,
      });
    }
  });
});
