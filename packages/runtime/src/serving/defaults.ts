/**
 * The default `decode` (bytes → float32 Dataset) and `encode` (output → CSV, JSON or JSON Lines) of
 * the handler API, through the codec registry: a handler checked by `checkHandler` carries them as
 * its `decode`/`encode`; these two serve callers that hold no checked handler.
 */
import { defaultCodecs } from "../codecs/builtin.js";
import type { MediaType } from "../codecs/media-type.js";
import type { CodecRegistry } from "../codecs/registry.js";
import type { Dataset } from "../codecs/types.js";

const SOURCE = "request body";

let builtin: CodecRegistry | undefined;

/** The built-in codecs, made on first use. */
export function builtinCodecs(): CodecRegistry {
  builtin ??= defaultCodecs();
  return builtin;
}

/**
 * Decodes a request body by its media type into a Dataset (no label column).
 *
 * @throws SagebrewError SB_UNSUPPORTED_MEDIA_TYPE when no codec reads it, or its parameters are not supported.
 */
export function decodeWith(
  codecs: CodecRegistry,
  body: Uint8Array,
  contentType: MediaType,
): Dataset | Promise<Dataset> {
  const { codec, params } = codecs.decoderFor(contentType, { purpose: "serving" });
  return codec.decode!(body, { source: SOURCE, labels: false, weights: false, params });
}

/**
 * Encodes an output as the negotiated media type.
 *
 * @throws SagebrewError SB_NOT_ACCEPTABLE when no codec writes it.
 */
export function encodeWith(codecs: CodecRegistry, output: unknown, accept: string): string | Uint8Array {
  return codecs.encoderFor(accept).encode(output);
}

/** Decodes a request body with the built-in codecs. */
export function decodeDataset(body: Uint8Array, contentType: MediaType): Dataset {
  return decodeWith(builtinCodecs(), body, contentType) as Dataset;
}

/** Encodes an output with the built-in codecs. */
export function encodeOutput(output: unknown, accept: string): string {
  const out = encodeWith(builtinCodecs(), output, accept);
  return typeof out === "string" ? out : new TextDecoder().decode(out);
}
