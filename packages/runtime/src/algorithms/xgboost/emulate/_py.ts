/**
 * The few Python semantics SageMaker's XGBoost container relies on when it reads hyperparameters
 * and writes its messages: `int()` and `float()` of a string, `eval()`/`ast.literal_eval()` of
 * a tuple or list literal, and `str()`/`repr()` of the values it prints. Pure.
 */

/** A Python value: int (bigint), float, str, bool, None, list or tuple. */
export type PyValue = bigint | PyFloat | string | boolean | null | PyValue[] | PyTuple;
export interface PyFloat {
  readonly float: number;
}
export interface PyTuple {
  readonly tuple: readonly PyValue[];
}

/** A Python exception the container would see: its class name and `str(e)`. */
export class PyException extends Error {
  constructor(
    readonly pyClass: string,
    message: string,
  ) {
    super(message);
    this.name = "PyException";
  }
}

export const isFloat = (v: PyValue): v is PyFloat =>
  typeof v === "object" && v !== null && !Array.isArray(v) && "float" in v;
export const isTuple = (v: PyValue): v is PyTuple =>
  typeof v === "object" && v !== null && !Array.isArray(v) && "tuple" in v;

// Python's int() and float() strip whitespace (str.isspace(): JavaScript's \s, and the ASCII
// separators 0x1c-0x1f, which \s lacks).
const SEPARATORS = String.fromCharCode(0x1c, 0x1d, 0x1e, 0x1f);
const WS = new RegExp(`^[\\s${SEPARATORS}]+|[\\s${SEPARATORS}]+$`, "g");
const DIGITS = "[0-9](?:_?[0-9])*";
const INT_RE = new RegExp(`^[+-]?${DIGITS}$`);
const FLOAT_RE = new RegExp(`^[+-]?(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.?)(?:[eE][+-]?${DIGITS})?$`);

/** `int(s)` of a string. @throws PyException ValueError */
export function pyInt(s: string): bigint {
  const t = s.replace(WS, "");
  if (!INT_RE.test(t))
    throw new PyException("ValueError", `invalid literal for int() with base 10: ${pyRepr(s)}`);
  return BigInt(t.replaceAll("_", ""));
}

/** `float(s)` of a string. @throws PyException ValueError */
export function pyFloat(s: string): number {
  const t = s.replace(WS, "");
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (special) {
    if (special[2]!.toLowerCase() === "nan") return Number.NaN;
    return special[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (!FLOAT_RE.test(t))
    throw new PyException("ValueError", `could not convert string to float: ${pyRepr(s)}`);
  return Number(t.replaceAll("_", ""));
}

/** `repr(x)` of a float (shortest round-trip digits, Python's exponent rules). */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Number.POSITIVE_INFINITY) return "inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, exp] = x.toExponential().split("e") as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 16) {
    const m = mantissa.includes(".") ? mantissa : mantissa;
    return `${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  const s = String(x);
  // JavaScript writes 1e21 and up, and below 1e-6, with an exponent; Python's range is narrower and
  // handled above, so `s` is plain decimal here.
  return s.includes(".") ? s : `${s}.0`;
}

/** `repr(v)`. */
export function pyRepr(v: PyValue): string {
  if (typeof v === "string") return reprStr(v);
  return pyStr(v);
}

/** `str(v)` (`format(v)`). */
export function pyStr(v: PyValue): string {
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "True" : "False";
  if (v === null) return "None";
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (isTuple(v))
    return v.tuple.length === 1 ? `(${pyRepr(v.tuple[0]!)},)` : `(${v.tuple.map(pyRepr).join(", ")})`;
  return floatRepr(v.float);
}

function reprStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** `repr()` of a JSON value as Python prints the dict `json.load` made of it. */
export function jsonRepr(v: unknown): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "string") return reprStr(v);
  if (typeof v === "number") return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : floatRepr(v);
  if (Array.isArray(v)) return `[${v.map(jsonRepr).join(", ")}]`;
  const entries = Object.entries(v as Record<string, unknown>).map(
    ([k, x]) => `${reprStr(k)}: ${jsonRepr(x)}`,
  );
  return `{${entries.join(", ")}}`;
}

/** Python's `==` for the values compared here (`x in [-1, 0, 1]`, `x in ['true', 'false']`). */
export function pyEquals(a: PyValue, b: PyValue): boolean {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) return na === nb;
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (a === null || b === null) return a === b;
  const la = Array.isArray(a) ? a : undefined;
  const lb = Array.isArray(b) ? b : undefined;
  if (la && lb) return la.length === lb.length && la.every((x, i) => pyEquals(x, lb[i]!));
  if (isTuple(a) && isTuple(b))
    return a.tuple.length === b.tuple.length && a.tuple.every((x, i) => pyEquals(x, b.tuple[i]!));
  return false;
}

/** A number for `<`, `<=` (int, float, bool), or undefined (Python raises TypeError). */
export function numeric(v: PyValue): number | undefined {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (isFloat(v)) return v.float;
  return undefined;
}

/** Iterates a value as Python's `for x in value` does. @throws PyException TypeError */
export function pyIter(v: PyValue): readonly PyValue[] {
  if (Array.isArray(v)) return v;
  if (isTuple(v)) return v.tuple;
  if (typeof v === "string") return [...v];
  const type =
    typeof v === "bigint" ? "int" : typeof v === "boolean" ? "bool" : v === null ? "NoneType" : "float";
  throw new PyException("TypeError", `'${type}' object is not iterable`);
}

// --- literals: eval() and ast.literal_eval() of what SageMaker users write ----------------------

type Token = { kind: "num" | "str" | "name" | "op"; text: string; value?: PyValue };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const number = new RegExp(
    `^(?:0[xX](?:_?[0-9a-fA-F])+|(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.?)(?:[eE][+-]?${DIGITS})?)`,
  );
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const num = /^[0-9.]/.test(ch) ? number.exec(rest) : null;
    if (num && num[0] !== ".") {
      const text = num[0];
      const clean = text.replaceAll("_", "");
      const isInt = /^0[xX]/.test(clean) || /^[0-9]+$/.test(clean);
      if (isInt && /^0[0-9]/.test(clean) && !/^0+$/.test(clean))
        throw new PyException("SyntaxError", "leading zeros in decimal integer literals are not permitted");
      tokens.push({ kind: "num", text, value: isInt ? BigInt(clean) : { float: Number(clean) } });
      i += text.length;
      continue;
    }
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      let s = "";
      while (j < src.length && src[j] !== ch) {
        if (src[j] === "\\" && j + 1 < src.length) {
          const e = src[j + 1]!;
          s += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e;
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new PyException("SyntaxError", "unterminated string literal");
      tokens.push({ kind: "str", text: src.slice(i, j + 1), value: s });
      i = j + 1;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (name) {
      tokens.push({ kind: "name", text: name[0] });
      i += name[0].length;
      continue;
    }
    tokens.push({ kind: "op", text: ch });
    i++;
  }
  return tokens;
}

/**
 * Evaluates a Python literal: numbers, strings, True/False/None, lists and tuples, unary signs.
 * `mode` decides what a bare name is: `eval` raises NameError (as `eval` would), `literal_eval`
 * raises ValueError (a malformed node).
 *
 * @throws PyException SyntaxError, NameError or ValueError as Python would; `Unsupported` for an
 *   expression Python's eval would run but this evaluator does not (arithmetic, calls).
 */
export function evalLiteral(src: string, mode: "eval" | "literal_eval"): PyValue {
  const tokens = tokenize(src.trim());
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (text: string) => {
    if (peek()?.kind === "op" && peek()!.text === text) {
      pos++;
      return true;
    }
    return false;
  };
  const never = (what: string): never => {
    throw new PyException("SyntaxError", `invalid syntax (${what})`);
  };
  const unsupported = (): never => {
    throw new PyException("Unsupported", "not a literal");
  };
  const sequence = (close: string): PyValue[] => {
    const items: PyValue[] = [];
    for (;;) {
      if (take(close)) return items;
      if (peek() === undefined)
        throw new PyException("SyntaxError", `'${close === "]" ? "[" : "("}' was never closed`);
      items.push(expr());
      if (take(",")) continue;
      if (take(close)) return items;
      if (peek() === undefined)
        throw new PyException("SyntaxError", `'${close === "]" ? "[" : "("}' was never closed`);
      never("a comma or a closing bracket was expected");
    }
  };
  const atom = (): PyValue => {
    const t = peek();
    if (!t) never("unexpected end");
    pos++;
    if (t!.kind === "num" || t!.kind === "str") return t!.value!;
    if (t!.kind === "name") {
      if (t!.text === "True") return true;
      if (t!.text === "False") return false;
      if (t!.text === "None") return null;
      if (mode === "eval") throw new PyException("NameError", `name '${t!.text}' is not defined`);
      throw new PyException("ValueError", "malformed node or string");
    }
    if (t!.text === "[") return sequence("]");
    if (t!.text === "(") {
      if (take(")")) return { tuple: [] };
      const first = expr();
      if (take(")")) return first;
      if (!take(",")) never("a comma was expected");
      return { tuple: [first, ...sequence(")")] };
    }
    if (t!.text === "-" || t!.text === "+") {
      const v = atom();
      const n = numeric(v);
      if (n === undefined || typeof v === "boolean") {
        if (mode === "literal_eval") throw new PyException("ValueError", "malformed node or string");
        throw new PyException("TypeError", `bad operand type for unary ${t!.text}`);
      }
      if (t!.text === "+") return typeof v === "boolean" ? BigInt(n) : v;
      return typeof v === "bigint" ? -v : { float: -n };
    }
    return never(`unexpected ${t!.text}`);
  };
  const expr = (): PyValue => {
    const v = atom();
    const next = peek();
    if (next?.kind === "op" && /^[-+*/%@&|^<>=.]$/.test(next.text)) {
      if (mode === "literal_eval") throw new PyException("ValueError", "malformed node or string");
      unsupported();
    }
    if (next?.kind === "op" && next.text === "(") unsupported();
    return v;
  };
  if (tokens.length === 0) throw new PyException("SyntaxError", "invalid syntax");
  const first = expr();
  if (pos === tokens.length) return first;
  if (take(",")) {
    // `1, 0` is a tuple in Python
    const items = [first];
    while (pos < tokens.length) {
      items.push(expr());
      if (!take(",")) break;
    }
    if (pos !== tokens.length) never("unexpected token");
    return { tuple: items };
  }
  return never("unexpected token");
}
