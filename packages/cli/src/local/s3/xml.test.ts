/**
 * Request XML (parsed by @xmldom/xmldom, strictly) and the addresses of requests: well-formed
 * documents come back as trees with their text as written (entities, CDATA, `\r` as a reference);
 * anything else — truncated, a DOCTYPE, entity bombs, random bytes — is MalformedXML, never a crash.
 * Keys are taken as written: `..`, `//` and percent-encoded bytes are parts of a key.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fc } from "../../../../../test/kit/property.js";
import { addressOf, virtualHostBucket } from "./_address.js";
import { S3Error } from "./_errors.js";
import { childrenNamed, childText, escapeXml, parseXml, xmlDocument } from "./_xml.js";

describe("parseXml", () => {
  it("reads DeleteObjects as boto3 and the JS SDK write it", () => {
    const doc = parseXml(
      '<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a &amp; b&#13;</Key></Object><Object><Key><![CDATA[<c>]]></Key></Object><Quiet>true</Quiet></Delete>',
    );
    assert.equal(doc.name, "Delete");
    assert.deepEqual(
      childrenNamed(doc, "Object").map((o) => childText(o, "Key")),
      ["a & b\r", "<c>"],
    );
    assert.equal(childText(doc, "Quiet"), "true");
  });

  const malformed = [
    "",
    "<Delete>",
    "<Delete><Object></Delete>",
    "<a/><b/>",
    '<!DOCTYPE d [<!ENTITY x "xxxxxxxx"><!ENTITY y "&x;&x;&x;&x;">]><Delete>&y;</Delete>',
    '<!DOCTYPE d SYSTEM "file:///etc/passwd"><Delete/>',
    "<Delete>&unknown;</Delete>",
    "not xml",
  ];
  for (const text of malformed) {
    it(`refuses ${JSON.stringify(text.slice(0, 40))} as MalformedXML`, () => {
      assert.throws(
        () => parseXml(text),
        (e: unknown) => e instanceof S3Error && e.code === "MalformedXML" && e.status === 400,
      );
    });
  }

  it("answers any text with a tree or MalformedXML", () => {
    const pieces = fc.constantFrom(
      "<",
      ">",
      "/",
      "Delete",
      "Key",
      "Object",
      "&amp;",
      "&",
      "<![CDATA[",
      "]]>",
      '"',
      "=",
      " ",
      "<?xml",
      "?>",
      "<!--",
      "-->",
      "x",
      "\u0000",
      "é",
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string({ maxLength: 4 })), { maxLength: 40 }), (parts) => {
        try {
          parseXml(parts.join(""));
        } catch (e) {
          assert.ok(e instanceof S3Error && e.code === "MalformedXML", String(e));
        }
      }),
    );
  });

  it("round-trips any key through xmlDocument and parseXml", () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.oneof(
            fc.constantFrom("&", "<", ">", '"', "'", "\r", "\n", "\t", "/", "."),
            fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
          ),
        }),
        (key) => {
          const doc = parseXml(xmlDocument("Delete", undefined, [["Object", [["Key", key]]]]));
          assert.equal(childText(childrenNamed(doc, "Object")[0]!, "Key"), key);
        },
      ),
    );
    assert.equal(escapeXml("a\rb"), "a&#xD;b");
  });
});

describe("addressOf", () => {
  const cases: [string, string, { bucket?: string; key?: string }][] = [
    ["/", "127.0.0.1:8081", {}],
    ["/bkt", "127.0.0.1:8081", { bucket: "bkt" }],
    ["/bkt/", "localhost:1", { bucket: "bkt" }],
    ["/bkt/a/../../x", "127.0.0.1", { bucket: "bkt", key: "a/../../x" }],
    ["/bkt/a//b/./c", "127.0.0.1", { bucket: "bkt", key: "a//b/./c" }],
    ["/bkt/%2e%2e/%00nul%20sp", "127.0.0.1", { bucket: "bkt", key: "../\u0000nul sp" }],
    ["/k/ey?uploads", "my-bucket.localhost:8081", { bucket: "my-bucket", key: "k/ey" }],
    ["/", "my.bucket.localhost", { bucket: "my.bucket" }],
    ["/b1/k", "s3.localhost:8081", { bucket: "b1", key: "k" }],
  ];
  for (const [url, host, want] of cases) {
    it(`reads ${host} ${url}`, () => {
      const a = addressOf(url, host);
      assert.equal(a.bucket, want.bucket);
      assert.equal(a.key, want.key);
    });
  }

  it("refuses a path that is not percent-encoded UTF-8", () => {
    assert.throws(
      () => addressOf("/bkt/%ff%fe", "127.0.0.1"),
      (e: unknown) => e instanceof S3Error && e.code === "InvalidURI",
    );
    assert.equal(virtualHostBucket("UPPER.localhost"), "upper");
    assert.equal(virtualHostBucket("a..b.localhost"), undefined);
  });
});
