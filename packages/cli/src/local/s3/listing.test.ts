/**
 * ListObjectsV2's paging, against a direct model: any keys, prefix, delimiter and page size give,
 * page after page through the continuation tokens, exactly the entries of one unbounded listing,
 * in S3's (UTF-8 byte) order.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fc } from "../../../../../test/kit/property.js";
import { compareKeys, decodeToken, encodeToken, listPage } from "./_listing.js";

/** One listing without pages: keys under the prefix, rolled up at the delimiter. */
function model(
  keys: readonly string[],
  prefix: string,
  delimiter: string,
): { keys: string[]; prefixes: string[] } {
  const out = { keys: [] as string[], prefixes: [] as string[] };
  for (const k of keys) {
    if (!k.startsWith(prefix)) continue;
    const at = delimiter ? k.indexOf(delimiter, prefix.length) : -1;
    if (at === -1) out.keys.push(k);
    else {
      const p = k.slice(0, at + delimiter.length);
      if (!out.prefixes.includes(p)) out.prefixes.push(p);
    }
  }
  return out;
}

const keyArb = fc
  .string({ unit: fc.constantFrom("a", "b", "/", "-", "é", "\u{1F600}", "\uE000"), maxLength: 6 })
  .filter((k) => k !== "");

describe("listPage", () => {
  it("orders keys by UTF-8 bytes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (a, b) => {
        assert.equal(Math.sign(compareKeys(a, b)), Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
    );
  });

  it("pages through exactly the entries of one listing", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(keyArb, { maxLength: 40 }),
        fc.constantFrom("", "a", "a/", "b"),
        fc.constantFrom("", "/", "-"),
        fc.integer({ min: 1, max: 7 }),
        (raw, prefix, delimiter, maxKeys) => {
          const sorted = [...raw].sort(compareKeys);
          const keys: string[] = [];
          const prefixes: string[] = [];
          let resume: ReturnType<typeof decodeToken>;
          for (let pages = 0; pages < 100; pages++) {
            const page = listPage(sorted, { prefix, delimiter, maxKeys, ...(resume ? { resume } : {}) });
            assert.ok(page.keys.length + page.commonPrefixes.length <= maxKeys);
            keys.push(...page.keys);
            prefixes.push(...page.commonPrefixes);
            if (!page.isTruncated) break;
            resume = decodeToken(page.nextToken!);
            assert.ok(resume);
          }
          const want = model(sorted, prefix, delimiter);
          assert.deepEqual(keys, want.keys);
          assert.deepEqual(prefixes, want.prefixes);
        },
      ),
    );
  });

  it("starts after StartAfter, and refuses tokens it did not make", () => {
    const sorted = ["a", "b", "c"];
    assert.deepEqual(listPage(sorted, { prefix: "", delimiter: "", maxKeys: 10, startAfter: "a" }).keys, [
      "b",
      "c",
    ]);
    assert.equal(decodeToken("not a token!"), undefined);
    assert.equal(decodeToken(Buffer.from("[2,1]").toString("base64")), undefined);
    assert.deepEqual(decodeToken(encodeToken({ after: "x/", prefix: true })), { after: "x/", prefix: true });
    assert.deepEqual(listPage(sorted, { prefix: "", delimiter: "", maxKeys: 0 }), {
      keys: [],
      commonPrefixes: [],
      isTruncated: false,
    });
  });
});
