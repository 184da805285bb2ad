import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fc } from "../../../../test/kit/property.js";
import { negotiate, parseAccept, parseContentType, parseMediaType } from "./media-type.js";

describe("parseMediaType()", () => {
  const cases: Array<[string, string | undefined, Record<string, string>]> = [
    ["text/csv", "text/csv", {}],
    ["Text/CSV; Charset=UTF-8", "text/csv", { charset: "UTF-8" }],
    ["text/csv;label_size=1", "text/csv", { label_size: "1" }],
    ["text/csv; label_size=1; charset=utf-8", "text/csv", { label_size: "1", charset: "utf-8" }],
    ['application/json; profile="a;b"', "application/json", { profile: "a;b" }],
    ["application/json;", "application/json", {}],
    ["csv", undefined, {}],
    ["text/", undefined, {}],
    ["text/csv; =1", undefined, {}],
    ["text/csv; x", undefined, {}],
    ['text/csv; a="unterminated', undefined, {}],
    ["text/csv\u0000", undefined, {}],
    ["x".repeat(2000) + "/csv", undefined, {}],
    ["text/csv; label_size=1; label_size=2", undefined, {}],
    ["text/csv; label_size=2; Label_Size=1", undefined, {}],
    ["text/csv; label_size=1=1", "text/csv", { label_size: "1=1" }],
  ];
  for (const [input, essence, params] of cases) {
    it(`reads ${JSON.stringify(input.slice(0, 40))}`, () => {
      const m = parseMediaType(input);
      assert.equal(m?.essence, essence);
      if (m) assert.deepEqual({ ...m.params }, params);
    });
  }

  it("never throws on any string", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => void parseMediaType(s)));
  });
});

describe("parseContentType()", () => {
  // aws/sagemaker-xgboost-container test/unit/test_data_utils.py (get_content_type) and
  // test_serve_utils.py (parse_content_data): what the container accepts and rejects.
  const cases: Array<[string, string | undefined, Record<string, string>?]> = [
    ["libsvm", "text/libsvm"],
    ["text/libsvm", "text/libsvm"],
    ["text/x-libsvm", "text/x-libsvm"],
    ["csv", "text/csv"],
    ["text/csv", "text/csv"],
    ["text/csv; label_size=1", "text/csv", { label_size: "1" }],
    ["text/csv;label_size = 1", "text/csv", { label_size: "1" }],
    ["text/csv; charset=utf-8", "text/csv", { charset: "utf-8" }],
    ["text/csv; label_size=1; charset=utf-8", "text/csv", { label_size: "1", charset: "utf-8" }],
    ["CSV; Label_Size=1", "text/csv", { label_size: "1" }],
    ["parquet", "application/x-parquet"],
    ["application/x-parquet", "application/x-parquet"],
    ["recordio-protobuf", "application/x-recordio-protobuf"],
    ["application/x-recordio-protobuf", "application/x-recordio-protobuf"],
    ["incorrect_format", undefined],
    ["text/csv; label_size=1; label_size=2", undefined],
    ["label_size=1; text/csv", undefined],
    ["csv; label_size", undefined],
  ];
  for (const [input, essence, params = {}] of cases) {
    it(`reads ${JSON.stringify(input)}`, () => {
      const m = parseContentType(input);
      assert.equal(m?.essence, essence);
      if (m) assert.deepEqual({ ...m.params }, params);
    });
  }
});

describe("parseAccept()", () => {
  it("orders by q, then specificity, then position, and drops q=0", () => {
    const e = parseAccept("*/*;q=0.1, application/json;q=0.5, text/*, text/csv, application/x-npy;q=0");
    assert.deepEqual(
      e.map((x) => `${x.essence};${x.q}`),
      ["text/csv;1", "text/*;1", "application/json;0.5", "*/*;0.1"],
    );
  });
  it("treats a bare * as */* and skips junk", () => {
    assert.deepEqual(
      parseAccept("*, garbage, ;;").map((x) => x.essence),
      ["*/*"],
    );
  });
});

describe("negotiate()", () => {
  const offered = ["text/csv", "application/json", "application/jsonlines"];
  const cases: Array<[string | undefined, string | undefined, string | undefined]> = [
    [undefined, undefined, "text/csv"],
    ["", undefined, "text/csv"],
    ["*/*", undefined, "text/csv"],
    ["*/*", "application/json", "application/json"],
    [undefined, "application/json", "application/json"],
    [undefined, "application/x-npy", "text/csv"],
    ["application/json", undefined, "application/json"],
    ["application/json;verbose=True", undefined, "application/json"],
    ["APPLICATION/JSONLINES", undefined, "application/jsonlines"],
    ["application/x-npy, text/csv", undefined, "text/csv"],
    ["application/json;q=0.5, text/csv", undefined, "text/csv"],
    ["application/*", undefined, "application/json"],
    ["text/libsvm", undefined, undefined],
    ["application/x-npy", undefined, undefined],
    ["text/csv;q=0", undefined, undefined],
  ];
  for (const [accept, fallback, expected] of cases) {
    it(`picks ${expected} for Accept ${JSON.stringify(accept)} (default ${fallback})`, () => {
      assert.equal(negotiate(accept, offered, fallback === undefined ? {} : { fallback }), expected);
    });
  }
  it("answers an offered type or nothing for any header", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const r = negotiate(s, offered);
        assert.ok(r === undefined || offered.includes(r));
      }),
    );
  });
});
