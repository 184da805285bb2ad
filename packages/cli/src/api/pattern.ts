/**
 * AWS's models write patterns as Java regular expressions, matched against the whole value
 * (`String.matches`). This turns one into a JavaScript RegExp with the same meaning for the
 * constructs the models use, and refuses the ones it cannot translate faithfully.
 */

/** Java's POSIX classes (ASCII only, as Java defines them without UNICODE_CHARACTER_CLASS), as class contents. */
const POSIX: Readonly<Record<string, string>> = {
  Lower: "a-z",
  Upper: "A-Z",
  ASCII: "\\x00-\\x7F",
  Alpha: "a-zA-Z",
  Digit: "0-9",
  Alnum: "a-zA-Z0-9",
  Punct: "!-\\/:-@\\[-`{-~",
  Graph: "!-~",
  Print: " -~",
  Blank: " \\t",
  Cntrl: "\\x00-\\x1F\\x7F",
  XDigit: "0-9a-fA-F",
  Space: " \\t\\n\\x0B\\f\\r",
};

/** Java's `\s`, `\w` and `\d` are ASCII; JavaScript's `\s` also matches Unicode spaces. */
const SHORTHAND: Readonly<Record<string, string>> = {
  s: " \\t\\n\\x0B\\f\\r",
};

/** Java's `\\S` as class contents: every code point but the six ASCII spaces. */
const NOT_SPACE = "\\0-\\x08\\x0E-\\x1F\\x21-\\u{10FFFF}";

/** Characters a `u`-mode RegExp lets (and needs) a backslash before. */
const SYNTAX = new Set("^$\\.*+?()[]{}|/".split(""));

/** Unicode properties both languages name alike (`\p{L}`, `\p{IsAlphabetic}` → `\p{Alphabetic}`). */
function unicodeProperty(name: string): string {
  const bare = name.startsWith("Is") ? name.slice(2) : name;
  if (
    /^(L[ultmo]?|M[nce]?|N[dlo]?|P[cdseifo]?|S[mcko]?|Z[slp]?|C[cfson]?|Alphabetic|White_Space)$/.test(bare)
  )
    return bare;
  throw new Error(`\\p{${name}} has no JavaScript equivalent`);
}

/**
 * The JavaScript RegExp (flag `u`) matching exactly the whole values Java's `String.matches(pattern)` matches.
 *
 * @throws Error naming the construct when the pattern uses one this translation does not handle.
 * @example javaPatternToRegExp("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}").test("iris-1") === true
 */
export function javaPatternToRegExp(pattern: string): RegExp {
  let js = "";
  let inClass = false;
  /** The last thing written inside a class was a whole class (`\w`, `\p{L}`): a `-` after it is literal. */
  let afterClassEscape = false;
  let afterAnchor = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const wasAfterClassEscape = afterClassEscape;
    const wasAfterAnchor = afterAnchor;
    afterClassEscape = false;
    afterAnchor = false;
    if (c === "\\") {
      const e = pattern[++i];
      if (e === undefined) throw new Error(`pattern ${pattern} ends with a backslash`);
      if (e === "p" || e === "P") {
        const close = pattern.indexOf("}", i);
        if (pattern[i + 1] !== "{" || close === -1) throw new Error(`pattern ${pattern}: \\${e} without {…}`);
        const name = pattern.slice(i + 2, close);
        i = close;
        const posix = POSIX[name];
        if (posix !== undefined) {
          if (inClass && e === "P") throw new Error(`pattern ${pattern}: \\P{${name}} inside a class`);
          js += inClass ? posix : `[${e === "P" ? "^" : ""}${posix}]`;
        } else js += `\\${e}{${unicodeProperty(name)}}`;
        afterClassEscape = inClass;
        continue;
      }
      if (e === "A" && !inClass) {
        js += "^";
        afterAnchor = true;
      } else if ((e === "z" || e === "Z") && !inClass) {
        js += "$";
        afterAnchor = true;
      } else if (SHORTHAND[e] !== undefined) {
        js += inClass ? SHORTHAND[e] : `[${SHORTHAND[e]}]`;
        afterClassEscape = inClass;
      } else if (e === "S") {
        js += inClass ? NOT_SPACE : `[${NOT_SPACE}]`;
        afterClassEscape = inClass;
      } else if ("dDwWbB".includes(e)) {
        js += `\\${e}`;
        afterClassEscape = inClass && "dDwW".includes(e);
      } else if (/[0-9tnrfvxuc]/.test(e)) js += `\\${e}`;
      else if (SYNTAX.has(e) || (e === "-" && inClass)) js += `\\${e}`;
      else if (/[A-Za-z]/.test(e)) throw new Error(`pattern ${pattern}: \\${e} has no JavaScript equivalent`);
      else js += e; // Java lets any other character be escaped; it stands for itself.
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      else if (c === "[") throw new Error(`pattern ${pattern}: a class inside a class (Java's union)`);
      else if (c === "&" && pattern[i + 1] === "&") throw new Error(`pattern ${pattern}: && inside a class`);
      if (c === "-" && wasAfterClassEscape) {
        js += "\\-";
        continue;
      }
      js += c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      js += c;
      if (pattern[i + 1] === "^") js += pattern[++i];
      // Java reads a `]` first in a class as a literal.
      if (pattern[i + 1] === "]") {
        js += "\\]";
        i++;
      }
      continue;
    }
    if ((c === "^" || c === "$") && !inClass) {
      js += c;
      afterAnchor = true;
      continue;
    }
    if (wasAfterAnchor && (c === "{" || c === "*" || c === "+" || c === "?")) {
      // A quantified anchor (`(…)${1,128}` in a model) still only asserts the position.
      if (c === "{") i = pattern.indexOf("}", i);
      afterAnchor = true;
      continue;
    }
    if ((c === "+" || c === "?" || c === "*" || c === "}") && pattern[i + 1] === "+") {
      throw new Error(`pattern ${pattern}: possessive quantifiers have no JavaScript equivalent`);
    }
    if (c === "(" && pattern[i + 1] === "?" && !/[:=!<]/.test(pattern[i + 2] ?? "")) {
      throw new Error(`pattern ${pattern}: inline flags have no JavaScript equivalent`);
    }
    js += c;
  }
  if (inClass) throw new Error(`pattern ${pattern}: unclosed [`);
  return new RegExp(`^(?:${js})$`, "u");
}
