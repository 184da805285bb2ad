/**
 * The aws-chunked decoder: the framings current SDKs send (unsigned with a trailing checksum,
 * SigV4-signed with and without trailers) decode to the object's bytes and trailers however the
 * raw bytes are split; broken framings fail with a sentence; arbitrary bytes never do anything else.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fc } from "../../../../../test/kit/property.js";
import { AwsChunkedDecoder, ChunkedError } from "./_chunked.js";

/** Encodes `body` as a client would: chunks of `sizes` (repeated), a final chunk, trailers. */
function encode(
  body: Buffer,
  chunk: number,
  options: { signed?: boolean; trailers?: [string, string][] } = {},
): Buffer {
  const sig = options.signed ? `;chunk-signature=${"ab".repeat(32)}` : "";
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunk) {
    const piece = body.subarray(i, i + chunk);
    parts.push(Buffer.from(`${piece.length.toString(16)}${sig}\r\n`), piece, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from(`0${sig}\r\n`));
  for (const [k, v] of options.trailers ?? []) parts.push(Buffer.from(`${k}:${v}\r\n`));
  parts.push(Buffer.from("\r\n"));
  return Buffer.concat(parts);
}

function decodeSplit(raw: Buffer, cuts: number[]): { body: Buffer; decoder: AwsChunkedDecoder } {
  const decoder = new AwsChunkedDecoder();
  const out: Uint8Array[] = [];
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < raw.length)]
    .sort((a, b) => a - b)
    .concat(raw.length)) {
    out.push(...decoder.push(raw.subarray(at, cut)));
    at = cut;
  }
  decoder.end();
  return { body: Buffer.concat(out), decoder };
}

describe("AwsChunkedDecoder", () => {
  it("decodes STREAMING-UNSIGNED-PAYLOAD-TRAILER as the SDKs send it", () => {
    const raw = Buffer.from("5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");
    const { body, decoder } = decodeSplit(raw, []);
    assert.equal(body.toString(), "hello world");
    assert.equal(decoder.trailers.get("x-amz-checksum-crc32"), "DUoRhQ==");
  });

  it("decodes STREAMING-AWS4-HMAC-SHA256-PAYLOAD (signatures skipped) and its -TRAILER form", () => {
    const body = Buffer.from("signed body");
    assert.equal(decodeSplit(encode(body, 4, { signed: true }), []).body.toString(), "signed body");
    const t = decodeSplit(
      encode(body, 100, {
        signed: true,
        trailers: [
          ["x-amz-checksum-sha256", "x"],
          ["x-amz-trailer-signature", "ff"],
        ],
      }),
      [],
    );
    assert.equal(t.body.toString(), "signed body");
    assert.equal(t.decoder.trailers.get("x-amz-checksum-sha256"), "x");
  });

  it("round-trips any body, chunking and split of the raw bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.boolean(),
        fc.array(fc.nat(4000), { maxLength: 20 }),
        (bytes, chunk, signed, cuts) => {
          const body = Buffer.from(bytes);
          const raw = encode(body, chunk, { signed, trailers: [["x-amz-checksum-crc32c", "AAAAAA=="]] });
          const { body: out, decoder } = decodeSplit(raw, cuts);
          assert.deepEqual(out, body);
          assert.equal(decoder.trailers.get("x-amz-checksum-crc32c"), "AAAAAA==");
        },
      ),
    );
  });

  const broken: [string, string, RegExp][] = [
    ["a size that is not hex", "zz\r\nhello\r\n0\r\n\r\n", /hexadecimal size/],
    ["data longer than its size", "2\r\nhello\r\n0\r\n\r\n", /not followed by CRLF/],
    ["an unknown extension", "5;foo=bar\r\nhello\r\n0\r\n\r\n", /extension other than chunk-signature/],
    ["a trailer without a colon", "0\r\nnot-a-trailer\r\n\r\n", /not name:value/],
    ["bytes after the end", "0\r\n\r\nextra", /follow the end/],
  ];
  for (const [what, raw, message] of broken) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => decodeSplit(Buffer.from(raw), []),
        (e: unknown) => e instanceof ChunkedError && message.test(e.message),
      );
    });
  }

  it("says a body that ends inside its framing is incomplete", () => {
    for (const raw of ["5\r\nhel", "5\r\nhello\r\n", "0\r\nx-amz-checksum-crc32:x\r\n", ""]) {
      assert.throws(
        () => decodeSplit(Buffer.from(raw), []),
        (e: unknown) => e instanceof ChunkedError && e.incomplete,
        raw,
      );
    }
  });

  it("answers any bytes with output or a ChunkedError, holding at most a line in memory", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 64 }),
            fc.constantFrom(
              ...["\r\n", "0", "a", ";chunk-signature=", ":", "5\r\n"].map((s) =>
                Uint8Array.from(Buffer.from(s)),
              ),
            ),
          ),
          { maxLength: 60 },
        ),
        (pieces) => {
          const d = new AwsChunkedDecoder();
          try {
            for (const p of pieces) d.push(p);
            d.end();
          } catch (e) {
            assert.ok(e instanceof ChunkedError, String(e));
          }
        },
      ),
    );
    const d = new AwsChunkedDecoder();
    assert.throws(() => d.push(Buffer.alloc(10_000, 0x41)), /longer than 4096 bytes/);
  });
});
