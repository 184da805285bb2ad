/**
 * Bad input: a generated corpus of malformed bodies and headers is answered with 4xx and a
 * message (or 200 where the input is in fact valid), never a 5xx, a crash or a hang — in-process
 * and over a real socket, where raw bytes reach Node's HTTP parser too.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  checkHandler,
  createXGBoostHandler,
  encodeRecordioProtobuf,
  readServingConfig,
  recordioRecordBounds,
} from "@sagebrew/runtime";
import { irisMlRoot, irisRows } from "../kit/iris.js";
import { fc } from "../kit/property.js";
import { type DriverName, makeTarget, type Reply, type Target } from "../kit/serving-drivers.js";

const row = irisRows().features[0]!.join(",");
const RECORDIO = "application/x-recordio-protobuf";
const TYPES = ["text/csv", "application/json", "application/jsonlines", "text/libsvm", RECORDIO];

/** Two valid RecordIO records: a dense iris row, then a sparse one whose frame has padding. */
function validRecordio(): Uint8Array {
  const f = Float32Array.from(irisRows().features[0]!);
  const dense = encodeRecordioProtobuf({ features: { kind: "dense", rows: 1, cols: 4, values: f } });
  const sparse = encodeRecordioProtobuf({
    features: {
      kind: "csr",
      rows: 1,
      cols: 4,
      indptr: Uint32Array.from([0, 2]),
      indices: Uint32Array.from([0, 3]),
      values: f.filter((_, i) => i === 0 || i === 3),
    },
  });
  const out = new Uint8Array(dense.length + sparse.length);
  out.set(dense);
  out.set(sparse, dense.length);
  return out;
}

/** RecordIO bodies broken in the ways files and clients break them, with the status each must get. */
function recordioCorpus(): Array<[string, Uint8Array, 200 | 400]> {
  const valid = validRecordio();
  const frames = recordioRecordBounds(valid).map(([start, end]) => {
    const len = new DataView(valid.buffer, valid.byteOffset + start + 4, 4).getUint32(0, true) & 0x1fffffff;
    return { payloadEnd: start + 8 + len, end };
  });
  assert.ok(
    frames.some((fr) => fr.end > fr.payloadEnd),
    "the corpus has a padded frame",
  );
  const out: Array<[string, Uint8Array, 200 | 400]> = [];
  for (let i = 0; i < valid.length; i++) {
    // Whole frames (the last one may lack its padding, as SingleRecord batching sends it) are valid.
    const whole = i > 0 && frames.some((fr) => fr.payloadEnd <= i && i <= fr.end);
    out.push([`truncated at ${i}`, valid.slice(0, i), whole ? 200 : 400]);
  }
  const patched = (at: number, ...bytes: number[]) => {
    const b = valid.slice();
    b.set(bytes, at);
    return b;
  };
  out.push(
    ["bad magic", patched(0, 0xde, 0xad, 0xbe, 0xef), 400],
    ["magic bytes reversed", patched(0, 0xce, 0xd7, 0x23, 0x0a), 400],
    ["bad magic in record 2", patched(frames[0]!.end, 0, 0, 0, 0), 400],
    ["length over the body", patched(4, 0xff, 0xff, 0xff, 0x1f), 400],
    ["continuation flag 1 with no last part", patched(7, 0x20), 400],
    ["continuation flag 3 first", patched(7, 0x60), 400],
    ["non-zero padding", patched(valid.length - 1, 0x7f), 400],
    ["garbage protobuf", patched(8, 0xff, 0xff, 0xff, 0xff, 0xff), 400],
    ["a text body", new TextEncoder().encode(`${row}\n`), 400],
    ["trailing junk", Uint8Array.from([...valid, 1, 2, 3]), 400],
  );
  return out;
}

/** Bodies that are broken in the ways users' payloads break. */
function corpus(): Array<[string, string | Uint8Array]> {
  const valid = `${row}\n${row}\n`;
  const out: Array<[string, string | Uint8Array]> = [];
  for (let i = 0; i < valid.length; i++) out.push([`truncated at ${i}`, valid.slice(0, i)]);
  out.push(
    ["binary", new Uint8Array(Array.from({ length: 256 }, (_, i) => i))],
    ["NUL bytes", "5.1,3.5\u0000,1.4,0.2"],
    ["BOM only", "\uFEFF"],
    ["UTF-16 BOM", new Uint8Array([0xff, 0xfe, 0x35, 0x00, 0x2e, 0x00])],
    ["CRLF rows", `${row}\r\n${row}\r\n`],
    ["lone CR", `${row}\r${row}`],
    ["empty lines", `\n\n\n${row}\n\n`],
    ["only spaces", "   \n\t\n"],
    ["NaN", "NaN,NaN,NaN,NaN"],
    ["Infinity", "Infinity,1,1,1"],
    ["-Infinity", "-inf,1,1,1"],
    ["huge number", "1e39,1,1,1"],
    ["many digits", `${"9".repeat(400)},1,1,1`],
    ["3 columns", "5.1,3.5,1.4"],
    ["5 columns", "5.1,3.5,1.4,0.2,9"],
    ["ragged rows", `${row}\n1,2\n`],
    ["header row", "sepal_length,sepal_width,petal_length,petal_width\n" + row],
    ["quoted fields", `"5.1","3.5","1.4","0.2"`],
    ["unterminated quote", `"5.1,3.5,1.4,0.2`],
    ["semicolons", "5,1;3,5;1,4;0,2"],
    ["latin1 bytes", new Uint8Array([0x35, 0x2c, 0xe9, 0x2c, 0x31, 0x2c, 0x31])],
    ["JSON NaN", "[NaN, 1, 1, 1]"],
    ["JSON nested", '{"instances": [[[1, 2, 3, 4]]]}'],
    ["JSON strings", '{"instances": [["a", "b", "c", "d"]]}'],
    ["JSON deep", `${"[".repeat(5000)}${"]".repeat(5000)}`],
    [
      "JSON huge width",
      '{"instances":[{"data":{"features":{"keys":[0],"values":[1],"shape":[99999999999]}}}]}',
    ],
    ["libsvm bad token", "1 0:5.1 x:3"],
    ["libsvm descending", "1 3:1 0:2"],
    ["libsvm huge index", "1 4294967295:1"],
    ["libsvm wide", "1 0:1 1:1 2:1 3:1 4:1 5:1"],
  );
  return out;
}

function check(r: Reply, what: string): void {
  assert.ok(r.status === 200 || (r.status >= 400 && r.status < 500), `${what}: status ${r.status} ${r.text}`);
  if (r.status !== 200) assert.ok(r.text.trim().length > 10, `${what}: no message`);
}

for (const driver of ["in-process", "socket"] as DriverName[]) {
  describe(`malformed input (${driver})`, () => {
    let t: Target;
    before(async () => {
      const root = await irisMlRoot();
      const config = readServingConfig({ SAGEMAKER_BASE_DIR: root, SAGEMAKER_BIND_TO_PORT: "0" });
      t = await makeTarget(driver, checkHandler(createXGBoostHandler(), "xgboost"), config);
      await t.start();
    });
    after(() => t.close());

    it("answers every corpus body with 200 or 4xx and a message, for every content type", async () => {
      for (const [name, body] of corpus()) {
        for (const type of TYPES) {
          const r = await t.send("/invocations", { method: "POST", headers: { "content-type": type }, body });
          check(r, `${name} as ${type}`);
        }
      }
    });

    it("answers truncated, bad-magic and corrupt RecordIO-protobuf bodies with 400 and a message naming the record", async () => {
      for (const [name, body, status] of recordioCorpus()) {
        for (const accept of ["text/csv", RECORDIO]) {
          const r = await t.send("/invocations", {
            method: "POST",
            headers: { "content-type": RECORDIO, accept },
            body,
          });
          assert.equal(r.status, status, `${name}: ${r.status} ${r.text}`);
          if (status === 400) {
            assert.match(
              r.text,
              /^(Cannot decode RecordIO record \d+ at byte \d+ of request body: .{5,}|Cannot predict: the request body holds no rows)\n$/,
              name,
            );
          }
        }
      }
    });

    it("answers random corruptions of RecordIO-protobuf bodies without a 5xx", async () => {
      const valid = validRecordio();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
          fc.nat(valid.length),
          async (edits, cut) => {
            const body = valid.slice(0, Math.max(cut, 1));
            for (const [at, v] of edits) if (at < body.length) body[at] = v;
            const r = await t.send("/invocations", {
              method: "POST",
              headers: { "content-type": RECORDIO, accept: RECORDIO },
              body,
            });
            check(r, `corrupted RecordIO ${Buffer.from(body).toString("hex")}`);
          },
        ),
        { numRuns: 150 },
      );
    });

    it("answers absurd header values with 4xx and a message", async () => {
      const headers: Array<Record<string, string>> = [
        { "content-type": `text/csv; ${"a=b; ".repeat(500)}` },
        { "content-type": "x".repeat(2000) },
        { "content-type": "text/csv; charset=utf-16" },
        { "content-type": "text/csv; charset=" },
        { "content-type": "*/*" },
        { "content-type": "text/csv", accept: "x".repeat(5000) },
        { "content-type": "text/csv", accept: "text/csv;q=0" },
        { "content-type": "text/csv", accept: "text/csv;q=NaN, application/x-npy" },
        { "content-type": "text/csv", accept: Array.from({ length: 1000 }, (_, i) => `a/b${i}`).join(",") },
        { "content-type": "text/csv", "x-amzn-sagemaker-custom-attributes": "z".repeat(5000) },
      ];
      for (const h of headers) {
        const r = await t.send("/invocations", { method: "POST", headers: h, body: row });
        check(r, JSON.stringify(h).slice(0, 80));
      }
    });

    it("answers generated bodies and content types without a 5xx", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.string(), fc.uint8Array({ maxLength: 200 }), fc.json()),
          fc.oneof(fc.constantFrom(...TYPES), fc.string({ maxLength: 40 })),
          fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
          async (body, type, accept) => {
            let r: Reply;
            try {
              r = await t.send("/invocations", {
                method: "POST",
                headers: { "content-type": type, ...(accept === undefined ? {} : { accept }) },
                body,
              });
            } catch (e) {
              // Node's client refuses to send some header strings at all: nothing reached the server.
              if ((e as NodeJS.ErrnoException).code === "ERR_INVALID_CHAR") return;
              throw e;
            }
            check(r, `${JSON.stringify(type)} ${JSON.stringify(accept)}`);
          },
        ),
        { numRuns: 150 },
      );
    });

    if (driver === "socket") {
      const raw = (port: number, text: string | Buffer): Promise<number> =>
        new Promise((resolve, reject) => {
          const s = connect(port, "127.0.0.1");
          let got = "";
          const timer = setTimeout(() => {
            s.destroy();
            reject(new Error(`no answer to ${JSON.stringify(String(text).slice(0, 60))}`));
          }, 5000);
          s.on("data", (d) => {
            got += d.toString("latin1");
          });
          s.on("error", () => undefined);
          s.on("close", () => {
            clearTimeout(timer);
            resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0));
          });
          s.end(text);
        });

      it("answers raw malformed HTTP with 4xx and closes, never hangs", async () => {
        const p = t.port!;
        const cases = [
          `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: -1\r\n\r\n${row}`,
          `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 99999999999\r\n\r\n${row}`,
          `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: abc\r\n\r\n${row}`,
          `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nTransfer-Encoding: bogus\r\n\r\n${row}`,
          `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\u0001\r\nContent-Length: 3\r\nConnection: close\r\n\r\n1,2`,
          `POST /invocations HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20000)}\r\n\r\n`,
          "GARBAGE\r\n\r\n",
        ];
        for (const c of cases) {
          const status = await raw(p, c);
          assert.ok(status >= 400 && status < 500, `${JSON.stringify(c.slice(0, 90))} → ${status}`);
        }
      });
    }
  });
}
