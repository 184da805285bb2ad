import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { javaPatternToRegExp } from "./pattern.js";

describe("javaPatternToRegExp()", () => {
  const cases: ReadonlyArray<readonly [string, readonly string[], readonly string[]]> = [
    ["[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", ["a", "iris-1", "a--b"], ["", "-a", "a_b", "a-", "a".repeat(64)]],
    ["^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", ["iris-1"], ["a_b"]],
    ["^(https|s3)://([^/]+)/?(.*)$", ["s3://b/k", "https://h"], ["file:///x", "s3:/b"]],
    // Java lets any punctuation be escaped; `u`-mode JavaScript does not.
    ["[\\w+=,.@\\:-]*", ["a:b=c@d"], ["a b"]],
    ["[a-zA-Z0-9\\ \\_\\.]+", ["a b_c.d"], ["a-b"]],
    // A `-` right after a class escape is literal in Java.
    ["[\\w-_]*", ["a-_b"], ["a b"]],
    // POSIX classes are ASCII in Java.
    ["\\A\\S[\\p{Print}]*\\z", ["ab c"], [" ab", "a\u00e9"]],
    ["[\\p{Alnum}\\-]+", ["ab-1"], ["a_b", "\u00e9"]],
    // Java's \s and \S are ASCII: a no-break space is not a space there.
    ["[\\S\\s]*", ["a\u00a0b\n"], []],
    ["\\S+", ["a\u00a0b"], ["a b"]],
    ["([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)", ["K\u00e9y 1"], ["a#b"]],
    // A quantified anchor (as one model writes it) only asserts the position.
    ["([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)$" + "{1,128}", ["a b"], ["a#"]],
    ["^(?!.*\\..*\\.)[a-zA-Z0-9][a-zA-Z0-9-_\\.]*$", ["a.b"], ["a.b.c"]],
  ];
  for (const [pattern, yes, no] of cases) {
    it(`matches what Java's String.matches("${pattern}") matches`, () => {
      const re = javaPatternToRegExp(pattern);
      for (const v of yes) assert.ok(re.test(v), `${JSON.stringify(v)} should match`);
      for (const v of no) assert.ok(!re.test(v), `${JSON.stringify(v)} should not match`);
    });
  }

  it("refuses what it cannot translate faithfully", () => {
    assert.throws(() => javaPatternToRegExp("[a-z&&[^b]]"), /inside a class/);
    assert.throws(() => javaPatternToRegExp("a*+"), /possessive/);
    assert.throws(() => javaPatternToRegExp("(?i)abc"), /inline flags/);
    assert.throws(() => javaPatternToRegExp("\\p{javaLowerCase}"), /no JavaScript equivalent/);
  });
});
