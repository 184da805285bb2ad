/** pathForKey() places an object below its directory, or refuses its key with a sentence naming it. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pathForKey } from "./key-path.js";

const DIR = "/state/training-jobs/j/algo-1/input/data/train";
const place = (rel: string) => pathForKey(DIR, { uri: `s3://b/train/${rel}`, rel }, "the channel train");

describe("pathForKey()", () => {
  it("places keys below the directory, subfolders included", () => {
    assert.equal(place("part-1.csv"), join(DIR, "part-1.csv"));
    assert.equal(place("2024/01/part-1.csv"), join(DIR, "2024/01/part-1.csv"));
    assert.equal(place("..hidden/a..b/...csv"), join(DIR, "..hidden/a..b/...csv"));
  });

  it("refuses a key that would leave it, or that names another path than itself", () => {
    const cases: Array<[string, RegExp]> = [
      ["../x", /a "\.\." segment$/],
      ["a/../../x", /a "\.\." segment$/],
      [`${"../".repeat(20)}etc/cron.d/x`, /a "\.\." segment$/],
      ["..", /a "\.\." segment$/],
      ["/etc/passwd", /an empty segment/],
      ["a//b", /an empty segment/],
      ["a/", /an empty segment/],
      ["", /an empty segment/],
      ["./a", /a "\." segment$/],
      ["a/.", /a "\." segment$/],
      ["a\0b", /a NUL character$/],
      ["..\\..\\x", /a backslash$/],
      ["a\\b", /a backslash$/],
    ];
    for (const [rel, why] of cases) {
      assert.throws(
        () => place(rel),
        (e: Error) =>
          e.message.startsWith(
            `the object s3://b/train/${rel} (relative key ${JSON.stringify(rel)}) would not stay inside the channel train: its key has `,
          ) && why.test(e.message),
        JSON.stringify(rel),
      );
    }
  });
});
