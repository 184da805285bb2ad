/**
 * The codec registry: a media type (with its parameters) → a decoder and an encoder, read by
 * training (channel files) and serving (request and response bodies) alike. Adding a format is
 * one file holding its `Codec` and one entry (`builtin.ts`, or an algorithm's or handler's
 * `codecs`). Every "this format is not supported" error comes from here. Pure.
 */
import { SagebrewError } from "../errors/index.js";
import { type MediaType, parseMediaType } from "./media-type.js";
import type { Dataset } from "./types.js";

/** Who decodes: a training channel (rows carry labels) or a serving request. */
export type CodecPurpose = "training" | "serving";

/** What a decoder is told. */
export interface DecodeOptions {
  /** Named in errors: `training/iris.csv`, `request body`. */
  readonly source: string;
  /** Rows start with a label (training). */
  readonly labels: boolean;
  /** CSV: the column after the label is an instance weight (`csv_weights=1`). */
  readonly weights: boolean;
  /** The media type's parameters (`header=present`, `label_size=1`), names lower-cased. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * One format. Decoders and encoders are pure: bytes in, a `Dataset` out (and an output back to
 * bytes). A codec without `decode` is answer-only; one without `encode` is input-only.
 */
export interface Codec {
  /** Short name, also accepted as a bare content type (`csv`), and named in messages. */
  readonly name: string;
  /** The media type's essence, lower case (`text/csv`). */
  readonly mediaType: string;
  /** Other essences meaning the same (`text/x-libsvm`). */
  readonly aliases?: readonly string[];
  /** File name endings that mark an undeclared training file as this format (`.csv`). */
  readonly extensions?: readonly string[];
  /** True when the first bytes of an undeclared training file are this format. */
  readonly sniff?: (head: Uint8Array) => boolean;
  /** Where the decoder is used. Default: both. */
  readonly purposes?: readonly CodecPurpose[];
  /** A problem with the media type's parameters for `purpose`, as a phrase; undefined when fine. */
  readonly checkParams?: (
    params: Readonly<Record<string, string>>,
    purpose: CodecPurpose,
  ) => string | undefined;
  decode?(bytes: Uint8Array, options: DecodeOptions): Dataset | Promise<Dataset>;
  /** Encodes a handler's output (arrays, typed arrays, records or a value) as this format. */
  encode?(output: unknown): string | Uint8Array;
}

/** A codec found for a content type, with the parameters it came with. */
export interface ResolvedCodec {
  readonly codec: Codec;
  readonly params: Readonly<Record<string, string>>;
}

/** Where a lookup happens, for the error it raises. */
export interface LookupContext {
  readonly purpose: CodecPurpose;
  /** Training: the channel name; serving: unused. */
  readonly channel?: string;
  /** Restricts the formats accepted (a channel's declared content types). */
  readonly accepted?: readonly string[];
}

/** Media types and codecs, in registration order (which is also the order content is sniffed in). */
export class CodecRegistry {
  readonly #codecs: Codec[] = [];
  /** Serving decoders found per parsed content type (the app hands the same object per header). */
  #serving = new WeakMap<MediaType, ResolvedCodec>();

  constructor(codecs: readonly Codec[] = []) {
    for (const c of codecs) this.register(c);
  }

  /**
   * Adds a codec; a later codec for the same media type or name replaces the earlier one.
   *
   * @throws SagebrewError SB_CODEC_INVALID when the codec's media type is not one.
   */
  register(codec: Codec): this {
    const m = parseMediaType(codec.mediaType);
    if (!m || typeof codec.name !== "string" || codec.name === "" || codec.name.includes("/")) {
      throw new SagebrewError(
        "SB_CODEC_INVALID",
        `Cannot register codec ${JSON.stringify(codec.name)}: it needs a name without "/" and a media type such as text/csv, got ${JSON.stringify(codec.mediaType)}`,
      );
    }
    const essences = new Set([m.essence, ...(codec.aliases ?? []).map((a) => a.toLowerCase())]);
    const i = this.#codecs.findIndex((c) => c.name === codec.name || essences.has(c.mediaType));
    const entry = Object.freeze({ ...codec, mediaType: m.essence });
    if (i >= 0) this.#codecs[i] = entry;
    else this.#codecs.push(entry);
    this.#serving = new WeakMap();
    return this;
  }

  /** A copy with more codecs (the registry of one algorithm or handler). */
  with(codecs: readonly Codec[] | undefined): CodecRegistry {
    return new CodecRegistry([...this.#codecs, ...(codecs ?? [])]);
  }

  /** Every codec, in order. */
  all(): readonly Codec[] {
    return this.#codecs;
  }

  /** Media types with a decoder for `purpose`. */
  decodable(purpose: CodecPurpose): string[] {
    return this.#codecs
      .filter((c) => c.decode && usedFor(c, purpose))
      .flatMap((c) => [c.mediaType, ...(c.aliases ?? [])]);
  }

  /** Media types with an encoder (serving answers). */
  encodable(): string[] {
    return this.#codecs.filter((c) => c.encode).map((c) => c.mediaType);
  }

  /** The codec for an essence or a bare name (`text/csv`, `csv`), if any. */
  find(essenceOrName: string): Codec | undefined {
    const key = essenceOrName.trim().toLowerCase();
    return this.#codecs.find(
      (c) => c.mediaType === key || c.name === key || (c.aliases ?? []).some((a) => a.toLowerCase() === key),
    );
  }

  /**
   * The decoder for a content type as written (`text/csv; header=present`, or bare `csv`).
   *
   * @throws SagebrewError SB_CHANNEL_INVALID (training) or SB_UNSUPPORTED_MEDIA_TYPE (serving)
   *   when no codec decodes it, or its parameters are not supported.
   */
  decoderFor(contentType: string | MediaType, at: LookupContext): ResolvedCodec {
    const cacheable = typeof contentType !== "string" && at.purpose === "serving" && !at.accepted;
    const known = cacheable ? this.#serving.get(contentType) : undefined;
    if (known) return known;
    const m = typeof contentType === "string" ? parseContentType(contentType) : contentType;
    const text = typeof contentType === "string" ? contentType : contentType.essence;
    const codec = m ? this.find(m.essence) : undefined;
    const accepted = at.accepted?.map((a) => a.toLowerCase());
    const ok =
      codec?.decode &&
      usedFor(codec, at.purpose) &&
      (!accepted ||
        accepted.some((a) => a === codec.mediaType || a === codec.name || codec.aliases?.includes(a)));
    if (!m && this.find(text.split(";")[0]!)) {
      throw paramsError(text, "its parameters are malformed (each must be name=value, given once)", at);
    }
    if (!m || !codec || !ok) throw this.#unsupported(text, at, accepted);
    const problem = codec.checkParams?.(m.params, at.purpose);
    if (problem) throw paramsError(text, problem, at);
    const resolved = { codec, params: m.params };
    if (cacheable) this.#serving.set(contentType, resolved);
    return resolved;
  }

  /**
   * The encoder for a negotiated response type.
   *
   * @throws SagebrewError SB_NOT_ACCEPTABLE when no codec writes it.
   */
  encoderFor(essence: string): Codec & { encode: NonNullable<Codec["encode"]> } {
    const codec = this.find(essence);
    if (!codec?.encode) {
      throw new SagebrewError(
        "SB_NOT_ACCEPTABLE",
        `Cannot encode the output as ${essence}: the default encoder writes ${this.encodable().join(", ")}`,
      );
    }
    return codec as Codec & { encode: NonNullable<Codec["encode"]> };
  }

  /**
   * The format of an undeclared training file: its name's ending, else its first bytes, else the
   * first training codec (CSV, SageMaker's default).
   */
  detect(name: string, head: Uint8Array | undefined): Codec {
    const training = this.#codecs.filter((c) => c.decode && usedFor(c, "training"));
    const lower = name.toLowerCase();
    const byName = training.find((c) => (c.extensions ?? []).some((e) => lower.endsWith(e)));
    if (byName) return byName;
    const bySniff = head && training.find((c) => c.sniff?.(head));
    if (bySniff) return bySniff;
    const fallback = training[0];
    if (!fallback) throw new SagebrewError("SB_INTERNAL", "No codec can read training data");
    return fallback;
  }

  /** True when the format of `name` is settled by its ending alone (no need to read its head). */
  knowsByName(name: string): boolean {
    const lower = name.toLowerCase();
    return this.#codecs.some(
      (c) => c.decode && usedFor(c, "training") && (c.extensions ?? []).some((e) => lower.endsWith(e)),
    );
  }

  #unsupported(text: string, at: LookupContext, accepted: readonly string[] | undefined): SagebrewError {
    if (at.purpose === "serving") {
      const known = this.decodable("serving");
      return new SagebrewError(
        "SB_UNSUPPORTED_MEDIA_TYPE",
        `Cannot decode Content-Type ${text}: the default decoder reads ${known.join(", ")}`,
      );
    }
    const list =
      accepted ?? this.#codecs.filter((c) => c.decode && usedFor(c, "training")).map((c) => c.mediaType);
    return new SagebrewError(
      "SB_CHANNEL_INVALID",
      `Cannot read channel ${at.channel ?? "?"}: content type ${JSON.stringify(text)} is not one of ${list.join(", ")}`,
    );
  }
}

function usedFor(codec: Codec, purpose: CodecPurpose): boolean {
  return codec.purposes === undefined || codec.purposes.includes(purpose);
}

/** Parses a content type; a bare name (`csv; label_size=1`) counts as `<name>/<name>`'s essence lookup. */
function parseContentType(text: string): MediaType | undefined {
  const m = parseMediaType(text);
  if (m) return m;
  const bare = parseMediaType(`x-bare/${text.trim()}`);
  if (!bare) return undefined;
  return { ...bare, type: "", essence: bare.subtype };
}

function paramsError(text: string, problem: string, at: LookupContext): SagebrewError {
  if (at.purpose === "serving") {
    return new SagebrewError(
      "SB_UNSUPPORTED_MEDIA_TYPE",
      `Content-Type ${text} is not supported: ${problem}`,
    );
  }
  return new SagebrewError(
    "SB_CHANNEL_INVALID",
    `Cannot read channel ${at.channel ?? "?"}: content type ${JSON.stringify(text)} is not supported: ${problem}`,
  );
}
