/**
 * Content negotiation of one invocation, from its headers alone: Content-Type (with parameters)
 * → 415, Accept → 406. Clients send the same few header pairs again and again, so answers are
 * remembered.
 */
import { type MediaType, negotiate, parseContentType } from "../codecs/media-type.js";
import type { ServingConfig } from "../config/serving.js";
import type { AppRequest } from "./_app-types.js";
import type { Problem } from "./_responses.js";
import type { CheckedHandler } from "./handler.js";

/** The media types an invocation reads and answers. */
export interface Negotiated {
  readonly contentType: MediaType;
  readonly accept: string;
  readonly code?: undefined;
}

const UTF8 = new Set(["utf-8", "utf8", "us-ascii", "ascii"]);
const REMEMBERED = 256;

/**
 * The negotiation of `handler`'s media types, as a function of a request.
 *
 * @example const n = createNegotiator(handler, config)(req); if (n.code === undefined) n.accept;
 */
export function createNegotiator(
  handler: CheckedHandler,
  config: ServingConfig,
): (req: AppRequest) => Negotiated | Problem {
  if (handler.negotiation === "handler") {
    // The handler reads the raw headers and answers 415/406 (or not) itself.
    return (req) => ({
      contentType: parseContentType(req.headers["content-type"] ?? "") ?? {
        type: "",
        subtype: "",
        essence: "",
        params: {},
      },
      accept: req.headers.accept ?? "",
    });
  }
  const offered = handler.contentTypes.join(", ");
  const fallback = config.defaultAccept ? { fallback: config.defaultAccept } : {};
  const remembered = new Map<string, Negotiated>();

  function decide(rawType: string | undefined, acceptHeader: string | undefined): Negotiated | Problem {
    if (rawType === undefined || rawType.trim() === "") {
      return unsupported(`The request has no Content-Type: send one of ${offered}`);
    }
    // The bare names SageMaker's XGBoost container takes (`csv`, `libsvm`) read as their media types.
    const contentType = parseContentType(rawType);
    if (!contentType) {
      return unsupported(`Content-Type ${quote(rawType)} is not a media type: send one of ${offered}`);
    }
    if (!handler.contentTypes.includes(contentType.essence)) {
      return unsupported(`Content-Type ${contentType.essence} is not supported: send one of ${offered}`);
    }
    const charset = contentType.params.charset;
    if (charset !== undefined && !UTF8.has(charset.toLowerCase())) {
      return unsupported(`Charset ${quote(charset)} is not supported: send UTF-8 text`);
    }
    const accept = negotiate(acceptHeader, handler.accepts, fallback);
    if (accept === undefined) {
      return {
        code: "SB_NOT_ACCEPTABLE",
        message: `Accept ${quote(acceptHeader ?? "")} cannot be satisfied: this model answers ${handler.accepts.join(", ")}`,
      };
    }
    return { contentType, accept };
  }

  // The last pair answered, compared before the map: each invocation is negotiated twice (before
  // its body and with it), and most come with the same headers as the one before.
  let lastType: string | undefined;
  let lastAccept: string | undefined;
  let last: Negotiated | undefined;
  return (req) => {
    const rawType = req.headers["content-type"];
    const acceptHeader = req.headers.accept;
    if (last !== undefined && rawType === lastType && acceptHeader === lastAccept) return last;
    const key = `${rawType}\u0000${acceptHeader ?? ""}`;
    let result = remembered.get(key);
    if (result === undefined) {
      const decided = decide(rawType, acceptHeader);
      if (decided.code !== undefined) return decided;
      if (remembered.size >= REMEMBERED) remembered.clear();
      remembered.set(key, decided);
      result = decided;
    }
    lastType = rawType;
    lastAccept = acceptHeader;
    last = result;
    return result;
  };
}

function unsupported(message: string): Problem {
  return { code: "SB_UNSUPPORTED_MEDIA_TYPE", message };
}

/** A client's value for a message: quoted, and cut short when long. */
export function quote(s: string): string {
  const t = s.length > 100 ? `${s.slice(0, 97)}...` : s;
  return JSON.stringify(t);
}
