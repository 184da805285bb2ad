import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { afterDelay } from "./timer.js";

describe("afterDelay()", () => {
  it("waits out a delay beyond setTimeout's 24.8 days (SageMaker's 28-day MaxRuntimeInSeconds) instead of firing at once", () => {
    mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
    try {
      let fired = 0;
      afterDelay(2_419_200_000, () => fired++);
      mock.timers.tick(1);
      assert.equal(fired, 0, "a plain setTimeout of this length fires after 1 ms");
      mock.timers.tick(2 ** 31 - 1);
      assert.equal(fired, 0, "still 3.2 days to go");
      mock.timers.tick(2_419_200_000 - 2 ** 31 - 1);
      assert.equal(fired, 0);
      mock.timers.tick(1);
      assert.equal(fired, 1);
    } finally {
      mock.timers.reset();
    }
  });

  it("fires once after a short delay, and never once cancelled", () => {
    mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
    try {
      let fired = 0;
      afterDelay(2_000, () => fired++);
      const cancel = afterDelay(2_000, () => fired++);
      cancel();
      mock.timers.tick(5_000);
      assert.equal(fired, 1);
    } finally {
      mock.timers.reset();
    }
  });
});
