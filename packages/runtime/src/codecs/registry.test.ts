import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSagebrewError } from "../errors/index.js";
import { defaultCodecs } from "./builtin.js";
import { parseContentType } from "./media-type.js";
import { type Codec, CodecRegistry } from "./registry.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("CodecRegistry", () => {
  const codecs = defaultCodecs();

  it("finds decoders by media type with parameters, in any case, and by bare name", () => {
    const r = codecs.decoderFor("Text/CSV; label_size=1", { purpose: "training", channel: "train" });
    assert.equal(r.codec.name, "csv");
    assert.deepEqual({ ...r.params }, { label_size: "1" });
    assert.equal(codecs.decoderFor("text/x-libsvm", { purpose: "training" }).codec.name, "libsvm");
    assert.equal(
      codecs.decoderFor("recordio-protobuf", { purpose: "training" }).codec.name,
      "recordio-protobuf",
    );
    assert.equal(codecs.decoderFor("csv", { purpose: "serving" }).codec.name, "csv");
  });

  it("answers a parsed content type it has seen with the codec registered now", () => {
    const local = defaultCodecs();
    const csv = parseContentType("text/csv; header=present")!;
    const first = local.decoderFor(csv, { purpose: "serving" });
    assert.equal(first.codec.name, "csv");
    assert.deepEqual({ ...first.params }, { header: "present" });
    assert.equal(local.decoderFor(csv, { purpose: "serving" }), first);
    const mine: Codec = {
      name: "my-csv",
      mediaType: "text/csv",
      decode: () => ({ features: { kind: "dense", rows: 0, cols: 0, values: new Float32Array(0) } }),
    };
    local.register(mine);
    assert.equal(local.decoderFor(csv, { purpose: "serving" }).codec.name, "my-csv");
    assert.throws(
      () => local.decoderFor(csv, { purpose: "serving", accepted: ["text/libsvm"] }),
      (e: unknown) => isSagebrewError(e, "SB_UNSUPPORTED_MEDIA_TYPE"),
    );
  });

  it("says which formats a channel reads when its content type is not one of them", () => {
    assert.throws(
      () => codecs.decoderFor("application/json", { purpose: "training", channel: "train" }),
      (e: unknown) =>
        isSagebrewError(e, "SB_CHANNEL_INVALID") &&
        e.message ===
          'Cannot read channel train: content type "application/json" is not one of text/csv, text/libsvm, application/x-parquet, application/x-recordio-protobuf',
    );
    assert.throws(
      () => codecs.decoderFor("application/x-parquet", { purpose: "serving" }),
      (e: unknown) => isSagebrewError(e, "SB_UNSUPPORTED_MEDIA_TYPE"),
    );
  });

  it("rejects parameters the format does not support, with the code of where it happened", () => {
    assert.throws(
      () => codecs.decoderFor("text/csv; label_size=2", { purpose: "training", channel: "train" }),
      (e: unknown) => isSagebrewError(e, "SB_CHANNEL_INVALID") && /label_size=2/.test(e.message),
    );
    assert.throws(
      () => codecs.decoderFor("text/csv;label_size=0", { purpose: "serving" }),
      (e: unknown) =>
        isSagebrewError(e, "SB_UNSUPPORTED_MEDIA_TYPE") && /label_size must be 1/.test(e.message),
    );
  });

  // aws/sagemaker-xgboost-container test/unit/test_data_utils.py: a malformed label_size is a user error.
  for (const contentType of [
    "text/csv; label_size=1=1",
    "text/csv; label_size=1; label_size=2",
    "text/csv; label_size=2; label_size=1",
    "csv; label_size",
    "text/csv; label_size=",
  ]) {
    it(`rejects the training content type ${JSON.stringify(contentType)}`, () => {
      assert.throws(
        () => codecs.decoderFor(contentType, { purpose: "training", channel: "train" }),
        (e: unknown) =>
          isSagebrewError(e, "SB_CHANNEL_INVALID") &&
          e.message.startsWith(
            `Cannot read channel train: content type ${JSON.stringify(contentType)} is not supported: `,
          ),
      );
    });
  }

  it("detects undeclared training files from their names, then their first bytes, else CSV", () => {
    assert.equal(codecs.detect("x.parquet", undefined).name, "parquet");
    assert.equal(codecs.detect("data", enc("1 0:1 3:2\n")).name, "libsvm");
    assert.equal(codecs.detect("data", enc("1,2,3\n")).name, "csv");
    assert.equal(codecs.detect("data", new Uint8Array([0x0a, 0x23, 0xd7, 0xce])).name, "recordio-protobuf");
    assert.equal(codecs.detect("data", enc("PAR1")).name, "parquet");
  });

  it("encodes outputs as the default encoder did, and refuses what nothing encodes", () => {
    assert.equal(
      codecs.encoderFor("text/csv").encode([
        [1, 2],
        [3, 4],
      ]),
      "1,2\n3,4\n",
    );
    assert.equal(
      codecs.encoderFor("application/json").encode({ a: new Float32Array([0.5]) }),
      '{"a":{"0":0.5}}',
    );
    assert.equal(
      codecs.encoderFor("application/jsonlines").encode([{ a: 1 }, { a: 2 }]),
      '{"a":1}\n{"a":2}\n',
    );
    assert.throws(
      () => codecs.encoderFor("text/html"),
      (e: unknown) => isSagebrewError(e, "SB_NOT_ACCEPTABLE"),
    );
  });

  it("takes a registered format, and a copy with more codecs leaves the original alone", () => {
    const tsv: Codec = {
      name: "semicolons",
      mediaType: "text/x-semicolons",
      extensions: [".scsv"],
      decode: (bytes) => {
        const rows = new TextDecoder()
          .decode(bytes)
          .trim()
          .split("\n")
          .map((l) => l.split(";").map(Number));
        return {
          features: {
            kind: "dense",
            rows: rows.length,
            cols: rows[0]!.length,
            values: new Float32Array(rows.flat()),
          },
        };
      },
    };
    const more = codecs.with([tsv]);
    assert.equal(more.decoderFor("text/x-semicolons", { purpose: "serving" }).codec.name, "semicolons");
    assert.equal(more.detect("a.scsv", undefined).name, "semicolons");
    assert.equal(codecs.find("text/x-semicolons"), undefined);
    assert.throws(
      () => new CodecRegistry([{ ...tsv, mediaType: "nonsense" }]),
      (e: unknown) => isSagebrewError(e, "SB_CODEC_INVALID"),
    );
  });
});
