/** The checksums S3 computes, against their published check values and incrementally. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fc } from "../../../../../test/kit/property.js";
import { CHECKSUM_ALGORITHMS, checksumOf, newDigest } from "./_checksums.js";

const CHECK = Buffer.from("123456789");

describe("checksums", () => {
  it("give the catalogued check values of 123456789", () => {
    const hex = (a: (typeof CHECKSUM_ALGORITHMS)[number]) =>
      Buffer.from(checksumOf(a, CHECK), "base64").toString("hex");
    assert.equal(hex("crc32"), "cbf43926");
    assert.equal(hex("crc32c"), "e3069283");
    assert.equal(hex("crc64nvme"), "ae8b14860a799888");
    assert.equal(hex("sha1"), "f7c3bc1d808e04732adf679965ccc34ca7ae3441");
    assert.equal(
      checksumOf("md5", Buffer.from("hello")),
      Buffer.from("5d41402abc4b2a76b9719d911017c592", "hex").toString("base64"),
    );
  });

  it("give the same value fed in pieces as fed whole", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat(3000), { maxLength: 8 }),
        fc.constantFrom(...CHECKSUM_ALGORITHMS),
        (bytes, cuts, algorithm) => {
          const d = newDigest(algorithm);
          let at = 0;
          for (const cut of [...cuts].sort((a, b) => a - b).concat(bytes.length)) {
            if (cut < at || cut > bytes.length) continue;
            d.update(bytes.subarray(at, cut));
            at = cut;
          }
          assert.equal(d.bytes().toString("base64"), checksumOf(algorithm, bytes));
        },
      ),
    );
  });
});
