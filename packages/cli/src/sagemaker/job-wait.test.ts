/**
 * waitForJob() once the job has ended: on a service whose logs lag behind the status (SageMaker's
 * CloudWatch) the lines that arrive after it are still read; on one that has every line when it
 * says the job ended (`sagebrew local`) the logs are read once, with no wait for late ones.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LogLine } from "./context.js";
import { waitForJob } from "./job-wait.js";
import type { LogTail } from "./log-tail.js";

/** A tail whose polls hand out `batches` in turn, then nothing; counts its polls. */
function scriptedTail(batches: readonly string[][]): { tail: LogTail; polls: () => number } {
  let polls = 0;
  const tail = {
    poll: async (): Promise<LogLine[]> => {
      const batch = batches[polls++] ?? [];
      return batch.map((message, i) => ({ source: "algo-1", stream: "j/algo-1", timestamp: i, message }));
    },
  } as unknown as LogTail;
  return { tail, polls: () => polls };
}

async function wait(sagebrewLocal: boolean | undefined, batches: readonly string[][]) {
  const { tail, polls } = scriptedTail(batches);
  const shown: string[] = [];
  const waited = await waitForJob({
    what: "training job",
    name: "j",
    describe: async () => ({ status: "Completed" }),
    logs: { tail },
    ...(sagebrewLocal !== undefined ? { sagebrewLocal: async () => sagebrewLocal } : {}),
    deadline: Date.now() + 60_000,
    pollSeconds: 0.01,
    reporter: { info: () => undefined, log: (l) => shown.push(l.message) },
  });
  return { waited, shown, polls: polls() };
}

test("lines that reach the logs after the job ended are read while they keep coming (SageMaker)", async () => {
  for (const sagebrewLocal of [false, undefined]) {
    const { waited, shown, polls } = await wait(sagebrewLocal, [["a"], ["b", "c"], ["d"]]);
    assert.equal(waited.end, "ended");
    assert.deepEqual(shown, ["a", "b", "c", "d"]);
    assert.equal(polls, 4, "read until a poll brings nothing");
  }
});

test("a service with every line at the end (sagebrew local) is read once after the job ended", async () => {
  const { waited, shown, polls } = await wait(true, [["a", "b"], ["late"]]);
  assert.equal(waited.end, "ended");
  assert.deepEqual(shown, ["a", "b"]);
  assert.equal(polls, 1);
  assert.deepEqual(
    waited.lastLines.map((l) => l.message),
    ["a", "b"],
  );
});

test("whether the service is sagebrew local is asked once, after the first poll", async () => {
  const { tail } = scriptedTail([]);
  const statuses = ["InProgress", "InProgress", "Completed"];
  let asked = 0;
  let describes = 0;
  const waited = await waitForJob({
    what: "training job",
    name: "j",
    describe: async () => ({ status: statuses[Math.min(describes++, statuses.length - 1)]! }),
    logs: { tail },
    sagebrewLocal: async () => {
      asked++;
      assert.equal(describes, 1, "asked after the first poll, which tells");
      return true;
    },
    deadline: Date.now() + 60_000,
    pollSeconds: 0.01,
    reporter: { info: () => undefined },
  });
  assert.equal(waited.end, "ended");
  assert.equal(describes, 3);
  assert.equal(asked, 1);
});
