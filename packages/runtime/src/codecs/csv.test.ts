import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fc } from "../../../../test/kit/property.js";
import { isSagebrewError } from "../errors/index.js";
import { type CsvOptions, parseCsv } from "./csv.js";
import { parseCsvBefore } from "./testdata/csv-before.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("parseCsv()", () => {
  it("reads labels first and features after, as float32", () => {
    const d = parseCsv(enc("0,5.1,3.5\n1,6.25,-2e-3\n"), { source: "t.csv", label: true });
    assert.equal(d.features.rows, 2);
    assert.equal(d.features.cols, 2);
    assert.deepEqual(Array.from(d.labels!), [0, 1]);
    assert.deepEqual(Array.from(d.features.kind === "dense" ? d.features.values : []), [
      Math.fround(5.1),
      3.5,
      6.25,
      Math.fround(-0.002),
    ]);
  });

  it("keeps string labels as strings for the trainer to map", () => {
    const d = parseCsv(enc("setosa,5.1,3.5\nvirginica,6.2,2.9\n"), { source: "iris.csv", label: true });
    assert.deepEqual(d.labelStrings, ["setosa", "virginica"]);
    assert.equal(d.labels, undefined);
  });

  it("accepts CRLF, a BOM, blank lines, spaces and quotes", () => {
    const d = parseCsv(enc('\ufeff1, 2 ,"3"\r\n\r\n\n4,5,6\r\n'), { source: "t.csv" });
    assert.equal(d.features.rows, 2);
    assert.deepEqual(Array.from(d.features.kind === "dense" ? d.features.values : []), [1, 2, 3, 4, 5, 6]);
  });

  it("treats empty fields and missing tokens as NaN", () => {
    const d = parseCsv(enc("1,,nan,NA\n"), { source: "t.csv" });
    const v = d.features.kind === "dense" ? Array.from(d.features.values) : [];
    assert.equal(v[0], 1);
    assert.ok(v.slice(1).every(Number.isNaN));
  });

  it("sniffs tab, semicolon and pipe delimiters", () => {
    for (const d of ["\t", ";", "|"]) {
      const out = parseCsv(enc(`1${d}2${d}3\n`), { source: "t" });
      assert.equal(out.features.cols, 3, `delimiter ${JSON.stringify(d)}`);
    }
  });

  it("reads a weight column after the label", () => {
    const d = parseCsv(enc("1,0.5,7\n0,2,8\n"), { source: "t", label: true, weight: true });
    assert.deepEqual(Array.from(d.weights!), [0.5, 2]);
    assert.equal(d.features.cols, 1);
  });

  it("skips a declared header", () => {
    const d = parseCsv(enc("y,a,b\n1,2,3\n"), { source: "t", label: true, header: "present" });
    assert.equal(d.features.rows, 1);
  });

  const errors: Array<[string, string, RegExp, { label?: boolean }]> = [
    ["a header", "label,a,b\n1,2,3\n", /t\.csv: line 1 looks like a header \("label,a,b"\)/, { label: true }],
    ["a ragged row", "1,2,3\n1,2\n", /t\.csv line 2: expected 3 columns, got 2/, {}],
    ["a long row", "1,2\n1,2,3\n", /t\.csv line 2: expected 2 columns, got 3/, {}],
    ["a word", "1,2,3\n4,five,6\n", /t\.csv line 2 column 2: "five" is not a number/, {}],
    ["infinity", "1,Infinity\n", /line 1 column 2: "Infinity" is not a finite number/, {}],
    ["a float32 overflow", "1,1e39\n", /line 1 column 2: "1e39" is outside the float32 range/, {}],
    ["a huge number", "1,1e400\n", /line 1 column 2: "1e400" is not a finite number/, {}],
    ["a missing label", ",1\n", /line 1 column 1: label "" is missing/, { label: true }],
    [
      "mixed labels",
      "0,1\nsetosa,2\n",
      /line 2 column 1: label "setosa" is not a number, but the label on line 1 was/,
      { label: true },
    ],
    ["no feature", "1\n", /expected a label and at least one feature, got 1 column/, { label: true }],
  ];
  for (const [what, text, message, opts] of errors) {
    it(`rejects ${what} with a message naming file, line and column`, () => {
      assert.throws(
        () => parseCsv(enc(text), { source: "t.csv", ...opts }),
        (e: unknown) => isSagebrewError(e) && message.test(e.message),
      );
    });
  }

  it("parses every double the way parseFloat does, at float32 precision", () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -3e38, max: 3e38 }),
        fc.constantFrom("repr", "fixed", "exp", "prec"),
        (x, style) => {
          const s =
            style === "repr"
              ? String(x)
              : style === "fixed"
                ? x.toFixed(Math.abs(x) < 1e15 ? 8 : 0)
                : style === "exp"
                  ? x.toExponential(10)
                  : x.toPrecision(17);
          const d = parseCsv(enc(s), { source: "p" });
          const got = d.features.kind === "dense" ? d.features.values[0] : Number.NaN;
          assert.equal(
            Object.is(got, Math.fround(Number.parseFloat(s))) || got === Math.fround(Number.parseFloat(s)),
            true,
            s,
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("reads lines of plain numbers and lines needing the general path alike (property: mixed formats)", () => {
    const field = fc.oneof(
      fc
        .double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 })
        .map((x) => ({ text: String(x), x: Number(String(x)) })), // String(-0) is "0"
      fc
        .integer({ min: -100_000, max: 100_000 })
        .map((i) => ({ text: (i / 1000).toFixed(3), x: Number((i / 1000).toFixed(3)) })),
      fc.constant({ text: "", x: Number.NaN }),
      fc.constant({ text: " 1.5 ", x: 1.5 }),
      fc.constant({ text: '"2.25"', x: 2.25 }),
      fc.constant({ text: "3e2", x: 300 }),
      fc.constant({ text: "nan", x: Number.NaN }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.array(field, { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 12 }),
        fc.constantFrom("\n", "\r\n"),
        fc.boolean(),
        fc.boolean(),
        (cols, lines, eol, trailing, blank) => {
          const rows = lines.map((l) => l.slice(0, cols));
          // A first line of words would be a header; start with a number.
          rows[0]![0] = { text: "0.5", x: 0.5 };
          const text =
            rows.map((r) => r.map((f) => f.text).join(",")).join(blank ? `${eol}${eol}` : eol) +
            (trailing ? eol : "");
          const d = parseCsv(enc(text), { source: "p" });
          // A line of one empty field is blank, and blank lines are skipped.
          const kept = rows.filter((r) => r.map((f) => f.text).join(",") !== "");
          const expected = Float32Array.from(kept.flat(), (f) => Math.fround(f.x));
          assert.equal(d.features.rows, kept.length);
          assert.deepEqual(
            d.features.kind === "dense" ? d.features.values : undefined,
            expected,
            JSON.stringify(text),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("reads training rows (a label, a weight) through the same fast path, with the same values (property)", () => {
    const number = fc.oneof(
      fc.integer({ min: -100_000, max: 100_000 }).map((i) => (i / 1000).toFixed(3)),
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map(String),
      fc.constant("2.5e1"),
      fc.constant(" 4 "),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(number, fc.integer({ min: 0, max: 9 }), fc.array(number, { minLength: 3, maxLength: 3 })),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        fc.boolean(),
        (lines, weighted) => {
          const text = lines
            .map(([label, w, features]) =>
              [label, ...(weighted ? [String(w / 4)] : []), ...features].join(","),
            )
            .join("\n");
          const d = parseCsv(enc(text), { source: "p", label: true, weight: weighted });
          const f32 = (t: string) => Math.fround(Number.parseFloat(t));
          assert.deepEqual(
            d.labels,
            Float32Array.from(lines, ([label]) => f32(label)),
          );
          if (weighted)
            assert.deepEqual(
              d.weights,
              Float32Array.from(lines, ([, w]) => w / 4),
            );
          assert.deepEqual(
            d.features.kind === "dense" ? d.features.values : undefined,
            Float32Array.from(lines.flatMap(([, , features]) => features.map(f32))),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reads every input as the parser before the short-number path did: values, rows and errors (property)", () => {
    // Fields of every shape the fast and general paths tell apart: short and long digit runs,
    // leading zeros, points, signs, exponents, spaces, quotes, words, empty fields.
    const digits = (max: number) => fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: max });
    const numeric = fc
      .tuple(
        fc.constantFrom("", "", "-", "+"),
        fc.oneof(digits(4), digits(12), digits(24), fc.constantFrom("0", "00", "000000000", "1000000000")),
        fc.oneof(
          fc.constant(""),
          fc.constant("."),
          digits(24).map((d) => `.${d}`),
        ),
        fc.oneof(
          fc.constant(""),
          fc.constant(""),
          fc
            .tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "-", "+"), digits(3))
            .map((t) => t.join("")),
        ),
      )
      .map((t) => t.join(""));
    const formatted = fc
      .tuple(
        fc.double({ noNaN: true, min: -3.5e38, max: 3.5e38 }),
        fc.constantFrom("repr", "fixed", "prec", "exp"),
        fc.integer({ min: 1, max: 20 }),
      )
      .map(([x, style, k]) =>
        style === "repr"
          ? String(x)
          : style === "fixed"
            ? x.toFixed(Math.abs(x) < 1e15 ? k : 0)
            : style === "prec"
              ? x.toPrecision(k)
              : x.toExponential(k),
      );
    // Halfway between two float32s: only an exact reading rounds these as parseFloat does.
    const midpoint = fc
      .tuple(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-1, 0, 1), fc.boolean())
      .map(([x, nudge, short]) => {
        const bits = new Uint32Array(new Float32Array([x]).buffer);
        bits[0]! += 1; // the next float32 away from zero
        const mid = (x + new Float32Array(bits.buffer)[0]!) / 2;
        const text = short ? String(Math.round(mid * 2 ** 20) / 2 ** 20) : String(mid);
        return nudge === 0 ? text : Number.parseFloat(text).toPrecision(9 + nudge);
      });
    const field = fc.oneof(
      { weight: 4, arbitrary: numeric },
      { weight: 3, arbitrary: formatted },
      { weight: 2, arbitrary: midpoint },
      {
        weight: 2,
        arbitrary: fc.constantFrom("", "0", "7", "-1", "1.", ".5", "-0", "8388608.5", "16777217"),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          "",
          " 1.5",
          "2 ",
          '"3.25"',
          '"a,b"',
          "nan",
          "NA",
          "-inf",
          "abc",
          "1e400",
          "1x",
          "-",
          ".",
        ),
      },
      {
        weight: 1,
        arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789.-+eE \t\r"na,'), maxLength: 8 }),
      },
    );
    const body = fc
      .tuple(
        // Some bodies of tiny fields: as many rows as their bytes can hold.
        fc
          .boolean()
          .chain((tiny) =>
            fc.array(fc.array(tiny ? fc.constantFrom("", "", "1") : field, { minLength: 1, maxLength: 6 }), {
              minLength: 1,
              maxLength: 30,
            }),
          ),
        fc.constantFrom(",", "\t", ";", "|"),
        fc.constantFrom("\n", "\r\n"),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 6 }),
      )
      .map(([lines, delim, eol, trailing, bom, cols]) => {
        // Mostly rows of one width (a few ragged), so that most bodies parse.
        const rows = lines.map((l, i) =>
          i % 7 === 6 ? l : Array.from({ length: cols }, (_, j) => l[j % l.length]!),
        );
        return (bom ? "\ufeff" : "") + rows.map((r) => r.join(delim)).join(eol) + (trailing ? eol : "");
      });
    const raw = fc.string({ unit: fc.constantFrom(...'0123456789.-+eE, \t\r\n";|na'), maxLength: 160 });
    const options = fc.record({
      label: fc.boolean(),
      weight: fc.boolean(),
      header: fc.constantFrom<"absent" | "present">("absent", "absent", "present"),
    });
    const outcome = (parse: () => ReturnType<typeof parseCsv>) => {
      try {
        const d = parse();
        const bytes = (a: Float32Array | undefined) =>
          a && Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
        const f = d.features;
        return {
          rows: f.rows,
          cols: f.cols,
          values: bytes(f.values),
          labels: bytes(d.labels),
          labelStrings: d.labelStrings,
          weights: bytes(d.weights),
        };
      } catch (e) {
        assert.ok(isSagebrewError(e), String(e));
        return { error: `${e.code}: ${e.message}` };
      }
    };
    const same = (text: string, o: Omit<CsvOptions, "source">, repeat: number) => {
      const bytes = enc(text.repeat(repeat));
      assert.deepEqual(
        outcome(() => parseCsv(bytes, { source: "p", ...o })),
        outcome(() => parseCsvBefore(bytes, { source: "p", ...o })),
        JSON.stringify({ text, o, repeat }),
      );
    };
    fc.assert(
      fc.property(fc.oneof(body, raw), options, (text, o) => same(text, o, 1)),
      { numRuns: 3000 },
    );
    // Bodies over the small-request limit (16 KiB), read by the other path.
    fc.assert(
      fc.property(body, options, (text, o) =>
        same(text.endsWith("\n") ? text : `${text}\n`, o, Math.ceil(17_000 / (text.length + 1))),
      ),
      { numRuns: 60 },
    );
  });

  it("never throws anything but a SagebrewError on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, label) => {
        try {
          parseCsv(bytes, { source: "fuzz", label });
        } catch (e) {
          assert.ok(isSagebrewError(e), String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
