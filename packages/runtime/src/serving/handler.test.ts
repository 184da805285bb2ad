import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSagebrewError } from "../errors/index.js";
import { checkHandler, DEFAULT_ACCEPTS, DEFAULT_CONTENT_TYPES } from "./handler.js";

const load = () => ({});
const predict = () => [1];

describe("checkHandler()", () => {
  it("fills in the default media types and the name", () => {
    const h = checkHandler({ load, predict }, "./h.js");
    assert.equal(h.name, "./h.js");
    assert.deepEqual(h.contentTypes, DEFAULT_CONTENT_TYPES);
    assert.deepEqual(h.accepts, DEFAULT_ACCEPTS);
  });

  it("normalises declared media types to their essence", () => {
    const h = checkHandler(
      { load, transform: predict, contentTypes: ["Image/PNG; q=1"], accepts: ["text/plain"] },
      "x",
    );
    assert.deepEqual(h.contentTypes, ["image/png"]);
    assert.deepEqual(h.accepts, ["text/plain"]);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    [
      "a function",
      () => 1,
      /expected an object with load\(\) and predict\(\) or transform\(\), got function/,
    ],
    ["no load", { predict }, /load\(\) is missing/],
    ["neither predict nor transform", { load }, /give predict\(\) .* or transform\(\)/],
    ["transform with predict", { load, predict, transform: predict }, /transform\(\) cannot be combined/],
    ["a typo'd hook", { load, predict, predict_fn: predict }, /unknown field predict_fn/],
    ["a hook that is not a function", { load, predict: 3 }, /predict must be a function, got number/],
    [
      "a wildcard media type",
      { load, predict, accepts: ["*/*"] },
      /accepts entry "\*\/\*" is not a media type/,
    ],
    ["an empty list", { load, predict, contentTypes: [] }, /contentTypes must be a non-empty array/],
    [
      "a type the default decode cannot read",
      { load, predict, contentTypes: ["image/png"] },
      /need a decode\(\) hook/,
    ],
    [
      "a type the default encode cannot write",
      { load, predict, accepts: ["text/plain"] },
      /need an encode\(\) hook/,
    ],
  ];
  for (const [name, value, message] of bad) {
    it(`rejects ${name} at boot with one clear sentence`, () => {
      assert.throws(
        () => checkHandler(value, "./handler.js"),
        (e: unknown) =>
          isSagebrewError(e, "SB_HANDLER_INVALID") &&
          e.message.startsWith("Cannot use handler ./handler.js: ") &&
          message.test(e.message),
      );
    });
  }
});
