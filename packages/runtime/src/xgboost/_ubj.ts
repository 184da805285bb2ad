/**
 * Reads Universal Binary JSON (https://ubjson.org), the format libxgboost saves models in
 * (`XGBoosterSaveModelToBuffer` with `{"format":"ubj"}`), into plain values, except that a
 * strongly typed array (`[$d#…`, which XGBoost writes for every per-node array) becomes one typed
 * array read straight from the bytes: a 500-tree model is a few dozen typed arrays, not a million
 * JavaScript numbers, and no text is built or parsed (a JSON save and `JSON.parse` of the same
 * model took about 8× the time and most of a start-up's memory).
 *
 * Bounds, nesting and counts are checked; anything malformed throws a `TypeError` naming the
 * offset, and the caller treats the model as one it cannot walk.
 */

/** A decoded value: typed arrays where the source was a strongly typed numeric array. */
export type UbjValue =
  | null
  | boolean
  | number
  | string
  | UbjValue[]
  | { [key: string]: UbjValue }
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint8Array
  | Int8Array
  | Int16Array;

const MAX_DEPTH = 64;
const text = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes one UBJ value that fills `bytes`.
 *
 * @throws TypeError on truncated or malformed input, or trailing bytes.
 * @example readUbj(booster.save("ubj")) // { learner: { gradient_booster: … } }
 */
export function readUbj(bytes: Uint8Array, options: { skip?: ReadonlySet<string> } = {}): UbjValue {
  const r = new Reader(bytes, options.skip);
  const v = r.value(r.marker(), 0);
  if (r.pos !== bytes.length) throw r.fail("trailing bytes after the value");
  return v;
}

class Reader {
  pos = 0;
  readonly #view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly skip: ReadonlySet<string> | undefined,
  ) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(what: string): TypeError {
    return new TypeError(`Cannot read UBJ at byte ${this.pos}: ${what}`);
  }

  #need(n: number): number {
    const at = this.pos;
    if (n < 0 || at + n > this.bytes.length)
      throw this.fail(`${n} bytes needed, ${this.bytes.length - at} left`);
    this.pos = at + n;
    return at;
  }

  marker(): number {
    let m: number;
    do m = this.bytes[this.#need(1)]!;
    while (m === 0x4e); // N: no-op
    return m;
  }

  /** An integer of type `m` (i U I l L), as a safe JavaScript number. */
  int(m: number): number {
    const v = this.#view;
    switch (m) {
      case 0x69: // i
        return v.getInt8(this.#need(1));
      case 0x55: // U
        return v.getUint8(this.#need(1));
      case 0x49: // I
        return v.getInt16(this.#need(2));
      case 0x6c: // l
        return v.getInt32(this.#need(4));
      case 0x4c: {
        // L
        const n = v.getBigInt64(this.#need(8));
        if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER))
          throw this.fail("an int64 beyond 2^53");
        return Number(n);
      }
      default:
        throw this.fail(`expected an integer marker, got 0x${m.toString(16)}`);
    }
  }

  #length(): number {
    const n = this.int(this.marker());
    if (n < 0) throw this.fail(`negative length ${n}`);
    return n;
  }

  #string(): string {
    const n = this.#length();
    const at = this.#need(n);
    try {
      return text.decode(this.bytes.subarray(at, at + n));
    } catch {
      throw this.fail("a string that is not UTF-8");
    }
  }

  value(m: number, depth: number): UbjValue {
    if (depth > MAX_DEPTH) throw this.fail(`nesting deeper than ${MAX_DEPTH}`);
    switch (m) {
      case 0x5a: // Z
        return null;
      case 0x54: // T
        return true;
      case 0x46: // F
        return false;
      case 0x64: // d
        return this.#view.getFloat32(this.#need(4));
      case 0x44: // D
        return this.#view.getFloat64(this.#need(8));
      case 0x43: // C
        return String.fromCharCode(this.bytes[this.#need(1)]!);
      case 0x53: // S
        return this.#string();
      case 0x48: // H: high-precision number, as a decimal string
        return Number(this.#string());
      case 0x5b: // [
        return this.#array(depth);
      case 0x7b: // {
        return this.#object(depth);
      default:
        return this.int(m);
    }
  }

  /** `$type` and `#count` after a container's opening marker, as UBJ allows. */
  #header(): { type: number | undefined; count: number | undefined } {
    let type: number | undefined;
    let count: number | undefined;
    const m = this.bytes[this.pos];
    if (m === 0x24) {
      this.pos++;
      type = this.marker();
      if (this.marker() !== 0x23) throw this.fail("a typed container without a count");
      count = this.#length();
    } else if (m === 0x23) {
      this.pos++;
      count = this.#length();
    }
    return { type, count };
  }

  #array(depth: number): UbjValue {
    const { type, count } = this.#header();
    if (type !== undefined && count !== undefined) {
      const typed = this.#typed(type, count);
      if (typed) return typed;
    }
    const out: UbjValue[] = [];
    if (count !== undefined) {
      // Every element takes at least one byte (a marker or, typed, a value).
      if (count > this.bytes.length - this.pos) throw this.fail(`${count} elements in too few bytes`);
      for (let i = 0; i < count; i++) out.push(this.value(type ?? this.marker(), depth + 1));
      return out;
    }
    for (;;) {
      const m = this.marker();
      if (m === 0x5d) return out; // ]
      out.push(this.value(m, depth + 1));
    }
  }

  /** Steps over a strongly typed numeric array (after its `[`); false, with nothing read, when it is not one. */
  #skipTyped(): boolean {
    const at = this.pos;
    if (this.bytes[at] !== 0x24) return false;
    const size = { 100: 4, 68: 8, 108: 4, 85: 1, 105: 1, 73: 2, 76: 8 }[this.bytes[at + 1]!];
    if (size === undefined || this.bytes[at + 2] !== 0x23) return false;
    this.pos = at + 3;
    const count = this.#length();
    this.#need(count * size);
    return true;
  }

  /** A strongly typed numeric array read in one pass (big-endian, as UBJ stores numbers). */
  #typed(type: number, count: number): UbjValue | undefined {
    const size = { 100: 4, 68: 8, 108: 4, 85: 1, 105: 1, 73: 2 }[type];
    if (size === undefined) return undefined;
    const at = this.#need(count * size);
    const v = this.#view;
    switch (type) {
      case 0x55:
        return this.bytes.slice(at, at + count);
      case 0x69:
        return new Int8Array(this.bytes.buffer, this.bytes.byteOffset + at, count).slice();
      case 0x64: {
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++) out[i] = v.getFloat32(at + 4 * i);
        return out;
      }
      case 0x44: {
        const out = new Float64Array(count);
        for (let i = 0; i < count; i++) out[i] = v.getFloat64(at + 8 * i);
        return out;
      }
      case 0x6c: {
        const out = new Int32Array(count);
        for (let i = 0; i < count; i++) out[i] = v.getInt32(at + 4 * i);
        return out;
      }
      default: {
        const out = new Int16Array(count);
        for (let i = 0; i < count; i++) out[i] = v.getInt16(at + 2 * i);
        return out;
      }
    }
  }

  #object(depth: number): UbjValue {
    const { type, count } = this.#header();
    const out: { [key: string]: UbjValue } = Object.create(null);
    const entry = () => {
      const key = this.#string();
      const m = type ?? this.marker();
      if (this.skip?.has(key)) {
        // Not kept: a typed array's bytes are stepped over, anything else read and dropped.
        if (m !== 0x5b || !this.#skipTyped()) this.value(m, depth + 1);
      } else out[key] = this.value(m, depth + 1);
    };
    if (count !== undefined) {
      if (count > this.bytes.length - this.pos) throw this.fail(`${count} entries in too few bytes`);
      for (let i = 0; i < count; i++) entry();
      return out;
    }
    for (;;) {
      if (this.bytes[this.pos] === 0x7d) {
        this.pos++;
        return out;
      }
      if (this.pos >= this.bytes.length) throw this.fail("an object without its closing }");
      entry();
    }
  }
}
