import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { filesForHost, hostNames } from "./split.js";

describe("filesForHost()", () => {
  const files = ["part-3.csv", "part-1.csv", "sub/part-2.csv", "part-0.csv", "part-4.csv"];

  it("gives every host every file for FullyReplicated", () => {
    for (let i = 0; i < 3; i++)
      assert.deepEqual(filesForHost(files, "FullyReplicated", i, 3), [...files].sort());
  });

  it("deals the sorted files round-robin for ShardedByS3Key: each file to exactly one host", () => {
    const shards = [0, 1, 2].map((i) => filesForHost(files, "ShardedByS3Key", i, 3));
    assert.deepEqual(shards, [
      ["part-0.csv", "part-4.csv"],
      ["part-1.csv", "sub/part-2.csv"],
      ["part-3.csv"],
    ]);
    assert.deepEqual(shards.flat().sort(), [...files].sort());
  });

  it("leaves hosts without files when there are fewer files than hosts, as SageMaker does", () => {
    assert.deepEqual(filesForHost(["a.csv"], "ShardedByS3Key", 1, 2), []);
  });
});

describe("hostNames()", () => {
  it("names algo-1…N in SageMaker's sorted order", () => {
    assert.deepEqual(hostNames(3), ["algo-1", "algo-2", "algo-3"]);
    assert.equal(hostNames(11)[2], "algo-11");
  });
});
