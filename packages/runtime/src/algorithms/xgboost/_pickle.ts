/**
 * Reads the model out of a Python pickle of an XGBoost `Booster` (SageMaker's XGBoost container
 * wrote `pickle.dump(booster)` before 1.3-1, and still loads such files: https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost.html), without
 * Python and without running anything: the pickle's opcodes are interpreted as data only. A
 * `GLOBAL` becomes a name, a call becomes a record of the name and its arguments; only the few
 * constructors a Booster's state needs (`bytearray`, `_codecs.encode`) are evaluated, by hand.
 * Protocols 0 to 5. Pure.
 *
 * Written by hand: the format is small, and the one library for it in JavaScript (`pickleparser`)
 * would have to be trusted not to construct anything.
 */

/** A Python class or function named by the pickle (never looked up, never called). */
interface PyGlobal {
  readonly kind: "global";
  readonly module: string;
  readonly name: string;
}

/** An object the pickle builds: its class (or factory) and arguments, and the state BUILD gives it. */
interface PyObject {
  readonly kind: "object";
  readonly cls: PyValue;
  readonly args: readonly PyValue[];
  state?: PyValue;
}

interface PyTuple {
  readonly kind: "tuple";
  readonly items: readonly PyValue[];
}

type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | Map<PyValue, PyValue>
  | PyGlobal
  | PyObject
  | PyTuple
  | typeof MARK;

const MARK = Symbol("mark");

/** The Booster found in a pickle. */
export interface PickledBooster {
  /** What `Booster.__getstate__` saved as `handle`: XGBoost's serialized booster. */
  readonly raw: Uint8Array;
  /** `best_iteration` of the pickled Python object (early stopping), when it was kept. */
  readonly bestIteration: number | undefined;
  /** Where the Booster sat: `xgboost.core.Booster`, or the sklearn wrapper that held it. */
  readonly pickledAs: string;
}

/** True when `bytes` starts like a pickle (protocol 2+ header, or a protocol 0/1 GLOBAL of a module). */
export function looksLikePickle(bytes: Uint8Array): boolean {
  if (bytes[0] === 0x80) return bytes[1] !== undefined && bytes[1] >= 2 && bytes[1] <= 5;
  if (bytes[0] !== 0x63 /* c */ && bytes[0] !== 0x28 /* ( */) return false;
  const head = latin1(bytes.subarray(0, 64));
  return /^(\(?c[A-Za-z_][\w.]*\n[A-Za-z_]\w*\n)/.test(head);
}

class PickleError extends Error {}

/**
 * Bytes as ISO-8859-1, one character per byte. Not `TextDecoder("latin1")`: the Encoding Standard
 * makes that label windows-1252 (0x80 → U+20AC), which Node does from 22 on.
 */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/**
 * Finds the XGBoost Booster in pickle bytes.
 *
 * @throws Error whose message says why not: not a pickle, a pickle of something else, or a
 *   construct a Booster's pickle never holds.
 */
export function readPickledBooster(bytes: Uint8Array): PickledBooster {
  const root = unpickle(bytes);
  const found = findBooster(root);
  if (!found) {
    throw new PickleError(`it is a Python pickle of ${describe(root)}, not of an XGBoost Booster`);
  }
  const state = found.booster.state;
  if (!(state instanceof Map)) throw new PickleError("its Booster has no saved state");
  const handle = state.get("handle");
  if (!(handle instanceof Uint8Array) || handle.length === 0) {
    throw new PickleError("its Booster holds no model (the pickled handle is empty)");
  }
  const best = state.get("best_iteration");
  return {
    raw: handle,
    bestIteration: typeof best === "number" && Number.isInteger(best) && best >= 0 ? best : undefined,
    pickledAs: found.via,
  };
}

function isBoosterClass(v: PyValue): boolean {
  return isGlobal(v) && v.module === "xgboost.core" && v.name === "Booster";
}

/** The Booster itself, or one an sklearn-style wrapper (`XGBClassifier._Booster`) holds. */
function findBooster(root: PyValue): { booster: PyObject; via: string } | undefined {
  if (isObject(root) && isBoosterClass(root.cls)) return { booster: root, via: "xgboost.core.Booster" };
  if (isObject(root) && root.state instanceof Map) {
    for (const v of root.state.values()) {
      if (isObject(v) && isBoosterClass(v.cls)) return { booster: v, via: describe(root) };
    }
  }
  return undefined;
}

function describe(v: PyValue): string {
  if (isObject(v)) return isGlobal(v.cls) ? `a ${v.cls.module}.${v.cls.name} object` : "an object";
  if (v instanceof Map) return "a dict";
  if (Array.isArray(v)) return "a list";
  if (v instanceof Uint8Array) return "bytes";
  if (v === null) return "None";
  return `a ${typeof v}`;
}

const isGlobal = (v: PyValue): v is PyGlobal =>
  typeof v === "object" &&
  v !== null &&
  !(v instanceof Map) &&
  !Array.isArray(v) &&
  (v as PyGlobal).kind === "global";
const isObject = (v: PyValue): v is PyObject =>
  typeof v === "object" &&
  v !== null &&
  !(v instanceof Map) &&
  !Array.isArray(v) &&
  (v as PyObject).kind === "object";
const isTuple = (v: PyValue): v is PyTuple =>
  typeof v === "object" &&
  v !== null &&
  !(v instanceof Map) &&
  !Array.isArray(v) &&
  (v as PyTuple).kind === "tuple";

/** Runs the pickle machine as a data reader; returns the value STOP leaves. */
function unpickle(bytes: Uint8Array): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  let pos = 0;
  const stack: PyValue[] = [];
  const memo = new Map<number, PyValue>();
  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.length) throw new PickleError(`the pickle is truncated at byte ${pos}`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => bytes[need(1)]!;
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const i32 = () => view.getInt32(need(4), true);
  const u64 = () => {
    const n = view.getBigUint64(need(8), true);
    if (n > BigInt(bytes.length)) throw new PickleError(`the pickle is truncated at byte ${pos}`);
    return Number(n);
  };
  const take = (n: number) => bytes.subarray(need(n), pos);
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new PickleError(`the pickle is truncated at byte ${pos}`);
    const s = latin1(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const text = (b: Uint8Array) => {
    try {
      return utf8.decode(b);
    } catch {
      throw new PickleError(`a string at byte ${pos - b.length} is not UTF-8`);
    }
  };
  const pop = (): PyValue => {
    if (stack.length === 0) throw new PickleError(`the pickle's stack underflows at byte ${pos}`);
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) throw new PickleError(`the pickle's stack underflows at byte ${pos}`);
    return stack[stack.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new PickleError(`the pickle has no mark at byte ${pos}`);
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const get = (key: number): PyValue => {
    if (!memo.has(key)) throw new PickleError(`the pickle refers to memo ${key}, never stored`);
    return memo.get(key)!;
  };
  const call = (callee: PyValue, args: readonly PyValue[]): PyValue => construct(callee, args);

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: // LONG1
      case 0x8b: {
        // LONG4
        const n = op === 0x8a ? u8() : u32();
        stack.push(littleEndianSigned(take(n)));
        break;
      }
      case 0x49: {
        // INT (protocol 0): "01"/"00" are True/False
        const s = line().trim();
        stack.push(s === "01" ? true : s === "00" ? false : numberOf(s));
        break;
      }
      case 0x4c: // LONG (protocol 0)
        stack.push(numberOf(line().trim().replace(/L$/, "")));
        break;
      case 0x46: // FLOAT
        stack.push(Number(line().trim()));
        break;
      case 0x47: // BINFLOAT
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(take(u64())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape)
        stack.push(rawUnicodeEscape(line()));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;
      case 0x54: // BINSTRING (Python 2 str: bytes)
        stack.push(take(u32()).slice());
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(take(u8()).slice());
        break;
      case 0x53: // STRING (protocol 0, a quoted repr)
        stack.push(pythonStringLiteral(line()));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push({ kind: "tuple", items: [] });
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const n = op - 0x84;
        const items: PyValue[] = [];
        for (let i = 0; i < n; i++) items.unshift(pop());
        stack.push({ kind: "tuple", items });
        break;
      }
      case 0x74: // TUPLE
        stack.push({ kind: "tuple", items: popMark() });
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        appendTo(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendTo(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: // DICT
        stack.push(toMap(popMark()));
        break;
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        appendTo(top(), items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(popMark());
        break;
      case 0x63: // GLOBAL
        stack.push({ kind: "global", module: line(), name: line() });
        break;
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") {
          throw new PickleError(`STACK_GLOBAL at byte ${at} names no module and attribute`);
        }
        stack.push({ kind: "global", module, name });
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callee = pop();
        stack.push(call(callee, isTuple(args) ? args.items : []));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push({ kind: "object", cls, args: isTuple(args) ? args.items : [] });
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop();
        const args = pop();
        const cls = pop();
        stack.push({ kind: "object", cls, args: isTuple(args) ? args.items : [] });
        break;
      }
      case 0x69: {
        // INST
        const cls: PyGlobal = { kind: "global", module: line(), name: line() };
        stack.push({ kind: "object", cls, args: popMark() });
        break;
      }
      case 0x6f: {
        // OBJ
        const [cls = null, ...args] = popMark();
        stack.push({ kind: "object", cls, args });
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (isObject(obj)) obj.state = mergeState(obj.state, state);
        break;
      }
      case 0x70: // PUT
        memo.set(numberOf(line().trim()), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
        stack.push(get(numberOf(line().trim())));
        break;
      case 0x68: // BINGET
        stack.push(get(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(get(u32()));
        break;
      default:
        throw new PickleError(
          `opcode 0x${op.toString(16).padStart(2, "0")} at byte ${at} is not one a Booster's pickle uses (persistent ids, extension codes and out-of-band buffers are not read)`,
        );
    }
  }
}

/** The only calls evaluated: the ones that rebuild bytes. Every other call stays a record. */
function construct(callee: PyValue, args: readonly PyValue[]): PyValue {
  if (isGlobal(callee)) {
    const name = `${callee.module}.${callee.name}`;
    if (name === "builtins.bytearray" || name === "__builtin__.bytearray" || name === "builtins.bytes") {
      const [source] = args;
      if (source === undefined) return new Uint8Array(0);
      if (source instanceof Uint8Array) return source;
      if (typeof source === "string") return latin1Bytes(source);
      if (Array.isArray(source) && source.every((b) => typeof b === "number"))
        return Uint8Array.from(source as number[]);
    }
    // Python 3's bytes under protocol 2: _codecs.encode('...', 'latin1').
    if (name === "_codecs.encode" && typeof args[0] === "string") return latin1Bytes(args[0]);
    // copy_reg._reconstructor(cls, object, state): protocol 0/1's way to make an instance.
    if (name === "copy_reg._reconstructor" || name === "copyreg._reconstructor") {
      return { kind: "object", cls: args[0] ?? null, args: [] };
    }
  }
  return { kind: "object", cls: callee, args };
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new PickleError("a byte string holds a character above U+00FF");
    out[i] = c;
  }
  return out;
}

function appendTo(target: PyValue, items: PyValue[]): void {
  if (!Array.isArray(target)) throw new PickleError("the pickle appends to something that is not a list");
  target.push(...items);
}

function setItems(target: PyValue, items: PyValue[]): void {
  if (!(target instanceof Map))
    throw new PickleError("the pickle sets items on something that is not a dict");
  for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i]!, items[i + 1]!);
}

function toMap(items: PyValue[]): Map<PyValue, PyValue> {
  const m = new Map<PyValue, PyValue>();
  setItems(m, items);
  return m;
}

/** BUILD's state: a dict, or `(dict, slots)`; merged into what an earlier BUILD gave. */
function mergeState(previous: PyValue | undefined, state: PyValue): PyValue {
  const dict = isTuple(state) ? (state.items.find((s) => s instanceof Map) ?? null) : state;
  if (previous instanceof Map && dict instanceof Map) return new Map([...previous, ...dict]);
  return dict;
}

function littleEndianSigned(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) n -= 1n << BigInt(8 * b.length);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function numberOf(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new PickleError(`${JSON.stringify(s.slice(0, 20))} is not an integer`);
  return Number(s);
}

/** Python 2's `str` repr as pickle protocol 0 writes it: `'...'` with backslash escapes, as bytes. */
function pythonStringLiteral(raw: string): Uint8Array {
  const s = raw.trim();
  const q = s[0];
  if ((q !== "'" && q !== '"') || s.at(-1) !== q || s.length < 2) {
    throw new PickleError("a protocol-0 string is not quoted");
  }
  const out: number[] = [];
  const body = s.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      out.push(c.charCodeAt(0) & 0xff);
      continue;
    }
    const e = body[++i];
    const simple: Record<string, number> = {
      n: 10,
      r: 13,
      t: 9,
      "\\": 92,
      "'": 39,
      '"': 34,
      a: 7,
      b: 8,
      f: 12,
      v: 11,
      "0": 0,
    };
    if (e === "x") {
      out.push(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e !== undefined && /[0-7]/.test(e)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out.push(Number.parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
    } else if (e !== undefined && e in simple) out.push(simple[e]!);
    else out.push(92, (e ?? "").charCodeAt(0));
  }
  return Uint8Array.from(out);
}

/** Python's raw-unicode-escape: `\uXXXX` and `\UXXXXXXXX` escapes, everything else as is. */
function rawUnicodeEscape(s: string): string {
  return s.replace(
    /\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
    (_, a: string | undefined, b: string | undefined) => String.fromCodePoint(Number.parseInt(a ?? b!, 16)),
  );
}
