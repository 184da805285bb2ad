import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nearest } from "./suggest.js";

describe("nearest()", () => {
  const commands = ["train", "init", "build", "push", "doctor", "serve", "predict", "transform"];
  it("finds a typo's command: a letter missing, extra, wrong or two swapped", () => {
    for (const [typo, want] of [
      ["serv", "serve"],
      ["servee", "serve"],
      ["sreve", "serve"],
      ["trian", "train"],
      ["predcit", "predict"],
      ["transfrom", "transform"],
      ["Doctor", "doctor"],
    ] as const) {
      assert.equal(nearest(typo, commands), want, typo);
    }
  });
  it("takes a unique prefix as the word meant", () => {
    assert.equal(nearest("--cont", ["--content-type", "--custom-attributes", "--url"]), "--content-type");
  });
  it("suggests nothing when nothing is near, or two are equally near", () => {
    assert.equal(nearest("deploy", commands), undefined);
    assert.equal(nearest("x", commands), undefined);
    assert.equal(nearest("--ab", ["--ac", "--ad"]), undefined);
  });
});
